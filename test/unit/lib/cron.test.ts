/**
 * EventBridge Scheduler's cron and rate expressions, rule by rule, each named after the sentence of the
 * EventBridge Scheduler User Guide ("Schedule types on EventBridge Scheduler" and the cron expression
 * reference it links) that it follows. Cases the docs leave open say so and give the choice made.
 */
import { countCronRuns, nthCronRun, parseCronFields, type CronSpec } from '../../../src/lib/cron';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { parseScheduleExpression } from '../../../src/lib/schedule-expression';
import { nextRun, totalRuns, upcomingRuns } from '../../../src/lib/schedule';

const HOUR = 3_600_000;

function spec(expression: string): CronSpec {
  const parsed = parseScheduleExpression(expression);
  if ('field' in parsed) throw new Error(parsed.message);
  if (parsed.kind !== 'cron') throw new Error(`${expression} is no cron`);
  return parsed.spec;
}

/** The first `count` occurrences at or after `from`, stepping one at a time. */
function occurrences(expression: string, timeZone: string, from: string, count: number): string[] {
  const cron = spec(expression);
  const found: string[] = [];
  let at = Date.parse(from);
  while (found.length < count) {
    const next = nthCronRun(cron, timeZone, at, 0);
    if (next === undefined) break;
    found.push(new Date(next).toISOString().replace('.000Z', 'Z'));
    at = next + 1;
  }
  return found;
}

const job = (input: Partial<JobInput>) =>
  parseJob({ id: 'cron', startDateTime: '2026-01-01T00:00:00Z', action: { type: 'message', text: 'hi' }, forever: true, ...input });
const runs = (input: Partial<JobInput>, count: number) => upcomingRuns(job(input), 0, count).map((s) => s.runAt);

describe('cron fields: "Cron expressions have six required fields"', () => {
  it('reads minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT, year 1970-2199', () => {
    expect(parseCronFields(['59', '23', '31', 'DEC', '?', '2199'])).toEqual({
      minutes: [59],
      hours: [23],
      dayOfMonth: { kind: 'days', days: [31] },
      months: [12],
      dayOfWeek: { kind: 'any' },
      years: [2199],
    });
    expect(parseCronFields(['0', '0', '?', 'jan,FEB,Mar', 'SUN-SAT', '*']).dayOfWeek).toEqual({ kind: 'days', days: [1, 2, 3, 4, 5, 6, 7] });
  });

  it.each([
    ['cron(60 0 * * ? *)', /minutes 60 is outside 0-59/],
    ['cron(0 24 * * ? *)', /hours 24 is outside 0-23/],
    ['cron(0 0 32 * ? *)', /day-of-month 32 is outside 1-31/],
    ['cron(0 0 0 * ? *)', /day-of-month 0 is outside 1-31/],
    ['cron(0 0 * 13 ? *)', /month 13 is outside 1-12/],
    ['cron(0 0 ? * 0 *)', /day-of-week 0 is outside 1-7 \(1 = Sunday\)/],
    ['cron(0 0 * * ? 1969)', /year 1969 is outside 1970-2199/],
    ['cron(0 0 * * ? 2200)', /year 2200 is outside 1970-2199/],
    ['cron(0 0 * FOO ? *)', /month "FOO" is not a number or a name \(JAN-DEC\)/],
    ['cron(0 0 ? * 2/2 *)', /day-of-week takes no \/ \(its wildcards are , - \* \? L #\)/],
    ['cron(0 0 ? * 3#1,6#3 *)', /# takes one weekday and its instance 1-5, alone in the field/],
    ['cron(0 0 ? * 2#6 *)', /instance after # must be 1-5/],
    ['cron(0 0 1,15W * ? *)', /L, LW and nW \(such as 15W\) stand alone/],
    ['cron(0 0 L-2 * ? *)', /stand alone/],
    ['cron(0 0 ? * 2,6L *)', /L and nL \(such as 6L\) stand alone/],
    ['cron(0 0 20-10 * ? *)', /range 20-10 ends before it starts/],
    ['cron(0/0 0 * * ? *)', /step "0" must be 1-60/],
    ['cron(? 0 * * ? *)', /exactly one of day-of-month and day-of-week must be \?|\? is for day-of-month or day-of-week only/],
    ['cron(0 0 * * * *)', /exactly one of day-of-month and day-of-week must be \?/],
  ])('refuses %s, naming the rule', (expression, message) => {
    expect(parseScheduleExpression(expression)).toEqual({ field: 'scheduleExpression', message: expect.stringMatching(message) });
  });

  it('follows "The , (comma) wildcard includes additional values" and "The - (dash) wildcard specifies ranges"', () => {
    expect(occurrences('cron(0 10,15 1-2 JAN,FEB ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 10)).toEqual([
      '2026-01-01T10:00:00Z',
      '2026-01-01T15:00:00Z',
      '2026-01-02T10:00:00Z',
      '2026-01-02T15:00:00Z',
      '2026-02-01T10:00:00Z',
      '2026-02-01T15:00:00Z',
      '2026-02-02T10:00:00Z',
      '2026-02-02T15:00:00Z',
    ]);
  });

  it('follows "you could enter 1/10 to specify every tenth minute, starting from the first minute of the hour (for example, the 11th, 21st, and 31st minute, and so on)"', () => {
    expect(spec('cron(1/10 * * * ? *)').minutes).toEqual([1, 11, 21, 31, 41, 51]);
    expect(spec('cron(*/20 * * * ? *)').minutes).toEqual([0, 20, 40]);
    expect(spec('cron(0 8-17/3 * * ? *)').hours).toEqual([8, 11, 14, 17]);
  });

  it('takes , - * / in the year field ("Year 1970-2199 , - * /"): 2027/2 is every other year from 2027, and * ends after 2199', () => {
    expect(occurrences('cron(0 0 1 1 ? 2027/2)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2027-01-01T00:00:00Z', '2029-01-01T00:00:00Z', '2031-01-01T00:00:00Z']);
    expect(spec('cron(0 0 1 1 ? 2190-2199/4)').years).toEqual([2190, 2194, 2198]);
    expect(occurrences('cron(0 0 1 1 ? *)', 'UTC', '2199-01-01T00:00:01Z', 1)).toEqual([]);
  });
});

describe('"The L wildcard in the Day-of-month or Day-of-week fields specifies the last day of the month or week"', () => {
  it('runs L in day-of-month on the last day of each month, Feb 29 in a leap year', () => {
    expect(occurrences('cron(0 5 L * ? *)', 'UTC', '2028-01-01T00:00:00Z', 4)).toEqual([
      '2028-01-31T05:00:00Z',
      '2028-02-29T05:00:00Z',
      '2028-03-31T05:00:00Z',
      '2028-04-30T05:00:00Z',
    ]);
  });

  it('runs L alone in day-of-week on the last day of the week, Saturday (7 in EventBridge numbering, 1 = Sunday)', () => {
    // 2026-01-03 is a Saturday.
    expect(occurrences('cron(0 0 ? * L *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-03T00:00:00Z', '2026-01-10T00:00:00Z', '2026-01-17T00:00:00Z']);
    expect(occurrences('cron(0 0 ? * L *)', 'UTC', '2026-01-01T00:00:00Z', 5)).toEqual(occurrences('cron(0 0 ? * SAT *)', 'UTC', '2026-01-01T00:00:00Z', 5));
  });

  it('runs 5L (and THUL) on the last Thursday of the month', () => {
    expect(occurrences('cron(0 0 ? * 5L *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-29T00:00:00Z', '2026-02-26T00:00:00Z', '2026-03-26T00:00:00Z']);
    expect(spec('cron(0 0 ? * THUL *)').dayOfWeek).toEqual({ kind: 'last', weekday: 5 });
  });
});

describe('"The W wildcard in the Day-of-month field specifies a weekday. In the Day-of-month field, 3W specifies the weekday closest to the third day of the month."', () => {
  it('runs 3W on the 3rd when it is a weekday, on Friday the 2nd when the 3rd is a Saturday, on Monday the 4th when it is a Sunday', () => {
    // 2026: Jan 3 is a Saturday, May 3 a Sunday, Feb 3 a Tuesday.
    expect(occurrences('cron(0 0 3W * ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 5)).toEqual([
      '2026-01-02T00:00:00Z',
      '2026-02-03T00:00:00Z',
      '2026-03-03T00:00:00Z',
      '2026-04-03T00:00:00Z',
      '2026-05-04T00:00:00Z',
    ]);
  });

  it('runs 15W on the nearest weekday: Friday 14 for a Saturday 15th (Aug 2026), Monday 16 for a Sunday 15th (Feb 2026)', () => {
    expect(occurrences('cron(0 0 15W 2,8 ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-16T00:00:00Z', '2026-08-14T00:00:00Z']);
  });

  it('(open in the docs) never leaves the month: 1W on Saturday the 1st is Monday the 3rd; 31W on Sunday the 31st is Friday the 29th', () => {
    // 2026-08-01 is a Saturday; 2026-05-31 is a Sunday.
    expect(occurrences('cron(0 0 1W 8 ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-08-03T00:00:00Z']);
    expect(occurrences('cron(0 0 31W 5 ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-05-29T00:00:00Z']);
  });

  it('(open in the docs) runs 31W only in months that have a 31st, like 31 itself', () => {
    expect(occurrences('cron(0 0 31W * ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-30T00:00:00Z', '2026-03-31T00:00:00Z', '2026-05-29T00:00:00Z']);
  });

  it('(open in the docs) runs LW on the last weekday of the month', () => {
    // 2026-01-31 is a Saturday, 2026-05-31 a Sunday, 2026-03-31 a Tuesday.
    expect(occurrences('cron(0 0 LW 1,3,5 ? 2026)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-30T00:00:00Z', '2026-03-31T00:00:00Z', '2026-05-29T00:00:00Z']);
  });
});

describe('"The # wildcard in the Day-of-week field specifies a certain instance of the specified day of the week within a month"', () => {
  it('reads "3#2 would be the second Tuesday of the month"', () => {
    expect(occurrences('cron(0 0 ? * 3#2 *)', 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-13T00:00:00Z', '2026-02-10T00:00:00Z']);
    expect(spec('cron(0 0 ? * TUE#2 *)').dayOfWeek).toEqual({ kind: 'nth', weekday: 3, n: 2 });
  });

  it('runs 2#5 only in months with five Mondays', () => {
    expect(occurrences('cron(0 0 ? * 2#5 *)', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-03-30T00:00:00Z', '2026-06-29T00:00:00Z', '2026-08-31T00:00:00Z']);
  });
});

describe('daylight saving time: "When time shifts forward in the Spring, your schedule invocation is skipped"', () => {
  it('skips 02:30 on the spring-forward day in Berlin and New York', () => {
    expect(occurrences('cron(30 2 * * ? *)', 'Europe/Berlin', '2024-03-30T00:00:00Z', 2)).toEqual(['2024-03-30T01:30:00Z', '2024-04-01T00:30:00Z']);
    expect(occurrences('cron(30 2 * * ? *)', 'America/New_York', '2024-03-09T12:00:00Z', 2)).toEqual(['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
  });

  it('skips the two missing quarter-hours of a 30-minute spring change (Australia/Lord_Howe, 02:00 -> 02:30 on 2024-10-06)', () => {
    expect(occurrences('cron(0/15 1-2 6 10 ? 2024)', 'Australia/Lord_Howe', '2024-10-05T00:00:00Z', 10)).toEqual([
      '2024-10-05T14:30:00Z', // 01:00 +10:30
      '2024-10-05T14:45:00Z',
      '2024-10-05T15:00:00Z',
      '2024-10-05T15:15:00Z', // 01:45; 02:00 and 02:15 do not exist
      '2024-10-05T15:30:00Z', // 02:30 +11
      '2024-10-05T15:45:00Z',
    ]);
  });
});

describe('daylight saving time: "When time shifts backwards in the Fall, your schedule runs only once and does not repeat its invocation"', () => {
  it('runs every 15 minutes in America/New_York through 01:00-01:59 once, at its first (EDT) occurrence', () => {
    // 2024-11-03: 02:00 EDT -> 01:00 EST. 01:00-01:45 EDT are 05:00-05:45Z; EST's second pass (06:00-06:45Z) is not repeated.
    expect(occurrences('cron(0/15 * * * ? *)', 'America/New_York', '2024-11-03T04:45:00Z', 7)).toEqual([
      '2024-11-03T04:45:00Z',
      '2024-11-03T05:00:00Z',
      '2024-11-03T05:15:00Z',
      '2024-11-03T05:30:00Z',
      '2024-11-03T05:45:00Z',
      '2024-11-03T07:00:00Z', // 02:00 EST
      '2024-11-03T07:15:00Z',
    ]);
  });

  it('runs hourly in Europe/Berlin through the repeated 02:00 once', () => {
    // 2024-10-27: 03:00 CEST -> 02:00 CET. 02:00 CEST is 00:00Z; 02:00 CET (01:00Z) is its repeat.
    expect(occurrences('cron(0 * * * ? *)', 'Europe/Berlin', '2024-10-26T23:00:00Z', 4)).toEqual([
      '2024-10-26T23:00:00Z',
      '2024-10-27T00:00:00Z',
      '2024-10-27T02:00:00Z',
      '2024-10-27T03:00:00Z',
    ]);
  });

  it('does not run a repeated minute again when the search starts inside its second pass', () => {
    // 06:20Z is 01:20 EST, the second pass: 01:30 EST (06:30Z) repeats 01:30 EDT (05:30Z) and is not a run.
    expect(occurrences('cron(30 * * * ? *)', 'America/New_York', '2024-11-03T06:20:00Z', 2)).toEqual(['2024-11-03T07:30:00Z', '2024-11-03T08:30:00Z']);
  });

  it('runs a daily cron in Australia/Lord_Howe (30-minute DST) every day across both changes, and totalRuns agrees', () => {
    const lordHowe = { scheduleExpression: 'cron(0 9 * * ? *)', timeZone: 'Australia/Lord_Howe', startDateTime: '2024-04-01T00:00:00Z', forever: undefined, endDateTime: '2024-10-31T00:00:00Z' };
    const all = upcomingRuns(job(lordHowe), 0, 1000);

    expect(all).toHaveLength(213); // 2024-04-01 … 2024-10-30
    expect(totalRuns(job(lordHowe))).toBe(213);
    expect(nextRun(job(lordHowe), { iteration: 213 }).done).toBe(true);
  });
});

describe('rate expressions: "days represents a 24-hour duration on the clock"', () => {
  it('runs rate(1 day) 24 hours apart across the Berlin spring change (not 23) and the New York fall change (not 25)', () => {
    const berlin = runs({ scheduleExpression: 'rate(1 day)', timeZone: 'Europe/Berlin', startDateTime: '2024-03-30T08:00:00Z' }, 3);
    const newYork = runs({ scheduleExpression: 'rate(1 day)', timeZone: 'America/New_York', startDateTime: '2024-11-02T13:00:00Z' }, 3);

    expect(berlin).toEqual(['2024-03-30T08:00:00Z', '2024-03-31T08:00:00Z', '2024-04-01T08:00:00Z']);
    expect(newYork).toEqual(['2024-11-02T13:00:00Z', '2024-11-03T13:00:00Z', '2024-11-04T13:00:00Z']);
  });

  it('runs rate(2 days) 48 hours apart and rate(3 hours) / rate(15 minutes) as absolute durations', () => {
    const gaps = (expression: string) => {
      const times = runs({ scheduleExpression: expression, timeZone: 'Europe/Berlin', startDateTime: '2024-10-26T00:00:00Z' }, 4).map((t) => Date.parse(t!));
      return times.slice(1).map((t, i) => (t - times[i]!) / HOUR);
    };

    expect(gaps('rate(2 days)')).toEqual([48, 48, 48]);
    expect(gaps('rate(3 hours)')).toEqual([3, 3, 3]);
    expect(gaps('rate(15 minutes)')).toEqual([0.25, 0.25, 0.25]);
  });
});

describe('counting without enumerating', () => {
  it('counts cron(0 0 ? * 2#5 *) and cron(0 0 29 2 ? *) up to the end of 2199 the same as stepping through them', () => {
    for (const expression of ['cron(0 0 ? * 2#5 *)', 'cron(0 0 29 2 ? *)']) {
      const from = Date.parse('2026-01-01T00:00:00Z');
      const stepped = occurrences(expression, 'Europe/Berlin', '2026-01-01T00:00:00Z', 100_000).length;

      expect(countCronRuns(spec(expression), 'Europe/Berlin', from, Number.POSITIVE_INFINITY)).toBe(stepped);
    }
  });

  it('finds the last run of seed 002’s span (every 5 minutes, 2021-02-22T03:05Z to 2030-01-01) from the start, and counts 931,644 runs', () => {
    const five = spec('cron(0/5 * * * ? *)');
    const start = Date.parse('2021-02-22T03:05:00Z');

    expect(nthCronRun(five, 'UTC', start, 931_643)).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(nthCronRun(five, 'UTC', start, 931_644)).toBe(Date.parse('2030-01-01T00:05:00Z'));
    expect(countCronRuns(five, 'UTC', start, Date.parse('2030-01-01T00:00:00Z'))).toBe(931_644);
    // In Berlin the spring gaps remove 12 runs a year and the fall repeats add none.
    expect(countCronRuns(five, 'Europe/Berlin', start, Date.parse('2030-01-01T00:00:00Z'))).toBe(931_644 - 9 * 12);
  });
});

describe('a forever cron in a 30-minute DST zone', () => {
  it('keeps running daily in Australia/Lord_Howe through both changes of 2024 and 2025, never done', () => {
    const forever = job({ scheduleExpression: 'cron(0 2 * * ? *)', timeZone: 'Australia/Lord_Howe', startDateTime: '2024-01-01T00:00:00Z' });
    const all = upcomingRuns(forever, 0, 800);

    // 800 days from 2024-01-01 less the two spring-forward days whose 02:00 does not exist (2024-10-06, 2025-10-05).
    expect(all).toHaveLength(800);
    expect(all.every((s) => !s.done)).toBe(true);
    expect(all.at(-1)!.runAt).toBe('2026-03-12T15:00:00Z');
    expect(totalRuns(forever)).toBeNull();
  });
});
