/**
 * Schedule math: when run n happens, how many runs a job has, and what each run does.
 *
 * Run n is `start + n × frequency`, always computed from the start and never from the previous run, so
 * month ends do not drift (Jan 31 +1 month is Feb 29 in a leap year, +2 months is Mar 31) and a daily
 * 09:00 in Europe/Berlin stays 09:00 local across DST. Calendar units (days and up) are applied in the
 * job's time zone by date-fns; hours and minutes are absolute durations, as a clock on the wall would
 * not agree on them twice a year. A `rate(N days)` expression arrives here as N × 24 hours (EventBridge
 * Scheduler: "days represents a 24-hour duration on the clock"); a cron is evaluated by src/lib/cron.ts.
 */
import { add, type Duration } from 'date-fns';
import { tz, tzOffset } from '@date-fns/tz';
import type { Cursor, Frequency, Job, Phase, Schedule, SkippedRuns } from './job';
import { countCronRuns, LAST_YEAR, nthCronRun } from './cron';
import { parseScheduleExpression, type ParsedExpression } from './schedule-expression';
import { policiesOf } from './policies';
import { isActionJob } from './fanout';
import { sha256 } from './hash';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/**
 * The last instant a Wait state can take, 9999-12-31T23:59:59Z: RFC 3339 has four-digit years. A run that
 * would fall later (or outside what a Date can hold) does not exist: the job is done before it.
 */
const LAST_RUN_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** Lengths used only to guess an iteration count; the exact answer is then found by stepping. */
const APPROX_MS: Record<keyof Frequency, number> = {
  years: 365.2425 * 24 * 60 * MINUTE_MS,
  quarters: 3 * 30.436875 * 24 * 60 * MINUTE_MS,
  months: 30.436875 * 24 * 60 * MINUTE_MS,
  weeks: 7 * 24 * 60 * MINUTE_MS,
  days: 24 * 60 * MINUTE_MS,
  hours: 60 * MINUTE_MS,
  minutes: MINUTE_MS,
};

/** The calendar part of `n × frequency`: units of a day and up, applied to the wall clock in the zone. */
function calendarPart(frequency: Frequency, n: number): Duration {
  return {
    years: (frequency.years ?? 0) * n,
    months: ((frequency.months ?? 0) + 3 * (frequency.quarters ?? 0)) * n,
    weeks: (frequency.weeks ?? 0) * n,
    days: (frequency.days ?? 0) * n,
  };
}

/** The clock part of `n × frequency`: hours and minutes, an absolute duration in milliseconds. */
function clockPartMs(frequency: Frequency, n: number): number {
  return ((frequency.hours ?? 0) * 60 + (frequency.minutes ?? 0)) * n * MINUTE_MS;
}

/**
 * `add(start, calendar, { in: tz('UTC') })` without Intl: months and years first (the day clamped to the
 * month's last, as date-fns does: Jan 31 + 1 month is Feb 29 in 2024), then weeks and days, all in UTC,
 * which has no wall time shown twice or never. The default zone, so most calculator calls come here.
 * NaN when the date leaves the range, as date-fns' Invalid Date would give.
 */
function addCalendarUtc(start: number, calendar: ReturnType<typeof calendarPart>): number {
  const date = new Date(start);
  const months = (calendar.years ?? 0) * 12 + (calendar.months ?? 0);
  if (months !== 0) {
    const day = date.getUTCDate();
    // Day 1 first, so the month is set before the day is clamped to its length.
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + months);
    const monthEnd = new Date(date.getTime());
    monthEnd.setUTCMonth(monthEnd.getUTCMonth() + 1, 0);
    date.setUTCDate(Math.min(day, monthEnd.getUTCDate()));
  }
  const days = (calendar.weeks ?? 0) * 7 + (calendar.days ?? 0);
  return date.getTime() + days * DAY_MS;
}

/**
 * A wall time the zone shows twice (clocks set back) resolves to its first occurrence, in every zone.
 * (date-fns/tz picks the first one west of UTC and the second one east of it.)
 */
function firstOccurrence(ms: number, timeZone: string): number {
  const offsetMs = (at: number) => tzOffset(timeZone, new Date(at)) * MINUTE_MS;
  const wall = ms + offsetMs(ms);
  const earlier = wall - offsetMs(ms - DAY_MS);
  return earlier < ms && earlier + offsetMs(earlier) === wall ? earlier : ms;
}

/**
 * The instant of run `n` (0-based), in epoch milliseconds; `Infinity` when that run would fall after
 * LAST_RUN_MS (a frequency so large that the date leaves the range), so it never counts as <= an end.
 * @example runTimeMs(job, 0) === Date.parse(job.startDateTime)
 */
export function runTimeMs(job: Job, n: number, hint?: RunHint): number {
  const start = Date.parse(job.startDateTime);
  const recurrence = recurrenceOf(job);
  if (!recurrence) return start;
  // A cron's run 0 is its first occurrence at or after the start, which need not match the start itself.
  if (recurrence.kind === 'cron') return cronRunTimeMs(job, recurrence.cron, n, hint);
  if (n === 0) return start;
  const { frequency } = recurrence;
  const calendar = calendarPart(frequency, n);
  let ms = start;
  if (Object.values(calendar).some((value) => value !== 0)) {
    if (job.timeZone === 'UTC') ms = addCalendarUtc(start, calendar);
    else {
      ms = add(new Date(start), calendar, { in: tz(job.timeZone) }).getTime();
      if (Number.isFinite(ms)) ms = firstOccurrence(ms, job.timeZone);
    }
  }
  ms += clockPartMs(frequency, n);
  return Number.isFinite(ms) && ms <= LAST_RUN_MS ? ms : Number.POSITIVE_INFINITY;
}

/** A run whose time is known (the previous one), so a cron's run n is found from there. */
export interface RunHint {
  iteration: number;
  atMs: number;
}

type Recurrence = { kind: 'frequency'; frequency: Frequency } | { kind: 'cron'; cron: Extract<ParsedExpression, { kind: 'cron' }> };

/** How the job recurs: its frequency, a rate(…) read as one, or a cron; undefined for a one-off job. */
export function recurrenceOf(job: Job): Recurrence | undefined {
  if (job.frequency) return { kind: 'frequency', frequency: job.frequency };
  if (!job.scheduleExpression) return undefined;
  const parsed = parseScheduleExpression(job.scheduleExpression);
  // The schema already refused an invalid expression; a job that reaches here has a valid one.
  if ('field' in parsed) throw new RangeError(`${parsed.field}: ${parsed.message}`);
  return parsed.kind === 'rate' ? { kind: 'frequency', frequency: parsed.frequency } : { kind: 'cron', cron: parsed };
}

/**
 * Run n of a cron job: the n-th occurrence at or after the start (the first occurrence is run 0, even when
 * the start itself does not match), counted from the hint when there is one. Either way the cost is a walk
 * over the months in between, not over the runs (src/lib/cron.ts).
 */
function cronRunTimeMs(job: Job, cron: Extract<ParsedExpression, { kind: 'cron' }>, n: number, hint?: RunHint): number {
  const from = hint && hint.iteration <= n ? hint : { iteration: 0, atMs: Date.parse(job.startDateTime) };
  const at = nthCronRun(cron.spec, job.timeZone, from.atMs, n - from.iteration);
  return at !== undefined && at <= LAST_RUN_MS ? at : Number.POSITIVE_INFINITY;
}

/**
 * Format an instant for a Wait state: RFC 3339 in UTC ending in Z, in whole seconds. Step Functions
 * truncates milliseconds, so a fraction is rounded up: a run never starts before its planned time.
 * @example toWaitTimestamp(1733306400500) // '2024-12-04T10:00:01Z' (2024-12-04T10:00:00.500Z rounded up)
 */
export function toWaitTimestamp(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * How many runs the job has: runs with time <= endDateTime, at most maxRuns. 1 for a one-off job, null
 * with no end. Never found by stepping through the runs: a frequency's count is estimated from an average
 * step length and corrected by a few date computations; a cron's is counted a month or a day at a time
 * (matching days × |hours| × |minutes|, less the minutes a spring-forward gap removes), so
 * `cron(0 0 ? * 2#5 *)` or a minute cron over 2026-2199 costs milliseconds.
 */
export function totalRuns(job: Job): number | null {
  const recurrence = recurrenceOf(job);
  if (!recurrence) return 1;
  if (recurrence.kind === 'cron') {
    const end = job.endDateTime === undefined ? Number.POSITIVE_INFINITY : Date.parse(job.endDateTime);
    // With no end and no maxRuns, a cron whose years reach the field's last (2199) has no total, as a
    // frequency without end; one whose years stop earlier ends with them, and is counted.
    if (end === Number.POSITIVE_INFINITY && job.maxRuns === undefined && recurrence.cron.spec.years.at(-1) === LAST_YEAR) return null;
    const count = countCronRuns(recurrence.cron.spec, job.timeZone, Date.parse(job.startDateTime), Math.min(end, LAST_RUN_MS));
    return job.maxRuns === undefined ? count : Math.min(count, job.maxRuns);
  }
  const byEnd = job.endDateTime === undefined ? null : firstAfter(job, recurrence.frequency, 0, Date.parse(job.endDateTime));
  if (byEnd === null) return job.maxRuns ?? null;
  return job.maxRuns === undefined ? byEnd : Math.min(byEnd, job.maxRuns);
}

/**
 * The first iteration >= `from` whose run time is after `t`: estimated from an average step length and
 * corrected by stepping, so a minute job over ten years costs a handful of date computations.
 */
function firstAfter(job: Job, frequency: Frequency, from: number, t: number): number {
  const start = Date.parse(job.startDateTime);
  const stepMs = Object.entries(frequency).reduce((sum, [unit, value]) => sum + APPROX_MS[unit as keyof Frequency] * (value ?? 0), 0);
  let k = Math.max(from, Math.floor((t - start) / stepMs));
  while (k > from && runTimeMs(job, k - 1) > t) k--;
  while (runTimeMs(job, k) <= t) k++;
  return k;
}

/** What run `iteration` does, given how many runs there are. */
export function phaseOf(job: Job, iteration: number, total: number | null): Phase {
  if (isActionJob(job)) return 'action';
  if (total === 1) return 'report';
  if (iteration === 0) return 'collection';
  if (total !== null && iteration >= total - 1) return 'report';
  return 'processing';
}

/**
 * Where in its window a run starts: a fraction of `flexibleWindowMinutes` drawn from a hash of the job id
 * and iteration, so a retry, a resume or another calculator computes the same time.
 * @example jitterMs({ id: 'a', flexibleWindowMinutes: 10, … }, 3) // the same value every time, 0 <= x < 600000
 */
export function jitterMs(job: Job, iteration: number): number {
  if (!job.flexibleWindowMinutes) return 0;
  const digest = sha256(`${job.id}:${iteration}`);
  const fraction = digest.readUInt32BE(0) / 2 ** 32;
  return Math.floor(fraction * job.flexibleWindowMinutes * 60) * 1000;
}

/** What the calculator needs besides the job: where the job is, and what it knows of earlier runs. */
export type CursorLike = Pick<Cursor, 'iteration'> & Partial<Pick<Cursor, 'lastRunAt' | 'totalRuns'>>;

function hintOf(cursor: CursorLike): RunHint | undefined {
  if (cursor.lastRunAt === undefined || cursor.iteration === 0) return undefined;
  const atMs = Date.parse(cursor.lastRunAt);
  return Number.isFinite(atMs) ? { iteration: cursor.iteration - 1, atMs } : undefined;
}

/**
 * The calculator: where the job stands at `cursor` and when its next run is.
 * @example nextRun(sevenDayJob, { iteration: 6 }) // { iteration: 6, phase: 'report', isLast: true, done: false, … }
 */
export function nextRun(job: Job, cursor: CursorLike = { iteration: 0 }, total: number | null = cursor.totalRuns !== undefined ? cursor.totalRuns : totalRuns(job)): Schedule {
  const { iteration } = cursor;
  const planned = total !== null && iteration >= total ? Number.POSITIVE_INFINITY : runTimeMs(job, iteration, hintOf(cursor));
  // A run past the representable range does not exist, so a job without an end finishes there too.
  const done = planned > LAST_RUN_MS;
  const at = done ? planned : Math.min(LAST_RUN_MS, planned + jitterMs(job, iteration));
  return {
    iteration,
    runAt: done ? null : toWaitTimestamp(at),
    ...(done || !job.flexibleWindowMinutes ? {} : { plannedAt: toWaitTimestamp(planned) }),
    phase: phaseOf(job, done ? Math.max(0, (total ?? 1) - 1) : iteration, total),
    isLast: !done && total !== null && iteration === total - 1,
    done,
    totalRuns: total,
  };
}

export { DEFAULT_CATCH_UP_WINDOW_MINUTES } from './policies';

/** A missed run is one whose time passed more than this before the calculator looked. */
export const MISSED_GRACE_MS = 60_000;

/**
 * The next run to start at `now`, applying the job's catch-up policy to runs whose time has passed:
 * `skip` starts the next run still to come; `one` starts the latest missed run (if within
 * catchUpWindowMinutes) and skips the rest; `all` starts every missed run within the window, in order.
 * Runs the previous run overlapped (planned before it finished) follow `overlap` instead: `skip`,
 * `bufferOne` (one of them) or `allow` (all, one after the other). Skipped runs are returned as a range for
 * the store to record, never dropped.
 * @example scheduleAt(hourly, { iteration: 10 }, Date.parse('2027-01-03T00:00:30Z')) // runs 10-47 skipped, run 48 now
 */
export function scheduleAt(job: Job, cursor: CursorLike & Partial<Pick<Cursor, 'lastFinishedAt' | 'lastStartedAt'>>, nowMs: number): Schedule {
  const first = nextRun(job, cursor);
  if (first.done || first.runAt === null) return first;
  // A workflow always collects first: its run 0 is never passed over (catch-up applies to processing runs).
  const workflow = !isActionJob(job);
  if (workflow && cursor.iteration === 0) return first;
  const cutoff = nowMs - MISSED_GRACE_MS;
  const planned = (s: Schedule) => Date.parse(s.plannedAt ?? s.runAt ?? '');
  if (planned(first) >= cutoff) return first;

  const recurrence = recurrenceOf(job);
  const total = first.totalRuns;
  // The first run not missed; `upTo` when it is past the end.
  const upTo = total ?? Number.MAX_SAFE_INTEGER;
  const firstLive = Math.min(upTo, firstAtOrAfter(job, recurrence, cursor, cutoff));
  const lastMissed = firstLive - 1;
  const finishedAt = cursor.lastFinishedAt === undefined ? Number.NaN : Date.parse(cursor.lastFinishedAt);
  const lastMissedAt = runTimeMs(job, lastMissed, hintOf(cursor));
  const startedAt = cursor.lastStartedAt === undefined ? Number.NaN : Date.parse(cursor.lastStartedAt);
  // Overlapped: planned while the previous run was going. A run planned before the previous run even began
  // was missed (downtime, a pause), not overlapped: the catch-up policy decides on it (catchUp 'all' runs
  // every missed run, one after the other, whatever `overlap` says).
  const overlapped = Number.isFinite(finishedAt) && lastMissedAt < finishedAt && !(Number.isFinite(startedAt) && lastMissedAt < startedAt);
  const policies = policiesOf(job);
  const catchUpWindowStart = nowMs - policies.catchUpWindowMinutes * 60_000;
  // A range that begins with runs planned before the previous run began (it began late: a catch-up run)
  // and ends with runs planned while it was going: the missed ones come first, and catch-up decides on them
  // when it runs one of them; the overlapped ones are decided at the next Calculate.
  const firstOverlapped = overlapped && Number.isFinite(startedAt) ? Math.min(firstLive, firstAtOrAfter(job, recurrence, cursor, startedAt)) : cursor.iteration;
  const missedFirst = catchUpPick(job, recurrence, cursor, policies.catchUp, firstOverlapped, catchUpWindowStart);
  const policy = overlapped ? ({ skip: 'skip', bufferOne: 'one', allow: 'all' } as const)[policies.overlap] : policies.catchUp;
  const windowStart = overlapped ? Number.NEGATIVE_INFINITY : catchUpWindowStart;
  // One reason per range: a range that begins with missed runs is labelled by them.
  const reason = overlapped && firstOverlapped <= cursor.iteration ? 'overlap' : 'missed';

  let runIteration = firstLive;
  if (policy === 'one' && lastMissedAt >= windowStart) runIteration = lastMissed;
  if (policy === 'all') runIteration = Math.min(firstLive, firstAtOrAfter(job, recurrence, cursor, windowStart));
  if (missedFirst !== undefined) runIteration = missedFirst;
  // …and a workflow always reports: its last run is never passed over either.
  if (workflow && total !== null && runIteration > total - 1) runIteration = total - 1;
  const chosen = nextRun(job, { iteration: runIteration, totalRuns: total }, total);
  const skipped: SkippedRuns | undefined =
    runIteration > cursor.iteration ? { from: cursor.iteration, to: runIteration - 1, count: runIteration - cursor.iteration, reason } : undefined;
  return skipped ? { ...chosen, skipped } : chosen;
}

/**
 * The run catch-up would start among the runs cursor.iteration..before-1 (those missed before the previous
 * run began), or undefined when there is none to start (none, `skip`, or all older than the window).
 */
function catchUpPick(job: Job, recurrence: Recurrence | undefined, cursor: CursorLike, catchUp: 'skip' | 'one' | 'all', before: number, windowStart: number): number | undefined {
  if (before <= cursor.iteration || catchUp === 'skip') return undefined;
  if (catchUp === 'one') return runTimeMs(job, before - 1, hintOf(cursor)) >= windowStart ? before - 1 : undefined;
  const first = firstAtOrAfter(job, recurrence, cursor, windowStart);
  return first < before ? first : undefined;
}

/** The first iteration >= cursor.iteration planned at or after `t`. */
function firstAtOrAfter(job: Job, recurrence: Recurrence | undefined, cursor: CursorLike, t: number): number {
  if (!recurrence) return runTimeMs(job, 0) >= t ? 0 : 1;
  if (recurrence.kind === 'frequency') return firstAfter(job, recurrence.frequency, cursor.iteration, t - 1);
  // Runs before t counted from the previous run (or the start), not stepped through.
  const from = hintOf(cursor) ?? { iteration: 0, atMs: Date.parse(job.startDateTime) };
  return Math.max(cursor.iteration, from.iteration + countCronRuns(recurrence.cron.spec, job.timeZone, from.atMs, t - 1));
}

/**
 * The next `count` runs from `fromIteration` on, without touching any state machine.
 * @example upcomingRuns(job, 0, 3).map((s) => s.runAt)
 */
export function upcomingRuns(job: Job, fromIteration: number, count: number): Schedule[] {
  const total = totalRuns(job);
  const runs: Schedule[] = [];
  for (let i = fromIteration; runs.length < count; i++) {
    const previous = runs.at(-1);
    const schedule = nextRun(job, { iteration: i, ...(previous ? { lastRunAt: previous.plannedAt ?? previous.runAt ?? undefined } : {}) }, total);
    if (schedule.done) break;
    runs.push(schedule);
  }
  return runs;
}
