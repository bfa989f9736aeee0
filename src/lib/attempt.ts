/**
 * What the task Lambda does with one run of any series — the live schedule, a trigger, a backfill —
 * written against ports (ledger, stores, steps, notifier, clock) so it stays free of I/O: begin the run in
 * the ledger (or find it settled), run the phase's step, settle the outcome, and hand the state machine
 * the series' next cursor. Live and manual runs differ only in how the next cursor is built (`advance`) and
 * in the parent change a settle carries (`liveChange`); the exactly-once protocol is the same code.
 */
import { logger } from '../common/logger';
import { JobNotActiveError, PermanentError, RunAlreadyFinishedError, TransientError } from './errors';
import { isRequestCursor, type ExtraCursor } from './extra-runs';
import type { JsonValue } from './json';
import { retentionExpiry, type Cursor, type Job, type Schedule } from './job';
import { LIVE, requestSeries, runKey, type FailurePolicy, type ParentChange, type RunLedger, type RunRecord, type RunRef, type Series } from './ledger';
import { completionNotice, failureNotices } from './notifications';
import { isActionJob } from './fanout';
import { nextRun, phaseOf, runTimeMs } from './schedule';
import { statusAfterFailure, statusAfterRun } from './status';
import type { JobRecord, JobStore, RequestStore } from './store';
import type { FailureSink, Notifier, RunHistory, StepContext, StepRegistry } from './steps';

export interface AttemptDeps {
  /** The job side the attempt needs: the previous result of a trigger, the first run's execution, the end. */
  jobs: Pick<JobStore, 'getJob' | 'recordExecution' | 'completeJob'>;
  requests: Pick<RequestStore, 'getRequest' | 'endRequest'>;
  runs: RunLedger;
  steps: StepRegistry;
  notifier: Notifier;
  now: () => Date;
  /** Waits before a retried attempt (job.retry); the local runtime's sleeps on its warped clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Delivers failed runs to a job's failureDestination. */
  failures?: FailureSink;
}

/** A live cursor (iteration, lineage, memo) or a request's cursor (requestId, index, runCount). */
export type SeriesCursor = Cursor | ExtraCursor;

export interface RunInput {
  job: Job;
  schedule: Schedule;
  cursor: SeriesCursor;
  executionArn?: string;
}

export interface FailureInput extends RunInput {
  /** The Catch's `$.error`: `Cause` is a JSON string on AWS and a plain message on the local engine. */
  error: { Error: string; Cause?: string };
}

/** The cursor the state machine carries to the next Calculate: the live one, or the request's. */
export type NextCursor = LiveCursor | ExtraCursor;

export interface LiveCursor {
  iteration: number;
  lastResult?: JsonValue;
  /** Carried unchanged through an execution (see src/lib/continue-as-new.ts). */
  generation?: number;
  firstIteration?: number;
  lastRunAt?: string;
  lastStartedAt?: string;
  lastFinishedAt?: string;
  totalRuns?: number | null;
  /** Set by a failure: true when the job's policy ended it. */
  aborted?: boolean;
}

/** Continue after a failed run for recurring action jobs; a workflow's later runs need the earlier ones. */
export function failurePolicy(job: Job): FailurePolicy {
  return job.onFailure ?? (isActionJob(job) ? 'continue' : 'abort');
}

/** Before attempt 2 and later: the job's own backoff, on top of the ASL Retry's (which stays the outer net). */
export function retryDelayMs(job: Job, attempt: number): number {
  if (!job.retry || attempt < 2) return 0;
  return Math.min(60_000, job.retry.intervalSeconds * 1000 * job.retry.backoffRate ** (attempt - 2));
}

/**
 * What a step's error becomes under the job's own limit on attempts: past it a transient failure is final
 * (a PermanentError, which the ASL does not retry and the Catch records); anything else stays as it is.
 */
export function pastRetryLimit(job: Job, attempts: number, error: unknown): unknown {
  if (error instanceof TransientError && job.retry && attempts >= job.retry.maxAttempts) {
    return new PermanentError(`gave up after ${attempts} attempts (retry.maxAttempts): ${error.message}`, { cause: error });
  }
  return error;
}

export function describeCaughtError(error: FailureInput['error']): { name: string; message: string } {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return { name: error.Error, message: parsed.errorMessage };
  } catch {
    // Not JSON: the local engine passes the message itself.
  }
  return { name: error.Error, message: cause || error.Error };
}

/** The series a cursor runs, and the index of the run a schedule names in it. */
export function refOf(job: Job, cursor: SeriesCursor, schedule: Schedule): RunRef {
  if (isRequestCursor(cursor)) return { jobId: job.id, series: requestSeries(cursor.kind, cursor.requestId), index: cursor.index };
  return { jobId: job.id, series: LIVE, index: schedule.iteration };
}

/** The job's live runs before `before`, for steps that build on earlier runs. */
export function historyOf(runs: RunLedger, jobId: string, before: number): RunHistory {
  return {
    getRun: (iteration) => runs.get({ jobId, series: LIVE, index: iteration }),
    async finishedRuns() {
      const found: RunRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await runs.list(jobId, 'live', { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        found.push(...page.items.filter((run) => run.iteration < before && run.state !== 'STARTED'));
        cursor = page.cursor;
      } while (cursor);
      return found;
    },
  };
}

export function expiry(job: Job, now: Date): { expiresAt?: number } {
  const expiresAt = retentionExpiry(job, now);
  return expiresAt === undefined ? {} : { expiresAt };
}

/** A live run's next run time, from the calculator with the run just done as its hint. */
function liveNextRunAt(job: Job, schedule: Schedule): string | null {
  const lastRunAt = schedule.plannedAt ?? schedule.runAt;
  return nextRun(job, { iteration: schedule.iteration + 1, totalRuns: schedule.totalRuns, ...(lastRunAt ? { lastRunAt } : {}) }).runAt;
}

/**
 * What a settled run does to its parent. A live run moves the job's status and next run; a manual run
 * moves only its request's counters (and ends the request under the abort policy).
 */
export function parentChange(ref: RunRef, job: Job, schedule: Schedule, outcome: { state: 'SUCCEEDED'; finalReport?: JsonValue; durationMs: number } | { state: 'FAILED'; policy: FailurePolicy; message: string }): ParentChange {
  const live = ref.series.kind === 'live';
  if (outcome.state === 'SUCCEEDED') {
    return {
      outcome: 'SUCCEEDED',
      durationMs: outcome.durationMs,
      ...(live ? { status: statusAfterRun(schedule.phase, schedule.iteration), nextRunAt: liveNextRunAt(job, schedule) } : {}),
      ...(live && outcome.finalReport !== undefined ? { finalReport: outcome.finalReport } : {}),
    };
  }
  const abort = outcome.policy === 'abort';
  const status = live ? statusAfterFailure(schedule.phase, outcome.policy) : abort ? 'FAILED' : undefined;
  return {
    outcome: 'FAILED',
    ...(status === undefined ? {} : { status }),
    ...(live ? { nextRunAt: abort ? null : liveNextRunAt(job, schedule) } : {}),
    ...(abort ? { reason: live ? outcome.message : `a run failed and the job's failure policy is abort: ${outcome.message}` } : {}),
  };
}

/** How the run went, as the next cursor needs it. */
export type Outcome = { failed: false; lastResult: JsonValue } | { failed: true; aborted: boolean };

export function replayed(run: RunRecord, job: Job): Outcome {
  if (run.state === 'FAILED') return { failed: true, aborted: failurePolicy(job) === 'abort' };
  return { failed: false, lastResult: run.result ?? null };
}

/** The execution's own fields of a live cursor, passed on to the next one. */
function lineage(cursor: Cursor): Pick<LiveCursor, 'generation' | 'firstIteration'> {
  return {
    ...(cursor.generation === undefined ? {} : { generation: cursor.generation }),
    ...(cursor.firstIteration === undefined ? {} : { firstIteration: cursor.firstIteration }),
  };
}

/**
 * The series' next cursor after the run a schedule names. Live: the next iteration, with what the
 * calculator should know of this run (its planned time, its end, the run count). A request: its next index,
 * `done` past its last run or once an abort ended it.
 */
export function advance(input: RunInput, outcome: Outcome, finishedAt: Date, startedAt?: string): NextCursor {
  const { cursor, schedule } = input;
  const lastResult = outcome.failed ? cursor.lastResult : outcome.lastResult;
  const aborted = outcome.failed && outcome.aborted;
  if (isRequestCursor(cursor)) {
    const index = cursor.index + 1;
    const next: ExtraCursor = { ...cursor, index, done: aborted || index >= cursor.runCount };
    if (lastResult !== undefined) next.lastResult = lastResult;
    // AfterFailure reads it: a Choice on a missing path is an error in ASL.
    if (outcome.failed) next.aborted = aborted;
    else delete next.aborted;
    return next;
  }
  const lastRunAt = schedule.plannedAt ?? schedule.runAt;
  return {
    iteration: schedule.iteration + 1,
    ...(lastResult === undefined ? {} : { lastResult }),
    ...lineage(cursor),
    ...(lastRunAt ? { lastRunAt } : {}),
    ...(startedAt ? { lastStartedAt: startedAt } : {}),
    lastFinishedAt: finishedAt.toISOString(),
    totalRuns: schedule.totalRuns,
    ...(outcome.failed ? { aborted } : {}),
  };
}

/**
 * Record the runs the calculator passed over (catch-up, overlap) as SKIPPED, each gap's item with its own
 * planned time and phase. Before a run begins, and when the calculator answers done with a range reaching
 * the end (then Finish records it), so no skipped run ever goes unrecorded.
 */
async function recordSkipped(deps: AttemptDeps, job: Job, schedule: Pick<Schedule, 'skipped' | 'totalRuns'>): Promise<void> {
  const { skipped } = schedule;
  if (!skipped) return;
  const plan = (index: number) => ({ plannedAt: new Date(runTimeMs(job, index)).toISOString(), phase: phaseOf(job, index, schedule.totalRuns) });
  await deps.runs.recordSkipped({ job, skipped, plan, now: deps.now(), ...expiry(job, deps.now()) });
}

/** The previous result a run sees: the cursor's; for a trigger, the live job's last finished run's. */
async function previousResult(deps: AttemptDeps, job: Job, cursor: SeriesCursor, series: Series): Promise<JsonValue | undefined> {
  if (cursor.lastResult !== undefined || series.kind !== 'trigger') return cursor.lastResult;
  const record = await deps.jobs.getJob(job.id);
  if (!record || record.cursor < 0) return undefined;
  return (await deps.runs.get({ jobId: job.id, series: LIVE, index: record.cursor }))?.result;
}

function beginInput(deps: AttemptDeps, input: RunInput, ref: RunRef) {
  const { job, schedule } = input;
  return {
    ...ref,
    job,
    iteration: schedule.iteration,
    phase: schedule.phase,
    plannedAt: schedule.plannedAt ?? schedule.runAt ?? deps.now().toISOString(),
    totalRuns: schedule.totalRuns,
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    now: deps.now(),
    // Real time whatever the clock: a failed run's duration is measured from its last begin.
    realNowMs: Date.now(),
  };
}

/**
 * Begin the run `schedule` names in the ledger: the skipped runs before it recorded first, the execution
 * named on the job at its first run. Shared by a single-action run (attemptRun) and a fan-out's FanOut.
 */
export async function beginRun(deps: AttemptDeps, input: RunInput) {
  const { job, schedule, cursor } = input;
  const ref = refOf(job, cursor, schedule);
  // Runs the calculator passed over (catch-up, overlap) are recorded as skipped before this one begins.
  if (ref.series.kind === 'live') await recordSkipped(deps, job, schedule);
  // The first run of a live execution (the first, a ContinueAsNew generation, a resume) names it on the job,
  // unless whoever started it did already (the API, a resume): begin's touch of the job item tells.
  const first = input.executionArn !== undefined && !isRequestCursor(cursor) && schedule.iteration === (cursor.firstIteration ?? 0);
  const begin = beginInput(deps, input, ref);
  const begun = await deps.runs.begin({ ...begin, ...(first ? { checkExecution: true } : {}) });
  if (first && begun.executionListed !== true) await deps.jobs.recordExecution(job.id, input.executionArn as string, deps.now());
  return { ref, begin, begun };
}

/**
 * What a step is handed for one attempt of run `ref`: shared by a single-action run and each action of a
 * fan-out (which adds its `actionIndex`).
 */
export function stepContext(deps: AttemptDeps, input: RunInput, ref: RunRef, attempt: number, lastResult: JsonValue | undefined): StepContext {
  return {
    job: input.job,
    schedule: input.schedule,
    lastResult,
    attempt,
    // A live or backfilled run sees the live runs before its iteration; a triggered report every live run so far.
    history: historyOf(deps.runs, input.job.id, input.schedule.iteration),
    notifier: deps.notifier,
    now: deps.now,
    ...(ref.series.kind === 'live' ? {} : { extra: { kind: ref.series.kind, requestId: ref.series.requestId, index: ref.index } }),
  };
}

/**
 * Run the run `schedule` names, exactly once as far as the ledger can tell: a settled run is replayed from
 * its record, a run left STARTED by an attempt that died is attempted again.
 * @example await attemptRun(deps, { job, schedule, cursor: { iteration: 2 } }) // { iteration: 3, lastResult: {…}, … }
 */
export async function attemptRun(deps: AttemptDeps, input: RunInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  const { ref, begin, begun } = await beginRun(deps, input);
  if (begun.kind === 'already-settled') return advance(input, replayed(begun.run, job), new Date(begun.run.finishedAt ?? begun.run.startedAt), begun.run.startedAt);

  const delay = retryDelayMs(job, begun.attempts);
  if (delay > 0 && deps.sleep) await deps.sleep(delay);
  const lastResult = await previousResult(deps, job, cursor, ref.series);
  const stepStarted = performance.now();
  let outcome;
  try {
    outcome = await deps.steps[schedule.phase](stepContext(deps, input, ref, begun.attempts, lastResult));
  } catch (error) {
    await noteAttemptFailure(deps, ref, begun.attempts, error);
    throw pastRetryLimit(job, begun.attempts, error);
  }
  return settleSucceeded(deps, input, ref, {
    result: outcome.result,
    // Real elapsed time, whatever the clock: it is what Lambda would bill.
    durationMs: performance.now() - stepStarted,
    ...(outcome.finalReport === undefined ? {} : { finalReport: outcome.finalReport }),
    plannedAt: begin.plannedAt,
    startedAt: begin.now.toISOString(),
    lastResult: outcome.summary ?? outcome.result,
  });
}

/**
 * Settle a begun run SUCCEEDED and hand the loop its next cursor. Shared by a single-action run and a
 * fan-out's SettleFanOut: if another invocation of the same run settled first, its record is the one that
 * counts and is replayed.
 */
export async function settleSucceeded(
  deps: AttemptDeps,
  input: RunInput,
  ref: RunRef,
  settled: { result: JsonValue; durationMs: number; finalReport?: JsonValue; plannedAt: string; startedAt: string; lastResult: JsonValue },
): Promise<NextCursor> {
  const { job, schedule } = input;
  const report = settled.finalReport === undefined ? {} : { finalReport: settled.finalReport };
  try {
    await deps.runs.settle({
      ...ref,
      outcome: { state: 'SUCCEEDED', result: settled.result, durationMs: settled.durationMs, ...report },
      change: parentChange(ref, job, schedule, { state: 'SUCCEEDED', durationMs: settled.durationMs, ...report }),
      phase: schedule.phase,
      iteration: schedule.iteration,
      plannedAt: settled.plannedAt,
      now: deps.now(),
      ...expiry(job, deps.now()),
    });
  } catch (error) {
    if (!(error instanceof RunAlreadyFinishedError)) throw error;
    const recorded = await deps.runs.get(ref);
    if (recorded) return advance(input, replayed(recorded, job), new Date(recorded.finishedAt ?? recorded.startedAt), recorded.startedAt);
  }
  return advance(input, { failed: false, lastResult: settled.lastResult }, deps.now(), settled.startedAt);
}

/**
 * Note why this attempt's step threw, so the run's attempts show it once the next attempt begins. Best
 * effort: the step's own error is what the state machine must see, whatever happens to the note.
 */
async function noteAttemptFailure(deps: AttemptDeps, ref: RunRef, attempt: number, error: unknown): Promise<void> {
  if (!deps.runs.recordAttemptFailure) return;
  try {
    const described = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
    await deps.runs.recordAttemptFailure(ref, { attempt, error: described, now: deps.now() });
  } catch (noteError) {
    logger.warn('could not note a failed attempt', { jobId: ref.jobId, index: ref.index, error: noteError instanceof Error ? noteError.message : String(noteError) });
  }
}

/**
 * Record a run the Catch caught, deliver it to the failure destination once, and say whether the series
 * goes on. A run that turns out settled a success after all (an attempt failed after its record: counting
 * it was throttled, say, and the retries ran out on the way back) goes on from its record.
 */
export async function recordFailure(deps: AttemptDeps, input: FailureInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  const ref = refOf(job, cursor, schedule);
  const begin = beginInput(deps, input, ref);
  const policy = failurePolicy(job);
  const error = describeCaughtError(input.error);
  let failed: RunRecord;
  try {
    failed = await deps.runs.settle({
      ...ref,
      outcome: { state: 'FAILED', error, policy },
      change: parentChange(ref, job, schedule, { state: 'FAILED', policy, message: error.message }),
      phase: schedule.phase,
      iteration: schedule.iteration,
      plannedAt: begin.plannedAt,
      now: deps.now(),
      realNowMs: Date.now(),
      ...expiry(job, deps.now()),
    });
  } catch (caught) {
    if (!(caught instanceof RunAlreadyFinishedError)) throw caught;
    const recorded = await deps.runs.get(ref);
    if (!recorded) throw caught;
    if (recorded.state === 'FAILED') {
      // A retried RecordFailure: the failure is on record; its delivery may still be owed.
      failed = recorded;
    } else {
      // Settled a success after all: counted on its parent if a crash kept it from that; a parent that
      // stopped meanwhile ends the series.
      const begun = await deps.runs.begin(begin);
      if (begun.kind !== 'already-settled') {
        // A settled run never becomes runnable again; reaching here means the ledger broke that rule.
        throw new PermanentError(`run ${ref.index} of job ${job.id} was reported settled and then could be begun again`);
      }
      return advance(input, replayed(begun.run, job), new Date(begun.run.finishedAt ?? begun.run.startedAt));
    }
  }
  logger.warn('run failed', { jobId: job.id, series: ref.series.kind, index: ref.index, error });
  await deliverFailure(deps, input, ref, failed, error);
  return advance(input, { failed: true, aborted: policy === 'abort' }, deps.now(), failed.startedAt);
}

/**
 * Report a failed run to the job's failureDestination and send its failure notices, once: the run item remembers the delivery, so a
 * retried RecordFailure after a delivery does not send it again (a crash between the two may, which is
 * why the report carries an idempotency key the receiver can deduplicate on).
 */
async function deliverFailure(deps: AttemptDeps, input: FailureInput, ref: RunRef, run: RunRecord, error: { name: string; message: string }): Promise<void> {
  const destination = input.job.failureDestination;
  const idempotencyKey = runKey(ref);
  // The failure notices (src/lib/notifications.ts) ride on the same once-marker as the destination.
  const notices = failureNotices(input.job, { key: idempotencyKey, label: runLabelOf(ref, input.schedule), attempts: run.attempts, error: run.error ?? error, endsJob: ref.series.kind === 'live' && failurePolicy(input.job) === 'abort' });
  if (run.failureDeliveredAt || ((!destination || !deps.failures) && notices.length === 0)) return;
  if (destination && deps.failures) {
    try {
      await deps.failures.deliver(destination, {
        idempotencyKey,
        jobId: input.job.id,
        iteration: input.schedule.iteration,
        phase: input.schedule.phase,
        plannedAt: run.plannedAt,
        failedAt: run.finishedAt ?? deps.now().toISOString(),
        attempts: run.attempts,
        error: run.error ?? error,
        input: { job: input.job, schedule: input.schedule },
      });
    } catch (caught) {
      // A destination that can never take it (a file destination on AWS, a queue the role may not send to)
      // must not strand the job: the failure is recorded on the run, the refusal goes to the log, the policy
      // goes on. A transient error is thrown for the ASL Retry of RecordFailure.
      if (!(caught instanceof PermanentError)) throw caught;
      logger.error('failure not delivered', { idempotencyKey, destination: destination.type, error: caught.message });
      if (notices.length === 0) return;
    }
  }
  for (const notice of notices) {
    try {
      await deps.notifier.publish(notice);
    } catch (caught) {
      // As for the destination: a topic that refuses for good is logged, a transient refusal retried.
      if (!(caught instanceof PermanentError)) throw caught;
      logger.error('failure notice not sent', { idempotencyKey: notice.idempotencyKey, error: caught.message });
    }
  }
  await deps.runs.markFailureDelivered(ref, deps.now());
}

/** "run 3", "triggered run", "backfilled run 2": how a failure notice names the run. */
function runLabelOf(ref: RunRef, schedule: Schedule): string {
  if (ref.series.kind === 'trigger') return 'triggered run';
  return ref.series.kind === 'backfill' ? `backfilled run ${schedule.iteration + 1}` : `run ${schedule.iteration + 1}`;
}

export type FinishOutput = Pick<JobRecord, 'jobId' | 'status'> & { progress?: JobRecord['progress']; requestId?: string };

/**
 * The series ended (the calculator said done): the job is COMPLETED, or the request SUCCEEDED (FAILED when
 * a run of it failed). Returns what the execution outputs.
 */
export async function finishSeries(deps: AttemptDeps, input: { job: Job; cursor: SeriesCursor; schedule?: Schedule }): Promise<FinishOutput> {
  const { job, cursor } = input;
  if (isRequestCursor(cursor)) {
    const request = await deps.requests.getRequest(job.id, cursor.requestId);
    if (!request) throw new JobNotActiveError(job.id, 'deleted');
    const ended = request.state !== 'RUNNING' ? request : await deps.requests.endRequest(job.id, cursor.requestId, request.failedRuns > 0 ? 'FAILED' : 'SUCCEEDED', deps.now());
    return { jobId: job.id, requestId: ended.requestId, status: ended.state };
  }
  // Runs passed over up to the end (a pause or downtime across the last runs) are recorded before the job ends.
  if (input.schedule) await recordSkipped(deps, job, input.schedule);
  const record = await deps.jobs.completeJob(job.id, deps.now(), retentionExpiry(job, deps.now()));
  const notice = record.status === 'COMPLETED' ? completionNotice(job, record.progress) : undefined;
  try {
    if (notice) await deps.notifier.publish(notice);
  } catch (caught) {
    // A topic that refuses for good must not fail a job that completed; a transient refusal retries Finish.
    if (!(caught instanceof PermanentError)) throw caught;
    logger.error('completion notice not sent', { jobId: job.id, error: caught.message });
  }
  return { jobId: record.jobId, status: record.status, progress: record.progress };
}
