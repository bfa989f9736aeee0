/**
 * The DynamoDB ExtraRunStore (trigger and backfill requests and their runs) against dynalite: each run is
 * counted on its request exactly once (a second or concurrent finisher, a re-delivered begin, a crash
 * between the run write and the count), an ended request stays ended and runs nothing more, and the extra
 * items live beside the live ones in the job's partition without either listing seeing the other's.
 */
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { createDynamoStores } from '../../../src/adapters/dynamodb';
import { requestSeries, type RunLedger, type RunRecord } from '../../../src/lib/ledger';
import type { ExtraRequest, JobStore, NewExtraRequest, RequestStore } from '../../../src/lib/store';
import { beginRun, failRun, succeedRun } from '../../support/runs';
import { extraRunKey, jobPk, REQUEST_SK_PREFIX } from '../../../src/adapters/table';
import { PermanentError, RunAlreadyFinishedError, TransientError } from '../../../src/lib/errors';
import { newRequestId, RequestNotActiveError, type ExtraKind } from '../../../src/lib/extra-runs';
import { parseJob, type Job } from '../../../src/lib/job';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';

let db: LocalDynamo;
let client: DynamoDBDocumentClient;
let extras: RequestStore;
let jobs: JobStore;
let runs: RunLedger;

/** The ledger over another client (one that fails on purpose). */
function ledgerOver(over: DynamoDBDocumentClient): RunLedger {
  return createDynamoStores(over, db.tableName).runs;
}

beforeAll(async () => {
  db = await startDynalite();
  client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  ({ requests: extras, jobs, runs } = createDynamoStores(client, db.tableName));
});

afterAll(async () => {
  client.destroy();
  await db.stop();
});

let counter = 0;
/** A job id no other test in this file uses. */
function uniqueId(name: string): string {
  counter += 1;
  return `${name}-${counter}`;
}

/** 2026-11-24T10:00:00Z plus `seconds`. */
function at(seconds: number): Date {
  return new Date(Date.parse('2026-11-24T10:00:00Z') + seconds * 1000);
}

let requests = 0;
/** Random part of a request id, fixed so a test can name it. */
const hex = (n: number) => () => n.toString(16).padStart(6, '0');

async function newRequest(jobId: string, kind: ExtraKind = 'backfill', now = at(0), overrides: Partial<NewExtraRequest> = {}): Promise<ExtraRequest> {
  requests += 1;
  const requestId = newRequestId(kind, now, hex(requests));
  const backfill = kind === 'backfill' ? { runCount: 3, from: '2026-11-01T00:00:00.000Z', to: '2026-11-01T02:00:00.000Z', firstIteration: 0 } : { runCount: 1, beforeIteration: 4 };
  const { outcome, request } = await extras.createRequest({ jobId, requestId, kind, now, ...backfill, ...overrides });
  expect(outcome).toBe('created');
  return request;
}

const seriesOf = (request: ExtraRequest) => requestSeries(request.kind, request.requestId);
const jobOf = (request: ExtraRequest) => parseJob({ id: request.jobId, startDateTime: '2026-11-01T00:00:00Z', frequency: { hours: 1 }, forever: true, action: { type: 'message', text: 'hello' } });
const iterationOf = (request: ExtraRequest, index: number) => (request.kind === 'backfill' ? (request.firstIteration ?? 0) + index : (request.beforeIteration ?? 0));

function begin(request: ExtraRequest, index: number, now = at(10 + index * 10), ledger: RunLedger = runs) {
  return ledger.begin({
    jobId: request.jobId,
    series: seriesOf(request),
    index,
    job: jobOf(request),
    iteration: iterationOf(request, index),
    phase: 'action',
    plannedAt: `2026-11-01T0${index}:00:00Z`,
    totalRuns: null,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:scheduler:${request.jobId}--${request.requestId}`,
    now,
  });
}

function succeed(request: ExtraRequest, index: number, result: Record<string, string | number> = { index }, ledger: RunLedger = runs) {
  return succeedRun(ledger, { job: jobOf(request), series: seriesOf(request), index, iteration: iterationOf(request, index), phase: 'action', result, durationMs: 1234.4, now: at(15 + index * 10) });
}

function fail(request: ExtraRequest, index: number, message = 'webhook answered 400') {
  return failRun(runs, { job: jobOf(request), series: seriesOf(request), index, iteration: iterationOf(request, index), phase: 'action', error: { name: 'PermanentError', message }, policy: 'continue', now: at(16 + index * 10) });
}

async function counts(request: ExtraRequest) {
  const stored = await extras.getRequest(request.jobId, request.requestId);
  return stored && { completedRuns: stored.completedRuns, failedRuns: stored.failedRuns, cursor: stored.cursor, state: stored.state };
}

/**
 * A document client that throws ThrottlingException (before sending) the first time `matches` holds: a
 * write that never happened, as when a task dies or is throttled between two writes.
 */
function failingOnce(matches: (command: unknown) => boolean): DynamoDBDocumentClient & { fired: number } {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const faulty = Object.assign(Object.create(client) as DynamoDBDocumentClient, {
    fired: 0,
    send: (command: unknown) => {
      if (faulty.fired === 0 && matches(command)) {
        faulty.fired += 1;
        return Promise.reject(new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput (injected).', $metadata: { httpStatusCode: 400 } }));
      }
      return send(command);
    },
  });
  return faulty;
}

const isRequestUpdate = (command: unknown) =>
  command instanceof UpdateCommand && String(command.input.Key?.sk).startsWith(REQUEST_SK_PREFIX);

function actionJob(id: string): Job {
  return parseJob({ id, startDateTime: '2026-11-01T00:00:00Z', frequency: { hours: 1 }, forever: true, action: { type: 'message', text: 'hello' } });
}

describe('creating a request', () => {
  test('returns created, then for the same id exists with the stored request, which is not overwritten', async () => {
    const jobId = uniqueId('create');
    const requestId = newRequestId('backfill', at(0), hex(1));
    const input = { jobId, requestId, kind: 'backfill' as const, runCount: 3, from: '2026-11-01T00:00:00.000Z', to: '2026-11-01T02:00:00.000Z', firstIteration: 0, note: 'first', now: at(0) };

    const first = await extras.createRequest(input);
    const again = await extras.createRequest({ ...input, runCount: 7, to: '2026-11-01T06:00:00.000Z', note: 'second', now: at(60) });

    expect(first).toEqual({
      outcome: 'created',
      request: {
        jobId,
        requestId,
        kind: 'backfill',
        state: 'RUNNING',
        requestedAt: at(0).toISOString(),
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-01T02:00:00.000Z',
        firstIteration: 0,
        note: 'first',
        runCount: 3,
        completedRuns: 0,
        failedRuns: 0,
        cursor: -1,
        executionArns: [],
      },
    });
    expect(again).toEqual({ outcome: 'exists', request: first.request });
    expect(await extras.getRequest(jobId, requestId)).toEqual(first.request);
  });
});

describe('an Idempotency-Key', () => {
  test('ties a key to the first request made with it: a repeat under a new id finds that one, per kind and job', async () => {
    const jobId = uniqueId('keyed');
    const base = { jobId, kind: 'trigger' as const, runCount: 1, beforeIteration: 0, idempotencyKey: 'click-1' };

    const first = await extras.createRequest({ ...base, requestId: newRequestId('trigger', at(0), hex(1)), now: at(0) });
    const again = await extras.createRequest({ ...base, requestId: newRequestId('trigger', at(5), hex(2)), now: at(5) });
    const otherKind = await extras.createRequest({ ...base, kind: 'backfill', runCount: 2, requestId: newRequestId('backfill', at(6), hex(3)), now: at(6) });
    const otherJob = await extras.createRequest({ ...base, jobId: uniqueId('keyed'), requestId: newRequestId('trigger', at(7), hex(4)), now: at(7) });

    expect(first.outcome).toBe('created');
    expect(again).toEqual({ outcome: 'exists', request: first.request });
    expect([otherKind.outcome, otherJob.outcome]).toEqual(['created', 'created']);
    expect(await extras.listRequests(jobId, 10)).toHaveLength(2);
  });

  test('a repeat after the first attempt died between the key and the request writes that request, under the first id', async () => {
    const jobId = uniqueId('keyed-crash');
    const faulty = createDynamoStores(
      failingOnce((command) => command instanceof PutCommand && String(command.input.Item?.sk).startsWith(REQUEST_SK_PREFIX)),
      db.tableName,
    ).requests;
    const firstId = newRequestId('trigger', at(0), hex(1));
    const base = { jobId, kind: 'trigger' as const, runCount: 1, idempotencyKey: 'click-2' };

    await expect(faulty.createRequest({ ...base, requestId: firstId, now: at(0) })).rejects.toBeInstanceOf(TransientError);
    const repeat = await extras.createRequest({ ...base, requestId: newRequestId('trigger', at(5), hex(2)), now: at(5) });

    expect(repeat.outcome).toBe('exists');
    expect(repeat.request.requestId).toBe(firstId);
    expect(await extras.listRequests(jobId, 10)).toEqual([repeat.request]);
  });
});

describe('finishing a run', () => {
  test('counts a success once on its request: completedRuns and cursor move', async () => {
    const request = await newRequest(uniqueId('finish'));

    const begun = await begin(request, 0);
    const run = await succeed(request, 0, { delivered: 1 });

    expect(begun).toEqual({ kind: 'run', attempts: 1 });
    expect(run).toMatchObject({ jobId: request.jobId, requestId: request.requestId, kind: 'backfill', index: 0, iteration: 0, state: 'SUCCEEDED', attempts: 1, durationMs: 1234, result: { delivered: 1 } });
    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 })).toEqual(run);
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
  });

  test('refuses a second finish of the same run with RunAlreadyFinishedError and counts nothing more', async () => {
    const request = await newRequest(uniqueId('finish-twice'));
    await begin(request, 0);
    const first = await succeed(request, 0, { by: 'first' });

    const again = succeed(request, 0, { by: 'second' });
    await expect(again).rejects.toBeInstanceOf(RunAlreadyFinishedError);
    const asFailure = fail(request, 0);
    await expect(asFailure).rejects.toBeInstanceOf(RunAlreadyFinishedError);

    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 })).toEqual(first);
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
  });

  test('lets exactly one of two concurrent finishers record each run, the counters moving once per run', async () => {
    const request = await newRequest(uniqueId('race'), 'backfill', at(0), { runCount: 5, to: '2026-11-01T04:00:00.000Z' });
    const winnersByIndex: string[] = [];

    for (let index = 0; index < 5; index++) {
      await begin(request, index);
      const outcomes = await Promise.allSettled([succeed(request, index, { by: 'success' }), fail(request, index, 'by failure')]);

      const winners = outcomes.filter((o): o is PromiseFulfilledResult<RunRecord> => o.status === 'fulfilled');
      const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]?.reason).toBeInstanceOf(RunAlreadyFinishedError);
      const stored = await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: index });
      expect(stored).toEqual(winners[0]?.value);
      winnersByIndex.push(stored?.state ?? 'missing');
      expect(await counts(request)).toMatchObject({ cursor: index });
    }

    const succeeded = winnersByIndex.filter((state) => state === 'SUCCEEDED').length;
    const failed = winnersByIndex.filter((state) => state === 'FAILED').length;
    expect(succeeded + failed).toBe(5);
    expect(await counts(request)).toEqual({ completedRuns: succeeded, failedRuns: failed, cursor: 4, state: 'RUNNING' });
  });

  test('records a failure with its error and counts it in failedRuns', async () => {
    const request = await newRequest(uniqueId('failed'));
    await begin(request, 0);

    const run = await fail(request, 0, 'webhook POST answered 400');

    expect(run).toMatchObject({ index: 0, state: 'FAILED', attempts: 1, error: { name: 'PermanentError', message: 'webhook POST answered 400' }, finishedAt: at(16).toISOString() });
    expect(run.result).toBeUndefined();
    expect(await counts(request)).toEqual({ completedRuns: 0, failedRuns: 1, cursor: 0, state: 'RUNNING' });
  });

  test('refuses to finish a run that was never begun, and writes no run item', async () => {
    const request = await newRequest(uniqueId('never-begun'));

    await expect(succeed(request, 0)).rejects.toBeInstanceOf(PermanentError);

    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 })).toBeUndefined();
    expect(await counts(request)).toEqual({ completedRuns: 0, failedRuns: 0, cursor: -1, state: 'RUNNING' });
  });
});

describe('beginning a run again', () => {
  test('returns a finished run as already-finished with its record, counting nothing more', async () => {
    const request = await newRequest(uniqueId('rebegin-finished'));
    await begin(request, 0);
    const finished = await succeed(request, 0, { delivered: 1 });

    const again = await begin(request, 0, at(500));

    expect(again).toEqual({ kind: 'already-settled', run: finished });
    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 })).toEqual(finished);
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
  });

  test('begins a run left STARTED by a crashed attempt again, as attempt 2, and counts it once when it finishes', async () => {
    const request = await newRequest(uniqueId('rebegin-started'));
    await begin(request, 0, at(10));

    const retry = await begin(request, 0, at(40));
    const whileRunning = await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 });
    await succeed(request, 0);

    expect(retry).toEqual({ kind: 'run', attempts: 2 });
    expect(whileRunning).toMatchObject({ state: 'STARTED', attempts: 2, startedAt: at(40).toISOString() });
    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 0 })).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
  });
});

describe('a crash between the run write and the count', () => {
  test('a run finished whose count failed is counted by the next beginRun of it, exactly once', async () => {
    const request = await newRequest(uniqueId('crash-count'));
    await begin(request, 0);
    const faulty = failingOnce(isRequestUpdate);
    const crashing = ledgerOver(faulty);

    const finishing = succeed(request, 0, { delivered: 1 }, crashing);
    await expect(finishing).rejects.toBeInstanceOf(TransientError);
    const afterCrash = await counts(request);
    const redelivered = await begin(request, 0, at(100));
    const afterSettle = await counts(request);
    const redeliveredAgain = await begin(request, 0, at(200));
    const lateFinish = succeed(request, 0, { delivered: 2 });
    await expect(lateFinish).rejects.toBeInstanceOf(RunAlreadyFinishedError);

    expect(faulty.fired).toBe(1);
    expect(afterCrash).toEqual({ completedRuns: 0, failedRuns: 0, cursor: -1, state: 'RUNNING' });
    expect(redelivered).toEqual({ kind: 'already-settled', run: expect.objectContaining({ index: 0, state: 'SUCCEEDED', result: { delivered: 1 } }) });
    expect(afterSettle).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
    expect(redeliveredAgain.kind).toBe('already-settled');
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
  });

  test('a run item written FAILED with no count (written directly) is counted in failedRuns by beginRun, once', async () => {
    const request = await newRequest(uniqueId('crash-direct'));
    await begin(request, 0);
    await succeed(request, 0);
    // Run 1 as the first write of a failure left it: the item FAILED, the request never told.
    await client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...extraRunKey(request.jobId, request.requestId, 1),
          jobId: request.jobId,
          requestId: request.requestId,
          kind: 'backfill',
          index: 1,
          iteration: 1,
          phase: 'action',
          plannedAt: '2026-11-01T01:00:00Z',
          startedAt: at(20).toISOString(),
          finishedAt: at(21).toISOString(),
          attempts: 1,
          state: 'FAILED',
          error: { name: 'PermanentError', message: 'written directly' },
        },
      }),
    );
    const before = await counts(request);

    const first = await begin(request, 1, at(300));
    const second = await begin(request, 1, at(400));

    expect(before).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'RUNNING' });
    expect(first).toEqual({ kind: 'already-settled', run: expect.objectContaining({ index: 1, state: 'FAILED', error: { name: 'PermanentError', message: 'written directly' } }) });
    expect(second.kind).toBe('already-settled');
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 1, cursor: 1, state: 'RUNNING' });
  });
});

describe('ending a request', () => {
  test.each(['SUCCEEDED', 'FAILED', 'CANCELLED'] as const)('moves RUNNING to %s once; a later end returns the record unchanged', async (state) => {
    const request = await newRequest(uniqueId(`end-${state.toLowerCase()}`));

    const ended = await extras.endRequest(request.jobId, request.requestId, state, at(100), `ended ${state}`);
    const later = await extras.endRequest(request.jobId, request.requestId, state === 'CANCELLED' ? 'SUCCEEDED' : 'CANCELLED', at(200), 'too late');

    expect(ended).toEqual({ ...request, state, finishedAt: at(100).toISOString(), reason: `ended ${state}` });
    expect(later).toEqual(ended);
    expect(await extras.getRequest(request.jobId, request.requestId)).toEqual(ended);
  });

  test('refuses a run of a cancelled request with RequestNotActiveError, writing no run', async () => {
    const request = await newRequest(uniqueId('cancelled'));
    await begin(request, 0);
    await succeed(request, 0);
    await extras.endRequest(request.jobId, request.requestId, 'CANCELLED', at(50), 'stopped through the API');

    const next = begin(request, 1, at(60));

    await expect(next).rejects.toBeInstanceOf(RequestNotActiveError);
    await expect(next).rejects.toThrow(/CANCELLED/);
    expect(await runs.get({ jobId: request.jobId, series: requestSeries('backfill', request.requestId), index: 1 })).toBeUndefined();
    expect(await counts(request)).toEqual({ completedRuns: 1, failedRuns: 0, cursor: 0, state: 'CANCELLED' });
  });

  test('refuses a run of a request that does not exist with RequestNotActiveError, writing no run', async () => {
    const jobId = uniqueId('no-request');
    const ghost = { jobId, requestId: newRequestId('trigger', at(0), hex(9)), kind: 'trigger' as const, runCount: 1, completedRuns: 0, failedRuns: 0, cursor: -1, executionArns: [], state: 'RUNNING' as const, requestedAt: at(0).toISOString() };

    await expect(begin(ghost, 0)).rejects.toBeInstanceOf(RequestNotActiveError);

    expect(await runs.get({ jobId: jobId, series: requestSeries('backfill', ghost.requestId), index: 0 })).toBeUndefined();
    expect(await extras.getRequest(jobId, ghost.requestId)).toBeUndefined();
  });
});

describe('listing', () => {
  test('listRequests returns a job\'s requests newest first across kinds, at most limit', async () => {
    const jobId = uniqueId('list-requests');
    const oldest = await newRequest(jobId, 'backfill', at(0));
    const second = await newRequest(jobId, 'trigger', at(10));
    const third = await newRequest(jobId, 'backfill', at(20));
    const newest = await newRequest(jobId, 'trigger', at(30));
    await newRequest(uniqueId('other-job'), 'trigger', at(40));

    const all = await extras.listRequests(jobId, 10);
    const limited = await extras.listRequests(jobId, 3);

    expect(all.map((r) => r.requestId)).toEqual([newest, third, second, oldest].map((r) => r.requestId));
    expect(limited.map((r) => r.requestId)).toEqual([newest, third, second].map((r) => r.requestId));
    expect(all[0]).toEqual(newest);
  });

  test('listRuns returns extra runs only, newest request first across kinds, at most limit', async () => {
    const jobId = uniqueId('list-runs');
    // A trigger first, a backfill after it: the backfill is the newer request, though `trigger-…` sorts after `backfill-…`.
    const trigger = await newRequest(jobId, 'trigger', at(0));
    await begin(trigger, 0, at(1));
    await succeed(trigger, 0);
    const backfill = await newRequest(jobId, 'backfill', at(100), { runCount: 2 });
    await begin(backfill, 0, at(101));
    await succeed(backfill, 0);
    await begin(backfill, 1, at(102));
    await succeed(backfill, 1);

    const all = await runs.list(jobId, 'manual', { limit: 10 }).then((page) => page.items);
    const newestOnly = await runs.list(jobId, 'manual', { limit: 2 }).then((page) => page.items);

    expect(all).toHaveLength(3);
    expect(all.map((r) => r.requestId)).toEqual([backfill.requestId, backfill.requestId, trigger.requestId]);
    expect(newestOnly.map((r) => [r.requestId, r.index])).toEqual(
      expect.arrayContaining([
        [backfill.requestId, 0],
        [backfill.requestId, 1],
      ]),
    );
    expect(newestOnly).toHaveLength(2);
  });

  test('keeps live and extra items apart: neither listing returns the other\'s, and the live job does not move', async () => {
    const job = actionJob(uniqueId('apart'));
    await jobs.createJob(job, { totalRuns: null, nextRunAt: '2026-11-24T11:00:00Z', now: at(0) });
    await beginRun(runs, { job, iteration: 0, phase: 'action', plannedAt: '2026-11-01T00:00:00Z', totalRuns: null, now: at(1) });
    await succeedRun(runs, { job, iteration: 0, phase: 'action', result: { live: true }, statusAfter: 'SCHEDULED', nextRunAt: '2026-11-01T01:00:00Z', now: at(2) });
    const liveBefore = await jobs.getJob(job.id);
    const request = await newRequest(job.id, 'backfill', at(10), { runCount: 2 });
    await begin(request, 0);
    await succeed(request, 0, { extra: 0 });
    await begin(request, 1);
    await fail(request, 1);

    const liveRuns = await runs.list(job.id, 'live', { limit: 100 });
    const extraRuns = await runs.list(job.id, 'manual', { limit: 100 }).then((page) => page.items);

    expect(liveRuns.items.map((r) => [r.iteration, r.state, r.result])).toEqual([[0, 'SUCCEEDED', { live: true }]]);
    expect(liveRuns.cursor).toBeUndefined();
    for (const run of liveRuns.items) {
      expect(run).not.toHaveProperty('requestId');
      expect(run.kind).toBe('live');
      expect(run).not.toHaveProperty('runCount');
    }
    expect(extraRuns.map((r) => [r.requestId, r.index, r.state]).sort()).toEqual([
      [request.requestId, 0, 'SUCCEEDED'],
      [request.requestId, 1, 'FAILED'],
    ]);
    expect(extraRuns.every((r) => r.requestId === request.requestId && r.kind === 'backfill')).toBe(true);
    expect(await extras.listRequests(job.id, 10)).toEqual([expect.objectContaining({ requestId: request.requestId, completedRuns: 1, failedRuns: 1 })]);
    // Only the request itself is counted on the job (so its detail knows to look for requests); its runs move nothing.
    expect(await jobs.getJob(job.id)).toEqual({ ...liveBefore, requestsMade: (liveBefore?.requestsMade ?? 0) + 1 });
    expect(liveBefore).toMatchObject({ cursor: 0, progress: { completedRuns: 1, failedRuns: 0 } });
  });

  test('deleteJob removes the job\'s requests and extra runs with it', async () => {
    const job = actionJob(uniqueId('delete'));
    await jobs.createJob(job, { totalRuns: null, nextRunAt: '2026-11-24T11:00:00Z', now: at(0) });
    await beginRun(runs, { job, iteration: 0, phase: 'action', plannedAt: '2026-11-01T00:00:00Z', totalRuns: null, now: at(1) });
    const trigger = await newRequest(job.id, 'trigger', at(5));
    const backfill = await newRequest(job.id, 'backfill', at(10));
    await begin(trigger, 0);
    await succeed(trigger, 0);
    await begin(backfill, 0);
    const survivor = await newRequest(uniqueId('survivor'), 'trigger', at(10));

    const deleted = await jobs.deleteJob(job.id);

    expect(deleted).toBe(1);
    const left = await client.send(
      new QueryCommand({ TableName: db.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': jobPk(job.id) }, ConsistentRead: true }),
    );
    expect(left.Items ?? []).toEqual([]);
    expect(await extras.listRequests(job.id, 10)).toEqual([]);
    expect(await runs.list(job.id, 'manual', { limit: 10 }).then((page) => page.items)).toEqual([]);
    expect(await extras.getRequest(job.id, backfill.requestId)).toBeUndefined();
    expect(await runs.get({ jobId: job.id, series: requestSeries('backfill', trigger.requestId), index: 0 })).toBeUndefined();
    expect(await extras.getRequest(survivor.jobId, survivor.requestId)).toEqual(survivor);
  });
});

describe('running requests', () => {
  test('are all found however many newer requests came after them', async () => {
    const jobId = uniqueId('running');
    const old = await newRequest(jobId, 'backfill', at(0));
    for (let i = 1; i <= 120; i++) {
      const done = await newRequest(jobId, 'trigger', at(i));
      await extras.endRequest(jobId, done.requestId, 'SUCCEEDED', at(i));
    }
    const recent = await newRequest(jobId, 'trigger', at(500));

    const running = await extras.listRunningRequests(jobId);

    expect(running.map((r) => r.requestId).sort()).toEqual([old.requestId, recent.requestId].sort());
    expect((await extras.listRequests(jobId, 3)).map((r) => r.requestId)[0]).toBe(recent.requestId);
  });
});

describe('recording an execution', () => {
  test('appends each execution once: a repeat adds nothing, and a request that does not exist is not created', async () => {
    const request = await newRequest(uniqueId('executions'));
    const first = `arn:aws:states:us-east-1:000000000000:execution:scheduler:${request.jobId}--${request.requestId}`;
    const restarted = `${first}-1`;

    await extras.recordExecution(request.jobId, request.requestId, first);
    await extras.recordExecution(request.jobId, request.requestId, first);
    await extras.recordExecution(request.jobId, request.requestId, restarted);
    await extras.recordExecution(request.jobId, request.requestId, first);
    await extras.recordExecution(request.jobId, 'trigger-key-0000000000000000', first);

    expect(await extras.getRequest(request.jobId, request.requestId)).toEqual({ ...request, executionArns: [first, restarted] });
    expect(await extras.getRequest(request.jobId, 'trigger-key-0000000000000000')).toBeUndefined();
  });
});
