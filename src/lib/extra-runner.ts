/**
 * What the task Lambda does for a run outside the live schedule (a trigger or a backfill; see
 * src/lib/extra-runs.ts): begin the run in the request's records (or find it finished), run the step,
 * record the outcome, and hand the state machine the request's next cursor, ending the request after its
 * last run. The live job's record is only read (for the previous result), never written.
 */
import { logger } from '../common/logger';
import { PermanentError, RunAlreadyFinishedError } from './errors';
import { extraSchedule, RequestNotActiveError, type BeginExtraRunInput, type ExtraCursor, type ExtraRunRecord, type ExtraRunStore } from './extra-runs';
import { retentionExpiry, type Job } from './job';
import type { JsonValue } from './json';
import { describeCaughtError, failurePolicy, historyOf, pastRetryLimit, retryDelayMs, type RunnerDeps } from './runner';

export interface ExtraRunInput {
  job: Job;
  extra: ExtraCursor;
  executionArn?: string;
}

export interface ExtraFailureInput extends ExtraRunInput {
  error: { Error: string; Cause?: string };
}

function extrasOf(deps: RunnerDeps): ExtraRunStore {
  if (!deps.extras) throw new PermanentError('this task was built without an extra-run store; triggers and backfills cannot run here');
  return deps.extras;
}

/**
 * The cursor past run `extra.index`. The request ends after its last run, or after a failed one when the
 * job's policy is abort (the rest of a backfill would repeat the failure; the live schedule is untouched).
 */
async function advance(deps: RunnerDeps, input: ExtraRunInput, outcome: { lastResult?: JsonValue; failed: boolean }): Promise<ExtraCursor> {
  const { job, extra } = input;
  const index = extra.index + 1;
  const aborted = outcome.failed && failurePolicy(job) === 'abort';
  const done = aborted || index >= extra.runCount;
  const next: ExtraCursor = { ...extra, index, done };
  if (outcome.lastResult !== undefined) next.lastResult = outcome.lastResult;
  if (done) await endRequest(deps, job, extra.requestId, aborted);
  return next;
}

async function endRequest(deps: RunnerDeps, job: Job, requestId: string, aborted: boolean): Promise<void> {
  const extras = extrasOf(deps);
  const request = await extras.getRequest(job.id, requestId);
  if (!request || request.state !== 'RUNNING') return;
  const anyFailed = aborted || request.failedRuns > 0;
  await extras.endRequest(job.id, requestId, anyFailed ? 'FAILED' : 'SUCCEEDED', deps.now(), aborted ? 'a run failed and the job\'s failure policy is abort' : undefined);
}

/** The cursor of a request that ended under it (cancelled with its job, or deleted): nothing more runs. */
function stopped(extra: ExtraCursor): ExtraCursor {
  return { ...extra, done: true };
}

/** The previous result a triggered run sees: the live job's last finished run's. */
async function liveLastResult(deps: RunnerDeps, job: Job): Promise<JsonValue | undefined> {
  const record = await deps.store.getJob(job.id);
  if (!record || record.cursor < 0) return undefined;
  return (await deps.store.getRun(job.id, record.cursor))?.result;
}

function replayed(run: ExtraRunRecord): { lastResult?: JsonValue; failed: boolean } {
  return run.state === 'SUCCEEDED' ? { lastResult: run.result ?? null, failed: false } : { failed: true };
}

/** What the store needs to begin run `extra.index`. */
function beginInput(deps: RunnerDeps, input: ExtraRunInput): BeginExtraRunInput {
  const { job, extra } = input;
  const schedule = extraSchedule(job, extra, deps.now());
  return {
    jobId: job.id,
    requestId: extra.requestId,
    kind: extra.kind,
    index: extra.index,
    ...(extra.kind === 'backfill' ? { iteration: schedule.iteration } : {}),
    phase: schedule.phase,
    plannedAt: schedule.plannedAt ?? schedule.runAt ?? deps.now().toISOString(),
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    now: deps.now(),
  };
}

/**
 * Run run `extra.index` of a trigger or backfill exactly once as far as the store can tell.
 * @example await executeExtraRun(deps, { job, extra: { requestId, kind: 'backfill', index: 0, runCount: 3, firstIteration: 5 } }) // { …, index: 1, done: false }
 */
export async function executeExtraRun(deps: RunnerDeps, input: ExtraRunInput): Promise<ExtraCursor> {
  const { job, extra } = input;
  const extras = extrasOf(deps);
  const schedule = extraSchedule(job, extra, deps.now());
  let begun;
  try {
    begun = await extras.beginRun(beginInput(deps, input));
  } catch (error) {
    if (error instanceof RequestNotActiveError) return stopped(extra);
    throw error;
  }
  if (begun.kind === 'already-finished') return advance(deps, input, replayed(begun.run));

  const delay = retryDelayMs(job, begun.attempts);
  if (delay > 0 && deps.sleep) await deps.sleep(delay);
  const lastResult = extra.lastResult ?? (extra.kind === 'trigger' ? await liveLastResult(deps, job) : undefined);
  const stepStarted = performance.now();
  let outcome;
  try {
    outcome = await deps.steps[schedule.phase]({
      job,
      schedule,
      lastResult,
      attempt: begun.attempts,
      // A backfilled run sees the live runs before its iteration; a triggered report every live run so far.
      history: historyOf(deps.store, job.id, schedule.iteration),
      notifier: deps.notifier,
      now: deps.now,
      extra: { kind: extra.kind, requestId: extra.requestId, index: extra.index },
    });
  } catch (error) {
    throw pastRetryLimit(job, begun.attempts, error);
  }
  const summary = outcome.summary ?? outcome.result;
  try {
    await extras.finishRun({
      jobId: job.id,
      requestId: extra.requestId,
      index: extra.index,
      outcome: { state: 'SUCCEEDED', result: outcome.result, durationMs: performance.now() - stepStarted },
      now: deps.now(),
      ...expiry(job, deps.now()),
    });
  } catch (error) {
    if (!(error instanceof RunAlreadyFinishedError)) throw error;
    const recorded = await extras.getRun(job.id, extra.requestId, extra.index);
    if (recorded) return advance(deps, input, replayed(recorded));
  }
  return advance(deps, input, { lastResult: summary, failed: false });
}

/** Record a run of a request that the Catch caught, and go on to the next one (or end the request). */
export async function recordExtraFailure(deps: RunnerDeps, input: ExtraFailureInput): Promise<ExtraCursor> {
  const { job, extra } = input;
  const extras = extrasOf(deps);
  const error = describeCaughtError(input.error);
  const fail = () =>
    extras.finishRun({ jobId: job.id, requestId: extra.requestId, index: extra.index, outcome: { state: 'FAILED', error }, now: deps.now(), ...expiry(job, deps.now()) });
  try {
    await fail();
  } catch (caught) {
    if (!(caught instanceof RunAlreadyFinishedError)) throw caught;
    const recorded = await extras.getRun(job.id, extra.requestId, extra.index);
    if (recorded) return advance(deps, input, replayed(recorded));
    // Never begun (beginning it was what kept failing): begin it now, so the failure is on record.
    try {
      await extras.beginRun(beginInput(deps, input));
    } catch (beginError) {
      if (beginError instanceof RequestNotActiveError) return stopped(extra);
      throw beginError;
    }
    await fail();
  }
  logger.warn('extra run failed', { jobId: job.id, requestId: extra.requestId, index: extra.index, error });
  return advance(deps, input, { failed: true, ...(extra.lastResult === undefined ? {} : { lastResult: extra.lastResult }) });
}

function expiry(job: Job, now: Date): { expiresAt?: number } {
  const expiresAt = retentionExpiry(job, now);
  return expiresAt === undefined ? {} : { expiresAt };
}
