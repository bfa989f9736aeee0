/**
 * The DynamoDB JobStore against dynalite: the conditions that keep a run from being counted twice, a
 * stopped job from moving again, and listings from losing or repeating a job.
 */
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { LIVE } from '../../../src/lib/ledger';
import { progressOf } from '../../../src/lib/progress';
import type { JobRecord, JobStore } from '../../../src/lib/store';
import { beginRun, failRun, succeedRun } from '../../support/runs';
import { runKey } from '../../../src/adapters/table';
import {
  JobConflictError,
  JobNotActiveError,
  RunAlreadyFinishedError,
  TransientError,
  ValidationError,
} from '../../../src/lib/errors';
import { parseJob, type Job } from '../../../src/lib/job';
import type { RunRecord } from '../../../src/lib/store';
import { createTable, startDynalite, type LocalDynamo } from '../../support/dynalite';

let db: LocalDynamo;
let client: DynamoDBDocumentClient;
let store: JobStore;
let stores: Stores;

/** The record with the progress the API shows (percentage and days are derived on read: src/lib/progress.ts). */
function shown<T extends JobRecord | undefined>(record: T) {
  return record && { ...record, progress: progressOf(record, !record.job.action) };
}

beforeAll(async () => {
  db = await startDynalite();
  client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  stores = createDynamoStores(client, db.tableName);
  store = stores.jobs;
});

afterAll(async () => {
  client.destroy();
  await db.stop();
});

afterEach(() => jest.restoreAllMocks());

let counter = 0;
/** A job id no other test in this file uses. */
function uniqueId(name: string): string {
  counter += 1;
  return `${name}-${counter}`;
}

/** 2024-12-04T10:00:00Z plus `seconds`. */
function at(seconds: number): Date {
  return new Date(Date.parse('2024-12-04T10:00:00Z') + seconds * 1000);
}

function actionJob(id = uniqueId('action'), overrides: Record<string, unknown> = {}): Job {
  return parseJob({
    id,
    startDateTime: '2024-12-04T10:00:00Z',
    frequency: { hours: 1 },
    forever: true,
    action: { type: 'message', text: 'hello' },
    ...overrides,
  });
}

function workflowJob(id = uniqueId('workflow')): Job {
  return parseJob({
    id,
    startDateTime: '2024-12-04T10:00:00Z',
    endDateTime: '2024-12-06T10:00:00Z',
    frequency: { days: 1 },
  });
}

async function create(target: JobStore, job: Job, totalRuns: number | null = 10, nextRunAt: string | null = '2024-12-04T10:00:00Z') {
  return target.createJob(job, { totalRuns, nextRunAt, now: at(0) });
}

function begin(job: Job, iteration: number, now = at(iteration * 3600)) {
  return beginRun(stores.runs, {
    job,
    iteration,
    phase: job.action ? 'action' : 'collection',
    plannedAt: now.toISOString(),
    totalRuns: 10,
    now,
  });
}

function finish(job: Job, iteration: number, result: Record<string, number | string> = { n: iteration }, now = at(iteration * 3600 + 2), durationMs = now.getTime() - at(iteration * 3600).getTime()) {
  return succeedRun(stores.runs, {
    job,
    iteration,
    phase: job.action ? 'action' : 'collection',
    result,
    // The step's real time: by default the span since the run began at(iteration hours).
    durationMs,
    statusAfter: job.action ? 'SCHEDULED' : `DAY_${iteration + 1}_COMPLETE`,
    nextRunAt: at((iteration + 1) * 3600).toISOString().replace('.000Z', 'Z'),
    now,
  });
}

function failure(job: Job, iteration: number, policy: 'abort' | 'continue', now = at(iteration * 3600 + 5)) {
  return failRun(stores.runs, {
    job,
    iteration,
    phase: job.action ? 'action' : 'collection',
    plannedAt: at(iteration * 3600).toISOString(),
    error: { name: 'PermanentError', message: 'data source is not a valid JSON array' },
    policy,
    nextRunAt: policy === 'abort' ? null : at((iteration + 1) * 3600).toISOString(),
    now,
  });
}

describe('creating a job', () => {
  test('stores a new job once and reports the same job submitted again as existing', async () => {
    const job = actionJob();

    const first = await create(store, job);
    const again = await create(store, actionJob(job.id));

    expect(first.outcome).toBe('created');
    expect(again.outcome).toBe('exists');
    expect(again.record).toEqual(first.record);
    expect(shown(first.record)).toMatchObject({
      jobId: job.id,
      status: 'SCHEDULED',
      cursor: -1,
      progress: { percentage: 0, completedRuns: 0, failedRuns: 0, totalRuns: 10 },
      nextRunAt: '2024-12-04T10:00:00Z',
      metrics: { retries: 0, runDurationMsTotal: 0 },
      executionArns: [],
    });
  });

  test('refuses a different job under an existing id with JobConflictError', async () => {
    const job = actionJob();
    await create(store, job);

    const attempt = create(store, actionJob(job.id, { action: { type: 'message', text: 'something else' } }));

    await expect(attempt).rejects.toBeInstanceOf(JobConflictError);
    expect((shown(await store.getJob(job.id)))?.job).toEqual(job);
  });

  test('starts a workflow INITIALIZED with day counters at zero', async () => {
    const job = workflowJob();

    const { record } = await create(store, job, 3);

    expect(record.status).toBe('INITIALIZED');
    expect(shown(record).progress).toEqual({ percentage: 0, completedRuns: 0, failedRuns: 0, skippedRuns: 0, totalRuns: 3, currentDay: 0, completedDays: 0, totalDays: 3 });
  });
});

describe('running a job', () => {
  test('begins a run, shows the action job RUNNING, and counts the run once it finishes', async () => {
    const job = actionJob();
    await create(store, job);

    const begun = await begin(job, 0, at(0));
    const whileRunning = shown(await store.getJob(job.id));
    const run = await finish(job, 0, { delivered: 1 }, at(2));
    const after = shown(await store.getJob(job.id));

    expect(begun).toEqual({ kind: 'run', attempts: 1 });
    expect(whileRunning?.status).toBe('RUNNING');
    expect(run).toMatchObject({ jobId: job.id, iteration: 0, state: 'SUCCEEDED', attempts: 1, durationMs: 2000, result: { delivered: 1 } });
    expect(after).toMatchObject({
      status: 'SCHEDULED',
      cursor: 0,
      progress: { completedRuns: 1, failedRuns: 0, percentage: 10 },
      nextRunAt: '2024-12-04T11:00:00Z',
      metrics: { retries: 0, runDurationMsTotal: 2000 },
    });
  });

  test('counts workflow days and shows a completed job with nextRunAt null', async () => {
    const job = workflowJob();
    await create(store, job, 2);
    await begin(job, 0, at(0));
    await finish(job, 0, { records: 7 }, at(1));

    const afterDay = shown(await store.getJob(job.id));
    const completed = shown(await store.completeJob(job.id, at(10)));
    const completedAgain = shown(await store.completeJob(job.id, at(20)));

    expect(afterDay).toMatchObject({
      status: 'DAY_1_COMPLETE',
      progress: { percentage: 50, completedRuns: 1, currentDay: 1, completedDays: 1, totalDays: 2 },
    });
    expect(completed).toMatchObject({ status: 'COMPLETED', nextRunAt: null, finishedAt: at(10).toISOString() });
    expect(completed.progress.percentage).toBe(100);
    expect(completedAgain).toEqual(completed);
  });

  test('lets exactly one of two concurrent finishers record a run, counted once', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));

    const outcomes = await Promise.allSettled([finish(job, 0, { by: 'first' }, at(3)), finish(job, 0, { by: 'second' }, at(4))]);

    const winners = outcomes.filter((o): o is PromiseFulfilledResult<RunRecord> => o.status === 'fulfilled');
    const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]?.reason).toBeInstanceOf(RunAlreadyFinishedError);
    expect((await stores.runs.get({ jobId: job.id, series: LIVE, index: 0 }))?.result).toEqual(winners[0]?.value.result);
    expect(shown(await store.getJob(job.id))).toMatchObject({ cursor: 0, progress: { completedRuns: 1 } });
  });

  test('answers a re-delivered beginRun of a succeeded run with the stored run, without running it again', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));
    await finish(job, 0, { delivered: 42 }, at(1));

    const redelivered = await begin(job, 0, at(30));

    expect(redelivered).toEqual({
      kind: 'already-settled',
      run: expect.objectContaining({ state: 'SUCCEEDED', attempts: 1, result: { delivered: 42 } }),
    });
    expect(shown(await store.getJob(job.id))).toMatchObject({ status: 'SCHEDULED', cursor: 0, progress: { completedRuns: 1 } });
  });

  test('counts a retried attempt in attempts and metrics.retries', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0)); // the invocation dies without finishing

    const retried = await begin(job, 0, at(60));
    await finish(job, 0, { delivered: 1 }, at(61), 1000);

    expect(retried).toEqual({ kind: 'run', attempts: 2 });
    expect(await stores.runs.get({ jobId: job.id, series: LIVE, index: 0 })).toMatchObject({ attempts: 2, state: 'SUCCEEDED', durationMs: 1000 });
    expect((shown(await store.getJob(job.id)))?.metrics).toEqual({ retries: 1, runDurationMsTotal: 1000 });
  });

  test('counts a run that settles after its job was cancelled, the job staying CANCELLED (counters equal items)', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));
    await store.cancelJob(job.id, 'stopped by user', at(1));

    const late = await finish(job, 0, { delivered: 1 }, at(2));

    expect(late).toMatchObject({ state: 'SUCCEEDED' });
    expect(shown(await store.getJob(job.id))).toMatchObject({ status: 'CANCELLED', reason: 'stopped by user', cursor: 0, nextRunAt: null, progress: { completedRuns: 1 } });
    await expect(begin(job, 1)).rejects.toBeInstanceOf(JobNotActiveError);
  });

  test('counts a run that settles after its job was paused, the job staying PAUSED and resuming to the run\'s status', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));
    await store.pauseJob(job.id, 'maintenance', at(1));

    await finish(job, 0, { delivered: 1 }, at(2));
    const paused = shown(await store.getJob(job.id));
    const resumed = await store.resumeJob(job.id, at(3));

    expect(paused).toMatchObject({ status: 'PAUSED', pauseNote: 'maintenance', statusBeforePause: 'SCHEDULED', cursor: 0, progress: { completedRuns: 1 } });
    expect(resumed.status).toBe('SCHEDULED');
    await expect(begin(job, 1, at(2))).resolves.toMatchObject({ kind: 'run' });
  });

  test('refuses to begin a run of a cancelled job', async () => {
    const job = actionJob();
    await create(store, job);
    const cancelled = await store.cancelJob(job.id, 'stopped by user', at(1));

    const attempt = begin(job, 0, at(2));

    await expect(attempt).rejects.toMatchObject({ name: 'JobNotActiveError', status: 'CANCELLED' });
    expect(await stores.runs.get({ jobId: job.id, series: LIVE, index: 0 })).toBeUndefined();
    expect(await store.cancelJob(job.id, 'again', at(3))).toEqual(cancelled);
  });

  test('creates the job item of a job started from the console when its first run begins', async () => {
    const job = workflowJob();

    const begun = await begin(job, 0, at(0));

    expect(begun).toEqual({ kind: 'run', attempts: 1 });
    expect(shown(await store.getJob(job.id))).toMatchObject({ jobId: job.id, status: 'INITIALIZED', cursor: -1, job });
  });

  test('records a failed run and goes on under the continue policy', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));

    const failed = await failure(job, 0, 'continue', at(5));
    const after = shown(await store.getJob(job.id));
    const next = await begin(job, 1);

    // Real time since the run began (the test's clock is the real one here: 5 s).
    expect(failed).toMatchObject({ state: 'FAILED', durationMs: 5000, statusAfter: 'SCHEDULED', error: { message: 'data source is not a valid JSON array' } });
    expect(after).toMatchObject({ status: 'SCHEDULED', cursor: 0, progress: { completedRuns: 0, failedRuns: 1, percentage: 10 } });
    expect(next.kind).toBe('run');
  });

  test('measures a failed run in real time under a warped clock (issue 15: 9,331,200 ms were warped days)', async () => {
    const job = actionJob();
    await create(store, job);
    const realBegin = 1733306400000; // 2024-12-04T10:00:00Z on the real clock
    await beginRun(stores.runs, { job, iteration: 0, phase: 'action', now: at(0), realNowMs: realBegin });

    // 108 warped days later on the job's clock, 250 real milliseconds later.
    const failed = await failRun(stores.runs, { job, iteration: 0, phase: 'action', policy: 'continue', now: at(108 * 86400), realNowMs: realBegin + 250 });

    expect(failed).toMatchObject({ state: 'FAILED', durationMs: 250 });
  });

  test('fails the job under the abort policy, and a late retry of the same failure changes nothing', async () => {
    const job = workflowJob();
    await create(store, job, 3);
    await begin(job, 0, at(0));

    await failure(job, 0, 'abort', at(5));
    const after = shown(await store.getJob(job.id));
    await expect(failure(job, 0, 'abort', at(50))).rejects.toBeInstanceOf(RunAlreadyFinishedError);

    expect(after).toMatchObject({
      status: 'FAILED',
      reason: 'data source is not a valid JSON array',
      finishedAt: at(5).toISOString(),
      nextRunAt: null,
      progress: { failedRuns: 1, completedRuns: 0 },
    });
    expect(shown(await store.getJob(job.id))).toEqual(after);
    await expect(begin(job, 1)).rejects.toBeInstanceOf(JobNotActiveError);
  });

  test('counts a run whose finisher stopped between its two writes once the run is re-delivered', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0, at(0));
    const send = client.send.bind(client);
    jest.spyOn(client, 'send').mockImplementation(((command: UpdateCommand) => {
      // The invocation dies after the run item is written, before the job item is.
      if (command instanceof UpdateCommand && command.input.Key?.sk === 'JOB' && command.input.UpdateExpression?.includes('#cursor = ')) {
        return Promise.reject(new Error('Task timed out after 30.00 seconds'));
      }
      return send(command);
    }) as typeof client.send);
    await expect(finish(job, 0, { delivered: 7 }, at(2))).rejects.toThrow('Task timed out');
    const stranded = shown(await store.getJob(job.id));
    jest.restoreAllMocks();

    const redelivered = await begin(job, 0, at(40));

    expect(stranded).toMatchObject({ cursor: -1, status: 'RUNNING' });
    expect(redelivered.kind).toBe('already-settled');
    expect(shown(await store.getJob(job.id))).toMatchObject({
      cursor: 0,
      status: 'SCHEDULED',
      nextRunAt: '2024-12-04T11:00:00Z',
      progress: { completedRuns: 1 },
      metrics: { runDurationMsTotal: 2000 },
    });
  });

  test('keeps a workflow with no next run listable by its status, showing nextRunAt null', async () => {
    const job = workflowJob();
    await create(store, job, 1);
    await beginRun(stores.runs, { job, iteration: 0, phase: 'report', plannedAt: at(0).toISOString(), totalRuns: 1, now: at(0) });

    await succeedRun(stores.runs, { job, iteration: 0, phase: 'report', result: { sent: true }, statusAfter: 'NOTIFICATION_SENT', nextRunAt: null, finalReport: { total: 3 }, now: at(1) });
    const listed = await store.listJobs({ status: 'NOTIFICATION_SENT', limit: 10 });

    expect(listed.items.map((record) => record.jobId)).toContain(job.id);
    expect(shown(await store.getJob(job.id))).toMatchObject({ status: 'NOTIFICATION_SENT', nextRunAt: null, finalReport: { total: 3 }, progress: { percentage: 100 } });
  });

  test('records each execution of a job once', async () => {
    const job = actionJob();
    await create(store, job);

    await store.recordExecution(job.id, 'arn:aws:states:us-east-1:123456789012:execution:scheduler:a', at(1));
    await store.recordExecution(job.id, 'arn:aws:states:us-east-1:123456789012:execution:scheduler:a', at(2));
    await store.recordExecution(job.id, 'arn:aws:states:us-east-1:123456789012:execution:scheduler:b', at(3));

    expect((shown(await store.getJob(job.id)))?.executionArns).toEqual([
      'arn:aws:states:us-east-1:123456789012:execution:scheduler:a',
      'arn:aws:states:us-east-1:123456789012:execution:scheduler:b',
    ]);
  });

  test('deletes a job with all its runs', async () => {
    const job = actionJob();
    await create(store, job);
    for (let i = 0; i < 30; i += 1) {
      await begin(job, i);
      await finish(job, i);
    }

    const deleted = await store.deleteJob(job.id);
    const deletedAgain = await store.deleteJob(job.id);

    expect(deleted).toBe(1);
    expect(deletedAgain).toBe(0);
    expect(shown(await store.getJob(job.id))).toBeUndefined();
    expect(await stores.runs.list(job.id, 'live', { limit: 100 })).toEqual({ items: [] });
  });

  test('records and pages through a job of 1,200 runs holding more than 400 KB, while the job item stays small', async () => {
    const job = workflowJob();
    await create(store, job, 1200);
    for (let i = 0; i < 1200; i += 1) {
      await begin(job, i, at(i));
      await finish(job, i, { records: i, note: 'x'.repeat(400) }, at(i));
    }

    const pages: RunRecord[][] = [];
    let cursor: string | undefined;
    do {
      const page = await stores.runs.list(job.id, 'live', { limit: 500, cursor });
      pages.push(page.items);
      cursor = page.cursor;
    } while (cursor);
    const record = shown(await store.getJob(job.id));

    expect(pages.map((p) => p.length)).toEqual([500, 500, 200]);
    expect(pages.flat().map((run) => run.iteration)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(Buffer.byteLength(JSON.stringify(pages.flat()))).toBeGreaterThan(400 * 1024);
    expect(record).toMatchObject({ cursor: 1199, progress: { completedRuns: 1200, percentage: 100 } });
    expect(JSON.stringify(record).length).toBeLessThan(4_000);
    // 2,400 sequential writes: generous, since on a loaded 2-core CI machine 30 s was not enough, and a timeout
    // here lets afterAll close dynalite under the still-running loop, which takes the whole jest process down.
  }, 240_000);
});

describe('listing jobs', () => {
  test('pages through 25 jobs 10 at a time: 3 pages, none repeated, none missing', async () => {
    const tableName = 'paging';
    await createTable(db.client, tableName);
    const paging = createDynamoStores(client, tableName).jobs;
    const ids = Array.from({ length: 25 }, () => uniqueId('paged'));
    for (const id of ids) await create(paging, actionJob(id));
    // 40 runs a job: a Scan request reads at most 200 items, about 5 of them jobs, so a page takes several.
    const runs = ids.flatMap((id) => Array.from({ length: 40 }, (_, i) => ({ ...runKey(id, i), jobId: id, iteration: i, state: 'SUCCEEDED' })));
    for (let i = 0; i < runs.length; i += 25) {
      await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: runs.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await paging.listJobs({ limit: 10, cursor });
      pages.push(page.items.map((job) => job.jobId));
      cursor = page.cursor;
    } while (cursor);

    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(new Set(pages.flat()).size).toBe(25);
    expect([...pages.flat()].sort()).toEqual([...ids].sort());
  });

  test('lists jobs of one status in the order they run next', async () => {
    const tableName = 'by-status';
    await createTable(db.client, tableName);
    const byStatus = createDynamoStores(client, tableName).jobs;
    const times = ['2024-12-04T12:00:00Z', '2024-12-04T09:00:00Z', '2024-12-05T08:00:00Z', '2024-12-04T10:30:00Z'];
    for (const [i, nextRunAt] of times.entries()) await create(byStatus, actionJob(`scheduled-${i}`), 10, nextRunAt);
    await create(byStatus, workflowJob('workflow-0'));
    await create(byStatus, actionJob('stopped-0'));
    await byStatus.cancelJob('stopped-0', 'stopped by user', at(1));

    const first = await byStatus.listJobs({ status: 'SCHEDULED', limit: 3 });
    const second = await byStatus.listJobs({ status: 'SCHEDULED', limit: 3, cursor: first.cursor });
    const cancelled = await byStatus.listJobs({ status: 'CANCELLED', limit: 10 });

    expect([...first.items, ...second.items].map((job) => job.nextRunAt)).toEqual([...times].sort());
    expect(second.cursor).toBeUndefined();
    expect(cancelled.items.map((job) => [job.jobId, job.nextRunAt])).toEqual([['stopped-0', null]]);
  });

  test('rejects a cursor it did not hand out with ValidationError on the cursor field', async () => {
    const job = actionJob();
    await create(store, job);
    await begin(job, 0);
    await finish(job, 0);
    await begin(job, 1);
    const runsCursor = (await stores.runs.list(job.id, 'live', { limit: 1 })).cursor;
    const notJson = Buffer.from('not json').toString('base64url');
    const wrongShape = Buffer.from(JSON.stringify({ pk: 1 })).toString('base64url');

    const attempts = [
      store.listJobs({ limit: 10, cursor: '%%%' }),
      store.listJobs({ limit: 10, cursor: notJson }),
      store.listJobs({ limit: 10, cursor: wrongShape }),
      store.listJobs({ status: 'SCHEDULED', limit: 10, cursor: runsCursor }),
      stores.runs.list('another-job', 'live', { limit: 10, cursor: runsCursor }),
    ];

    expect(runsCursor).toEqual(expect.any(String));
    for (const attempt of attempts) {
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toMatchObject({ field: 'cursor' });
    }
  });

  test('rejects a page size below 1 with ValidationError on the limit field', async () => {
    const attempt = store.listJobs({ limit: 0 });

    await expect(attempt).rejects.toMatchObject({ name: 'ValidationError', field: 'limit' });
  });
});

describe('DynamoDB faults', () => {
  test('turns throttling into TransientError carrying the AWS error as its cause', async () => {
    const job = actionJob();
    const throttle = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    jest.spyOn(client, 'send').mockImplementationOnce(() => Promise.reject(throttle));

    const attempt = create(store, job);

    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toMatchObject({ cause: throttle });
    expect(shown(await store.getJob(job.id))).toBeUndefined();
  });
});
