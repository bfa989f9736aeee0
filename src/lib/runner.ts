/**
 * What the task Lambda does with one run, written against ports (store, steps, notifier, clock) so it
 * stays free of I/O: begin the run in the store (or find it already finished), run the phase's step,
 * record the result, and hand the next cursor back to the state machine.
 */
import { JobNotActiveError, RunAlreadyFinishedError } from './errors';
import type { JsonValue } from './json';
import type { Cursor, Job, Schedule } from './job';
import { nextRun } from './schedule';
import { statusAfterRun } from './status';
import type { JobRecord, JobStore, RunRecord } from './store';
import type { Notifier, RunHistory, StepRegistry } from './steps';

export interface RunnerDeps {
  store: JobStore;
  steps: StepRegistry;
  notifier: Notifier;
  now: () => Date;
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
  /** Set by a failure: true when the job's policy ended it. */
  aborted?: boolean;
}

/** Continue after a failed run for recurring action jobs; a workflow's later runs need the earlier ones. */
export function failurePolicy(job: Job): 'abort' | 'continue' {
  return job.onFailure ?? (job.action ? 'continue' : 'abort');
}

function historyOf(store: JobStore, jobId: string, before: number): RunHistory {
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

function replay(run: RunRecord): NextCursor {
  return { iteration: run.iteration + 1, lastResult: run.result ?? null };
}

/**
 * Run one scheduled run exactly once as far as the store can tell: a re-delivered invocation of a
 * finished run returns the recorded outcome instead of running the step again.
 * @example await executeRun(deps, { job, schedule, cursor: { iteration: 0 } }) // { iteration: 1, lastResult: { records: 7543, … } }
 */
export async function executeRun(deps: RunnerDeps, input: RunInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  const begun = await deps.store.beginRun({
    job,
    iteration: schedule.iteration,
    phase: schedule.phase,
    plannedAt: schedule.runAt ?? job.startDateTime,
    totalRuns: schedule.totalRuns,
    executionArn: input.executionArn,
    now: deps.now(),
  });
  if (begun.kind === 'already-finished') return replay(begun.run);

  const outcome = await deps.steps[schedule.phase]({
    job,
    schedule,
    lastResult: cursor.lastResult,
    attempt: begun.attempts,
    history: historyOf(deps.store, job.id, schedule.iteration),
    notifier: deps.notifier,
    now: deps.now,
  });
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
    });
  } catch (error) {
    // Another invocation of the same run finished first: its record is the one that counts.
    if (!(error instanceof RunAlreadyFinishedError)) throw error;
    const recorded = await deps.store.getRun(job.id, schedule.iteration);
    if (recorded) return replay(recorded);
  }
  return { iteration: schedule.iteration + 1, lastResult: summary };
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
  try {
    await deps.store.failRun({
      jobId: job.id,
      iteration: schedule.iteration,
      phase: schedule.phase,
      plannedAt: schedule.runAt ?? job.startDateTime,
      error: describeCaughtError(input.error),
      policy,
      nextRunAt: policy === 'abort' ? null : nextRunAt(job, schedule),
      now: deps.now(),
    });
  } catch (error) {
    // A stopped or finished job: nothing more to run, whatever the policy says.
    if (error instanceof JobNotActiveError) return { iteration: schedule.iteration + 1, aborted: true };
    throw error;
  }
  return {
    iteration: schedule.iteration + 1,
    ...(cursor.lastResult === undefined ? {} : { lastResult: cursor.lastResult }),
    aborted: policy === 'abort',
  };
}

/** The loop ended: mark the job COMPLETED and return what the execution outputs. */
export async function finishJob(deps: RunnerDeps, job: Job): Promise<Pick<JobRecord, 'jobId' | 'status' | 'progress'>> {
  const record = await deps.store.completeJob(job.id, deps.now());
  return { jobId: record.jobId, status: record.status, progress: record.progress };
}
