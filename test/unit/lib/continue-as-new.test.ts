import { executionName, handoverFor, resumeFrom } from '../../../src/lib/continue-as-new';
import { parseJob } from '../../../src/lib/job';
import { nextRun } from '../../../src/lib/schedule';

const hourly = parseJob({
  id: 'hourly',
  startDateTime: '2027-01-01T00:00:00Z', // 1798761600000
  frequency: { hours: 1 },
  forever: true,
  action: { type: 'message', text: 'tick' },
});

describe('ContinueAsNew', () => {
  it('hands over after 500 runs of one execution (README), to generation + 1 starting at the cursor', () => {
    const cursor = { iteration: 1500, generation: 2, firstIteration: 1000, lastResult: { messageId: 'm' } };

    const handover = handoverFor(hourly, cursor, nextRun(hourly, cursor), '2027-02-11T16:00:00Z');

    expect(handover).toEqual({
      name: 'hourly--3',
      cursor: { iteration: 1500, generation: 3, firstIteration: 1500, lastResult: { messageId: 'm' } },
    });
  });

  it('does not hand over one run early', () => {
    const cursor = { iteration: 1499, generation: 2, firstIteration: 1000 };

    expect(handoverFor(hourly, cursor, nextRun(hourly, cursor), '2027-02-11T16:00:00Z')).toBeUndefined();
  });

  it('hands over before a wait would end more than 330 days after the execution started', () => {
    const daily = parseJob({ id: 'daily', startDateTime: '2027-01-01T09:00:00Z', frequency: { days: 1 }, forever: true, action: { type: 'message', text: 'hi' } });
    const atDay = (n: number) => ({ iteration: n, generation: 0, firstIteration: 0 });
    const started = '2027-01-01T09:00:00Z';

    expect(handoverFor(daily, atDay(330), nextRun(daily, atDay(330)), started)).toBeUndefined();
    expect(handoverFor(daily, atDay(331), nextRun(daily, atDay(331)), started)?.name).toBe('daily--1');
  });

  it('never hands over before an execution has run once, so a hand-over cannot loop', () => {
    const cursor = { iteration: 9000, generation: 7, firstIteration: 9000 };

    expect(handoverFor(hourly, cursor, nextRun(hourly, cursor), '2020-01-01T00:00:00Z')).toBeUndefined();
  });

  it('never hands over a finished job', () => {
    const short = parseJob({ ...hourly, id: 'short', forever: undefined, endDateTime: '2027-01-01T01:00:00Z' });
    const cursor = { iteration: 2, generation: 0, firstIteration: 0 };

    expect(handoverFor(short, cursor, nextRun(short, cursor), '2020-01-01T00:00:00Z')).toBeUndefined();
  });

  it('names generations <jobId>--<n>, and keeps names of 80-character ids within 80 characters and distinct', () => {
    const long = 'a'.repeat(80);
    const other = `${'a'.repeat(79)}b`;

    expect(executionName('daily', 1)).toBe('daily--1');
    expect(executionName(long, 12)).toHaveLength(80);
    expect(executionName(long, 12)).toMatch(/^a+-[0-9a-f]{8}--12$/);
    expect(executionName(long, 12)).not.toBe(executionName(other, 12));
  });
});

describe('resuming from a stored cursor', () => {
  it('starts the next generation at the iteration after the cursor, counting its runs from there', () => {
    const { name, input } = resumeFrom({ job: hourly, cursor: 6, executionArns: ['arn:a', 'arn:b'] }, { messageId: 'm' });

    expect(name).toBe('hourly--2');
    expect(input).toEqual({ job: hourly, cursor: { iteration: 7, generation: 2, firstIteration: 7, lastResult: { messageId: 'm' } } });
  });

  it('starts a job that never had an execution under its own id, and keeps an 80-character id’s names within 80', () => {
    const long = parseJob({ ...hourly, id: 'x'.repeat(80) });

    expect(resumeFrom({ job: hourly, cursor: -1, executionArns: [] }, undefined)).toEqual({
      name: 'hourly',
      input: { job: hourly, cursor: { iteration: 0, generation: 0, firstIteration: 0 } },
    });
    expect(resumeFrom({ job: long, cursor: 3, executionArns: ['arn:a'] }, undefined).name).toHaveLength(80);
  });
});
