/**
 * The pure side of trigger and backfill: which runs a past range holds, what schedule an extra run runs
 * under, request ids, and the execution that carries a request on.
 */
import fc from 'fast-check';
import { ValidationError } from '../../../src/lib/errors';
import { extraSchedule, MAX_BACKFILL_RUNS, newRequestId, planBackfill, REQUEST_ID_PATTERN, requestExecution } from '../../../src/lib/extra-runs';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { runTimeMs } from '../../../src/lib/schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-24T12:00:00Z');
const job = (input: Partial<JobInput> = {}) =>
  parseJob({ id: 'extra', startDateTime: '2026-11-01T09:00:00Z', frequency: { days: 1 }, forever: true, action: { type: 'message', text: 'hi' }, ...input });

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe('planBackfill', () => {
  it('takes the runs planned inside [from, to], both ends included', () => {
    const plan = planBackfill(job(), { from: '2026-11-03T09:00:00Z', to: '2026-11-06T09:00:00Z' }, NOW);

    expect(plan).toEqual({ from: '2026-11-03T09:00:00.000Z', to: '2026-11-06T09:00:00.000Z', firstIteration: 2, runCount: 4 });
  });

  it('finds the same block as stepping run by run, for any range of an hourly job', () => {
    const hourly = job({ frequency: { hours: 1 }, startDateTime: '2026-11-01T00:30:00Z' });
    const start = Date.parse(hourly.startDateTime);
    fc.assert(
      fc.property(fc.integer({ min: -5 * HOUR, max: 20 * DAY }), fc.integer({ min: 1, max: 3 * DAY }), (offset, span) => {
        const from = start + offset;
        const to = Math.min(NOW, from + span);
        fc.pre(to > from);
        const expected: number[] = [];
        for (let i = 0; runTimeMs(hourly, i) <= to; i++) if (runTimeMs(hourly, i) >= from) expected.push(i);
        fc.pre(expected.length > 0 && expected.length <= MAX_BACKFILL_RUNS);
        const plan = planBackfill(hourly, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, NOW);
        expect([plan.firstIteration, plan.runCount]).toEqual([expected[0], expected.length]);
      }),
      { numRuns: 200 },
    );
  });

  it('counts a cron job’s runs in its time zone', () => {
    const weekdays = job({ frequency: undefined, scheduleExpression: 'cron(0 9 ? * MON-FRI *)', timeZone: 'Europe/Berlin', startDateTime: '2026-11-02T00:00:00Z' });

    // Mon 2 Nov to Sun 15 Nov: ten weekdays; the first week is runs 0-4, the range starts at the second.
    const plan = planBackfill(weekdays, { from: '2026-11-09T00:00:00Z', to: '2026-11-15T23:00:00Z' }, NOW);

    expect(plan).toMatchObject({ firstIteration: 5, runCount: 5 });
  });

  it('stops at the job’s own end: maxRuns and endDateTime', () => {
    expect(planBackfill(job({ forever: undefined, maxRuns: 3 }), { from: '2026-11-01T00:00:00Z', to: '2026-11-20T00:00:00Z' }, NOW).runCount).toBe(3);
    expect(planBackfill(job({ forever: undefined, endDateTime: '2026-11-04T09:00:00Z' }), { from: '2026-11-01T00:00:00Z', to: '2026-11-20T00:00:00Z' }, NOW).runCount).toBe(4);
  });

  it('takes a one-off job’s single run when the range holds it', () => {
    const once = job({ frequency: undefined, forever: undefined, startDateTime: '2026-11-10T10:00:00Z' });

    expect(planBackfill(once, { from: '2026-11-10T00:00:00Z', to: '2026-11-11T00:00:00Z' }, NOW)).toMatchObject({ firstIteration: 0, runCount: 1 });
  });

  it('refuses, naming the field: missing or bad times, an empty or future range, too many runs, unknown fields, a workflow', () => {
    const workflow = parseJob({ id: 'wf', startDateTime: '2026-11-01T09:00:00Z', endDateTime: '2026-11-07T09:00:00Z', frequency: { days: 1 } });
    const minutely = job({ frequency: { minutes: 1 } });

    expect(fieldOf(() => planBackfill(job(), { to: '2026-11-05T00:00:00Z' }, NOW))).toBe('from');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-05T00:00:00Z', to: '5 Nov' }, NOW))).toBe('to');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-05T00:00:00', to: '2026-11-06T00:00:00Z' }, NOW))).toBe('from');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-06T00:00:00Z', to: '2026-11-05T00:00:00Z' }, NOW))).toBe('to');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-20T00:00:00Z', to: '2026-11-25T00:00:00Z' }, NOW))).toBe('to');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-05T10:00:00Z', to: '2026-11-06T08:00:00Z' }, NOW))).toBe('from');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-10-01T00:00:00Z', to: '2026-10-30T00:00:00Z' }, NOW))).toBe('from');
    expect(fieldOf(() => planBackfill(minutely, { from: '2026-11-01T00:00:00Z', to: '2026-11-02T09:00:00Z' }, NOW))).toBe('to');
    expect(fieldOf(() => planBackfill(job(), { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', count: 2 }, NOW))).toBe('count');
    expect(fieldOf(() => planBackfill(job(), [], NOW))).toBe('(body)');
    expect(fieldOf(() => planBackfill(workflow, { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, NOW))).toBe('id');
  });

  it('takes exactly MAX_BACKFILL_RUNS runs, and says where a maximal backfill would end when asked for more', () => {
    const minutely = job({ frequency: { minutes: 1 }, startDateTime: '2026-11-01T00:00:00Z' });

    expect(planBackfill(minutely, { from: '2026-11-01T00:00:00Z', to: new Date(Date.parse('2026-11-01T00:00:00Z') + 999 * 60_000).toISOString() }, NOW).runCount).toBe(MAX_BACKFILL_RUNS);
    expect(() => planBackfill(minutely, { from: '2026-11-01T00:00:00Z', to: '2026-11-01T16:40:00Z' }, NOW)).toThrow(/up to 2026-11-01T16:39:00Z/);
  });
});

describe('extraSchedule', () => {
  it('gives a backfilled run its iteration’s planned time, phase and flexible-window start, never as the last run', () => {
    const limited = job({ forever: undefined, maxRuns: 5, flexibleWindowMinutes: 30 });

    const schedule = extraSchedule(limited, { kind: 'backfill', index: 2, firstIteration: 2 }, new Date(NOW));

    expect(schedule).toMatchObject({ iteration: 4, plannedAt: '2026-11-05T09:00:00Z', phase: 'action', isLast: false, done: false, totalRuns: 5 });
    expect(Date.parse(schedule.runAt!) - Date.parse(schedule.plannedAt!)).toBeLessThan(30 * 60_000);
  });

  it('plans a triggered run now: an action for an action job, an interim report for a workflow', () => {
    const workflow = parseJob({ id: 'wf', startDateTime: '2026-11-20T09:00:00Z', endDateTime: '2026-11-27T09:00:00Z', frequency: { days: 1 } });

    expect(extraSchedule(job(), { kind: 'trigger', index: 0, beforeIteration: 23 }, new Date(NOW + 400))).toMatchObject({ iteration: 23, runAt: '2026-11-24T12:00:01Z', phase: 'action', isLast: false });
    expect(extraSchedule(workflow, { kind: 'trigger', index: 0, beforeIteration: 4 }, new Date(NOW))).toMatchObject({ phase: 'report', isLast: false, totalRuns: 8 });
  });
});

describe('request ids and executions', () => {
  it('makes ids the task accepts, distinct per call, sorting by time whatever their kind', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newRequestId('backfill', new Date(NOW))));

    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(REQUEST_ID_PATTERN);
    expect(newRequestId('trigger', new Date('2026-11-24T10:15:00.123Z'), () => 'abcdef')).toBe('20261124T101500123Z-trigger-abcdef');
    const older = newRequestId('trigger', new Date(NOW), () => 'ffffff');
    const newer = newRequestId('backfill', new Date(NOW + 1), () => '000000');
    expect([newer, older].sort()).toEqual([older, newer]);
  });

  it('starts a request at its first run, and carries it on after its stored cursor under a new name', () => {
    const request = { requestId: '20261124T101500123Z-backfill-abcdef', kind: 'backfill' as const, runCount: 5, firstIteration: 7, cursor: -1, executionArns: [] };

    const first = requestExecution(job(), request, undefined);
    const again = requestExecution(job(), { ...request, cursor: 2, executionArns: ['arn:1'] }, { sent: 3 });

    expect(first).toEqual({ name: `extra--${request.requestId}`, input: { job: job(), extra: { requestId: request.requestId, kind: 'backfill', index: 0, runCount: 5, firstIteration: 7 } } });
    expect(again.name).toBe(`extra--${request.requestId}-1`);
    expect(again.input.extra).toMatchObject({ index: 3, lastResult: { sent: 3 } });
    expect(requestExecution(job({ id: 'x'.repeat(80) }), request, undefined).name).toHaveLength(80);
  });
});
