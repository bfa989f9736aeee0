/**
 * Issue 7's calculator features, all pure functions of (job, cursor, now): EventBridge cron and rate
 * expressions in a time zone, run limits, the flexible window and the catch-up and overlap policies.
 */
import { parseJob, type JobInput } from '../../../src/lib/job';
import { parseScheduleExpression } from '../../../src/lib/schedule-expression';
import { jitterMs, nextRun, scheduleAt, totalRuns, upcomingRuns } from '../../../src/lib/schedule';

const job = (input: Partial<JobInput>) =>
  parseJob({ id: 'features', startDateTime: '2024-03-25T00:00:00Z', action: { type: 'message', text: 'hi' }, forever: true, ...input });
const runs = (subject: ReturnType<typeof job>, count: number) => upcomingRuns(subject, 0, count).map((s) => s.runAt);
const HOUR = 3_600_000;

describe('schedule expressions', () => {
  it('runs seed 004’s cron(0 9 * * ? *) at 09:00 Berlin time across the spring change, an hour earlier in UTC after it', () => {
    const daily = job({ scheduleExpression: 'cron(0 9 * * ? *)', timeZone: 'Europe/Berlin', startDateTime: '2024-03-29T00:00:00Z' });

    expect(runs(daily, 4)).toEqual(['2024-03-29T08:00:00Z', '2024-03-30T08:00:00Z', '2024-03-31T07:00:00Z', '2024-04-01T07:00:00Z']);
  });

  it('skips a local time that does not exist on the spring-forward day (EventBridge), in Berlin and New York', () => {
    const berlin = job({ scheduleExpression: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin', startDateTime: '2024-03-30T00:00:00Z' });
    const newYork = job({ scheduleExpression: 'cron(30 2 * * ? *)', timeZone: 'America/New_York', startDateTime: '2024-03-09T12:00:00Z' });

    // 2024-03-31 02:30 does not exist in Berlin; 2024-03-10 02:30 does not exist in New York.
    expect(runs(berlin, 2)).toEqual(['2024-03-30T01:30:00Z', '2024-04-01T00:30:00Z']);
    expect(runs(newYork, 2)).toEqual(['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
  });

  it('runs a local time that happens twice on the fall-back day once, in Berlin and New York', () => {
    const berlin = job({ scheduleExpression: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin', startDateTime: '2024-10-26T00:00:00Z' });
    const newYork = job({ scheduleExpression: 'cron(30 1 * * ? *)', timeZone: 'America/New_York', startDateTime: '2024-11-02T12:00:00Z' });

    expect(runs(berlin, 3)).toEqual(['2024-10-26T00:30:00Z', '2024-10-27T00:30:00Z', '2024-10-28T01:30:00Z']);
    expect(runs(newYork, 3)).toEqual(['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z', '2024-11-05T06:30:00Z']);
  });

  it('reads EventBridge day-of-week numbers (1 = Sunday) and names, with ? in day-of-month', () => {
    const byNumber = job({ scheduleExpression: 'cron(0 12 ? * 2-6 *)', startDateTime: '2024-03-23T00:00:00Z' }); // a Saturday
    const byName = job({ scheduleExpression: 'cron(0 12 ? * MON-FRI *)', startDateTime: '2024-03-23T00:00:00Z' });

    expect(runs(byNumber, 3)).toEqual(['2024-03-25T12:00:00Z', '2024-03-26T12:00:00Z', '2024-03-27T12:00:00Z']);
    expect(runs(byName, 3)).toEqual(runs(byNumber, 3));
  });

  it('keeps to the year field and ends the job after its last year', () => {
    const yearly = job({ scheduleExpression: 'cron(0 0 1 1 ? 2025-2026)', startDateTime: '2024-01-01T00:00:00Z', forever: undefined, maxRuns: 10 });

    expect(runs(yearly, 5)).toEqual(['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z']);
  });

  it('runs an hourly cron through the repeated autumn hour once (EventBridge: "your schedule runs only once")', () => {
    const hourly = job({ scheduleExpression: 'cron(0 * * * ? *)', timeZone: 'Europe/Berlin', startDateTime: '2024-10-26T23:00:00Z' });

    expect(runs(hourly, 4)).toEqual(['2024-10-26T23:00:00Z', '2024-10-27T00:00:00Z', '2024-10-27T02:00:00Z', '2024-10-27T03:00:00Z']);
  });

  it('reads rate(1 day) as 24 hours on the clock, not a calendar day in the zone ("days represents a 24-hour duration")', () => {
    const daily = job({ scheduleExpression: 'rate(1 day)', timeZone: 'Europe/Berlin', startDateTime: '2024-03-30T08:00:00Z' });

    expect(runs(daily, 3)).toEqual(['2024-03-30T08:00:00Z', '2024-03-31T08:00:00Z', '2024-04-01T08:00:00Z']);
  });

  it('reads rate(5 minutes) as a frequency', () => {
    const rate = job({ scheduleExpression: 'rate(5 minutes)' });

    expect(runs(rate, 3)).toEqual(['2024-03-25T00:00:00Z', '2024-03-25T00:05:00Z', '2024-03-25T00:10:00Z']);
  });

  it.each([
    ['rate(1 minutes)', /singular for 1/],
    ['rate(0 hours)', /at least 1/],
    ['rate(5 fortnights)', /must be rate/],
    ['cron(0 9 * * *)', /6 fields/],
    ['cron(0 9 * * MON *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(61 9 * * ? *)', /not a valid cron/],
    ['cron(0 9 ? * 8 *)', /outside 1-7/],
    ['cron(0 9 * * ? 99)', /year 99 is outside 1970-2199/],
    ['every day', /must be rate/],
  ])('refuses %s, saying why', (expression, message) => {
    const parsed = parseScheduleExpression(expression);

    expect(parsed).toMatchObject({ field: 'scheduleExpression', message: expect.stringMatching(message) });
    expect(() => job({ scheduleExpression: expression })).toThrow(/^scheduleExpression: /);
  });

  it('refuses frequency and scheduleExpression together', () => {
    expect(() => job({ scheduleExpression: 'rate(1 hour)', frequency: { hours: 1 } })).toThrow(/use either frequency or scheduleExpression/);
  });
});

describe('run limits', () => {
  it('ends after maxRuns, alone or before endDateTime', () => {
    const limited = job({ frequency: { hours: 1 }, forever: undefined, maxRuns: 3 });
    const both = job({ frequency: { hours: 1 }, forever: undefined, maxRuns: 100, endDateTime: '2024-03-25T04:00:00Z' });

    expect(totalRuns(limited)).toBe(3);
    expect(nextRun(limited, { iteration: 3 }).done).toBe(true);
    expect(totalRuns(both)).toBe(5);
  });

  it('needs endDateTime, maxRuns or forever: true for a recurring job', () => {
    expect(() => parseJob({ id: 'open', startDateTime: '2024-03-25T00:00:00Z', frequency: { days: 1 }, action: { type: 'message', text: 'x' } })).toThrow(
      /^endDateTime: a recurring job needs endDateTime, maxRuns, or forever: true/,
    );
    expect(() => job({ forever: true, action: undefined, frequency: { days: 1 }, endDateTime: '2024-04-01T00:00:00Z' })).toThrow(/^forever: is for action jobs/);
  });

  it('counts a cron job’s runs up to its end', () => {
    const weekdays = job({ scheduleExpression: 'cron(0 9 ? * MON-FRI *)', forever: undefined, endDateTime: '2024-04-07T23:00:00Z' });

    expect(totalRuns(weekdays)).toBe(10);
  });
});

describe('flexible window', () => {
  it('starts each run at the same point of its window however often it is computed, within the window', () => {
    const flexible = job({ frequency: { hours: 1 }, flexibleWindowMinutes: 15 });

    const first = upcomingRuns(flexible, 0, 50);
    const again = upcomingRuns(flexible, 0, 50);

    expect(again).toEqual(first);
    for (const run of first) {
      const offset = Date.parse(run.runAt!) - Date.parse(run.plannedAt!);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(15 * 60_000);
    }
    expect(new Set(first.map((r) => Date.parse(r.runAt!) - Date.parse(r.plannedAt!))).size).toBeGreaterThan(10);
    expect(jitterMs(flexible, 7)).toBe(jitterMs(flexible, 7));
  });
});

describe('missed runs', () => {
  const hourly = (input: Partial<JobInput> = {}) => job({ frequency: { hours: 1 }, ...input });
  // 2024-03-26T12:00:30Z: runs 0-35 (00:00 on the 25th to 11:00 on the 26th) are past, run 36 is due now.
  const now = Date.parse('2024-03-26T12:00:30Z');

  it('runs nothing missed under catchUp skip, recording runs 0-35 as skipped', () => {
    const schedule = scheduleAt(hourly({ catchUp: 'skip' }), { iteration: 0 }, now + HOUR / 2);

    expect(schedule.iteration).toBe(37);
    expect(schedule.skipped).toEqual({ from: 0, to: 36, count: 37, reason: 'missed' });
  });

  it('runs the latest missed run once under catchUp one (the default) and skips the older ones', () => {
    const schedule = scheduleAt(hourly(), { iteration: 0 }, now + HOUR / 2);

    expect(schedule).toMatchObject({ iteration: 36, runAt: '2024-03-26T12:00:00Z' });
    expect(schedule.skipped).toEqual({ from: 0, to: 35, count: 36, reason: 'missed' });
  });

  it('runs every missed run within catchUpWindowMinutes under catchUp all, skipping older ones', () => {
    const schedule = scheduleAt(hourly({ catchUp: 'all', catchUpWindowMinutes: 180 }), { iteration: 0 }, now);

    // The window reaches back to 09:00:30: runs 10:00, 11:00 and 12:00 (still within the grace) are run.
    expect(schedule).toMatchObject({ iteration: 34, runAt: '2024-03-26T10:00:00Z' });
    expect(schedule.skipped).toEqual({ from: 0, to: 33, count: 34, reason: 'missed' });
  });

  it('skips everything older than the window even under catchUp one', () => {
    const schedule = scheduleAt(hourly({ catchUpWindowMinutes: 30 }), { iteration: 0 }, now + 45 * 60_000);

    expect(schedule.iteration).toBe(37);
    expect(schedule.skipped?.count).toBe(37);
  });

  it('changes nothing when the next run is still to come or within the grace minute', () => {
    expect(scheduleAt(hourly(), { iteration: 36 }, now).skipped).toBeUndefined();
    expect(scheduleAt(hourly(), { iteration: 40 }, now)).toEqual(nextRun(hourly(), { iteration: 40 }));
  });

  it('treats runs the previous run overlapped by the overlap policy: skip, bufferOne, allow', () => {
    // Run 35 (11:00) started on time and finished at 14:20: runs 36-38 (12:00-14:00) were overlapped.
    const cursor = { iteration: 36, lastRunAt: '2024-03-26T11:00:00Z', lastFinishedAt: '2024-03-26T14:20:00Z' };
    const at = Date.parse('2024-03-26T14:20:00Z');

    const skip = scheduleAt(hourly(), cursor, at);
    const bufferOne = scheduleAt(hourly({ overlap: 'bufferOne' }), cursor, at);
    const allow = scheduleAt(hourly({ overlap: 'allow' }), cursor, at);

    expect([skip.iteration, skip.skipped]).toEqual([39, { from: 36, to: 38, count: 3, reason: 'overlap' }]);
    expect([bufferOne.iteration, bufferOne.skipped]).toEqual([38, { from: 36, to: 37, count: 2, reason: 'overlap' }]);
    expect([allow.iteration, allow.skipped]).toEqual([36, undefined]);
  });

  it('never passes over a workflow’s run 0 (the collection), whatever catchUp says: catch-up starts after it (issue 15)', () => {
    const workflow = (input: Partial<JobInput> = {}) => parseJob({ id: 'wf', startDateTime: '2024-03-25T00:00:00Z', frequency: { hours: 1 }, maxRuns: 48, ...input });

    for (const catchUp of ['skip', 'one', 'all'] as const) {
      expect(scheduleAt(workflow({ catchUp }), { iteration: 0 }, now)).toMatchObject({ iteration: 0, phase: 'collection', runAt: '2024-03-25T00:00:00Z' });
      expect(scheduleAt(workflow({ catchUp }), { iteration: 0 }, now).skipped).toBeUndefined();
    }
    // After the collection, catch-up one skips processing runs 1-34 and runs 35, the latest missed (36 is within the grace minute).
    expect(scheduleAt(workflow(), { iteration: 1, lastRunAt: '2024-03-25T00:00:00Z' }, now)).toMatchObject({ iteration: 35, phase: 'processing', skipped: { from: 1, to: 34, reason: 'missed' } });
  });

  it('never passes over a workflow’s last run (the report): a pause across its end still reports (issue 15)', () => {
    const workflow = (input: Partial<JobInput> = {}) => parseJob({ id: 'wf', startDateTime: '2024-03-25T00:00:00Z', frequency: { hours: 1 }, maxRuns: 5, ...input });
    const resumedLate = Date.parse('2024-03-26T00:00:00Z'); // runs 1-4 (01:00-04:00) long past

    for (const catchUp of ['skip', 'one'] as const) {
      expect(scheduleAt(workflow({ catchUp }), { iteration: 1, lastRunAt: '2024-03-25T00:00:00Z' }, resumedLate)).toMatchObject({
        iteration: 4, phase: 'report', isLast: true, done: false, skipped: { from: 1, to: 3, count: 3, reason: 'missed' },
      });
    }
    // An action job under catchUp skip is done, its missed runs a range for Finish to record.
    const action = parseJob({ id: 'act', startDateTime: '2024-03-25T00:00:00Z', frequency: { hours: 1 }, maxRuns: 5, catchUp: 'skip', action: { type: 'message', text: 'x' } });
    expect(scheduleAt(action, { iteration: 1, lastRunAt: '2024-03-25T00:00:00Z' }, resumedLate)).toMatchObject({ done: true, skipped: { from: 1, to: 4, count: 4, reason: 'missed' } });
  });

  it('runs every missed run under catchUp all with the default overlap skip: runs planned before the previous run began were missed, not overlapped (issue 15)', () => {
    // Run 0 began late, at 05:00 (a catch-up run after downtime), and ended at 05:10: runs 1-4 (01:00-04:00)
    // were planned before it began (missed); run 5 (05:00) while it was going (overlapped).
    const cursor = { iteration: 1, lastRunAt: '2024-03-25T00:00:00Z', lastStartedAt: '2024-03-25T05:00:00Z', lastFinishedAt: '2024-03-25T05:10:00Z' };
    const at = Date.parse('2024-03-25T05:10:00Z');

    const all = scheduleAt(hourly({ catchUp: 'all' }), cursor, at);
    const one = scheduleAt(hourly(), cursor, at);
    const skip = scheduleAt(hourly({ catchUp: 'skip' }), cursor, at);
    // Without lastStartedAt every run of the range looks overlapped (planned before the previous run finished).
    const { lastStartedAt: _dropped, ...withoutStart } = cursor;
    const asOverlap = scheduleAt(hourly({ catchUp: 'all' }), withoutStart, at);

    expect([all.iteration, all.skipped]).toEqual([1, undefined]);
    expect([one.iteration, one.skipped]).toEqual([4, { from: 1, to: 3, count: 3, reason: 'missed' }]);
    expect([skip.iteration, skip.skipped]).toEqual([6, { from: 1, to: 5, count: 5, reason: 'missed' }]);
    expect([asOverlap.iteration, asOverlap.skipped]).toEqual([6, { from: 1, to: 5, count: 5, reason: 'overlap' }]);
  });

  it('applies overlap alone when every run of the range was planned while the previous run was going', () => {
    // Run 1 began on time at 01:00 and ended at 04:20: runs 2-4 were overlapped, none missed before it began.
    const cursor = { iteration: 2, lastRunAt: '2024-03-25T01:00:00Z', lastStartedAt: '2024-03-25T01:00:00Z', lastFinishedAt: '2024-03-25T04:20:00Z' };
    const at = Date.parse('2024-03-25T04:20:00Z');

    expect(scheduleAt(hourly({ catchUp: 'all' }), cursor, at).skipped).toEqual({ from: 2, to: 4, count: 3, reason: 'overlap' });
    expect(scheduleAt(hourly({ catchUp: 'all', overlap: 'bufferOne' }), cursor, at)).toMatchObject({ iteration: 4, skipped: { from: 2, to: 3, reason: 'overlap' } });
  });

  it('finds a missed cron run from the previous run, and never catches up past the end', () => {
    const weekdays = job({ scheduleExpression: 'cron(0 9 ? * MON-FRI *)', forever: undefined, endDateTime: '2024-03-29T10:00:00Z' });

    const late = scheduleAt(weekdays, { iteration: 1, lastRunAt: '2024-03-25T09:00:00Z' }, Date.parse('2024-03-28T09:30:00Z'));
    const afterEnd = scheduleAt(weekdays, { iteration: 1, lastRunAt: '2024-03-25T09:00:00Z' }, Date.parse('2024-04-10T00:00:00Z'));

    expect(late).toMatchObject({ iteration: 3, runAt: '2024-03-28T09:00:00Z', skipped: { from: 1, to: 2, count: 2 } });
    expect(afterEnd.skipped).toEqual({ from: 1, to: 4, count: 4, reason: 'missed' });
    expect(afterEnd.done).toBe(true);
  });
});
