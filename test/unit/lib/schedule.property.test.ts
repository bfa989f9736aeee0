import fc from 'fast-check';
import { FREQUENCY_UNITS, parseJob, type FrequencyUnit, type Job, type JobInput, type Schedule } from '../../../src/lib/job';
import { nextRun, runTimeMs, toWaitTimestamp, totalRuns } from '../../../src/lib/schedule';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const NUM_RUNS = 200;
/** Upper bound of any stepping loop; generated jobs have far fewer runs (about 150 at most). */
const MAX_STEPS = 1_000;

/** UTC, two zones each side of UTC with DST (one southern), a half-hour zone, a half-hour DST and one that dropped DST in 2019. */
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Sao_Paulo'];
const SINGULAR: Record<FrequencyUnit, string> = {
  years: 'year',
  quarters: 'quarter',
  months: 'month',
  weeks: 'week',
  days: 'day',
  hours: 'hour',
  minutes: 'minute',
};
const MAX_VALUE: Record<FrequencyUnit, number> = { years: 2, quarters: 3, months: 6, weeks: 3, days: 10, hours: 36, minutes: 180 };
/** Average lengths, only to place a random end about k runs after the start. */
const APPROX_MS: Record<FrequencyUnit, number> = {
  years: 365.25 * DAY_MS,
  quarters: 91.3 * DAY_MS,
  months: 30.44 * DAY_MS,
  weeks: 7 * DAY_MS,
  days: DAY_MS,
  hours: 60 * MINUTE_MS,
  minutes: MINUTE_MS,
};
const START_MIN = Date.UTC(2000, 0, 1); // 2000-01-01T00:00:00.000Z
const START_MAX = Date.UTC(2040, 11, 31, 23, 59, 59); // 2040-12-31T23:59:59.000Z

/** DST changes in 2024 (UTC instants): spring forward and fall back in zones east and west of UTC. */
const DST_CHANGES: ReadonlyArray<readonly [string, string]> = [
  ['Europe/Berlin', '2024-03-31T01:00:00Z'], // 02:00 CET -> 03:00 CEST
  ['Europe/Berlin', '2024-10-27T01:00:00Z'], // 03:00 CEST -> 02:00 CET
  ['America/New_York', '2024-03-10T07:00:00Z'], // 02:00 EST -> 03:00 EDT
  ['America/New_York', '2024-11-03T06:00:00Z'], // 02:00 EDT -> 01:00 EST
  ['Australia/Sydney', '2024-04-06T16:00:00Z'], // 03:00 AEDT -> 02:00 AEST
  ['Australia/Sydney', '2024-10-05T16:00:00Z'], // 02:00 AEST -> 03:00 AEDT
  ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'], // 02:00 +11 -> 01:30 +10:30
  ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'], // 02:00 +10:30 -> 02:30 +11
];

/** One to three units, the first above zero, each written singular or plural. */
const frequencyArb = fc
  .shuffledSubarray([...FREQUENCY_UNITS], { minLength: 1, maxLength: 3 })
  .chain((units) =>
    fc.tuple(
      ...units.map((unit, index) =>
        fc.record({ unit: fc.constant(unit), value: fc.integer({ min: index === 0 ? 1 : 0, max: MAX_VALUE[unit] }), singular: fc.boolean() }),
      ),
    ),
  )
  .map((parts) => Object.fromEntries(parts.map(({ unit, value, singular }) => [singular ? SINGULAR[unit] : unit, value])));

const startArb = fc
  .tuple(fc.integer({ min: START_MIN, max: START_MAX }), fc.boolean())
  .map(([ms, wholeMinute]) => new Date(wholeMinute ? ms - (ms % MINUTE_MS) : ms).toISOString());

/** A valid recurring job with an end: the end falls between runs, or exactly on run k. */
const boundedJobArb = fc
  .record({
    startDateTime: startArb,
    frequency: frequencyArb,
    timeZone: fc.constantFrom(...ZONES),
    withAction: fc.boolean(),
    runsToEnd: fc.double({ min: 0.001, max: 150, noNaN: true }),
    endOnRun: fc.boolean(),
  })
  .map(({ startDateTime, frequency, timeZone, withAction, runsToEnd, endOnRun }): Job => {
    const base = { id: 'prop', startDateTime, frequency, timeZone, ...(withAction ? { action: { type: 'message', text: 'hi' } } : {}) } as JobInput;
    const start = Date.parse(startDateTime);
    let end: number;
    if (endOnRun) {
      end = runTimeMs(parseJob({ ...base, endDateTime: '2999-01-01T00:00:00Z' }), Math.max(1, Math.round(runsToEnd)));
    } else {
      const stepMs = Object.entries(parseJob({ ...base, endDateTime: '2999-01-01T00:00:00Z' }).frequency!).reduce(
        (sum, [unit, value]) => sum + APPROX_MS[unit as FrequencyUnit] * (value ?? 0),
        0,
      );
      end = start + Math.max(1, Math.round(runsToEnd * stepMs));
    }
    return parseJob({ ...base, endDateTime: new Date(end).toISOString() });
  });

/** An action job without an end. */
const openJobArb = fc
  .record({ startDateTime: startArb, frequency: frequencyArb, timeZone: fc.constantFrom(...ZONES) })
  .map((input) => parseJob({ id: 'open', ...input, forever: true, action: { type: 'webhook', url: 'https://example.com/hook' } }));

/** Step the cursor from 0 as the state machine does: each run hands the total on to the next. */
function stepCursor(job: Job): Schedule[] {
  const schedules: Schedule[] = [];
  let schedule = nextRun(job, { iteration: 0 });
  while (schedules.length < MAX_STEPS) {
    schedules.push(schedule);
    if (schedule.done) break;
    schedule = nextRun(job, { iteration: schedule.iteration + 1 }, schedule.totalRuns);
  }
  return schedules;
}

/** Count runs by walking run times until one passes the end, without totalRuns. */
function countRunsUntilEnd(job: Job): number {
  const end = Date.parse(job.endDateTime!);
  let n = 0;
  while (n < MAX_STEPS && runTimeMs(job, n) <= end) n++;
  return n;
}

// An independent oracle for run n: wall-clock arithmetic through Intl, not date-fns.
const formatters = new Map<string, Intl.DateTimeFormat>();
/** The wall clock of `ms` in the zone, as epoch milliseconds of the same fields in UTC. */
function wallMs(ms: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(ms)) parts[part.type] = Number(part.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!, ((ms % 1000) + 1000) % 1000);
}
/** The instant a wall time means: its first occurrence when shown twice, just after the gap when skipped. */
function instantOfWall(wall: number, timeZone: string): number {
  const offsetBefore = wallMs(wall - DAY_MS, timeZone) - (wall - DAY_MS);
  const offsetAfter = wallMs(wall + DAY_MS, timeZone) - (wall + DAY_MS);
  const candidates = [wall - offsetBefore, wall - offsetAfter].filter((at) => wallMs(at, timeZone) === wall);
  return candidates.length > 0 ? Math.min(...candidates) : wall - offsetBefore;
}
function expectedRunMs(job: Job, n: number): number {
  const frequency = job.frequency!;
  const start = Date.parse(job.startDateTime);
  const months = ((frequency.years ?? 0) * 12 + (frequency.quarters ?? 0) * 3 + (frequency.months ?? 0)) * n;
  const days = ((frequency.weeks ?? 0) * 7 + (frequency.days ?? 0)) * n;
  let at = start;
  if (months > 0 || days > 0) {
    const wall = new Date(wallMs(start, job.timeZone));
    const year = wall.getUTCFullYear();
    const month = wall.getUTCMonth() + months;
    const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const target =
      Date.UTC(year, month, Math.min(wall.getUTCDate(), lastDayOfMonth), wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds(), wall.getUTCMilliseconds()) +
      days * DAY_MS;
    at = instantOfWall(target, job.timeZone);
  }
  return at + ((frequency.hours ?? 0) * 60 + (frequency.minutes ?? 0)) * n * MINUTE_MS;
}

describe('schedule properties of arbitrary valid jobs', () => {
  it('keeps runs strictly increasing, in epoch milliseconds and in runAt', () => {
    fc.assert(
      fc.property(boundedJobArb, (job) => {
        const total = totalRuns(job)!;

        const times = Array.from({ length: total + 1 }, (_, n) => runTimeMs(job, n));
        const runAts = Array.from({ length: total }, (_, n) => nextRun(job, { iteration: n }, total).runAt!);

        expect(times.filter((at, n) => n > 0 && !(at > times[n - 1]!))).toEqual([]);
        expect(runAts.filter((at, n) => n > 0 && !(at > runAts[n - 1]!))).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never puts a run after endDateTime, and the run after the last would pass it', () => {
    fc.assert(
      fc.property(boundedJobArb, (job) => {
        const end = Date.parse(job.endDateTime!);

        const total = totalRuns(job)!;

        const afterEnd = Array.from({ length: total }, (_, n) => n).filter((n) => runTimeMs(job, n) > end);
        expect(total).toBeGreaterThanOrEqual(1);
        expect(afterEnd).toEqual([]);
        expect(runTimeMs(job, total)).toBeGreaterThan(end);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives run n from nextRun(job, {iteration: n}) exactly as stepping the cursor from 0 reaches it', () => {
    fc.assert(
      fc.property(boundedJobArb, fc.nat(), (job, pick) => {
        const stepped = stepCursor(job);
        const n = pick % stepped.length;

        const direct = nextRun(job, { iteration: n });

        expect(direct).toEqual(stepped[n]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('makes totalRuns the number of runs found by stepping until done', () => {
    fc.assert(
      fc.property(boundedJobArb, (job) => {
        const stepped = stepCursor(job);

        const total = totalRuns(job);

        const runs = stepped.filter((schedule) => !schedule.done);
        expect(stepped.at(-1)?.done).toBe(true);
        expect(total).toBe(runs.length);
        expect(total).toBe(countRunsUntilEnd(job));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives each stepped run its phase: collection, processing…, report (or action), isLast only on the last', () => {
    fc.assert(
      fc.property(boundedJobArb, (job) => {
        const stepped = stepCursor(job);

        const runs = stepped.filter((schedule) => !schedule.done);

        const last = runs.length - 1;
        const expected = runs.map((_, n) =>
          job.action ? 'action' : n === last ? 'report' : n === 0 ? 'collection' : 'processing',
        );
        expect(runs.map((schedule) => schedule.phase)).toEqual(expected);
        expect(runs.map((schedule) => schedule.isLast)).toEqual(runs.map((_, n) => n === last));
        expect(stepped.at(-1)).toMatchObject({ iteration: runs.length, runAt: null, done: true, isLast: false });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('computes each run from the start in the zone: wall-clock calendar units, absolute hours and minutes', () => {
    fc.assert(
      fc.property(boundedJobArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (job, picks) => {
        const total = totalRuns(job)!;
        const iterations = [...picks.map((pick) => pick % total), total - 1];

        const actual = iterations.map((n) => runTimeMs(job, n));

        expect(actual).toEqual(iterations.map((n) => expectedRunMs(job, n)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('agrees with the oracle on wall times around DST changes: skipped ones run after the gap, doubled ones at the first', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DST_CHANGES),
        fc.integer({ min: -150, max: 150 }),
        fc.constantFrom({ days: 1 }, { weeks: 1 }, { days: 1, minutes: 30 }),
        ([timeZone, change], minutes, frequency) => {
          const runAtChange = Date.parse(change) + minutes * MINUTE_MS;
          const job = parseJob({
            id: 'dst',
            startDateTime: new Date(runAtChange - 7 * DAY_MS).toISOString(),
            frequency,
            timeZone,
            endDateTime: new Date(runAtChange + 14 * DAY_MS).toISOString(),
          });

          const actual = [0, 1, 2, 3].map((n) => runTimeMs(job, n));

          expect(actual).toEqual([0, 1, 2, 3].map((n) => expectedRunMs(job, n)));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('never finishes an action job without end: totalRuns null, increasing runs, never last', () => {
    fc.assert(
      fc.property(openJobArb, fc.integer({ min: 0, max: 500 }), (job, from) => {
        const schedules = Array.from({ length: 20 }, (_, k) => nextRun(job, { iteration: from + k }));

        const states = new Set(schedules.map((s) => JSON.stringify([s.phase, s.isLast, s.done, s.totalRuns])));
        expect([...states]).toEqual([JSON.stringify(['action', false, false, null])]);
        expect(schedules.filter((s, k) => k > 0 && !(s.runAt! > schedules[k - 1]!.runAt!))).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('formats any instant as whole seconds ending in Z, never before the instant and less than a second after', () => {
    fc.assert(
      fc.property(fc.integer({ min: START_MIN, max: START_MAX }), (ms) => {
        const timestamp = toWaitTimestamp(ms);

        expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        const at = Date.parse(timestamp);
        expect(at).toBeGreaterThanOrEqual(ms);
        expect(at - ms).toBeLessThan(1000);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('the UTC fast path', () => {
  it('gives the instants @date-fns/tz gives for the same zone under another name (Etc/UTC)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: START_MIN, max: START_MAX }),
        fc.record({ years: fc.nat(2), quarters: fc.nat(3), months: fc.nat(13), weeks: fc.nat(3), days: fc.nat(40), hours: fc.nat(36) }),
        fc.integer({ min: 1, max: 400 }),
        (startMs, units, n) => {
          const frequency = Object.values(units).some((v) => v > 0) ? units : { days: 1 };
          const input = { id: 'utc', startDateTime: new Date(Math.floor(startMs / 1000) * 1000).toISOString(), frequency, maxRuns: 1000 };
          const fast = runTimeMs(parseJob({ ...input, timeZone: 'UTC' }), n);
          const slow = runTimeMs(parseJob({ ...input, timeZone: 'Etc/UTC' }), n);
          expect(fast).toBe(slow);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
