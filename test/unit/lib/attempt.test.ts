/**
 * The one attempt (src/lib/attempt.ts) for every series, on in-memory ports (test/support/fakes.ts and
 * memory-ledger.ts): a run is run once and replayed after, a lost race goes on from the winner's record,
 * the job's own retry limit makes a transient failure final, a failure is delivered once, and a trigger or
 * backfill advances its own cursor. The same protocol on DynamoDB is tested on dynalite
 * (test/integration/adapters, test/integration/statemachine).
 */
import { attemptRun, finishSeries, recordFailure, type AttemptDeps, type LiveCursor } from '../../../src/lib/attempt';
import { JobNotActiveError, PermanentError, TransientError } from '../../../src/lib/errors';
import type { ExtraCursor } from '../../../src/lib/extra-runs';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { nextRun } from '../../../src/lib/schedule';
import type { FailureReport, StepContext, StepHandler } from '../../../src/lib/steps';
import { actionOnlyAttemptDeps, createFakes, newRecord, type Fakes } from '../../support/fakes';
import { MemoryRunLedger } from '../../support/memory-ledger';

const T0 = new Date(1733306400000); // 2024-12-04T10:00:00Z
const requestId = '20241204T100000000Z-backfill-0a0b0c';

const hourly = (input: Partial<JobInput> = {}) =>
  parseJob({ id: 'hourly', startDateTime: '2024-12-04T10:00:00Z', frequency: { hours: 1 }, maxRuns: 3, action: { type: 'message', text: 'hi' }, ...input });

let fakes: Fakes;
let runs: MemoryRunLedger;
let calls: StepContext[];
let delivered: FailureReport[];

/** The attempt's ports, with an action step that does what `step` says. */
function deps(step: StepHandler = async () => ({ result: { sent: true } })): AttemptDeps {
  return actionOnlyAttemptDeps({ fakes, runs, calls, now: T0 }, step, { failures: { deliver: async (_destination, report) => void delivered.push(report) } });
}

function stored(input: Partial<JobInput> = {}) {
  const job = hourly(input);
  fakes.store.put(newRecord(job, { totalRuns: 3, nextRunAt: '2024-12-04T10:00:00Z', now: T0.toISOString() }));
  return job;
}

const live = (job: ReturnType<typeof hourly>, iteration: number, cursor: Partial<LiveCursor> = {}) => ({ job, schedule: nextRun(job, { iteration }), cursor: { iteration, ...cursor } });

beforeEach(() => {
  fakes = createFakes({ now: T0 });
  runs = new MemoryRunLedger(fakes.store, fakes.extras);
  calls = [];
  delivered = [];
});

describe('attemptRun on the live series', () => {
  it('runs the step once, counts it on the job, and replays the recorded result when the same run comes again', async () => {
    const job = stored();

    const first = await attemptRun(deps(), live(job, 0));
    const again = await attemptRun(deps(), live(job, 0));

    expect(calls).toHaveLength(1);
    expect(first).toMatchObject({ iteration: 1, lastResult: { sent: true }, lastRunAt: '2024-12-04T10:00:00Z' });
    expect(again).toMatchObject({ iteration: 1, lastResult: { sent: true } });
    expect(fakes.store.jobs.get('hourly')).toMatchObject({ cursor: 0, status: 'SCHEDULED', progress: { completedRuns: 1, failedRuns: 0 } });
  });

  it('records the runs the calculator passed over before it begins the run it chose', async () => {
    const job = stored();
    const schedule = { ...nextRun(job, { iteration: 2 }), skipped: { from: 0, to: 1, count: 2, reason: 'missed' as const } };

    await attemptRun(deps(), { job, schedule, cursor: { iteration: 0 } });

    expect(runs.log).toEqual(['skip hourly 0..1', 'begin hourly|live|2 attempt 1', 'settle hourly|live|2 SUCCEEDED']);
    expect((await runs.list('hourly', 'live', { limit: 10 })).items.map((r) => [r.index, r.state, r.plannedAt])).toEqual([
      [0, 'SKIPPED', '2024-12-04T10:00:00.000Z'],
      [1, 'SKIPPED', '2024-12-04T11:00:00.000Z'],
      [2, 'SUCCEEDED', '2024-12-04T12:00:00Z'],
    ]);
    expect(fakes.store.jobs.get('hourly')?.progress).toMatchObject({ completedRuns: 1, skippedRuns: 2 });
  });

  it('goes on from the winner when another invocation settled the run first', async () => {
    const job = stored();
    // The other invocation finishes while this one's step runs.
    const racing: StepHandler = async () => {
      await runs.settle({
        jobId: 'hourly', series: { kind: 'live' }, index: 0, iteration: 0, phase: 'action', plannedAt: '2024-12-04T10:00:00Z', now: T0,
        outcome: { state: 'SUCCEEDED', result: { winner: true }, durationMs: 1 }, change: { outcome: 'SUCCEEDED', status: 'SCHEDULED', nextRunAt: null },
      });
      return { result: { winner: false } };
    };

    const next = await attemptRun(deps(racing), live(job, 0));

    expect(next).toMatchObject({ iteration: 1, lastResult: { winner: true } });
    expect(fakes.store.jobs.get('hourly')?.progress.completedRuns).toBe(1);
  });

  it('makes a transient failure final once the job\'s own retry.maxAttempts attempts failed', async () => {
    const job = stored({ retry: { maxAttempts: 2, intervalSeconds: 0, backoffRate: 2 } });
    const flaky: StepHandler = async () => {
      throw new TransientError('receiver answered 503');
    };

    await expect(attemptRun(deps(flaky), live(job, 0))).rejects.toBeInstanceOf(TransientError);
    const last = attemptRun(deps(flaky), live(job, 0));

    await expect(last).rejects.toBeInstanceOf(PermanentError);
    await expect(last).rejects.toThrow('gave up after 2 attempts (retry.maxAttempts): receiver answered 503');
  });

  it('refuses a run of a paused job before its step, so the execution ends (Stopped)', async () => {
    const job = stored();
    await fakes.store.pauseJob('hourly', undefined, T0);

    await expect(attemptRun(deps(), live(job, 0))).rejects.toBeInstanceOf(JobNotActiveError);
    expect(calls).toHaveLength(0);
  });
});

describe('recordFailure', () => {
  const caught = { Error: 'PermanentError', Cause: JSON.stringify({ errorMessage: 'webhook answered 400' }) };

  it('records the failure, delivers it once (a retried RecordFailure sends nothing more), and goes on under continue', async () => {
    const job = stored({ failureDestination: { type: 'url', url: 'https://example.com/failures' } });
    await runs.begin({ jobId: 'hourly', series: { kind: 'live' }, index: 0, job, iteration: 0, phase: 'action', plannedAt: '2024-12-04T10:00:00Z', totalRuns: 3, now: T0 });

    const next = await recordFailure(deps(), { ...live(job, 0), error: caught });
    const retried = await recordFailure(deps(), { ...live(job, 0), error: caught });

    expect(next).toMatchObject({ iteration: 1, aborted: false });
    expect(retried).toMatchObject({ iteration: 1, aborted: false });
    expect(delivered.map((report) => [report.idempotencyKey, report.error.message])).toEqual([['hourly:0', 'webhook answered 400']]);
    expect(fakes.store.jobs.get('hourly')).toMatchObject({ status: 'SCHEDULED', progress: { completedRuns: 0, failedRuns: 1 } });
  });

  it('fails the job under abort, with the run\'s error as its reason', async () => {
    const job = stored({ onFailure: 'abort' });

    const next = await recordFailure(deps(), { ...live(job, 0), error: caught });

    expect(next).toMatchObject({ aborted: true });
    expect(fakes.store.jobs.get('hourly')).toMatchObject({ status: 'FAILED', reason: 'webhook answered 400', nextRunAt: null });
  });
});

describe('a backfill request: the same attempt on its own series', () => {
  function request(jobInput: Partial<JobInput> = {}): { job: ReturnType<typeof hourly>; cursor: ExtraCursor } {
    const job = stored(jobInput);
    fakes.extras.putRequest({ jobId: 'hourly', requestId, kind: 'backfill', state: 'RUNNING', requestedAt: T0.toISOString(), runCount: 2, completedRuns: 0, failedRuns: 0, cursor: -1, executionArns: [], firstIteration: 1 });
    return { job, cursor: { requestId, kind: 'backfill', index: 0, runCount: 2, firstIteration: 1 } };
  }

  it('runs each run once under its planned time, advances the request\'s cursor, and never moves the live job', async () => {
    const { job, cursor } = request();
    const schedule = (index: number) => nextRun(job, { iteration: 1 + index });

    const second = await attemptRun(deps(), { job, schedule: schedule(0), cursor });
    const done = await attemptRun(deps(), { job, schedule: schedule(1), cursor: second as ExtraCursor });
    const finished = await finishSeries(deps(), { job, cursor: done });

    expect(second).toMatchObject({ requestId, index: 1, done: false, lastResult: { sent: true } });
    expect(done).toMatchObject({ index: 2, done: true });
    expect(calls.map((c) => [c.extra?.index, c.schedule.iteration])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(finished).toMatchObject({ requestId, status: 'SUCCEEDED' });
    expect(fakes.extras.requests.get(`hourly|${requestId}`)).toMatchObject({ state: 'SUCCEEDED', completedRuns: 2, cursor: 1 });
    expect(fakes.store.jobs.get('hourly')).toMatchObject({ cursor: -1, progress: { completedRuns: 0 } });
  });

  it('ends the request FAILED under abort, the live job untouched', async () => {
    const { job, cursor } = request({ onFailure: 'abort' });

    const next = await recordFailure(deps(), { job, schedule: nextRun(job, { iteration: 1 }), cursor, error: { Error: 'PermanentError', Cause: 'refused' } });

    expect(next).toMatchObject({ index: 1, done: true, aborted: true });
    expect(fakes.extras.requests.get(`hourly|${requestId}`)).toMatchObject({ state: 'FAILED', failedRuns: 1 });
    expect(fakes.store.jobs.get('hourly')?.status).toBe('SCHEDULED');
  });
});
