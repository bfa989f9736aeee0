/**
 * The job service's orchestration against in-memory ports (test/support/fakes.ts): what it writes, what
 * it starts and stops, and in which order. The API's integration tests (test/integration/api) run the
 * same service on dynalite.
 */
import { JobConflictError, JobNotActiveError, JobNotFoundError, JobStateError, ValidationError } from '../../../src/lib/errors';
import { executionArnFor } from '../../../src/lib/executions';
import type { ExtraRequest } from '../../../src/lib/store';
import type { JsonValue } from '../../../src/lib/json';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { DELETE_CONCURRENCY, eachBounded, JobService, STOP_CAUSE } from '../../../src/lib/job-service';
import type { JobRecord } from '../../../src/lib/store';
import { createFakes, FAKE_STATE_MACHINE_ARN, newRecord, type Fakes } from '../../support/fakes';

const T0 = new Date(1733306400000); // 2024-12-04T10:00:00Z
const arn = (name: string) => executionArnFor(FAKE_STATE_MACHINE_ARN, name);

/** An hourly action job that started ten hours before T0. */
const hourly = (input: Partial<JobInput> = {}) =>
  parseJob({ id: 'hourly', startDateTime: '2024-12-04T00:00:00Z', frequency: { hours: 1 }, forever: true, action: { type: 'message', text: 'hi' }, ...input });

/** A stored job record, as some earlier code left it. */
function stored(fakes: Fakes, input: Partial<JobInput>, overrides: Partial<JobRecord> = {}): JobRecord {
  const job = hourly(input);
  const record = { ...newRecord(job, { totalRuns: null, nextRunAt: '2024-12-04T10:00:00Z', now: T0.toISOString() }), ...overrides };
  fakes.store.put(record);
  return record;
}

function runningRequest(jobId: string, requestId: string, overrides: Partial<ExtraRequest> = {}): ExtraRequest {
  return {
    jobId,
    requestId,
    kind: 'backfill',
    state: 'RUNNING',
    requestedAt: T0.toISOString(),
    runCount: 3,
    completedRuns: 0,
    failedRuns: 0,
    cursor: -1,
    executionArns: [],
    firstIteration: 0,
    from: '2024-12-04T00:00:00Z',
    to: '2024-12-04T02:00:00Z',
    ...overrides,
  };
}

let fakes: Fakes;
let service: JobService;

beforeEach(() => {
  fakes = createFakes({ now: T0 });
  service = new JobService(fakes.ports);
});

describe('submit', () => {
  it('stores a new job listing its execution (named after the job, so its ARN is known), then starts it with { job }: no write after the start', async () => {
    const job = hourly();

    const answer = await service.submit(job);

    expect(answer.outcome).toBe('created');
    expect(answer.executionArn).toBe(arn('hourly'));
    expect(fakes.executions.started).toEqual([{ name: 'hourly', input: { job }, executionArn: arn('hourly') }]);
    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly')]);
    expect(fakes.log).toEqual(['store.createJob hourly', 'executions.start hourly']);
  });

  it('records the execution after its start when the execution service cannot name its ARN beforehand', async () => {
    const withoutArnOf = { start: (name: string, input: JsonValue) => fakes.executions.start(name, input), stop: (executionArn: string, cause: string) => fakes.executions.stop(executionArn, cause), ping: async () => {} };
    const plain = new JobService({ ...fakes.ports, executions: withoutArnOf });

    await plain.submit(hourly());

    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly')]);
    expect(fakes.log).toEqual(['store.createJob hourly', 'executions.start hourly', `store.recordExecution hourly ${arn('hourly')}`]);
  });

  it('answers the same job again with the stored record ("exists") and starts nothing more', async () => {
    await service.submit(hourly());

    const again = await service.submit(hourly());

    expect(again.outcome).toBe('exists');
    expect(again.executionArn).toBe(arn('hourly'));
    expect(fakes.executions.started).toHaveLength(1);
  });

  it('refuses a different job under the same id (JobConflictError, a 409) and starts nothing', async () => {
    await service.submit(hourly());

    await expect(service.submit(hourly({ action: { type: 'message', text: 'another text' } }))).rejects.toBeInstanceOf(JobConflictError);

    expect(fakes.executions.started).toHaveLength(1);
    expect(fakes.store.jobs.get('hourly')?.job.action).toEqual({ type: 'message', text: 'hi' });
  });

  it('starts a job written but never started (Step Functions failed after the write) when the same job comes again', async () => {
    fakes.executions.failStarts = 1;

    await expect(service.submit(hourly())).rejects.toThrow(/ECONNREFUSED/);
    // Listed before it started: the next submit of the job sees no run counted and starts it (idempotent by name).
    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly')]);
    expect(fakes.executions.started).toEqual([]);
    const retried = await service.submit(hourly());

    expect(retried).toMatchObject({ outcome: 'exists', executionArn: arn('hourly') });
    expect(fakes.executions.started.map((s) => s.name)).toEqual(['hourly']);
    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly')]);
  });

  it('starts nothing for a job stored final', async () => {
    stored(fakes, {}, { status: 'CANCELLED' });

    const answer = await service.submit(hourly());

    expect(answer).toMatchObject({ outcome: 'exists', executionArn: null });
    expect(fakes.executions.started).toEqual([]);
  });
});

describe('stop', () => {
  it('stops the job’s executions and its running requests before it marks the job CANCELLED', async () => {
    stored(fakes, {}, { executionArns: [arn('hourly'), arn('hourly--1')] });
    fakes.extras.putRequest(runningRequest('hourly', 'req-running', { executionArns: [arn('hourly--req-running')] }));
    fakes.extras.putRequest(runningRequest('hourly', 'req-done', { state: 'SUCCEEDED', executionArns: [arn('hourly--req-done')] }));

    const record = await service.stop('hourly');

    expect(record).toMatchObject({ status: 'CANCELLED', reason: STOP_CAUSE });
    expect(fakes.log).toEqual([
      `executions.stop ${arn('hourly')}`,
      `executions.stop ${arn('hourly--1')}`,
      // A request is marked first, stopped after: a run that slips in finds it ended.
      'extras.endRequest req-running CANCELLED',
      `executions.stop ${arn('hourly--req-running')}`,
      'store.cancelJob hourly',
    ]);
    expect(fakes.extras.requests.get('hourly|req-done')?.state).toBe('SUCCEEDED');
  });

  it('returns a final job as it is and stops nothing', async () => {
    stored(fakes, {}, { status: 'COMPLETED', executionArns: [arn('hourly')] });

    const record = await service.stop('hourly');

    expect(record.status).toBe('COMPLETED');
    expect(fakes.log).toEqual([]);
  });

  it('says a missing job is missing (JobNotFoundError, a 404)', async () => {
    await expect(service.stop('nope')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('pause and resume', () => {
  it('marks the job PAUSED first and stops its executions after', async () => {
    stored(fakes, {}, { status: 'SCHEDULED', executionArns: [arn('hourly')] });

    const paused = await service.pause('hourly', 'deploy freeze');

    expect(paused).toMatchObject({ status: 'PAUSED', pauseNote: 'deploy freeze', statusBeforePause: 'SCHEDULED' });
    expect(fakes.log).toEqual(['store.pauseJob hourly', `executions.stop ${arn('hourly')}`]);
  });

  it('pauses a paused job again without stopping anything or losing its note', async () => {
    stored(fakes, {}, { executionArns: [arn('hourly')] });
    await service.pause('hourly', 'first');
    fakes.log.length = 0;

    const again = await service.pause('hourly', 'second');

    expect(again).toMatchObject({ status: 'PAUSED', pauseNote: 'first' });
    expect(fakes.log).toEqual([]);
  });

  it('refuses to pause a final job (JobNotActiveError, a 409)', async () => {
    stored(fakes, {}, { status: 'FAILED' });

    await expect(service.pause('hourly', undefined)).rejects.toBeInstanceOf(JobNotActiveError);
    expect(fakes.executions.stopped).toEqual([]);
  });

  it('refuses to resume a job that is not paused (JobStateError, a 409, naming its status)', async () => {
    stored(fakes, {}, { status: 'SCHEDULED' });

    const error = await service.resume('hourly').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(JobStateError);
    expect((error as JobStateError).status).toBe('SCHEDULED');
    expect(fakes.executions.started).toEqual([]);
  });

  it('puts the status back, then starts the next generation from the stored cursor with the last run’s result', async () => {
    stored(fakes, {}, { status: 'SCHEDULED', cursor: 4, executionArns: [arn('hourly')] });
    fakes.store.putRun({ jobId: 'hourly', kind: 'live', index: 4, iteration: 4, phase: 'action', plannedAt: '2024-12-04T04:00:00Z', startedAt: '2024-12-04T04:00:00Z', attempts: 1, state: 'SUCCEEDED', result: { sent: 4 } });
    await service.pause('hourly', undefined);
    fakes.log.length = 0;

    const answer = await service.resume('hourly');

    expect(answer).toEqual({ record: expect.objectContaining({ status: 'SCHEDULED' }), executionArn: arn('hourly--1') });
    expect(fakes.log).toEqual(['store.resumeJob hourly', 'executions.start hourly--1', `store.recordExecution hourly ${arn('hourly--1')}`]);
    expect(fakes.executions.started[0]?.input).toEqual({
      job: hourly(),
      cursor: { iteration: 5, generation: 1, firstIteration: 5, lastResult: { sent: 4 } },
    });
  });
});

describe('trigger and backfill', () => {
  it('runs a trigger once per Idempotency-Key: the repeat finds the first request and starts nothing', async () => {
    stored(fakes, {}, { cursor: 2 });

    const first = await service.trigger('hourly', { note: 'now please', idempotencyKey: 'k1' });
    const repeat = await service.trigger('hourly', { note: 'now please', idempotencyKey: 'k1' });

    expect(first.outcome).toBe('created');
    expect(first.request).toMatchObject({ kind: 'trigger', runCount: 1, beforeIteration: 3, note: 'now please' });
    expect(repeat).toMatchObject({ outcome: 'exists', executionArn: first.executionArn });
    expect(repeat.request.requestId).toBe(first.request.requestId);
    expect(fakes.executions.started.map((s) => s.name)).toEqual([`hourly--${first.request.requestId}`]);
    expect(fakes.extras.requests.get(`hourly|${first.request.requestId}`)?.executionArns).toEqual([first.executionArn]);
  });

  it('writes two requests for two triggers without a key', async () => {
    stored(fakes, {});

    const a = await service.trigger('hourly');
    fakes.clock.now = new Date(T0.getTime() + 1);
    const b = await service.trigger('hourly');

    expect(a.request.requestId).not.toBe(b.request.requestId);
    expect(fakes.executions.started).toHaveLength(2);
  });

  it('starts a keyed request written but never started when the same key comes again', async () => {
    stored(fakes, {});
    fakes.executions.failStarts = 1;

    await expect(service.trigger('hourly', { idempotencyKey: 'k1' })).rejects.toThrow(/ECONNREFUSED/);
    const retried = await service.trigger('hourly', { idempotencyKey: 'k1' });

    expect(retried.outcome).toBe('exists');
    expect(retried.executionArn).toBe(arn(`hourly--${retried.request.requestId}`));
    expect(fakes.executions.started).toHaveLength(1);
  });

  it('refuses to trigger a final job (JobStateError) and writes no request', async () => {
    stored(fakes, {}, { status: 'COMPLETED' });

    await expect(service.trigger('hourly')).rejects.toBeInstanceOf(JobStateError);
    expect(fakes.extras.requests.size).toBe(0);
  });

  it('answers the same key and range with the first backfill, and refuses the key for another range', async () => {
    stored(fakes, {});
    const range = { from: '2024-12-04T00:00:00Z', to: '2024-12-04T05:00:00Z' };

    const first = await service.backfill('hourly', range, { idempotencyKey: 'fix-1' });
    const repeat = await service.backfill('hourly', range, { idempotencyKey: 'fix-1' });
    const other = await service.backfill('hourly', { ...range, to: '2024-12-04T06:00:00Z' }, { idempotencyKey: 'fix-1' }).catch((e: unknown) => e);

    expect(first.request).toMatchObject({ kind: 'backfill', firstIteration: 0, runCount: 6 });
    expect(repeat.outcome).toBe('exists');
    expect(other).toBeInstanceOf(ValidationError);
    expect((other as ValidationError).field).toBe('Idempotency-Key');
    expect(fakes.executions.started).toHaveLength(1);
  });

  it('checks the range against the job before writing anything (a future `to` is a ValidationError on to)', async () => {
    stored(fakes, {});

    const error = await service.backfill('hourly', { from: '2024-12-04T00:00:00Z', to: '2024-12-05T00:00:00Z' }).catch((e: unknown) => e);

    expect((error as ValidationError).field).toBe('to');
    expect(fakes.extras.requests.size).toBe(0);
  });
});

describe('deleteAll', () => {
  it('stops and deletes every one of many jobs, at most DELETE_CONCURRENCY at a time', async () => {
    const count = 60;
    for (let i = 0; i < count; i++) {
      const id = `job-${String(i).padStart(3, '0')}`;
      stored(fakes, { id }, { status: i % 3 === 0 ? 'COMPLETED' : 'SCHEDULED', executionArns: [arn(id)] });
      if (i % 5 === 0) fakes.extras.putRequest(runningRequest(id, `req-${i}`, { executionArns: [arn(`${id}--req-${i}`)] }));
    }
    let inFlight = 0;
    let most = 0;
    const deleteJob = fakes.store.deleteJob.bind(fakes.store);
    fakes.store.deleteJob = async (jobId) => {
      most = Math.max(most, ++inFlight);
      // Yield, so other jobs' work can interleave, as it does over a network.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return deleteJob(jobId);
    };

    const deleted = await service.deleteAll();

    expect(deleted).toBe(count);
    expect(fakes.store.jobs.size).toBe(0);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(DELETE_CONCURRENCY);
    // Going jobs had their executions stopped; final ones did not; every running request was stopped.
    const stopped = new Set(fakes.executions.stopped.map((s) => s.executionArn));
    expect(stopped.has(arn('job-001'))).toBe(true);
    expect(stopped.has(arn('job-000'))).toBe(false);
    expect(stopped.has(arn('job-000--req-0'))).toBe(true);
    expect(fakes.executions.stopped.every((s) => s.cause === STOP_CAUSE)).toBe(true);
  });

  it('answers 0 on an empty table', async () => {
    await expect(service.deleteAll()).resolves.toBe(0);
  });

  it('starts no further job once one fails, and throws that error', async () => {
    for (let i = 0; i < 20; i++) stored(fakes, { id: `job-${String(i).padStart(2, '0')}` }, { status: 'COMPLETED' });
    const deleteJob = fakes.store.deleteJob.bind(fakes.store);
    fakes.store.deleteJob = async (jobId) => {
      if (jobId === 'job-02') throw new Error('throttled');
      return deleteJob(jobId);
    };

    await expect(new JobService({ ...fakes.ports, deleteConcurrency: 2 }).deleteAll()).rejects.toThrow('throttled');

    // Two workers: job-00 and job-01 done, job-02 failed, job-03 (taken by the other worker) finished; no more.
    expect(fakes.store.jobs.size).toBeGreaterThanOrEqual(20 - 4);
    expect(fakes.store.jobs.has('job-19')).toBe(true);
  });
});

describe('eachBounded', () => {
  it('keeps the items’ order in its results whatever order the work finishes in', async () => {
    const results = await eachBounded([30, 10, 20], 3, async (n) => {
      for (let i = 0; i < n; i++) await Promise.resolve();
      return n * 2;
    });

    expect(results).toEqual([60, 20, 40]);
  });
});

describe('resumeUnfinished', () => {
  it('starts every going job from its cursor and every running request from its own, and skips paused and final jobs', async () => {
    stored(fakes, { id: 'going' }, { status: 'SCHEDULED', cursor: 1, executionArns: [arn('going')] });
    fakes.store.putRun({ jobId: 'going', kind: 'live', index: 1, iteration: 1, phase: 'action', plannedAt: '2024-12-04T01:00:00Z', startedAt: '2024-12-04T01:00:00Z', attempts: 1, state: 'SUCCEEDED', result: { n: 1 } });
    stored(fakes, { id: 'paused' }, { status: 'PAUSED', statusBeforePause: 'SCHEDULED', executionArns: [arn('paused')] });
    stored(fakes, { id: 'done' }, { status: 'COMPLETED', executionArns: [arn('done')] });
    // A backfill may run on a finished job: it is resumed whatever its job's status.
    fakes.extras.putRequest(runningRequest('done', 'req-a', { cursor: 0, executionArns: [arn('done--req-a')] }));
    fakes.extras.putRun({ jobId: 'done', requestId: 'req-a', kind: 'backfill', index: 0, iteration: 0, phase: 'action', plannedAt: '2024-12-04T00:00:00Z', startedAt: '2024-12-04T00:00:00Z', attempts: 1, state: 'SUCCEEDED', result: { n: 0 } });
    fakes.extras.putRequest(runningRequest('done', 'req-ended', { state: 'CANCELLED' }));

    const resumed = await service.resumeUnfinished();

    expect(resumed).toEqual({ jobs: ['going'], requests: ['req-a'] });
    expect(fakes.executions.started).toEqual([
      { name: 'going--1', input: { job: hourly({ id: 'going' }), cursor: { iteration: 2, generation: 1, firstIteration: 2, lastResult: { n: 1 } } }, executionArn: arn('going--1') },
      {
        name: 'done--req-a-1',
        input: { job: hourly({ id: 'done' }), extra: { requestId: 'req-a', kind: 'backfill', index: 1, runCount: 3, firstIteration: 0, lastResult: { n: 0 } } },
        executionArn: arn('done--req-a-1'),
      },
    ]);
    expect(fakes.store.jobs.get('going')?.executionArns).toEqual([arn('going'), arn('going--1')]);
    expect(fakes.extras.requests.get('done|req-a')?.executionArns).toEqual([arn('done--req-a'), arn('done--req-a-1')]);
    expect(fakes.store.jobs.get('paused')?.status).toBe('PAUSED');
  });

  it('starts a job stored but never started under its own id', async () => {
    stored(fakes, { id: 'fresh' });

    await service.resumeUnfinished();

    expect(fakes.executions.started.map((s) => s.name)).toEqual(['fresh']);
  });
});

describe('reads', () => {
  it('reads a job with its runs and requests, and says a missing one is missing', async () => {
    stored(fakes, {});
    fakes.extras.putRequest(runningRequest('hourly', 'req-1'));

    const detail = await service.detail('hourly', { limit: 10 });

    expect(detail.record.jobId).toBe('hourly');
    expect(detail.requests.map((r) => r.requestId)).toEqual(['req-1']);
    await expect(service.detail('nope', { limit: 10 })).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('lets the store refuse a runs cursor it never handed out, before saying the job is missing', async () => {
    const error = await service.detail('nope', { limit: 10, cursor: 'bm90LWEtY3Vyc29y' }).catch((e: unknown) => e);

    expect((error as ValidationError).field).toBe('cursor');
  });

  it('lists no upcoming runs for a final job, and otherwise the runs from the one its catch-up policy would start now', async () => {
    // Hourly from midnight, the clock at 10:00: runs 4-9 (04:00-09:00) came after the last finished run and passed.
    stored(fakes, { id: 'going' }, { cursor: 3 });
    stored(fakes, { id: 'done' }, { status: 'COMPLETED', cursor: 3 });

    const going = await service.upcoming('going', 2);
    const done = await service.upcoming('done', 2);

    // catchUp 'one' (the default): the latest missed run (09:00) runs, 04:00-08:00 are passed over.
    expect(going.runs.map((r) => [r.iteration, r.runAt])).toEqual([
      [9, '2024-12-04T09:00:00Z'],
      [10, '2024-12-04T10:00:00Z'],
    ]);
    expect(going.passedOver).toEqual({ from: 4, to: 8, count: 5, reason: 'missed' });
    expect(done.runs).toEqual([]);
  });

  it('reads every job across pages for statistics', async () => {
    for (let i = 0; i < 250; i++) stored(fakes, { id: `j${String(i).padStart(3, '0')}` });
    fakes.runDurations.values.push(10, 20);

    const inputs = await service.statsInputs();

    expect(inputs.jobs).toHaveLength(250);
    expect(new Set(inputs.jobs.map((j) => j.jobId)).size).toBe(250);
    expect(inputs.durations).toEqual([10, 20]);
    expect(inputs.now).toEqual(T0);
  });
});

describe('followExecution: the job record follows its executions, whoever stops them', () => {
  const event = (status: 'RUNNING' | 'ABORTED' | 'FAILED' | 'TIMED_OUT' | 'SUCCEEDED', input: unknown, overrides: Partial<Parameters<JobService['followExecution']>[0]> = {}) => ({
    executionArn: arn('console'),
    name: 'console',
    status,
    input: JSON.stringify(input),
    stopDate: status === 'RUNNING' ? null : T0.getTime(),
    error: status === 'FAILED' ? 'States.Runtime' : null,
    cause: status === 'RUNNING' ? null : 'stopped from the console',
    ...overrides,
  });

  it('registers a job started from the console (the job itself as input) when its execution starts, listing the execution', async () => {
    const job = hourly({ id: 'from-console' });

    const outcome = await service.followExecution(event('RUNNING', job));

    expect(outcome).toBe('registered');
    expect(fakes.store.jobs.get('from-console')).toMatchObject({ status: 'SCHEDULED', cursor: -1, executionArns: [arn('console')], nextRunAt: '2024-12-04T00:00:00Z' });
  });

  it('writes nothing for an execution its job lists already (the API lists it when it writes the job)', async () => {
    await service.submit(hourly());
    fakes.log.length = 0;

    expect(await service.followExecution(event('RUNNING', { job: hourly() }, { executionArn: arn('hourly'), name: 'hourly' }))).toBe('registered');
    expect(fakes.log).toEqual([]);
    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly')]);
  });

  it('lists a ContinueAsNew or resumed execution on the job it already has, without writing the job again', async () => {
    stored(fakes, {}, { executionArns: [arn('hourly')] });

    expect(await service.followExecution(event('RUNNING', { job: hourly(), cursor: { iteration: 500 } }, { executionArn: arn('hourly--1') }))).toBe('registered');
    expect(fakes.store.jobs.get('hourly')?.executionArns).toEqual([arn('hourly'), arn('hourly--1')]);
  });

  it('cancels a going job whose execution was stopped outside the API, with the cause, and fails one whose execution failed', async () => {
    stored(fakes, {}, { executionArns: [arn('console')] });
    stored(fakes, { id: 'other' }, { executionArns: [arn('console')] });

    expect(await service.followExecution(event('ABORTED', { job: hourly() }))).toBe('cancelled');
    expect(await service.followExecution(event('FAILED', { job: hourly({ id: 'other' }) }))).toBe('failed');

    expect(fakes.store.jobs.get('hourly')).toMatchObject({ status: 'CANCELLED', reason: 'execution console was stopped: stopped from the console' });
    expect(fakes.store.jobs.get('other')).toMatchObject({ status: 'FAILED', reason: 'execution console failed: States.Runtime: stopped from the console' });
  });

  it('leaves alone a paused job (a pause stops its execution), a final one, one a newer execution carries on, and one resumed after the stop', async () => {
    stored(fakes, { id: 'paused' }, { status: 'PAUSED', statusBeforePause: 'SCHEDULED', executionArns: [arn('console')] });
    stored(fakes, { id: 'done' }, { status: 'COMPLETED', executionArns: [arn('console')] });
    stored(fakes, { id: 'handed-over' }, { executionArns: [arn('console'), arn('handed-over--1')] });
    stored(fakes, { id: 'resumed' }, { executionArns: [arn('console')], resumedAt: new Date(T0.getTime() + 1000).toISOString() });

    for (const id of ['paused', 'done', 'handed-over', 'resumed']) {
      expect(await service.followExecution(event('ABORTED', { job: hourly({ id }) }))).toBe('ignored');
    }
    expect([...fakes.store.jobs.values()].map((r) => [r.jobId, r.status])).toEqual([
      ['paused', 'PAUSED'],
      ['done', 'COMPLETED'],
      ['handed-over', 'SCHEDULED'],
      ['resumed', 'SCHEDULED'],
    ]);
  });

  it('ends a running trigger or backfill request whose execution was stopped, and ignores input that is no job of ours', async () => {
    stored(fakes, {});
    const requestId = '20241204T100000000Z-backfill-0a0b0c';
    fakes.extras.requests.set(`hourly|${requestId}`, runningRequest('hourly', requestId, { executionArns: [arn('console')] }));
    const extra = { requestId, kind: 'backfill', index: 1, runCount: 3, firstIteration: 0 };

    expect(await service.followExecution(event('ABORTED', { job: hourly(), extra }))).toBe('cancelled');
    expect(fakes.extras.requests.get(`hourly|${requestId}`)).toMatchObject({ state: 'CANCELLED' });
    expect(await service.followExecution(event('ABORTED', { someOther: 'machine' }))).toBe('ignored');
    // A succeeded execution (a hand-over to the next generation among them) settles nothing.
    expect(await service.followExecution({ ...event('ABORTED', { job: hourly() }), status: 'SUCCEEDED' })).toBe('ignored');
    expect(await service.followExecution(event('FAILED', 'not json', { input: '{' }))).toBe('ignored');
    expect(fakes.store.jobs.get('hourly')?.status).toBe('SCHEDULED');
  });
});
