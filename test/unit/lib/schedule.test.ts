import { parseJob, type Job, type JobInput } from '../../../src/lib/job';
import { nextRun, phaseOf, runTimeMs, toWaitTimestamp, totalRuns, upcomingRuns } from '../../../src/lib/schedule';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Open-ended action jobs must say so (forever: true); here that is what "without end" means. */
const job = (input: Omit<JobInput, 'id'>): Job =>
  parseJob({ id: 'test-job', ...(input.action && !input.endDateTime && input.maxRuns === undefined ? { forever: true as const } : {}), ...input });
/** Run n as an ISO string with milliseconds, straight from the epoch milliseconds. */
const runIso = (subject: Job, n: number): string => new Date(runTimeMs(subject, n)).toISOString();
const runsIso = (subject: Job, count: number): string[] => Array.from({ length: count }, (_, n) => runIso(subject, n));
/** The wall clock in a zone, e.g. "2024-03-31 09:00 GMT+2". */
const local = (ms: number, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  })
    .format(ms)
    .replace('\u2212', '-');
const message = { type: 'message', text: 'ping' } as const;

describe('runTimeMs: run n is start + n × frequency', () => {
  it('puts run 0 at the start instant, whatever offset the start was written in', () => {
    const subject = job({ startDateTime: '2024-12-04T11:00:00+01:00', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const at = runTimeMs(subject, 0);

    expect(new Date(at).toISOString()).toBe('2024-12-04T10:00:00.000Z');
  });

  it('keeps the day of month 31 from Jan 31 monthly: Feb 29, Mar 31, Apr 30, May 31 (never drifting to the 29th)', () => {
    const subject = job({ startDateTime: '2024-01-31T10:00:00Z', frequency: { months: 1 }, endDateTime: '2025-01-31T10:00:00Z' });

    const runs = runsIso(subject, 5);

    expect(runs).toEqual([
      '2024-01-31T10:00:00.000Z',
      '2024-02-29T10:00:00.000Z',
      '2024-03-31T10:00:00.000Z',
      '2024-04-30T10:00:00.000Z',
      '2024-05-31T10:00:00.000Z',
    ]);
  });

  it('clamps Jan 31 monthly to Feb 28 in a non-leap year and returns to Mar 31', () => {
    const subject = job({ startDateTime: '2023-01-31T10:00:00Z', frequency: { month: 1 }, endDateTime: '2023-12-31T10:00:00Z' });

    const runs = runsIso(subject, 3);

    expect(runs).toEqual(['2023-01-31T10:00:00.000Z', '2023-02-28T10:00:00.000Z', '2023-03-31T10:00:00.000Z']);
  });

  it('steps Aug 31 quarterly to Nov 30, Feb 29, May 31 and Aug 31', () => {
    const subject = job({ startDateTime: '2023-08-31T10:00:00Z', frequency: { quarters: 1 }, endDateTime: '2025-01-01T00:00:00Z' });

    const runs = runsIso(subject, 5);

    expect(runs).toEqual([
      '2023-08-31T10:00:00.000Z',
      '2023-11-30T10:00:00.000Z',
      '2024-02-29T10:00:00.000Z',
      '2024-05-31T10:00:00.000Z',
      '2024-08-31T10:00:00.000Z',
    ]);
  });

  it('treats a quarter as exactly 3 months', () => {
    const quarterly = job({ startDateTime: '2023-08-31T10:00:00Z', frequency: { quarter: 1 }, endDateTime: '2030-01-01T00:00:00Z' });
    const threeMonthly = job({ startDateTime: '2023-08-31T10:00:00Z', frequency: { months: 3 }, endDateTime: '2030-01-01T00:00:00Z' });

    const quarters = runsIso(quarterly, 12);
    const months = runsIso(threeMonthly, 12);

    expect(quarters).toEqual(months);
  });

  it('steps Feb 29 yearly to Feb 28 in non-leap years and back to Feb 29 four years on', () => {
    const subject = job({ startDateTime: '2024-02-29T10:00:00Z', frequency: { year: 1 }, endDateTime: '2030-01-01T00:00:00Z' });

    const runs = runsIso(subject, 5);

    expect(runs).toEqual([
      '2024-02-29T10:00:00.000Z',
      '2025-02-28T10:00:00.000Z',
      '2026-02-28T10:00:00.000Z',
      '2027-02-28T10:00:00.000Z',
      '2028-02-29T10:00:00.000Z',
    ]);
  });

  it('steps Feb 29 every 4 years to Feb 29 each time', () => {
    const subject = job({ startDateTime: '2024-02-29T10:00:00Z', frequency: { years: 4 }, endDateTime: '2040-03-01T00:00:00Z' });

    const runs = runsIso(subject, 3);

    expect(runs).toEqual(['2024-02-29T10:00:00.000Z', '2028-02-29T10:00:00.000Z', '2032-02-29T10:00:00.000Z']);
  });

  it('steps weeks as 7 days of the calendar', () => {
    const weekly = job({ startDateTime: '2024-03-25T09:00:00+01:00', timeZone: 'Europe/Berlin', frequency: { weeks: 1 }, endDateTime: '2024-12-31T00:00:00Z' });
    const sevenDaily = job({ startDateTime: '2024-03-25T09:00:00+01:00', timeZone: 'Europe/Berlin', frequency: { days: 7 }, endDateTime: '2024-12-31T00:00:00Z' });

    const weeks = runsIso(weekly, 3);
    const days = runsIso(sevenDaily, 3);

    // Berlin switched to summer time on 2024-03-31: 09:00 CET is 08:00Z, 09:00 CEST is 07:00Z.
    expect(weeks).toEqual(['2024-03-25T08:00:00.000Z', '2024-04-01T07:00:00.000Z', '2024-04-08T07:00:00.000Z']);
    expect(weeks).toEqual(days);
  });

  it.each([
    [{ day: 1 }, { days: 1 }],
    [{ week: 2 }, { weeks: 2 }],
    [{ month: 1 }, { months: 1 }],
    [{ quarter: 1 }, { quarters: 1 }],
    [{ year: 1 }, { years: 1 }],
    [{ hour: 5 }, { hours: 5 }],
    [{ minute: 45 }, { minutes: 45 }],
  ])('schedules the singular name %j exactly like %j', (singular, plural) => {
    const start = { startDateTime: '2024-01-31T22:30:00Z', timeZone: 'America/New_York', endDateTime: '2040-01-01T00:00:00Z' };
    const bySingular = job({ ...start, frequency: singular });
    const byPlural = job({ ...start, frequency: plural });

    const singularRuns = runsIso(bySingular, 6);
    const pluralRuns = runsIso(byPlural, 6);

    expect(singularRuns).toEqual(pluralRuns);
    expect(totalRuns(bySingular)).toBe(totalRuns(byPlural));
  });

  it('combines units: {days: 1, hours: 2} is 26 hours apart in UTC', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1, hours: 2 }, endDateTime: '2024-12-10T10:00:00Z' });

    const runs = runsIso(subject, 3);

    expect(runs).toEqual(['2024-12-04T10:00:00.000Z', '2024-12-05T12:00:00.000Z', '2024-12-06T14:00:00.000Z']);
  });

  it('combines units across a DST change: the day follows the wall clock, the 2 hours are absolute', () => {
    const subject = job({
      startDateTime: '2024-11-02T09:00:00-04:00',
      timeZone: 'America/New_York',
      frequency: { days: 1, hours: 2 },
      endDateTime: '2024-11-10T00:00:00Z',
    });

    const run1 = runTimeMs(subject, 1);

    // Nov 3 09:00 EST (14:00Z) plus 2 absolute hours.
    expect(new Date(run1).toISOString()).toBe('2024-11-03T16:00:00.000Z');
    expect(local(run1, 'America/New_York')).toBe('2024-11-03 11:00 GMT-5');
  });

  it('combines months and minutes: month arithmetic first, then the minutes', () => {
    const subject = job({ startDateTime: '2024-01-31T23:45:00Z', frequency: { months: 1, minutes: 30 }, endDateTime: '2025-01-01T00:00:00Z' });

    const runs = runsIso(subject, 3);

    expect(runs).toEqual(['2024-01-31T23:45:00.000Z', '2024-03-01T00:15:00.000Z', '2024-04-01T00:45:00.000Z']);
  });
});

describe('runTimeMs across daylight saving time', () => {
  it.each([
    ['Europe/Berlin', 'spring forward on 2024-03-31', '2024-03-30T09:00:00+01:00', ['2024-03-30T08:00:00.000Z', '2024-03-31T07:00:00.000Z', '2024-04-01T07:00:00.000Z']],
    ['Europe/Berlin', 'fall back on 2024-10-27', '2024-10-26T09:00:00+02:00', ['2024-10-26T07:00:00.000Z', '2024-10-27T08:00:00.000Z', '2024-10-28T08:00:00.000Z']],
    ['America/New_York', 'spring forward on 2024-03-10', '2024-03-09T09:00:00-05:00', ['2024-03-09T14:00:00.000Z', '2024-03-10T13:00:00.000Z', '2024-03-11T13:00:00.000Z']],
    ['America/New_York', 'fall back on 2024-11-03', '2024-11-02T09:00:00-04:00', ['2024-11-02T13:00:00.000Z', '2024-11-03T14:00:00.000Z', '2024-11-04T14:00:00.000Z']],
  ])('keeps a daily 09:00 in %s at 09:00 local across the %s', (timeZone, _change, startDateTime, expected) => {
    const subject = job({ startDateTime, timeZone, frequency: { days: 1 }, endDateTime: '2024-12-31T00:00:00Z' });

    const runs = [0, 1, 2].map((n) => runTimeMs(subject, n));

    expect(runs.map((ms) => new Date(ms).toISOString())).toEqual(expected);
    expect(runs.map((ms) => local(ms, timeZone).slice(11, 16))).toEqual(['09:00', '09:00', '09:00']);
  });

  it.each([
    ['Europe/Berlin', 'spring forward on 2024-03-31', '2024-03-30T09:00:00+01:00', '10:00'],
    ['Europe/Berlin', 'fall back on 2024-10-27', '2024-10-26T09:00:00+02:00', '08:00'],
    ['America/New_York', 'spring forward on 2024-03-10', '2024-03-09T09:00:00-05:00', '10:00'],
    ['America/New_York', 'fall back on 2024-11-03', '2024-11-02T09:00:00-04:00', '08:00'],
  ])('keeps hours: 24 in %s exactly 24 h apart across the %s, so the wall clock moves', (timeZone, _change, startDateTime, wallAfter) => {
    const subject = job({ startDateTime, timeZone, frequency: { hours: 24 }, endDateTime: '2024-12-31T00:00:00Z' });

    const runs = [0, 1, 2].map((n) => runTimeMs(subject, n));

    expect(runs[1]! - runs[0]!).toBe(DAY_MS);
    expect(runs[2]! - runs[1]!).toBe(DAY_MS);
    expect(local(runs[1]!, timeZone).slice(11, 16)).toBe(wallAfter);
  });

  it('does not crash on 02:30 of the Berlin spring-forward day and runs right after the gap, at 03:30 CEST', () => {
    const subject = job({ startDateTime: '2024-03-30T02:30:00+01:00', timeZone: 'Europe/Berlin', frequency: { days: 1 }, endDateTime: '2024-04-05T00:00:00Z' });

    const runs = [0, 1, 2].map((n) => runTimeMs(subject, n));
    const schedule = nextRun(subject, { iteration: 1 });

    // 02:00-03:00 does not exist on 2024-03-31 in Berlin.
    expect(runs.map((ms) => local(ms, 'Europe/Berlin'))).toEqual([
      '2024-03-30 02:30 GMT+1',
      '2024-03-31 03:30 GMT+2',
      '2024-04-01 02:30 GMT+2',
    ]);
    expect(schedule.runAt).toBe('2024-03-31T01:30:00Z');
  });

  it('does not crash on 02:30 of the New York spring-forward day and runs right after the gap, at 03:30 EDT', () => {
    const subject = job({ startDateTime: '2024-03-09T02:30:00-05:00', timeZone: 'America/New_York', frequency: { day: 1 }, endDateTime: '2024-03-15T00:00:00Z' });

    const runs = [0, 1, 2].map((n) => runTimeMs(subject, n));
    const schedule = nextRun(subject, { iteration: 1 });

    // 02:00-03:00 does not exist on 2024-03-10 in New York.
    expect(runs.map((ms) => local(ms, 'America/New_York'))).toEqual([
      '2024-03-09 02:30 GMT-5',
      '2024-03-10 03:30 GMT-4',
      '2024-03-11 02:30 GMT-4',
    ]);
    expect(schedule.runAt).toBe('2024-03-10T07:30:00Z');
  });

  it.each([
    ['Europe/Berlin', '2024-10-26T02:30:00+02:00', '2024-10-27T00:30:00.000Z', '2024-10-27 02:30 GMT+2'],
    ['America/New_York', '2024-11-02T01:30:00-04:00', '2024-11-03T05:30:00.000Z', '2024-11-03 01:30 GMT-4'],
  ])('runs a wall time that %s shows twice on its fall-back day at its first occurrence', (timeZone, startDateTime, expectedIso, expectedLocal) => {
    const subject = job({ startDateTime, timeZone, frequency: { days: 1 }, endDateTime: '2024-12-31T00:00:00Z' });

    const run1 = runTimeMs(subject, 1);

    expect(new Date(run1).toISOString()).toBe(expectedIso);
    expect(local(run1, timeZone)).toBe(expectedLocal);
  });

  it('keeps minutes absolute across the gap: 01:30 CET + 60 minutes is 03:30 CEST', () => {
    const subject = job({ startDateTime: '2024-03-31T01:30:00+01:00', timeZone: 'Europe/Berlin', frequency: { minutes: 60 }, endDateTime: '2024-04-01T00:00:00Z' });

    const run1 = runTimeMs(subject, 1);

    expect(run1 - runTimeMs(subject, 0)).toBe(HOUR_MS);
    expect(local(run1, 'Europe/Berlin')).toBe('2024-03-31 03:30 GMT+2');
  });

  it('keeps a monthly run at its wall time across DST in Berlin', () => {
    const subject = job({ startDateTime: '2024-01-15T09:00:00+01:00', timeZone: 'Europe/Berlin', frequency: { months: 1 }, endDateTime: '2024-12-31T00:00:00Z' });

    const walls = Array.from({ length: 12 }, (_, n) => local(runTimeMs(subject, n), 'Europe/Berlin').slice(11, 16));

    expect(walls).toEqual(Array(12).fill('09:00'));
  });
});

describe('toWaitTimestamp', () => {
  it('formats whole seconds in UTC ending in Z without milliseconds', () => {
    const ms = 1733306400000; // 2024-12-04T10:00:00.000Z

    const timestamp = toWaitTimestamp(ms);

    expect(timestamp).toBe('2024-12-04T10:00:00Z');
  });

  it.each([
    [1733306400001, '2024-12-04T10:00:01Z'], // 2024-12-04T10:00:00.001Z
    [1733306400500, '2024-12-04T10:00:01Z'], // 2024-12-04T10:00:00.500Z
    [1733306400999, '2024-12-04T10:00:01Z'], // 2024-12-04T10:00:00.999Z
    [1735689599500, '2025-01-01T00:00:00Z'], // 2024-12-31T23:59:59.500Z, rolls over into the new year
  ])('rounds a fraction of a second up: %d becomes %s', (ms, expected) => {
    const input = ms;

    const timestamp = toWaitTimestamp(input);

    expect(timestamp).toBe(expected);
    expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(input);
  });

  it('formats the epoch itself', () => {
    const ms = 0; // 1970-01-01T00:00:00.000Z

    const timestamp = toWaitTimestamp(ms);

    expect(timestamp).toBe('1970-01-01T00:00:00Z');
  });
});

describe('totalRuns', () => {
  it('counts one run for a one-off job without frequency', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z' });

    const total = totalRuns(subject);

    expect(total).toBe(1);
  });

  it('has no total (null) for an action job without end', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { hours: 1 }, action: message });

    const total = totalRuns(subject);

    expect(total).toBeNull();
  });

  it('counts the run that falls exactly on endDateTime', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const total = totalRuns(subject);

    expect(total).toBe(7);
  });

  it('counts only the runs before an end that falls between runs', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T09:59:59Z' });

    const total = totalRuns(subject);

    expect(total).toBe(6);
  });

  it('counts one run when the end falls before the second run', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { weeks: 1 }, endDateTime: '2024-12-11T09:00:00Z' });

    const total = totalRuns(subject);

    expect(total).toBe(1);
  });

  it('counts clamped month ends: Jan 31 monthly ending on Mar 30 has runs on Jan 31 and Feb 28 only', () => {
    const subject = job({ startDateTime: '2023-01-31T10:00:00Z', frequency: { months: 1 }, endDateTime: '2023-03-30T10:00:00Z' });

    const total = totalRuns(subject);

    expect(total).toBe(2);
  });

  it("counts seed 002's example (every 5 minutes from 2021-02-22T03:05Z to 2030-01-01) quickly and exactly", () => {
    const subject = job({ startDateTime: '2021-02-22T03:05:00.000Z', frequency: { minutes: 5 }, endDateTime: '2030-01-01T00:00:00.000Z' });
    // Independent count by calendar arithmetic on minutes (both instants are UTC, minutes are absolute):
    // the rest of 2021 is Feb 22..28 (7 days) plus March..December, then the whole years 2022..2029.
    const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const restOf2021 = 7 + [31, 30, 31, 30, 31, 31, 30, 31, 30, 31].reduce((sum, days) => sum + days, 0);
    let wholeYears = 0;
    for (let year = 2022; year <= 2029; year++) wholeYears += isLeap(year) ? 366 : 365;
    const minutes = (restOf2021 + wholeYears) * 24 * 60 - (3 * 60 + 5); // from 03:05 on the first day
    const expected = Math.floor(minutes / 5) + 1; // run 0 plus one per whole 5 minutes

    const started = performance.now();
    const total = totalRuns(subject);
    const elapsedMs = performance.now() - started;

    expect(minutes).toBe(4_658_215);
    expect(total).toBe(expected);
    expect(total).toBe(931_644);
    expect(elapsedMs).toBeLessThan(250);
  });

  it('counts the same minute job alike in a zone with DST, as minutes are absolute', () => {
    const subject = job({ startDateTime: '2021-02-22T03:05:00.000Z', timeZone: 'Europe/Berlin', frequency: { minute: 5 }, endDateTime: '2030-01-01T00:00:00.000Z' });

    const total = totalRuns(subject);

    expect(total).toBe(931_644);
  });

  it('counts a job of billions of runs without stepping through them: every minute from 2000 to 9999', () => {
    const subject = job({ startDateTime: '2000-01-01T00:00:00Z', frequency: { minutes: 1 }, endDateTime: '9999-12-31T23:59:00Z' });
    const expected = (Date.UTC(9999, 11, 31, 23, 59) - Date.UTC(2000, 0, 1)) / 60_000 + 1;

    const total = totalRuns(subject);

    expect(total).toBe(expected);
  });

  it('counts a daily job in a DST zone by its wall clock: 366 runs over the leap year 2024 in Berlin', () => {
    const subject = job({ startDateTime: '2024-01-01T09:00:00+01:00', timeZone: 'Europe/Berlin', frequency: { days: 1 }, endDateTime: '2024-12-31T09:00:00+01:00' });

    const total = totalRuns(subject);

    expect(total).toBe(366);
  });

  it('counts one run when the frequency leaves the representable range, without throwing', () => {
    const subject = job({ startDateTime: '2024-01-01T00:00:00Z', frequency: { years: 1_000_000 }, endDateTime: '9999-12-31T23:59:59Z' });

    const total = totalRuns(subject);

    expect(total).toBe(1);
  });
});

describe('phaseOf', () => {
  const workflow = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });
  const actionJob = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z', action: message });

  it.each([
    [0, 7, 'collection'],
    [1, 7, 'processing'],
    [5, 7, 'processing'],
    [6, 7, 'report'],
    [0, 2, 'collection'],
    [1, 2, 'report'],
    [0, 1, 'report'],
    [0, null, 'collection'],
    [99, null, 'processing'],
  ] as const)('gives a workflow run %d of %s total the phase %s', (iteration, total, expected) => {
    const subject = workflow;

    const phase = phaseOf(subject, iteration, total);

    expect(phase).toBe(expected);
  });

  it.each([
    [0, 7],
    [6, 7],
    [0, 1],
    [0, null],
    [42, null],
  ] as const)('gives every run of an action job the phase action (run %d of %s)', (iteration, total) => {
    const subject = actionJob;

    const phase = phaseOf(subject, iteration, total);

    expect(phase).toBe('action');
  });
});

describe('nextRun', () => {
  it('walks the 7-day workflow: collection, 5 × processing, report, then done at iteration 7', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const schedules = Array.from({ length: 8 }, (_, iteration) => nextRun(subject, { iteration }));

    expect(schedules).toEqual([
      { iteration: 0, runAt: '2024-12-04T10:00:00Z', phase: 'collection', isLast: false, done: false, totalRuns: 7 },
      { iteration: 1, runAt: '2024-12-05T10:00:00Z', phase: 'processing', isLast: false, done: false, totalRuns: 7 },
      { iteration: 2, runAt: '2024-12-06T10:00:00Z', phase: 'processing', isLast: false, done: false, totalRuns: 7 },
      { iteration: 3, runAt: '2024-12-07T10:00:00Z', phase: 'processing', isLast: false, done: false, totalRuns: 7 },
      { iteration: 4, runAt: '2024-12-08T10:00:00Z', phase: 'processing', isLast: false, done: false, totalRuns: 7 },
      { iteration: 5, runAt: '2024-12-09T10:00:00Z', phase: 'processing', isLast: false, done: false, totalRuns: 7 },
      { iteration: 6, runAt: '2024-12-10T10:00:00Z', phase: 'report', isLast: true, done: false, totalRuns: 7 },
      { iteration: 7, runAt: null, phase: 'report', isLast: false, done: true, totalRuns: 7 },
    ]);
  });

  it('starts at iteration 0 when no cursor is given', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const schedule = nextRun(subject);

    expect(schedule).toEqual({ iteration: 0, runAt: '2024-12-04T10:00:00Z', phase: 'collection', isLast: false, done: false, totalRuns: 7 });
  });

  it('runs a one-off workflow once as its report and is done at iteration 1', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z' });

    const first = nextRun(subject, { iteration: 0 });
    const after = nextRun(subject, { iteration: 1 });

    expect(first).toEqual({ iteration: 0, runAt: '2024-12-04T10:00:00Z', phase: 'report', isLast: true, done: false, totalRuns: 1 });
    expect(after).toEqual({ iteration: 1, runAt: null, phase: 'report', isLast: false, done: true, totalRuns: 1 });
  });

  it('runs a one-off action job once as its action and is done at iteration 1', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', action: message });

    const first = nextRun(subject, { iteration: 0 });
    const after = nextRun(subject, { iteration: 1 });

    expect(first).toEqual({ iteration: 0, runAt: '2024-12-04T10:00:00Z', phase: 'action', isLast: true, done: false, totalRuns: 1 });
    expect(after).toEqual({ iteration: 1, runAt: null, phase: 'action', isLast: false, done: true, totalRuns: 1 });
  });

  it('makes the run on endDateTime the last one, with phase report', () => {
    const subject = job({ startDateTime: '2024-01-01T00:00:00Z', frequency: { hours: 6 }, endDateTime: '2024-01-02T00:00:00Z' });

    const last = nextRun(subject, { iteration: 4 });
    const after = nextRun(subject, { iteration: 5 });

    expect(last).toEqual({ iteration: 4, runAt: '2024-01-02T00:00:00Z', phase: 'report', isLast: true, done: false, totalRuns: 5 });
    expect(after.done).toBe(true);
    expect(after.runAt).toBeNull();
  });

  it('makes the run before an end that falls between runs the last one', () => {
    const subject = job({ startDateTime: '2024-01-01T00:00:00Z', frequency: { hours: 6 }, endDateTime: '2024-01-01T23:59:59Z' });

    const last = nextRun(subject, { iteration: 3 });
    const after = nextRun(subject, { iteration: 4 });

    expect(last).toEqual({ iteration: 3, runAt: '2024-01-01T18:00:00Z', phase: 'report', isLast: true, done: false, totalRuns: 4 });
    expect(after).toEqual({ iteration: 4, runAt: null, phase: 'report', isLast: false, done: true, totalRuns: 4 });
  });

  it('rounds a start with milliseconds up to the next whole second', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00.250Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const schedule = nextRun(subject, { iteration: 1 });

    expect(schedule.runAt).toBe('2024-12-05T10:00:01Z');
  });

  it('uses the total it is given instead of counting again', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

    const schedule = nextRun(subject, { iteration: 2 }, 3);

    expect(schedule).toEqual({ iteration: 2, runAt: '2024-12-06T10:00:00Z', phase: 'report', isLast: true, done: false, totalRuns: 3 });
  });

  it('never finishes an action job without end: totalRuns null, never last', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { hours: 1 }, action: message });

    const schedules = [0, 1, 10_000, 1_000_000].map((iteration) => nextRun(subject, { iteration }));

    expect(schedules.map((s) => [s.runAt, s.phase, s.isLast, s.done, s.totalRuns])).toEqual([
      ['2024-12-04T10:00:00Z', 'action', false, false, null],
      ['2024-12-04T11:00:00Z', 'action', false, false, null],
      ['2026-01-25T02:00:00Z', 'action', false, false, null], // 10 000 h = 416 days 16 h later
      ['2139-01-03T02:00:00Z', 'action', false, false, null], // 1 000 000 h = 41 666 days 16 h later
    ]);
  });

  it('treats a run whose date leaves the representable range as done instead of throwing', () => {
    const subject = job({ startDateTime: '2024-01-01T00:00:00Z', frequency: { years: 1_000_000 }, action: message });

    const first = nextRun(subject, { iteration: 0 });
    const second = nextRun(subject, { iteration: 1 });

    expect(first).toEqual({ iteration: 0, runAt: '2024-01-01T00:00:00Z', phase: 'action', isLast: false, done: false, totalRuns: null });
    expect(second).toEqual({ iteration: 1, runAt: null, phase: 'action', isLast: false, done: true, totalRuns: null });
  });

  it('ends a job without end at the last run that has a four-digit year (9999-12-31)', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, action: message });
    const lastIteration = (Date.UTC(9999, 11, 31, 10) - Date.UTC(2024, 11, 4, 10)) / DAY_MS;

    const last = nextRun(subject, { iteration: lastIteration });
    const after = nextRun(subject, { iteration: lastIteration + 1 });
    const farAfter = nextRun(subject, { iteration: 3_000_000 });

    expect(last.runAt).toBe('9999-12-31T10:00:00Z');
    expect(last.done).toBe(false);
    expect(after).toMatchObject({ runAt: null, done: true });
    expect(farAfter).toMatchObject({ runAt: null, done: true });
  });

  it('treats 5000-yearly runs past year 9999 as done while earlier ones still run', () => {
    const subject = job({ startDateTime: '2024-01-01T00:00:00Z', frequency: { years: 5000 }, action: message });

    const runs = [0, 1, 2].map((iteration) => nextRun(subject, { iteration }).runAt);

    expect(runs).toEqual(['2024-01-01T00:00:00Z', '7024-01-01T00:00:00Z', null]);
  });
});

describe('upcomingRuns', () => {
  const sevenDays = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { days: 1 }, endDateTime: '2024-12-10T10:00:00Z' });

  it('lists the next runs from an iteration on', () => {
    const subject = sevenDays;

    const runs = upcomingRuns(subject, 2, 3);

    expect(runs.map((s) => [s.iteration, s.runAt, s.phase])).toEqual([
      [2, '2024-12-06T10:00:00Z', 'processing'],
      [3, '2024-12-07T10:00:00Z', 'processing'],
      [4, '2024-12-08T10:00:00Z', 'processing'],
    ]);
  });

  it('stops at the last run when fewer runs are left than asked for', () => {
    const subject = sevenDays;

    const runs = upcomingRuns(subject, 5, 10);

    expect(runs.map((s) => [s.iteration, s.phase, s.isLast])).toEqual([
      [5, 'processing', false],
      [6, 'report', true],
    ]);
  });

  it('lists nothing once the job is done', () => {
    const subject = sevenDays;

    const runs = upcomingRuns(subject, 7, 3);

    expect(runs).toEqual([]);
  });

  it('lists as many runs as asked for a job without end', () => {
    const subject = job({ startDateTime: '2024-12-04T10:00:00Z', frequency: { minutes: 15 }, action: message });

    const runs = upcomingRuns(subject, 0, 4);

    expect(runs.map((s) => s.runAt)).toEqual(['2024-12-04T10:00:00Z', '2024-12-04T10:15:00Z', '2024-12-04T10:30:00Z', '2024-12-04T10:45:00Z']);
  });
});
