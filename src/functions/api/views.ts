/**
 * What the API shows of stored records: the job view (seed 000's task status, with progress and steps),
 * the list entry, upcoming runs in the job's own time zone, and the answers of the job service's
 * commands. Pure mapping, no I/O. A job's policies come from `policiesOf` and are carried in `settings`,
 * so no client (the dashboard included) fills in a default of its own.
 */
import { formatISO } from 'date-fns';
import { TZDate } from '@date-fns/tz';
import type { Job, Phase, Schedule, SkippedRuns } from '../../lib/job';
import type { ExtraRequest, JobRecord, Page, RunRecord } from '../../lib/store';
import { needsAttention, outcomeOf, progressOf } from '../../lib/progress';
import type { RequestAnswer, SubmitAnswer } from '../../lib/job-service';
import { policiesOf } from '../../lib/policies';
import { executionDurationMs, type ExecutionEvent, type ExecutionSummary } from '../../lib/executions';
import { MISSED_GRACE_MS } from '../../lib/schedule';
import { isFinalStatus, PAUSED, statusHistory } from '../../lib/status';
import { isActionJob, type ActionRun } from '../../lib/fanout';
import type { OutboxEntry } from '../../lib/targets';

/** What an action job's run does, by its action's type (a target by the AWS call it makes). */
const ACTION_STEP = {
  webhook: 'Webhook',
  message: 'Message',
  sqs: 'SQS SendMessage',
  sns: 'SNS Publish',
  lambda: 'Lambda Invoke',
  eventbridge: 'EventBridge PutEvents',
  stepfunctions: 'Step Functions StartExecution',
} as const;
export type StepAction = 'Data Collection' | 'Batch Processing' | 'Report Generation' | 'Fan-out' | (typeof ACTION_STEP)[keyof typeof ACTION_STEP];

/** Seed 000's step names for workflow phases; an action job's step is named after its action. */
export function stepAction(phase: Phase, job: Job): StepAction {
  switch (phase) {
    case 'collection':
      return 'Data Collection';
    case 'processing':
      return 'Batch Processing';
    case 'report':
      return 'Report Generation';
    case 'action':
      return job.actions ? 'Fan-out' : ACTION_STEP[job.action?.type ?? 'webhook'];
  }
}

/** What every run shows, live or extra: what it did, how it went, and when. */
function runOutcomeView(run: RunRecord, job: Job) {
  return {
    phase: run.phase,
    action: stepAction(run.phase, job),
    state: run.state,
    result: run.result ?? null,
    error: run.error ?? null,
    plannedAt: run.plannedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    durationMs: run.durationMs ?? null,
    attempts: run.attempts,
    ...attemptsView(run),
    // A fan-out run's actions, each with its own key and outcome (src/lib/fanout.ts).
    ...(run.actions ? { actions: run.actions.map(actionRunView) } : {}),
  };
}

function actionRunView(action: ActionRun) {
  return {
    index: action.index,
    key: action.key,
    type: action.type,
    state: action.state,
    attempts: action.attempts,
    result: action.result ?? null,
    error: action.error ?? null,
    startedAt: action.startedAt,
    finishedAt: action.finishedAt ?? null,
    durationMs: action.durationMs ?? null,
  };
}

/**
 * Every attempt of a run the item keeps, oldest first: the earlier ones (`unknown` when an attempt ended
 * without a record: a timeout or a crash), then the current or settling one; and the latest failure among
 * them, as Temporal shows a pending activity's last failure.
 */
export function attemptsView(run: RunRecord) {
  const earlier = (run.earlierAttempts ?? []).map((attempt) => ({
    attempt: attempt.attempt,
    outcome: (attempt.error ? 'failed' : 'unknown') as AttemptOutcome,
    startedAt: attempt.startedAt,
    endedAt: attempt.endedAt ?? null,
    error: attempt.error ?? null,
    delayMs: attempt.delayMs ?? null,
  }));
  // A run failed before any attempt began (beginning it kept failing), or a skipped range, has no attempt of its own.
  const current =
    run.attempts > 0 && run.state !== 'SKIPPED'
      ? [{ attempt: run.attempts, outcome: ATTEMPT_OUTCOME[run.state], startedAt: run.startedAt, endedAt: run.finishedAt ?? null, error: run.error ?? null, delayMs: null }]
      : [];
  const attemptHistory = [...earlier, ...current];
  const lastFailure = [...attemptHistory].reverse().find((attempt) => attempt.error !== null);
  return { attemptHistory, lastFailure: lastFailure ? { attempt: lastFailure.attempt, at: lastFailure.endedAt, error: lastFailure.error } : null };
}

export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'unknown';
const ATTEMPT_OUTCOME: Record<RunRecord['state'], AttemptOutcome> = { STARTED: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed', SKIPPED: 'unknown' };

export function stepView(run: RunRecord, job: Job) {
  return {
    day: run.iteration + 1,
    iteration: run.iteration,
    ...runOutcomeView(run, job),
    // A SKIPPED step stands for runs iteration..skippedThrough that the catch-up or overlap policy passed over.
    ...(run.state === 'SKIPPED' ? { skippedThrough: run.skippedThrough ?? run.iteration, skipReason: run.skipReason ?? 'missed' } : {}),
  };
}

function progressView(record: JobRecord) {
  const progress = progressOf(record, !isActionJob(record.job));
  return {
    percentage: progress.percentage,
    completedRuns: progress.completedRuns,
    failedRuns: progress.failedRuns,
    skippedRuns: progress.skippedRuns ?? 0,
    totalRuns: progress.totalRuns,
    completedDays: progress.completedDays ?? null,
    totalDays: progress.totalDays ?? null,
  };
}

/** The entry of a job in `GET /jobs`: everything but its runs. */
export function jobSummaryView(record: JobRecord) {
  return {
    jobId: record.jobId,
    status: record.status,
    job: record.job,
    currentDay: progressOf(record, !isActionJob(record.job)).currentDay ?? null,
    progress: progressView(record),
    /** How its runs went (src/lib/progress.ts JobOutcome): a COMPLETED job whose runs all failed is `failed`. */
    outcome: outcomeOf(record.status, record.progress),
    /** Failed, or has failed runs: the dashboard's "needs attention". */
    needsAttention: needsAttention(record.status, record.progress),
    /** The latest live run counted, with its error when it failed; null before the first. */
    lastRun: record.lastRun ?? null,
    nextRunAt: isFinalStatus(record.status) ? null : record.nextRunAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    finishedAt: record.finishedAt ?? null,
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    ...(record.status === PAUSED ? { pausedAt: record.pausedAt ?? null, pauseNote: record.pauseNote ?? null } : {}),
  };
}

/** A trigger or backfill request, with its progress. */
export function extraRequestView(request: ExtraRequest) {
  return {
    requestId: request.requestId,
    kind: request.kind,
    state: request.state,
    requestedAt: request.requestedAt,
    finishedAt: request.finishedAt ?? null,
    from: request.from ?? null,
    to: request.to ?? null,
    /** Backfill: the schedule's iterations the range holds, first to last. */
    iterations: request.firstIteration === undefined ? null : { first: request.firstIteration, last: request.firstIteration + request.runCount - 1 },
    note: request.note ?? null,
    runs: { total: request.runCount, completed: request.completedRuns, failed: request.failedRuns },
    executionArn: request.executionArns.at(-1) ?? null,
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  };
}

/** A triggered or backfilled run: `kind` says which, `iteration` which planned run a backfilled one stands for. */
export function extraRunView(run: RunRecord, job: Job) {
  return {
    requestId: run.requestId ?? '',
    kind: run.kind,
    index: run.index,
    // A trigger stands for no planned run of the schedule.
    iteration: run.kind === 'backfill' ? run.iteration : null,
    ...runOutcomeView(run, job),
  };
}

/** What a job's detail shows of its triggers and backfills: the newest requests and runs. */
export interface ExtrasPage {
  requests: ExtraRequest[];
  runs: RunRecord[];
}

/** `GET /jobs`: one page of job summaries. */
export function jobsPageView(page: Page<JobRecord>) {
  return { jobs: page.items.map(jobSummaryView), count: page.items.length, cursor: page.cursor ?? null };
}

/**
 * `GET /jobs/{id}`: the summary, with one page of runs as steps, the executions, the final report and the
 * scheduling settings the job runs under (defaults filled in, as in the upcoming view).
 */
export function jobDetailView(record: JobRecord, runs: { items: RunRecord[]; cursor?: string }, extras: ExtrasPage = { requests: [], runs: [] }, runsOrder: 'asc' | 'desc' = 'asc') {
  const summary = jobSummaryView(record);
  return {
    ...summary,
    settings: scheduleSettingsView(record.job),
    progress: { ...summary.progress, steps: runs.items.map((run) => stepView(run, record.job)) },
    /** The order of `progress.steps` (`?runsOrder=`): oldest first by default, `desc` newest first. */
    runsOrder,
    /** Derived from this page of runs; the first page of a workflow holds its whole sequence. */
    statusHistory: statusHistory(record, [...runs.items].sort((a, b) => a.index - b.index)),
    executions: record.executionArns,
    /** ContinueAsNew generation of the latest execution (0 for the first); every execution is listed above. */
    generation: Math.max(0, record.executionArns.length - 1),
    ...(record.finalReport === undefined ? {} : { finalReport: record.finalReport }),
    ...(runs.cursor === undefined ? {} : { runsCursor: runs.cursor }),
    /** Triggers and backfills, newest first: their runs are kept apart from the live steps above. */
    extraRequests: extras.requests.map(extraRequestView),
    extraRuns: extras.runs.map((run) => extraRunView(run, record.job)),
  };
}

/**
 * An instant as ISO-8601 with the offset the zone has at that instant.
 * @example localIso('2024-12-04T10:00:00Z', 'Europe/Berlin') // '2024-12-04T11:00:00+01:00'
 */
export function localIso(instant: string, timeZone: string): string {
  return formatISO(new TZDate(Date.parse(instant), timeZone));
}

/** Every scheduling setting of a job, with the defaults it runs under filled in (src/lib/policies.ts). */
export function scheduleSettingsView(job: Job) {
  const policies = policiesOf(job);
  return {
    frequency: job.frequency ?? null,
    scheduleExpression: job.scheduleExpression ?? null,
    timeZone: policies.timeZone,
    startDateTime: job.startDateTime,
    endDateTime: job.endDateTime ?? null,
    maxRuns: job.maxRuns ?? null,
    forever: job.forever ?? false,
    flexibleWindowMinutes: policies.flexibleWindowMinutes,
    catchUp: policies.catchUp,
    catchUpWindowMinutes: policies.catchUpWindowMinutes,
    overlap: policies.overlap,
    retentionDays: policies.retentionDays,
    group: job.group ?? null,
    tags: job.tags ?? [],
  };
}

/**
 * `GET /jobs/{id}/upcoming`: the next runs, each with its planned time and (inside a flexible window) when
 * it starts; `missed` marks one whose time has passed, which the catch-up policy decides on when the job
 * runs again (after a pause or downtime). With the job's settings, status and the runs it has left.
 */
export function upcomingView(record: Pick<JobRecord, 'job' | 'status' | 'progress' | 'pausedAt' | 'pauseNote'>, runs: readonly Schedule[], now: Date, passedOver?: SkippedRuns) {
  const { job, progress } = record;
  const { completedRuns, failedRuns, skippedRuns = 0, totalRuns } = progress;
  const remainingRuns = isFinalStatus(record.status) ? 0 : totalRuns === null ? null : Math.max(0, totalRuns - completedRuns - failedRuns - skippedRuns);
  return {
    jobId: job.id,
    timeZone: job.timeZone,
    status: record.status,
    paused: record.status === PAUSED ? { pausedAt: record.pausedAt ?? null, note: record.pauseNote ?? null } : null,
    /** Null for a job without an end. */
    remainingRuns,
    settings: scheduleSettingsView(job),
    /**
     * Runs whose time passed while nothing ran that the catch-up policy passes over when the job next runs
     * (first and last iteration, how many); null when none. `runs` starts after them.
     */
    passedOver: passedOver ? { from: passedOver.from, to: passedOver.to, count: passedOver.count } : null,
    runs: runs
      .filter((run): run is Schedule & { runAt: string } => run.runAt !== null)
      .map((run) => ({
        iteration: run.iteration,
        plannedAt: run.plannedAt ?? run.runAt,
        runAt: run.runAt,
        localTime: localIso(run.runAt, job.timeZone),
        phase: run.phase,
        missed: Date.parse(run.plannedAt ?? run.runAt) < now.getTime() - MISSED_GRACE_MS,
      })),
  };
}

/**
 * `GET /jobs/{id}/executions/{generation}/history`: one execution — status, start, stop, duration — and a
 * page of its events as GetExecutionHistory gives them (flattened: state, input, output, error, cause).
 */
export function executionHistoryView(answer: { record: JobRecord; generation: number; execution: ExecutionSummary; events: ExecutionEvent[]; cursor?: string }, now: Date) {
  return {
    jobId: answer.record.jobId,
    generation: answer.generation,
    generations: answer.record.executionArns.length,
    execution: { ...answer.execution, durationMs: executionDurationMs(answer.execution, now) },
    events: answer.events,
    cursor: answer.cursor ?? null,
  };
}

// ---- answers of the commands ------------------------------------------------------------------------------

/** `POST /jobs`: the job as stored, its latest execution and (while it is going) its next run. */
export function submitView({ record, executionArn }: SubmitAnswer) {
  return {
    jobId: record.jobId,
    status: record.status,
    executionArn,
    nextRunAt: isFinalStatus(record.status) ? null : record.nextRunAt,
  };
}

/** `DELETE /jobs/{id}`: the status the job ended in. */
export function stopView(record: Pick<JobRecord, 'jobId' | 'status'>) {
  return { jobId: record.jobId, status: record.status };
}

/** `POST /jobs/{id}/pause`: when, and the note when there is one. */
export function pauseView(record: Pick<JobRecord, 'jobId' | 'status' | 'pausedAt' | 'pauseNote'>) {
  return { jobId: record.jobId, status: record.status, pausedAt: record.pausedAt, ...(record.pauseNote ? { note: record.pauseNote } : {}) };
}

/** `POST /jobs/{id}/resume`: the status put back and the new execution. */
export function resumeView(answer: { record: Pick<JobRecord, 'jobId' | 'status'>; executionArn: string }) {
  return { jobId: answer.record.jobId, status: answer.record.status, executionArn: answer.executionArn };
}

/** `POST /jobs/{id}/trigger` and `/backfill`: the request as the job view lists it, and its execution. */
export function requestAnswerView(jobId: string, answer: RequestAnswer) {
  return { jobId, ...extraRequestView(answer.request), executionArn: answer.executionArn };
}

/** `DELETE /jobs`. */
export function deleteAllView(deletedCount: number) {
  return { message: 'All jobs deleted successfully', deletedCount };
}

/** GET /outbox: what the local stand-ins received, oldest first (the last `limit` of them). */
export function outboxView(entries: OutboxEntry[]) {
  return { entries, count: entries.length };
}
