/**
 * Every route of the api against dynalite and the real DynamoDbJobStore; Step Functions is a recording
 * ExecutionService (harness.ts). Runs are written through the store's beginRun / finishRun / failRun, as
 * the task Lambda writes them.
 */
import { createServer } from 'node:net';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { DynamoDbRunDurations } from '../../../src/adapters/dynamodb-stats';
import { createDynamoStores } from '../../../src/adapters/dynamodb';
import { beginRun, failRun, succeedRun as settleSuccess } from '../../support/runs';
import { createApi } from '../../../src/functions/api/app';
import { JobSchema, type Job, type JobInput, type Phase } from '../../../src/lib/job';
import type { JsonObject } from '../../../src/lib/json';
import { nextRun, totalRuns } from '../../../src/lib/schedule';
import { statusAfterRun } from '../../../src/lib/status';
import { apiEvent, RecordingExecutions, startApi, STATE_MACHINE_ARN, useApi, type ApiUnderTest } from './harness';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { NetGuard } from '../../../src/adapters/guarded-http';
import { StepFunctionsExecutions } from '../../../src/adapters/sfn';
import { executionArnFor, type ExecutionService } from '../../../src/lib/executions';
import type { RunDurations } from '../../../src/lib/stats';
import { testResolver } from './harness';

const T0 = 1733306400000; // 2024-12-04T10:00:00Z
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const t = useApi({ now: new Date(T0) });

// Each test starts from an empty table, an idle Step Functions and the clock at T0.
beforeEach(() => t.reset());

function job(overrides: Partial<JobInput> = {}): JobInput {
  return {
    id: 'daily-report',
    startDateTime: '2024-12-05T10:00:00Z',
    endDateTime: '2024-12-07T10:00:00Z',
    frequency: { days: 1 },
    config: { reportType: 'weekly', dataSource: 'sample:analytics' },
    ...overrides,
  };
}

/** Write a job item the way POST /jobs does, without the api (a test's setup). */
async function storeJob(input: JobInput): Promise<Job> {
  // An open-ended recurring job must say so (forever: true); the setups here mean exactly that.
  const openEnded = input.frequency !== undefined && input.endDateTime === undefined && input.maxRuns === undefined;
  const parsed = JobSchema.parse(openEnded ? { ...input, forever: true } : input);
  const total = totalRuns(parsed);
  await t.store.createJob(parsed, { totalRuns: total, nextRunAt: nextRun(parsed, { iteration: 0 }, total).runAt, now: new Date(T0) });
  return parsed;
}

/** Run one run through the store as the task Lambda does: begin at `startMs`, succeed `durationMs` later. */
async function succeedRun(
  parsed: Job,
  iteration: number,
  phase: Phase,
  at: { startMs: number; durationMs: number },
  extra: { result?: JsonObject; finalReport?: JsonObject } = {},
): Promise<void> {
  const total = totalRuns(parsed);
  await beginRun(t.runs, {
    job: parsed,
    iteration,
    phase,
    plannedAt: nextRun(parsed, { iteration }, total).runAt!,
    totalRuns: total,
    now: new Date(at.startMs),
  });
  await settleSuccess(t.runs, {
    job: parsed,
    iteration,
    phase,
    result: extra.result ?? { ok: true },
    statusAfter: statusAfterRun(phase, iteration),
    nextRunAt: nextRun(parsed, { iteration: iteration + 1 }, total).runAt,
    ...(extra.finalReport ? { finalReport: extra.finalReport } : {}),
    durationMs: at.durationMs,
    now: new Date(at.startMs + at.durationMs),
  });
}

/** A three-day workflow run to the end: collection, processing, report, then COMPLETED. */
async function finishedWorkflow(id = 'weekly'): Promise<Job> {
  const parsed = await storeJob(job({ id }));
  await succeedRun(parsed, 0, 'collection', { startMs: T0 + DAY, durationMs: 100 }, { result: { records: 7543 } });
  await succeedRun(parsed, 1, 'processing', { startMs: T0 + 2 * DAY, durationMs: 200 }, { result: { recordsProcessed: 7543, errors: 38 } });
  await succeedRun(parsed, 2, 'report', { startMs: T0 + 3 * DAY, durationMs: 300 }, {
    result: { reportGenerated: true },
    finalReport: { jobId: id, summary: { totalDays: 3, successRate: '99.50%' } },
  });
  await t.store.completeJob(id, new Date(T0 + 3 * DAY + 1000));
  return parsed;
}

describe('POST /jobs', () => {
  it('writes the job, starts its execution named after it with { job }, and records the execution', async () => {
    const body = job();

    const reply = await t.call('POST', '/jobs', { body });

    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:step-scheduler-test-scheduler:daily-report`;
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ jobId: 'daily-report', status: 'INITIALIZED', executionArn, nextRunAt: '2024-12-05T10:00:00Z' });
    expect(t.executions.started).toEqual([{ name: 'daily-report', input: { job: JobSchema.parse(body) } }]);
    const stored = await t.store.getJob('daily-report');
    expect(stored?.executionArns).toEqual([executionArn]);
  });

  it('answers a repeated body with the same job, 201 then 200, and starts one execution', async () => {
    const first = await t.call('POST', '/jobs', { body: job() });

    const second = await t.call('POST', '/jobs', { body: job() });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(t.executions.started).toHaveLength(1);
  });

  it('refuses a different body under an existing id with 409 naming id, and starts nothing more', async () => {
    await t.call('POST', '/jobs', { body: job() });

    const reply = await t.call('POST', '/jobs', { body: job({ endDateTime: '2024-12-08T10:00:00Z' }) });

    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: 'JOB_CONFLICT', field: 'id' });
    expect(t.executions.started).toHaveLength(1);
    expect((await t.store.getJob('daily-report'))?.job.endDateTime).toBe('2024-12-07T10:00:00Z');
  });

  it('starts a job that was written but never started (a crash between the two writes)', async () => {
    await storeJob(job());

    const reply = await t.call('POST', '/jobs', { body: job() });

    expect(reply.status).toBe(200);
    expect(reply.body.executionArn).toMatch(/:execution:step-scheduler-test-scheduler:daily-report$/);
    expect(t.executions.started.map((s) => s.name)).toEqual(['daily-report']);
    expect((await t.store.getJob('daily-report'))?.executionArns).toHaveLength(1);
  });

  it('takes seed 000’s { config } body as a 7-day daily report workflow from now', async () => {
    t.clock.now = new Date(T0 + 250); // 2024-12-04T10:00:00.250Z

    const reply = await t.call('POST', '/jobs', {
      body: { config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' } },
    });

    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ status: 'INITIALIZED', nextRunAt: '2024-12-04T10:00:01Z' });
    expect(reply.body.jobId).toMatch(/^TASK-1733306400250-[a-z0-9]{4}$/);
    const view = await t.call('GET', `/jobs/${reply.body.jobId}`);
    expect(view.body.job).toMatchObject({
      startDateTime: '2024-12-04T10:00:01.000Z',
      endDateTime: '2024-12-10T10:00:01.000Z',
      frequency: { days: 1 },
      config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' },
    });
    expect(view.body.progress).toMatchObject({ totalRuns: 7, totalDays: 7, completedDays: 0, percentage: 0 });
  });

  it('gives every seed-000 body a job of its own', async () => {
    const first = await t.call('POST', '/jobs', { body: { config: {} } });

    const second = await t.call('POST', '/jobs', { body: { config: {} } });

    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.jobId).not.toBe(first.body.jobId);
  });

  it('answers a repeated Idempotency-Key with the first job (200), though a seed body gets a fresh id each time, and starts nothing more', async () => {
    const headers = { 'Idempotency-Key': 'nightly-report-2024-12-04' };
    const startedBefore = t.executions.started.length;

    const first = await t.call('POST', '/jobs', { body: { config: {} }, headers });
    const again = await t.call('POST', '/jobs', { body: { config: {} }, headers });
    const otherKey = await t.call('POST', '/jobs', { body: { config: {} }, headers: { 'Idempotency-Key': 'another' } });
    const tooLong = await t.call('POST', '/jobs', { body: { config: {} }, headers: { 'Idempotency-Key': 'k'.repeat(256) } });

    expect([first.status, again.status, otherKey.status, tooLong.status]).toEqual([201, 200, 201, 400]);
    expect(again.body).toEqual(first.body);
    expect(otherKey.body.jobId).not.toBe(first.body.jobId);
    expect(tooLong.body.error).toMatchObject({ field: 'Idempotency-Key' });
    expect(t.executions.started.length - startedBefore).toBe(2);
  });

  it('takes seed 001’s { action, payload, run_at, recurrence } body as an action job', async () => {
    const reply = await t.call('POST', '/jobs', {
      body: {
        action: 'webhook',
        payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } },
        run_at: '2024-12-10T15:00:00Z',
        recurrence: 'weekly',
      },
    });

    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ status: 'SCHEDULED', nextRunAt: '2024-12-10T15:00:00Z' });
    const view = await t.call('GET', `/jobs/${reply.body.jobId}`);
    expect(view.body.job).toMatchObject({
      startDateTime: '2024-12-10T15:00:00Z',
      frequency: { weeks: 1 },
      forever: true,
      action: { type: 'webhook', url: 'https://example.com/notify', method: 'POST', body: { message: 'Hello, this is your scheduled task!' } },
    });
    expect(view.body.progress.totalRuns).toBeNull();
  });

  it('reads a base64-encoded body', async () => {
    const reply = await t.call('POST', '/jobs', { body: job(), base64: true });

    expect(reply.status).toBe(201);
    expect(reply.body.jobId).toBe('daily-report');
  });

  it('answers 503 with Retry-After when Step Functions throttles StartExecution, and a retry then starts it', async () => {
    // The real adapter on an SDK client whose StartExecution is throttled once, as Step Functions does it:
    // its throttling is not in the SDK's model, so the SDK builds the service exception under the wire name.
    const sfnClient = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const sfn = mockClient(sfnClient);
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }))
      .resolves({ executionArn: executionArnFor(STATE_MACHINE_ARN, 'daily-report'), startDate: new Date(T0) });
    const api = apiWith({ executions: new StepFunctionsExecutions(sfnClient, STATE_MACHINE_ARN) });

    try {
      const failed = await api(apiEvent('POST', '/jobs', { body: job() }));
      const retried = await api(apiEvent('POST', '/jobs', { body: job() }));

      expect(failed.statusCode).toBe(503);
      expect(failed.headers).toMatchObject({ 'retry-after': '1', 'content-type': 'application/json; charset=utf-8' });
      expect(JSON.parse(failed.body)).toEqual({ error: { code: 'UNAVAILABLE', message: 'temporarily unavailable; try again' } });
      expect(retried.statusCode).toBe(200);
      expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual(['daily-report', 'daily-report']);
    } finally {
      sfn.restore();
    }
  });
});

describe('when AWS throttles a read', () => {
  it('answers GET /stats with 503 and Retry-After when the Scan of run durations is throttled', async () => {
    const statsClient = createDocumentClient({ tableName: t.db.tableName, endpoint: t.db.endpoint });
    const dynamo = mockClient(statsClient);
    dynamo.on(ScanCommand).rejects(new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded', $metadata: { httpStatusCode: 400 } }));
    const api = apiWith({ runDurations: new DynamoDbRunDurations(statsClient, t.db.tableName) });

    try {
      const reply = await api(apiEvent('GET', '/stats'));

      expect(reply.statusCode).toBe(503);
      expect(reply.headers).toMatchObject({ 'retry-after': '1' });
      expect(JSON.parse(reply.body)).toEqual({ error: { code: 'UNAVAILABLE', message: 'temporarily unavailable; try again' } });
      expect(dynamo.commandCalls(ScanCommand)).toHaveLength(1);
    } finally {
      dynamo.restore();
      statsClient.destroy();
    }
  });
});

/** The api of the harness (its store, extras and clock) with some ports replaced. */
function apiWith(ports: { executions?: ExecutionService; runDurations?: RunDurations }) {
  return createApi({
    store: t.store,
    extras: t.extras,
    runs: t.runs,
    executions: ports.executions ?? t.executions,
    runDurations: ports.runDurations ?? new DynamoDbRunDurations(createDocumentClient({ tableName: t.db.tableName, endpoint: t.db.endpoint }), t.db.tableName),
    now: () => t.clock.now,
    urlGuard: new NetGuard({ resolve: testResolver }),
  });
}

describe('GET /jobs', () => {
  it('pages through jobs with limit and cursor, none repeated, none missing', async () => {
    for (let i = 1; i <= 5; i++) await storeJob(job({ id: `job-${i}` }));

    const first = await t.call('GET', '/jobs?limit=2');
    const second = await t.call('GET', `/jobs?limit=2&cursor=${first.body.cursor}`);
    const third = await t.call('GET', `/jobs?limit=2&cursor=${second.body.cursor}`);

    expect([first.body.count, second.body.count, third.body.count]).toEqual([2, 2, 1]);
    expect(third.body.cursor).toBeNull();
    const ids = [...first.body.jobs, ...second.body.jobs, ...third.body.jobs].map((j: { jobId: string }) => j.jobId);
    expect(new Set(ids)).toEqual(new Set(['job-1', 'job-2', 'job-3', 'job-4', 'job-5']));
  });

  it('lists 20 jobs when no limit is given', async () => {
    for (let i = 1; i <= 21; i++) await storeJob(job({ id: `job-${i}` }));

    const reply = await t.call('GET', '/jobs');

    expect(reply.body.count).toBe(20);
    expect(typeof reply.body.cursor).toBe('string');
  });

  it('filters by status on the index, in either case', async () => {
    await storeJob(job({ id: 'kept' }));
    await storeJob(job({ id: 'stopped' }));
    await t.call('DELETE', '/jobs/stopped');

    const cancelled = await t.call('GET', '/jobs?status=CANCELLED');
    const initialized = await t.call('GET', '/jobs?status=initialized');

    expect(cancelled.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual(['stopped']);
    expect(initialized.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual(['kept']);
    expect(cancelled.body.jobs[0]).toMatchObject({ status: 'CANCELLED', nextRunAt: null });
  });

  it('shows each job with its progress but not its runs', async () => {
    await finishedWorkflow();

    const reply = await t.call('GET', '/jobs');

    expect(reply.body.jobs[0]).toMatchObject({ jobId: 'weekly', status: 'COMPLETED', currentDay: 3, progress: { percentage: 100, completedRuns: 3 } });
    expect(reply.body.jobs[0].progress.steps).toBeUndefined();
  });
});

describe('GET /jobs/{id}', () => {
  it('shows a finished workflow: status, progress with steps, executions, final report', async () => {
    await finishedWorkflow();

    const reply = await t.call('GET', '/jobs/weekly');

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      jobId: 'weekly',
      status: 'COMPLETED',
      currentDay: 3,
      nextRunAt: null,
      createdAt: '2024-12-04T10:00:00.000Z',
      finishedAt: '2024-12-07T10:00:01.000Z',
      executions: [],
      finalReport: { jobId: 'weekly', summary: { totalDays: 3, successRate: '99.50%' } },
      progress: { percentage: 100, completedRuns: 3, failedRuns: 0, totalRuns: 3, completedDays: 3, totalDays: 3 },
    });
    expect(reply.body.progress.steps.map((s: { action: string }) => s.action)).toEqual(['Data Collection', 'Batch Processing', 'Report Generation']);
    expect(reply.body.progress.steps[1]).toEqual({
      day: 2,
      iteration: 1,
      phase: 'processing',
      action: 'Batch Processing',
      state: 'SUCCEEDED',
      result: { recordsProcessed: 7543, errors: 38 },
      error: null,
      plannedAt: '2024-12-06T10:00:00Z',
      startedAt: '2024-12-06T10:00:00.000Z',
      finishedAt: '2024-12-06T10:00:00.200Z',
      durationMs: 200,
      attempts: 1,
      attemptHistory: [{ attempt: 1, outcome: 'succeeded', startedAt: '2024-12-06T10:00:00.000Z', endedAt: '2024-12-06T10:00:00.200Z', error: null, delayMs: null }],
      lastFailure: null,
    });
    expect(reply.body.runsCursor).toBeUndefined();
  });

  it('pages the steps with runsLimit and runsCursor', async () => {
    await finishedWorkflow();

    const first = await t.call('GET', '/jobs/weekly?runsLimit=2');
    const second = await t.call('GET', `/jobs/weekly?runsLimit=2&runsCursor=${first.body.runsCursor}`);

    expect(first.body.progress.steps.map((s: { iteration: number }) => s.iteration)).toEqual([0, 1]);
    expect(typeof first.body.runsCursor).toBe('string');
    expect(second.body.progress.steps.map((s: { iteration: number }) => s.iteration)).toEqual([2]);
    expect(second.body.runsCursor).toBeUndefined();
  });

  it('names runsCursor when a runs cursor is not one it handed out', async () => {
    await finishedWorkflow();
    const foreign = Buffer.from(JSON.stringify({ pk: 'JOB#other', sk: 'RUN#0000000001' })).toString('base64url');

    const reply = await t.call('GET', `/jobs/weekly?runsCursor=${foreign}`);

    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'runsCursor' });
  });

  it('shows a failed run of an action job with its error, the job going on', async () => {
    const parsed = await storeJob(job({ id: 'hook', endDateTime: undefined, config: undefined, action: { type: 'webhook', url: 'https://example.com/x' } }));
    await beginRun(t.runs, { job: parsed, iteration: 0, phase: 'action', plannedAt: '2024-12-05T10:00:00Z', totalRuns: null, now: new Date(T0 + DAY) });
    await failRun(t.runs, {
      job: parsed,
      iteration: 0,
      phase: 'action',
      plannedAt: '2024-12-05T10:00:00Z',
      error: { name: 'PermanentError', message: 'webhook answered 404' },
      policy: 'continue',
      nextRunAt: '2024-12-06T10:00:00Z',
      now: new Date(T0 + DAY + 50),
    });

    const reply = await t.call('GET', '/jobs/hook');

    expect(reply.body).toMatchObject({ status: 'SCHEDULED', currentDay: null, nextRunAt: '2024-12-06T10:00:00Z' });
    expect(reply.body.progress).toMatchObject({ failedRuns: 1, completedRuns: 0, totalRuns: null, completedDays: null });
    expect(reply.body.progress.steps[0]).toMatchObject({
      action: 'Webhook',
      state: 'FAILED',
      error: { name: 'PermanentError', message: 'webhook answered 404' },
      durationMs: 50,
    });
    expect(reply.body.finalReport).toBeUndefined();
  });

  it('answers 404 in JSON for a job that does not exist', async () => {
    const reply = await t.call('GET', '/jobs/nope');

    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(reply.headers['content-type']).toMatch(/application\/json/);
  });
});

describe('GET /jobs/{id}/upcoming', () => {
  it('lists the next runs in UTC and in the job’s zone, across a DST change', async () => {
    // 09:00 in Berlin every day; clocks go forward on 2025-03-30.
    await storeJob({
      id: 'berlin',
      startDateTime: '2025-03-28T09:00:00+01:00',
      frequency: { days: 1 },
      timeZone: 'Europe/Berlin',
      action: { type: 'message', text: 'good morning' },
    });

    const reply = await t.call('GET', '/jobs/berlin/upcoming?count=4');

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ jobId: 'berlin', timeZone: 'Europe/Berlin', status: 'SCHEDULED', paused: null, remainingRuns: null });
    expect(reply.body.runs).toEqual([
      { iteration: 0, plannedAt: '2025-03-28T08:00:00Z', runAt: '2025-03-28T08:00:00Z', localTime: '2025-03-28T09:00:00+01:00', phase: 'action', missed: false },
      { iteration: 1, plannedAt: '2025-03-29T08:00:00Z', runAt: '2025-03-29T08:00:00Z', localTime: '2025-03-29T09:00:00+01:00', phase: 'action', missed: false },
      { iteration: 2, plannedAt: '2025-03-30T07:00:00Z', runAt: '2025-03-30T07:00:00Z', localTime: '2025-03-30T09:00:00+02:00', phase: 'action', missed: false },
      { iteration: 3, plannedAt: '2025-03-31T07:00:00Z', runAt: '2025-03-31T07:00:00Z', localTime: '2025-03-31T09:00:00+02:00', phase: 'action', missed: false },
    ]);
  });

  it('lists for a job paused past many runs what runs when it is resumed: the runs its catch-up policy passes over counted apart', async () => {
    // Daily at 11:00 from 20 days before the clock (T0, 10:00): runs 0-19 have passed, run 20 is an hour ahead.
    const start = new Date(T0 - 20 * DAY + HOUR).toISOString();
    await storeJob({ id: 'held-skip', startDateTime: start, frequency: { days: 1 }, catchUp: 'skip', action: { type: 'message', text: 'x' } });
    await storeJob({ id: 'held-one', startDateTime: start, frequency: { days: 1 }, action: { type: 'message', text: 'x' } });
    await t.store.pauseJob('held-skip', undefined, new Date(T0 - 20 * DAY));
    await t.store.pauseJob('held-one', undefined, new Date(T0 - 20 * DAY));

    const skip = (await t.call('GET', '/jobs/held-skip/upcoming?count=3')).body;
    const one = (await t.call('GET', '/jobs/held-one/upcoming?count=3')).body;

    expect(skip.passedOver).toEqual({ from: 0, to: 19, count: 20 });
    expect(skip.runs.map((r: { iteration: number; missed: boolean }) => [r.iteration, r.missed])).toEqual([[20, false], [21, false], [22, false]]);
    // catchUp 'one' (the default): the latest missed run runs on resume, the 19 before it are passed over.
    expect(one.passedOver).toEqual({ from: 0, to: 18, count: 19 });
    expect(one.runs.map((r: { iteration: number; missed: boolean }) => [r.iteration, r.missed])).toEqual([[19, true], [20, false], [21, false]]);
  });

  it('shows every scheduling setting (defaults filled in), the runs left, a pause, the flexible window and missed runs', async () => {
    await storeJob({
      id: 'settings',
      startDateTime: '2024-12-04T06:00:00Z',
      scheduleExpression: 'rate(6 hours)',
      maxRuns: 40,
      flexibleWindowMinutes: 30,
      overlap: 'bufferOne',
      retentionDays: 7,
      group: 'billing',
      tags: ['team:core', 'nightly'],
      action: { type: 'message', text: 'x' },
    });
    await t.store.pauseJob('settings', 'deploy freeze', new Date(T0));

    const reply = await t.call('GET', '/jobs/settings/upcoming?count=3');

    expect(reply.body).toMatchObject({ status: 'PAUSED', paused: { pausedAt: '2024-12-04T10:00:00.000Z', note: 'deploy freeze' }, remainingRuns: 40 });
    expect(reply.body.settings).toEqual({
      frequency: null,
      scheduleExpression: 'rate(6 hours)',
      timeZone: 'UTC',
      startDateTime: '2024-12-04T06:00:00Z',
      endDateTime: null,
      maxRuns: 40,
      forever: false,
      flexibleWindowMinutes: 30,
      catchUp: 'one',
      catchUpWindowMinutes: 1440,
      overlap: 'bufferOne',
      retentionDays: 7,
      group: 'billing',
      tags: ['team:core', 'nightly'],
    });
    const runs = reply.body.runs as Array<{ plannedAt: string; runAt: string; missed: boolean }>;
    expect(runs.map((r) => r.plannedAt)).toEqual(['2024-12-04T06:00:00Z', '2024-12-04T12:00:00Z', '2024-12-04T18:00:00Z']);
    // Run 0 was planned four hours before the clock (10:00): missed, for the catch-up policy to decide.
    expect(runs.map((r) => r.missed)).toEqual([true, false, false]);
    for (const run of runs) {
      const offset = Date.parse(run.runAt) - Date.parse(run.plannedAt);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(30 * 60_000);
    }
  });

  it('starts after the last finished run and stops at the job’s end; 10 by default', async () => {
    const parsed = await storeJob(job());
    await succeedRun(parsed, 0, 'collection', { startMs: T0 + DAY, durationMs: 10 });

    const reply = await t.call('GET', '/jobs/daily-report/upcoming');

    expect(reply.body.runs).toEqual([
      { iteration: 1, plannedAt: '2024-12-06T10:00:00Z', runAt: '2024-12-06T10:00:00Z', localTime: '2024-12-06T10:00:00Z', phase: 'processing', missed: false },
      { iteration: 2, plannedAt: '2024-12-07T10:00:00Z', runAt: '2024-12-07T10:00:00Z', localTime: '2024-12-07T10:00:00Z', phase: 'report', missed: false },
    ]);
    expect(reply.body.remainingRuns).toBe(2);
  });

  it('lists nothing for a job that is over', async () => {
    await finishedWorkflow();

    const reply = await t.call('GET', '/jobs/weekly/upcoming');

    expect(reply.body).toMatchObject({ jobId: 'weekly', timeZone: 'UTC', status: 'COMPLETED', remainingRuns: 0, runs: [] });
  });

  it('answers 404 for a job that does not exist', async () => {
    expect((await t.call('GET', '/jobs/nope/upcoming')).status).toBe(404);
  });
});

describe('DELETE /jobs/{id}', () => {
  it('stops the job’s execution, marks it CANCELLED and keeps its runs', async () => {
    await t.call('POST', '/jobs', { body: job() });
    const parsed = JobSchema.parse(job());
    await succeedRun(parsed, 0, 'collection', { startMs: T0 + DAY, durationMs: 10 });
    t.clock.now = new Date(T0 + DAY + HOUR);

    const reply = await t.call('DELETE', '/jobs/daily-report');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ jobId: 'daily-report', status: 'CANCELLED' });
    expect(t.executions.stopped).toEqual([
      { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:daily-report`, cause: 'stopped through the API' },
    ]);
    const view = await t.call('GET', '/jobs/daily-report');
    expect(view.body).toMatchObject({ status: 'CANCELLED', nextRunAt: null, finishedAt: '2024-12-05T11:00:00.000Z' });
    expect(view.body.progress.steps).toHaveLength(1);
    expect((await t.call('GET', '/jobs/daily-report/upcoming')).body.runs).toEqual([]);
  });

  it('gives a stopped job kept for retentionDays its expiresAt, retentionDays after its end (issue 15: it had none)', async () => {
    await t.call('POST', '/jobs', { body: job({ retentionDays: 7 }) });
    t.clock.now = new Date(T0 + HOUR);

    await t.call('DELETE', '/jobs/daily-report');

    const stored = (await t.items()).find((item) => item.sk === 'JOB' && item.jobId === 'daily-report');
    // The later of the stop and the job's planned end (2024-12-07T10:00:00Z), as for a job that completed.
    expect(stored).toMatchObject({ status: 'CANCELLED', expiresAt: Math.floor(Date.parse('2024-12-14T10:00:00Z') / 1000) });
  });

  it('leaves a job that is over as it is, with 200 and its status', async () => {
    await finishedWorkflow();

    const reply = await t.call('DELETE', '/jobs/weekly');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ jobId: 'weekly', status: 'COMPLETED' });
    expect(t.executions.stopped).toEqual([]);
  });

  it('answers 404 for a job that does not exist', async () => {
    expect((await t.call('DELETE', '/jobs/nope')).status).toBe(404);
  });
});

describe('POST /jobs/{id}/trigger and /backfill', () => {
  const action = (overrides: Partial<JobInput> = {}) =>
    job({ id: 'pinger', config: undefined, endDateTime: undefined, maxRuns: 30, action: { type: 'message', text: 'ping' }, ...overrides });
  const arnOf = (name: string) => `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

  it('starts a trigger as an execution of its own, { job, extra }, named after the job and the request', async () => {
    await t.call('POST', '/jobs', { body: action() });
    t.executions.reset();

    const reply = await t.call('POST', '/jobs/pinger/trigger', { body: { note: 'now please' } });

    expect(reply.status).toBe(202);
    const { requestId } = reply.body;
    expect(requestId).toMatch(/^20241204T100000000Z-trigger-[0-9a-f]{6}$/);
    expect(t.executions.started).toEqual([
      { name: `pinger--${requestId}`, input: { job: JobSchema.parse(action()), extra: { requestId, kind: 'trigger', index: 0, runCount: 1, beforeIteration: 0 } } },
    ]);
    expect(reply.body).toMatchObject({ jobId: 'pinger', kind: 'trigger', state: 'RUNNING', note: 'now please', executionArn: arnOf(`pinger--${requestId}`) });
    const view = await t.call('GET', '/jobs/pinger');
    expect(view.body.extraRequests).toEqual([expect.objectContaining({ requestId, state: 'RUNNING', runs: { total: 1, completed: 0, failed: 0 }, executionArn: arnOf(`pinger--${requestId}`) })]);
    expect(view.body.extraRuns).toEqual([]);
    // The live job is as it was.
    expect(view.body).toMatchObject({ status: 'SCHEDULED', progress: { completedRuns: 0 }, executions: [arnOf('pinger')] });
  });

  it('plans a backfill from the job’s schedule and hands the iterations to the execution', async () => {
    await t.call('POST', '/jobs', { body: action() });
    t.clock.now = new Date(T0 + 10 * DAY);
    t.executions.reset();

    const reply = await t.call('POST', '/jobs/pinger/backfill', { body: { from: '2024-12-06T00:00:00Z', to: '2024-12-09T10:00:00Z' } });

    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ kind: 'backfill', from: '2024-12-06T00:00:00.000Z', to: '2024-12-09T10:00:00.000Z', iterations: { first: 1, last: 4 }, runs: { total: 4 } });
    expect(t.executions.started[0]?.input).toMatchObject({ extra: { kind: 'backfill', index: 0, runCount: 4, firstIteration: 1 } });
  });

  it('answers a repeated Idempotency-Key with the first request (200, nothing started), and refuses it for another range', async () => {
    await t.call('POST', '/jobs', { body: action() });
    t.clock.now = new Date(T0 + 10 * DAY);
    t.executions.reset();
    const headers = { 'Idempotency-Key': 'nightly-fix-1' };

    const first = await t.call('POST', '/jobs/pinger/backfill', { body: { from: '2024-12-06T00:00:00Z', to: '2024-12-07T00:00:00Z' }, headers });
    const again = await t.call('POST', '/jobs/pinger/backfill', { body: { from: '2024-12-06T00:00:00Z', to: '2024-12-07T00:00:00Z' }, headers });
    const other = await t.call('POST', '/jobs/pinger/backfill', { body: { from: '2024-12-06T00:00:00Z', to: '2024-12-08T00:00:00Z' }, headers });

    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.requestId).toBe(first.body.requestId);
    expect(t.executions.started).toHaveLength(1);
    expect(other).toMatchObject({ status: 400, body: { error: { field: 'Idempotency-Key' } } });
  });

  it('stops a job’s running requests with it: CANCELLED, their executions stopped', async () => {
    await t.call('POST', '/jobs', { body: action() });
    const trigger = await t.call('POST', '/jobs/pinger/trigger');
    t.executions.reset();

    await t.call('DELETE', '/jobs/pinger');

    const view = await t.call('GET', '/jobs/pinger');
    expect(view.body.extraRequests[0]).toMatchObject({ requestId: trigger.body.requestId, state: 'CANCELLED', reason: 'stopped through the API' });
    expect(t.executions.stopped.map((s) => s.executionArn)).toEqual([arnOf('pinger'), arnOf(`pinger--${trigger.body.requestId}`)]);
  });

  it('refuses to trigger a job that is over (409), and to backfill a workflow (400 naming id)', async () => {
    await finishedWorkflow();
    t.clock.now = new Date(T0 + 30 * DAY);

    const trigger = await t.call('POST', '/jobs/weekly/trigger');
    const backfill = await t.call('POST', '/jobs/weekly/backfill', { body: { from: '2024-12-05T00:00:00Z', to: '2024-12-08T00:00:00Z' } });

    expect(trigger).toMatchObject({ status: 409, body: { error: { code: 'JOB_STATE' } } });
    expect(backfill).toMatchObject({ status: 400, body: { error: { field: 'id' } } });
    expect(t.executions.started).toEqual([]);
  });
});

describe('DELETE /jobs', () => {
  it('stops every running job and deletes all jobs with their runs', async () => {
    await t.call('POST', '/jobs', { body: job({ id: 'a' }) });
    await t.call('POST', '/jobs', { body: job({ id: 'b' }) });
    await finishedWorkflow('done');

    const reply = await t.call('DELETE', '/jobs');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ message: 'All jobs deleted successfully', deletedCount: 3 });
    expect(t.executions.stopped.map((s) => s.executionArn.split(':').at(-1)).sort()).toEqual(['a', 'b']);
    expect(await t.items()).toEqual([]);
  });

  it('deletes nothing from an empty table', async () => {
    const reply = await t.call('DELETE', '/jobs');

    expect(reply.body).toEqual({ message: 'All jobs deleted successfully', deletedCount: 0 });
  });
});

describe('GET /stats', () => {
  it('counts jobs and runs, takes duration percentiles from the runs and prices the work', async () => {
    // A workflow done in 100 + 200 + 300 ms.
    await t.call('POST', '/jobs', { body: job({ id: 'weekly' }) });
    const workflow = JobSchema.parse(job({ id: 'weekly' }));
    await succeedRun(workflow, 0, 'collection', { startMs: T0 + DAY, durationMs: 100 });
    await succeedRun(workflow, 1, 'processing', { startMs: T0 + 2 * DAY, durationMs: 200 });
    await succeedRun(workflow, 2, 'report', { startMs: T0 + 3 * DAY, durationMs: 300 });
    await t.store.completeJob('weekly', new Date(T0 + 3 * DAY + 1000));
    // An action job: run 0 retried once then took 400 ms, run 1 failed after 50 ms.
    const hookBody = job({ id: 'hook', endDateTime: undefined, config: undefined, action: { type: 'webhook', url: 'https://example.com/x' }, forever: true });
    await t.call('POST', '/jobs', { body: hookBody });
    const hook = JobSchema.parse(hookBody);
    const plannedAt = '2024-12-05T10:00:00Z';
    await beginRun(t.runs, { job: hook, iteration: 0, phase: 'action', plannedAt, totalRuns: null, now: new Date(T0 + DAY) });
    await succeedRun(hook, 0, 'action', { startMs: T0 + DAY + 5000, durationMs: 400 });
    await beginRun(t.runs, { job: hook, iteration: 1, phase: 'action', plannedAt, totalRuns: null, now: new Date(T0 + 2 * DAY) });
    await failRun(t.runs, {
      job: hook,
      iteration: 1,
      phase: 'action',
      plannedAt,
      error: { name: 'TransientError', message: 'timeout' },
      policy: 'continue',
      nextRunAt: '2024-12-07T10:00:00Z',
      now: new Date(T0 + 2 * DAY + 50),
    });
    // A job that has not run yet.
    await t.call('POST', '/jobs', { body: job({ id: 'later' }) });
    t.clock.now = new Date(T0 + DAY); // one day after the first job was created

    const reply = await t.call('GET', '/stats');

    expect(reply.status).toBe(200);
    expect(reply.body.jobs).toEqual({ total: 3, byStatus: { COMPLETED: 1, SCHEDULED: 1, INITIALIZED: 1 } });
    expect(reply.body.runs).toEqual({ total: 5, completed: 4, failed: 1, retried: 1 });
    // durations 50, 100, 200, 300, 400: nearest rank 3 of 5 and 5 of 5
    expect(reply.body.durations).toEqual({ samples: 5, p50Ms: 200, p95Ms: 400, meanMs: 210, maxMs: 400 });
    const { stepFunctions, polling } = reply.body.cost;
    expect(stepFunctions.stateTransitions).toBe(4 * 5 + 2 * 1 + 1 + 5 * 3); // 38
    expect(stepFunctions.lambdaInvocations).toBe(2 * 5 + 1 + 1 + 2 * 3); // 18
    // 0.25 GB × (1,000 ms of successful runs + 50 ms × 13 other invocations)
    expect(stepFunctions.lambdaGbSeconds).toBeCloseTo(0.4125, 6);
    expect(polling).toMatchObject({ days: 1, invocations: 1440 });
    expect(reply.body.cost.prices.note).toBe('prices as published for us-east-1, read 2026-11; check before relying on them');
  });

  it('answers with zeros and no percentiles on an empty table', async () => {
    const reply = await t.call('GET', '/stats');

    expect(reply.body.jobs).toEqual({ total: 0, byStatus: {} });
    expect(reply.body.durations).toMatchObject({ samples: 0, p50Ms: null, p95Ms: null });
    expect(reply.body.cost.stepFunctions.usd.total).toBe(0);
  });
});

describe('GET /health', () => {
  it('answers 200 with both dependencies reachable', async () => {
    const reply = await t.call('GET', '/health');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: 'ok',
      // The scheduler's clock (the harness pins it), which a client of a warped local runtime plans by.
      now: new Date(T0).toISOString(),
      store: { reachable: true, latencyMs: expect.any(Number) },
      stepFunctions: { reachable: true, latencyMs: expect.any(Number) },
    });
  });

  it('answers 503 with the same shape when Step Functions is down', async () => {
    t.executions.down = true;

    const reply = await t.call('GET', '/health');

    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ status: 'unavailable', store: { reachable: true }, stepFunctions: { reachable: false } });
  });

  it('answers 503 when the store is a closed port', async () => {
    const port = await closedPort();
    const client = createDocumentClient({ tableName: 'jobs', endpoint: `http://127.0.0.1:${port}` });
    const api = createApi({
      store: createDynamoStores(client, 'jobs').jobs,
      extras: createDynamoStores(client, 'jobs').requests,
      runs: createDynamoStores(client, 'jobs').runs,
      executions: new RecordingExecutions(),
      runDurations: new DynamoDbRunDurations(client, 'jobs'),
      now: () => new Date(T0),
      apiToken: 'secret',
    });

    const result = await api(apiEvent('GET', '/health'));
    client.destroy();

    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'unavailable', store: { reachable: false }, stepFunctions: { reachable: true } });
  });
});

describe('the bearer token', () => {
  let secured: ApiUnderTest;

  beforeAll(async () => {
    secured = await startApi({ apiToken: 'let-me-in' });
  });

  afterAll(async () => {
    await secured.stop();
  });

  it('is required on every route but /health when API_TOKEN is set', async () => {
    const missing = await secured.call('GET', '/jobs');
    const wrong = await secured.call('GET', '/jobs', { headers: { Authorization: 'Bearer let-me-out' } });
    const right = await secured.call('GET', '/jobs', { headers: { Authorization: 'Bearer let-me-in' } });
    const health = await secured.call('GET', '/health');

    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(200);
    expect(health.status).toBe(200);
  });

  it('is read from the header in any case and the scheme in any case', async () => {
    const reply = await secured.call('POST', '/jobs', { body: job(), headers: { authorization: 'bearer let-me-in' } });

    expect(reply.status).toBe(201);
  });
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
