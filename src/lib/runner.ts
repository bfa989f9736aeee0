/**
 * What the task Lambda does with one run, written against ports (store, steps, notifier, clock) so it
 * stays free of I/O: begin the run in the store (or find it already finished), run the phase's step,
 * record the result, and hand the next cursor back to the state machine.
 */
import { logger } from '../common/logger';
import { JobNotActiveError, PermanentError, RunAlreadyFinishedError, TransientError } from './errors';
import type { ExtraRunStore } from './extra-runs';
import type { JsonValue } from './json';
import { retentionExpiry, type Cursor, type Job, type Schedule } from './job';
import { policiesOf } from './policies';
import { nextRun } from './schedule';
import { statusAfterRun } from './status';
import type { JobRecord, JobStore, RunRecord } from './store';
import type { FailureSink, Notifier, RunHistory, StepRegistry } from './steps';

export interface RunnerDeps {
  store: JobStore;
  steps: StepRegistry;
  notifier: Notifier;
  now: () => Date;
  /** Waits before a retried attempt (job.retry); the local runtime's sleeps on its warped clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Delivers failed runs to a job's failureDestination. */
  failures?: FailureSink;
  /** Where triggered and backfilled runs are recorded (src/lib/extra-runner.ts). */
  extras?: ExtraRunStore;
}

export interface RunInput {
  job: Job;
  schedule: Schedule;
  cursor: Cursor;
  executionArn?: string;
}

/** The cursor the state machine carries to the next Calculate. */
export interface NextCursor {
  iteration: number;
  lastResult?: JsonValue;
  /** Carried unchanged through an execution (see src/lib/continue-as-new.ts). */
  generation?: number;
  firstIteration?: number;
  lastRunAt?: string;
  lastFinishedAt?: string;
  totalRuns?: number | null;
  /** Set by a failure: true when the job's policy ended it. */
  aborted?: boolean;
}

/** The execution's own fields of the cursor, passed on to the next one. */
function lineage(cursor: Cursor): Pick<NextCursor, 'generation' | 'firstIteration'> {
  return {
    ...(cursor.generation === undefined ? {} : { generation: cursor.generation }),
    ...(cursor.firstIteration === undefined ? {} : { firstIteration: cursor.firstIteration }),
  };
}

/** What the calculator should know of the run just done: its planned time, its end, the job's run count. */
function memo(schedule: Schedule, finishedAt: Date): Pick<NextCursor, 'lastRunAt' | 'lastFinishedAt' | 'totalRuns'> {
  const lastRunAt = schedule.plannedAt ?? schedule.runAt;
  return {
    ...(lastRunAt ? { lastRunAt } : {}),
    lastFinishedAt: finishedAt.toISOString(),
    totalRuns: schedule.totalRuns,
  };
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

/** Continue after a failed run for recurring action jobs; a workflow's later runs need the earlier ones. */
export function failurePolicy(job: Job): 'abort' | 'continue' {
  return policiesOf(job).onFailure;
}

/** The job's live runs before `before`, for steps that build on earlier runs. */
export function historyOf(store: JobStore, jobId: string, before: number): RunHistory {
  return {
    getRun: (iteration) => store.getRun(jobId, iteration),
    async finishedRuns() {
      const runs: RunRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRuns(jobId, { limit: 100, cursor });
        runs.push(...page.items.filter((run) => run.iteration < before && run.state !== 'STARTED'));
        cursor = page.cursor;
      } while (cursor);
      return runs;
    },
  };
}

function nextRunAt(job: Job, schedule: Schedule): string | null {
  return nextRun(job, { iteration: schedule.iteration + 1 }, schedule.totalRuns).runAt;
}

function expiry(job: Job, now: Date): { expiresAt?: number } {
  const expiresAt = retentionExpiry(job, now);
  return expiresAt === undefined ? {} : { expiresAt };
}

function replay(run: RunRecord, cursor: Cursor, schedule: Schedule): NextCursor {
  return { iteration: run.iteration + 1, lastResult: run.result ?? null, ...lineage(cursor), ...memo(schedule, new Date(run.finishedAt ?? run.startedAt)) };
}

/** What the store needs to begin (or look up) the run a task input names. */
function beginInput(deps: RunnerDeps, input: RunInput) {
  const { job, schedule } = input;
  return {
    job,
    iteration: schedule.iteration,
    phase: schedule.phase,
    plannedAt: schedule.plannedAt ?? schedule.runAt ?? job.startDateTime,
    totalRuns: schedule.totalRuns,
    executionArn: input.executionArn,
    now: deps.now(),
  };
}

/**
 * Run one scheduled run exactly once as far as the store can tell: a re-delivered invocation of a
 * finished run returns the recorded outcome instead of running the step again.
 * @example await executeRun(deps, { job, schedule, cursor: { iteration: 0 } }) // { iteration: 1, lastResult: { records: 7543, … } }
 */
export async function executeRun(deps: RunnerDeps, input: RunInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  // Runs the calculator passed over (catch-up, overlap) are recorded as skipped before this one begins.
  if (schedule.skipped) await deps.store.recordSkippedRuns(job.id, schedule.skipped, deps.now());
  const begun = await deps.store.beginRun(beginInput(deps, input));
  // The first run of an execution (the first, a ContinueAsNew generation, a resume) names it on the job.
  if (input.executionArn && schedule.iteration === (cursor.firstIteration ?? 0)) {
    await deps.store.recordExecution(job.id, input.executionArn, deps.now());
  }
  if (begun.kind === 'already-finished') return replay(begun.run, cursor, schedule);

  const delay = retryDelayMs(job, begun.attempts);
  if (delay > 0 && deps.sleep) await deps.sleep(delay);
  const stepStarted = performance.now();
  let outcome;
  try {
    outcome = await deps.steps[schedule.phase]({
      job,
      schedule,
      lastResult: cursor.lastResult,
      attempt: begun.attempts,
      history: historyOf(deps.store, job.id, schedule.iteration),
      notifier: deps.notifier,
      now: deps.now,
    });
  } catch (error) {
    throw pastRetryLimit(job, begun.attempts, error);
  }
  const summary = outcome.summary ?? outcome.result;
  try {
    await deps.store.finishRun({
      jobId: job.id,
      iteration: schedule.iteration,
      result: outcome.result,
      statusAfter: statusAfterRun(schedule.phase, schedule.iteration),
      nextRunAt: nextRunAt(job, schedule),
      finalReport: outcome.finalReport,
      now: deps.now(),
      // Real elapsed time, whatever the clock: it is what Lambda would bill.
      durationMs: performance.now() - stepStarted,
      ...expiry(job, deps.now()),
    });
  } catch (error) {
    // Another invocation of the same run finished first: its record is the one that counts.
    if (!(error instanceof RunAlreadyFinishedError)) throw error;
    const recorded = await deps.store.getRun(job.id, schedule.iteration);
    if (recorded) return replay(recorded, cursor, schedule);
  }
  return { iteration: schedule.iteration + 1, lastResult: summary, ...lineage(cursor), ...memo(schedule, deps.now()) };
}

export interface FailureInput extends RunInput {
  /** The Catch's `$.error`: `Cause` is a JSON string on AWS and a plain message on the local engine. */
  error: { Error: string; Cause?: string };
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

/** Record a run the Catch caught, and say whether the job goes on. */
export async function recordFailure(deps: RunnerDeps, input: FailureInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  const policy = failurePolicy(job);
  let failed: RunRecord;
  try {
    failed = await deps.store.failRun({
      jobId: job.id,
      iteration: schedule.iteration,
      phase: schedule.phase,
      plannedAt: schedule.runAt ?? job.startDateTime,
      error: describeCaughtError(input.error),
      policy,
      nextRunAt: policy === 'abort' ? null : nextRunAt(job, schedule),
      now: deps.now(),
      ...expiry(job, deps.now()),
    });
  } catch (error) {
    // A stopped or finished job: nothing more to run, whatever the policy says.
    if (error instanceof JobNotActiveError) return { iteration: schedule.iteration + 1, aborted: true, ...lineage(cursor) };
    // The run was recorded a success after all: an attempt failed after its record (counting it on the job
    // was throttled, say) and the retries ran out on the way back. beginRun counts a finished run on its job
    // if need be and hands back its record: the job goes on from it instead of the execution failing here.
    if (error instanceof RunAlreadyFinishedError) return recordedSuccess(deps, input);
    throw error;
  }
  await deliverFailure(deps, input, failed);
  return {
    iteration: schedule.iteration + 1,
    ...(cursor.lastResult === undefined ? {} : { lastResult: cursor.lastResult }),
    ...lineage(cursor),
    ...memo(schedule, deps.now()),
    aborted: policy === 'abort',
  };
}

/** The cursor after a run that turned out SUCCEEDED when its failure was to be recorded. */
async function recordedSuccess(deps: RunnerDeps, input: FailureInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  try {
    const begun = await deps.store.beginRun(beginInput(deps, input));
    if (begun.kind === 'already-finished') return replay(begun.run, cursor, schedule);
  } catch (error) {
    if (error instanceof JobNotActiveError) return { iteration: schedule.iteration + 1, aborted: true, ...lineage(cursor) };
    throw error;
  }
  // A SUCCEEDED run never becomes runnable again; reaching here means the store broke that rule.
  throw new PermanentError(`run ${schedule.iteration} of job ${job.id} was reported finished and then could be begun again`);
}

/**
 * Report a failed run to the job's failureDestination, once: the run item remembers the delivery, so a
 * retried RecordFailure after a delivery does not send it again (a crash between the two may, which is
 * why the report carries an idempotency key the receiver can deduplicate on).
 */
async function deliverFailure(deps: RunnerDeps, input: FailureInput, run: RunRecord): Promise<void> {
  const destination = input.job.failureDestination;
  if (!destination || !deps.failures || run.failureDeliveredAt) return;
  const idempotencyKey = `${input.job.id}:${input.schedule.iteration}`;
  try {
    await deps.failures.deliver(destination, {
      idempotencyKey,
      jobId: input.job.id,
      iteration: input.schedule.iteration,
      phase: input.schedule.phase,
      plannedAt: run.plannedAt,
      failedAt: run.finishedAt ?? deps.now().toISOString(),
      attempts: run.attempts,
      error: run.error ?? describeCaughtError(input.error),
      input: { job: input.job, schedule: input.schedule },
    });
  } catch (error) {
    // A destination that can never take it (a file destination on AWS, a queue the role may not send to)
    // must not strand the job: the failure is recorded on the run, the refusal goes to the log, the policy
    // goes on. A transient error is thrown for the ASL Retry of RecordFailure.
    if (!(error instanceof PermanentError)) throw error;
    logger.error('failure not delivered', { idempotencyKey, destination: destination.type, error: error.message });
    return;
  }
  await deps.store.markFailureDelivered(input.job.id, input.schedule.iteration, deps.now());
}

/** The loop ended: mark the job COMPLETED and return what the execution outputs. */
export async function finishJob(deps: RunnerDeps, job: Job): Promise<Pick<JobRecord, 'jobId' | 'status' | 'progress'>> {
  const record = await deps.store.completeJob(job.id, deps.now(), retentionExpiry(job, deps.now()));
  return { jobId: record.jobId, status: record.status, progress: record.progress };
}
