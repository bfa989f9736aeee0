/**
 * Runs outside the live schedule: a trigger (one run now, Temporal's TriggerImmediately) and a backfill
 * (the runs a past range held, in order, Temporal's Backfill). Each request runs in an execution of its
 * own through the same ASL (the `extra` branch of Normalize), and its runs are recorded apart from the
 * live ones, so the live loop's cursor, counters and status never move because of them.
 *
 * What a request does, by kind of job:
 * - trigger, action job: the action once, now.
 * - trigger, report workflow: a report now over the runs finished so far (an interim report; the job's
 *   final report is still the last run's). A workflow's collection and processing runs build on the
 *   previous ones, so running one of them out of turn would mean nothing.
 * - backfill, action job: the action for each planned time in [from, to], oldest first.
 * - backfill, report workflow: refused; start a new job over the past range instead.
 */
import { randomHex } from './hash';
import * as z from './zod';
import { PermanentError, ValidationError } from './errors';
import { DateTimeSchema, type Job, type Schedule } from './job';
import type { JsonValue } from './json';
import type { ExtraRequest } from './store';
import { executionName } from './continue-as-new';
import { isActionJob } from './fanout';
import { nextRun, recurrenceOf, runTimeMs, toWaitTimestamp, totalRuns } from './schedule';
import { cronOccurrences } from './schedule-expression';

export type ExtraKind = 'trigger' | 'backfill';
export type RequestState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type ExtraRunState = 'STARTED' | 'SUCCEEDED' | 'FAILED';

/**
 * A backfill runs one execution of at most this many runs: about 8 history events each, well inside the
 * 25,000-event limit even with retries, and long enough for any range a person asks for at once.
 */
export const MAX_BACKFILL_RUNS = 1000;

/** A request id's shape (newRequestId). */
export const REQUEST_ID_PATTERN = /^\d{8}T\d{9}Z-(trigger|backfill)-[0-9a-f]{6}$/;

/**
 * What the state machine carries through a trigger or backfill execution: the input's `$.extra`, and then
 * `$.cursor` (src/lib/attempt.ts). The request's own cursor: which run is next, how many it has.
 */
export const ExtraCursorSchema = z.object({
  requestId: z.string().check(z.regex(REQUEST_ID_PATTERN, 'must be a request id such as 20261124T101500123Z-trigger-3fa9c2')),
  kind: z.enum(['trigger', 'backfill']),
  /** The next run to do. */
  index: z.number().check(z.int(), z.nonnegative()),
  runCount: z.number().check(z.int(), z.positive(), z.maximum(MAX_BACKFILL_RUNS)),
  firstIteration: z.optional(z.number().check(z.int(), z.nonnegative())),
  beforeIteration: z.optional(z.number().check(z.int(), z.nonnegative())),
  lastResult: z.optional(z.json()),
  done: z.optional(z.boolean()),
  /** Set by a failure: true when the job's policy ended the request. */
  aborted: z.optional(z.boolean()),
});
// A type from the schema; it goes into an execution's input, which must be assignable to JsonValue.
export type ExtraCursor = z.output<typeof ExtraCursorSchema>;

/** Whether a cursor the state machine passes belongs to a trigger or backfill request. */
export function isRequestCursor(cursor: object): cursor is ExtraCursor {
  return 'requestId' in cursor;
}

/** The request was cancelled (the job was stopped or deleted) or already ended: its runs stop. */
export class RequestNotActiveError extends PermanentError {
  override readonly name: string = 'RequestNotActiveError';

  constructor(
    readonly jobId: string,
    readonly requestId: string,
    readonly state: string,
  ) {
    super(`request ${requestId} of job ${jobId} is ${state}; it runs nothing more`);
  }
}

/**
 * A request id: `<UTC time to the millisecond>-<kind>-<6 hex>`. Ids sort by time whatever their kind, so
 * a job's newest requests (and their runs) are the first keys read backwards; two requests in the same
 * millisecond still differ.
 * @example newRequestId('trigger', new Date('2026-11-24T10:15:00.123Z')) // '20261124T101500123Z-trigger-3fa9c2'
 */
export function newRequestId(kind: ExtraKind, now: Date, random: () => string = () => randomHex(3)): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${kind}-${random()}`;
}


export interface BackfillPlan {
  from: string;
  to: string;
  firstIteration: number;
  runCount: number;
}

function instantField(field: 'from' | 'to', value: unknown): number {
  const parsed = DateTimeSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError([{ field, message: value === undefined ? 'is required: an ISO-8601 date-time with an offset or Z' : 'must be an ISO-8601 date-time with an offset or Z, such as 2024-12-04T10:00:00Z' }]);
  return Date.parse(parsed.data);
}

/**
 * The runs of `job` planned in [from, to], checked: an action job, a past range (to <= now) holding at
 * least one run and at most MAX_BACKFILL_RUNS. Pure: the API calls it before anything is written.
 * @example planBackfill(hourly, { from: '2026-11-01T00:00:00Z', to: '2026-11-01T05:00:00Z' }, now) // { firstIteration: 0, runCount: 6, … }
 */
export function planBackfill(job: Job, body: unknown, nowMs: number): BackfillPlan {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field: '(body)', message: 'must be a JSON object { "from": …, "to": … }' }]);
  }
  const unknown = Object.keys(body).filter((key) => key !== 'from' && key !== 'to');
  if (unknown.length > 0) throw new ValidationError([{ field: unknown[0]!, message: 'is not a backfill field; send { "from", "to" }' }]);
  const { from: rawFrom, to: rawTo } = body as { from?: unknown; to?: unknown };
  const from = instantField('from', rawFrom);
  const to = instantField('to', rawTo);
  if (to <= from) throw new ValidationError([{ field: 'to', message: 'must be after from' }]);
  if (to > nowMs) throw new ValidationError([{ field: 'to', message: `must not be in the future (now is ${new Date(nowMs).toISOString()}); a backfill runs past runs, the live schedule runs the rest` }]);
  if (!isActionJob(job)) {
    throw new ValidationError([{ field: 'id', message: `job ${job.id} is a report workflow; backfill runs action jobs only (a workflow's runs build on each other: start a new job over the past range instead)` }]);
  }

  const total = totalRuns(job);
  const limit = total ?? Number.MAX_SAFE_INTEGER;
  const runs = runsBetween(job, from, to, limit);
  if (runs.count > MAX_BACKFILL_RUNS) {
    throw new ValidationError([{ field: 'to', message: `the range holds more than ${MAX_BACKFILL_RUNS} runs; backfill a shorter range (up to ${toWaitTimestamp(runs.lastAllowedAt)}) and then the rest` }]);
  }
  if (runs.count === 0) {
    throw new ValidationError([{ field: 'from', message: `job ${job.id} has no run planned from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}` }]);
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), firstIteration: runs.first, runCount: runs.count };
}

/**
 * The block of iterations below `limit` planned in [from, to] (run times only grow with the iteration), its
 * count capped at MAX_BACKFILL_RUNS + 1, and the time of the last run a maximal backfill would take.
 */
function runsBetween(job: Job, from: number, to: number, limit: number): { first: number; count: number; lastAllowedAt: number } {
  const recurrence = recurrenceOf(job);
  const cap = MAX_BACKFILL_RUNS + 1;
  if (recurrence?.kind === 'cron') {
    // A cron's run n is found by stepping from the start: one pass, rather than a search that steps each probe.
    let k = 0;
    let first = -1;
    let lastAllowedAt = from;
    for (const at of cronOccurrences(recurrence.cron, Date.parse(job.startDateTime), job.timeZone)) {
      if (k >= limit || at > to || (first >= 0 && k - first >= cap)) break;
      if (at >= from && first < 0) first = k;
      if (first >= 0 && k - first < MAX_BACKFILL_RUNS) lastAllowedAt = at;
      k += 1;
    }
    return first < 0 ? { first: 0, count: 0, lastAllowedAt } : { first, count: k - first, lastAllowedAt };
  }
  const first = firstIterationAtOrAfter(job, from, limit);
  let count = 0;
  while (count < cap && first + count < limit && runTimeMs(job, first + count) <= to) count += 1;
  return { first, count, lastAllowedAt: runTimeMs(job, first + Math.min(count, MAX_BACKFILL_RUNS) - 1) };
}

/** The first iteration below `limit` planned at or after `t`, by doubling then halving (run times only grow). */
function firstIterationAtOrAfter(job: Job, t: number, limit: number): number {
  if (limit <= 0 || runTimeMs(job, 0) >= t) return 0;
  let low = 0; // planned before t
  let high = 1;
  while (high < limit && runTimeMs(job, high) < t) {
    low = high;
    high = Math.min(limit, high * 2);
  }
  if (high >= limit) {
    high = limit;
    if (runTimeMs(job, limit - 1) < t) return limit;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (runTimeMs(job, mid) < t) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * The schedule an extra run runs under: a backfilled run keeps its iteration's planned time and phase; a
 * triggered run is planned now, as an action or (for a workflow) an interim report.
 * @example extraSchedule(hourly, { kind: 'backfill', index: 2, firstIteration: 10, … }, now).iteration // 12
 */
export function extraSchedule(job: Job, extra: Pick<ExtraCursor, 'kind' | 'index' | 'firstIteration' | 'beforeIteration'>, now: Date): Schedule {
  const total = totalRuns(job);
  if (extra.kind === 'backfill') {
    const iteration = (extra.firstIteration ?? 0) + extra.index;
    const schedule = nextRun(job, { iteration }, total);
    if (schedule.done) throw new PermanentError(`job ${job.id} has no run ${iteration} to backfill`);
    // A backfilled run is never the live loop's last: it ends nothing.
    return { ...schedule, isLast: false };
  }
  return {
    iteration: extra.beforeIteration ?? 0,
    runAt: toWaitTimestamp(now.getTime()),
    phase: isActionJob(job) ? 'action' : 'report',
    isLast: false,
    done: false,
    totalRuns: total,
  };
}

/**
 * The calculator's answer for a request's cursor: its next run, or `done` once every run is done (or a
 * failure under the abort policy ended it). A request's runs are all due (past or now), so none waits and
 * no catch-up applies: the Wait state passes at once.
 * @example requestSchedule(hourly, { kind: 'backfill', index: 3, runCount: 3, … }, now).done // true
 */
export function requestSchedule(job: Job, extra: ExtraCursor, now: Date): Schedule {
  if (extra.done || extra.aborted || extra.index >= extra.runCount) {
    return { iteration: (extra.firstIteration ?? extra.beforeIteration ?? 0) + extra.index, runAt: null, phase: isActionJob(job) ? 'action' : 'report', isLast: false, done: true, totalRuns: totalRuns(job) };
  }
  return extraSchedule(job, extra, now);
}

/**
 * The execution that carries a request on from its stored cursor: its first one (`<jobId>--<requestId>`),
 * or after a restart of the local runtime `<jobId>--<requestId>-<n>`, with the previous run's result.
 * @example requestExecution(job, { requestId: 'trigger-…', kind: 'trigger', runCount: 1, cursor: -1, executionArns: [] }, undefined)
 * // { name: 'daily--trigger-…', input: { job, extra: { requestId: 'trigger-…', kind: 'trigger', index: 0, runCount: 1 } } }
 */
export function requestExecution(
  job: Job,
  request: Pick<ExtraRequest, 'requestId' | 'kind' | 'runCount' | 'cursor' | 'executionArns' | 'firstIteration' | 'beforeIteration'>,
  lastResult: JsonValue | undefined,
): { name: string; input: { job: Job; extra: ExtraCursor } } {
  const restarts = request.executionArns.length;
  const extra: ExtraCursor = {
    requestId: request.requestId,
    kind: request.kind,
    index: request.cursor + 1,
    runCount: request.runCount,
    ...(request.firstIteration === undefined ? {} : { firstIteration: request.firstIteration }),
    ...(request.beforeIteration === undefined ? {} : { beforeIteration: request.beforeIteration }),
    ...(lastResult === undefined ? {} : { lastResult }),
  };
  return { name: executionName(job.id, restarts === 0 ? request.requestId : `${request.requestId}-${restarts}`), input: { job, extra } };
}
