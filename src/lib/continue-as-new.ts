/**
 * When an execution hands its job to a fresh one (ContinueAsNew). Step Functions keeps at most 25,000
 * events in an execution's history and runs a Standard execution for at most one year; a job of seed
 * 002's kind (every 5 minutes for years) meets both. A run costs about 14 history events (Calculate and
 * RunStep 5 each as Lambda tasks, Due and WaitUntil 2 each); a failed run with every retry about 30. At 500
 * runs an execution stays under 15,000 events even if every run fails after all its retries.
 */
import { shortHash } from './hash';
import type { JsonValue } from './json';
import type { Cursor, Handover, Job, Schedule } from './job';

export const RUNS_PER_EXECUTION = 500;
const DAY_MS = 86_400_000;
/** Hand over once the next run would come more than this long after the execution started. */
export const MAX_EXECUTION_SPAN_MS = 330 * DAY_MS;
const MAX_NAME = 80;

/**
 * The execution name of a generation (`<jobId>--<generation>`) or of a trigger or backfill request
 * (`<jobId>--<requestId>`), or, when that would pass Step Functions' 80 characters, the id cut short with 8
 * hex digits of its hash so two long ids never share a name.
 * @example executionName('daily', 3) // 'daily--3'
 */
export function executionName(jobId: string, generation: number | string): string {
  const suffix = `--${generation}`;
  if (jobId.length + suffix.length <= MAX_NAME) return `${jobId}${suffix}`;
  const hash = shortHash(jobId);
  return `${jobId.slice(0, MAX_NAME - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/**
 * Whether the execution at `cursor` should hand over before waiting for `schedule`, and to what.
 * An execution always runs at least one run first, so a hand-over never loops.
 * @example handoverFor(job, { iteration: 500, firstIteration: 0, generation: 0 }, schedule) // { name: 'job--1', cursor: { iteration: 500, generation: 1, firstIteration: 500 } }
 */
export function handoverFor(job: Job, cursor: Cursor, schedule: Schedule, executionStartedAt?: string): Handover | undefined {
  if (schedule.done || schedule.runAt === null) return undefined;
  const runsHere = cursor.iteration - (cursor.firstIteration ?? 0);
  if (runsHere <= 0) return undefined;
  const started = executionStartedAt === undefined ? Number.NaN : Date.parse(executionStartedAt);
  const tooLong = Number.isFinite(started) && Date.parse(schedule.runAt) - started > MAX_EXECUTION_SPAN_MS;
  if (runsHere < RUNS_PER_EXECUTION && !tooLong) return undefined;
  const generation = (cursor.generation ?? 0) + 1;
  return {
    name: executionName(job.id, generation),
    cursor: {
      iteration: cursor.iteration,
      generation,
      firstIteration: cursor.iteration,
      ...(cursor.lastResult === undefined ? {} : { lastResult: cursor.lastResult }),
    },
  };
}

/**
 * The execution that carries a job on from its stored cursor (a restart of the local runtime, a resume
 * after a pause): the next generation's name, and the `{ job, cursor }` input ContinueAsNew also uses.
 * @example resumeFrom({ job, cursor: 6, executionArns: [arn] }, { records: 7543 })
 * // { name: 'job--1', input: { job, cursor: { iteration: 7, generation: 1, firstIteration: 7, lastResult: { records: 7543 } } } }
 */
export function resumeFrom(
  record: { job: Job; cursor: number; executionArns: readonly string[] },
  lastResult: JsonValue | undefined,
  /** The run at the cursor was begun and never settled (a crash): it runs first, whatever catch-up says. */
  resumeStarted = false,
): { name: string; input: { job: Job; cursor: Cursor } } {
  const iteration = record.cursor + 1;
  const generation = record.executionArns.length;
  return {
    // A job with no execution yet (stored, then a crash before the start) starts under its own id.
    name: generation === 0 ? record.job.id : executionName(record.job.id, generation),
    input: {
      job: record.job,
      cursor: { iteration, generation, firstIteration: iteration, ...(lastResult === undefined ? {} : { lastResult }), ...(resumeStarted ? { resumeStarted } : {}) },
    },
  };
}
