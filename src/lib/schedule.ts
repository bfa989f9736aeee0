/**
 * Schedule math: when run n happens, how many runs a job has, and what each run does.
 *
 * Run n is `start + n × frequency`, always computed from the start and never from the previous run, so
 * month ends do not drift (Jan 31 +1 month is Feb 29 in a leap year, +2 months is Mar 31) and a daily
 * 09:00 in Europe/Berlin stays 09:00 local across DST. Calendar units (days and up) are applied in the
 * job's time zone by date-fns; hours and minutes are absolute durations, as a clock on the wall would
 * not agree on them twice a year.
 */
import { add, type Duration } from 'date-fns';
import { tz, tzOffset } from '@date-fns/tz';
import type { Cursor, Frequency, Job, Phase, Schedule } from './job';

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
export function runTimeMs(job: Job, n: number): number {
  const start = Date.parse(job.startDateTime);
  if (!job.frequency || n === 0) return start;
  const calendar = calendarPart(job.frequency, n);
  let ms = start;
  if (Object.values(calendar).some((value) => value !== 0)) {
    ms = add(new Date(start), calendar, { in: tz(job.timeZone) }).getTime();
    if (Number.isFinite(ms)) ms = firstOccurrence(ms, job.timeZone);
  }
  ms += clockPartMs(job.frequency, n);
  return Number.isFinite(ms) && ms <= LAST_RUN_MS ? ms : Number.POSITIVE_INFINITY;
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
 * How many runs the job has: runs with time <= endDateTime. 1 for a one-off job, null with no end.
 * Estimates from an average step length and corrects by stepping, so a minute job over ten years costs a
 * handful of date computations rather than five million.
 */
export function totalRuns(job: Job): number | null {
  if (!job.frequency) return 1;
  if (!job.endDateTime) return null;
  const start = Date.parse(job.startDateTime);
  const end = Date.parse(job.endDateTime);
  const stepMs = Object.entries(job.frequency).reduce(
    (sum, [unit, value]) => sum + APPROX_MS[unit as keyof Frequency] * (value ?? 0),
    0,
  );
  let last = Math.max(0, Math.floor((end - start) / stepMs));
  while (last > 0 && runTimeMs(job, last) > end) last--;
  while (runTimeMs(job, last + 1) <= end) last++;
  return last + 1;
}

/** What run `iteration` does, given how many runs there are. */
export function phaseOf(job: Job, iteration: number, total: number | null): Phase {
  if (job.action) return 'action';
  if (total === 1) return 'report';
  if (iteration === 0) return 'collection';
  if (total !== null && iteration >= total - 1) return 'report';
  return 'processing';
}

/**
 * The calculator: where the job stands at `cursor` and when its next run is.
 * @example nextRun(sevenDayJob, { iteration: 6 }) // { iteration: 6, phase: 'report', isLast: true, done: false, … }
 */
export function nextRun(job: Job, cursor: Pick<Cursor, 'iteration'> = { iteration: 0 }, total = totalRuns(job)): Schedule {
  const { iteration } = cursor;
  const at = total !== null && iteration >= total ? Number.POSITIVE_INFINITY : runTimeMs(job, iteration);
  // A run past the representable range does not exist, so a job without an end finishes there too.
  const done = at > LAST_RUN_MS;
  return {
    iteration,
    runAt: done ? null : toWaitTimestamp(at),
    phase: phaseOf(job, done ? Math.max(0, (total ?? 1) - 1) : iteration, total),
    isLast: !done && total !== null && iteration === total - 1,
    done,
    totalRuns: total,
  };
}

/**
 * The next `count` runs from `fromIteration` on, without touching any state machine.
 * @example upcomingRuns(job, 0, 3).map((s) => s.runAt)
 */
export function upcomingRuns(job: Job, fromIteration: number, count: number): Schedule[] {
  const total = totalRuns(job);
  const runs: Schedule[] = [];
  for (let i = fromIteration; runs.length < count; i++) {
    const schedule = nextRun(job, { iteration: i }, total);
    if (schedule.done) break;
    runs.push(schedule);
  }
  return runs;
}
