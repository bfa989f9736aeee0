/**
 * A backfill on the real ASL (aws-local-stepfunctions) with the real task handler over the DynamoDB job and
 * extra-run stores on dynalite, and an action step of the test's own: the `{ job, extra }` input goes
 * straight to RunExtra (no Calculate, no Wait), a TransientError is retried by the ASL, a permanent failure
 * is caught into RecordExtraFailure and the job's failure policy decides whether the request goes on, each
 * run sees the previous backfilled run's result, and the live job's record never moves.
 */
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { requestSeries } from '../../../src/lib/ledger';
import type { ExtraRequest, JobStore, RequestStore } from '../../../src/lib/store';
import { createTaskHandler } from '../../../src/functions/task/handler';
import { PermanentError, TransientError } from '../../../src/lib/errors';
import { newRequestId, planBackfill, requestExecution } from '../../../src/lib/extra-runs';
import { parseJob, type Job } from '../../../src/lib/job';
import type { JsonValue } from '../../../src/lib/json';
import type { StepContext, StepHandler, StepRegistry, StepResult } from '../../../src/lib/steps';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { entered, retried, runOnEngine } from '../../support/engine';

const HOUR = 3_600_000;

let db: LocalDynamo;
let stores: Stores;
let jobs: JobStore;
let extras: RequestStore;

beforeAll(async () => {
  db = await startDynalite();
  const client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  stores = createDynamoStores(client, db.tableName);
  ({ jobs, requests: extras } = stores);
});

afterAll(async () => {
  await db.stop();
});

/** Whole hours, ten hours ago: the job's first run; its runs 2, 3 and 4 are the past range backfilled. */
const START = Math.floor((Date.now() - 10 * HOUR) / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** An hourly action job of 24 runs that began ten hours ago, stored as the API stores it (never run live here). */
async function storedJob(id: string, extra: Record<string, unknown> = {}): Promise<Job> {
  const job = parseJob({ id, startDateTime: iso(START), frequency: { hours: 1 }, maxRuns: 24, action: { type: 'message', text: 'backfilled' }, ...extra });
  await jobs.createJob(job, { totalRuns: 24, nextRunAt: iso(START + 10 * HOUR), now: new Date() });
  return job;
}

/** A backfill of runs 2-4 written as POST /jobs/{id}/backfill writes it, and the execution it starts. */
async function backfill(job: Job): Promise<{ request: ExtraRequest; name: string; input: ReturnType<typeof requestExecution>['input'] }> {
  const now = new Date();
  const plan = planBackfill(job, { from: iso(START + 2 * HOUR), to: iso(START + 4 * HOUR) }, now.getTime());
  const { outcome, request } = await extras.createRequest({ jobId: job.id, requestId: newRequestId('backfill', now), kind: 'backfill', ...plan, now });
  expect(outcome).toBe('created');
  expect(request).toMatchObject({ firstIteration: 2, runCount: 3 });
  return { request, ...requestExecution(job, request, undefined) };
}

interface Call {
  index: number | undefined;
  attempt: number;
  iteration: number;
  extra: StepContext['extra'];
  lastResult: JsonValue | undefined;
}

/** A step registry whose action is `action`, recording every call; any other phase is a test failure. */
function stepsWith(action: (context: StepContext) => Promise<StepResult>): { steps: StepRegistry; calls: Call[] } {
  const calls: Call[] = [];
  const recorded: StepHandler = async (context) => {
    calls.push({ index: context.extra?.index, attempt: context.attempt, iteration: context.schedule.iteration, extra: context.extra, lastResult: context.lastResult });
    return action(context);
  };
  const wrong: StepHandler = async (context) => {
    throw new Error(`phase ${context.schedule.phase} must not run in an action backfill`);
  };
  return { steps: { action: recorded, collection: wrong, processing: wrong, report: wrong }, calls };
}

function taskWith(steps: StepRegistry) {
  return createTaskHandler(() => ({ ...stores, steps, notifier: { publish: async () => ({ messageId: 'unused' }) }, now: () => new Date() }));
}

/** The extra run records of a request, by index. */
async function runsOf(request: ExtraRequest) {
  return Promise.all([0, 1, 2].map((index) => stores.runs.get({ jobId: request.jobId, series: requestSeries(request.kind, request.requestId), index })));
}

describe('a backfill on the state machine', () => {
  it('runs 3 runs in order through the same loop as live runs (no wait: they are due), the ASL retrying a TransientError, and ends the request SUCCEEDED', async () => {
    const job = await storedJob('bf-retry');
    const { request, name, input } = await backfill(job);
    let flaky = 0;
    const { steps, calls } = stepsWith(async (context) => {
      if (context.extra?.index === 1 && flaky++ === 0) throw new TransientError('the receiver timed out (injected)');
      return { result: { index: context.extra?.index ?? -1 } };
    });

    const { events, result } = await runOnEngine(input, name, taskWith(steps));

    expect(result).toMatchObject({ ok: true, output: { jobId: job.id, requestId: request.requestId, status: 'SUCCEEDED' } });
    expect(entered(events, 'RunStep')).toHaveLength(3);
    expect(retried(events, 'RunStep')).toHaveLength(1);
    expect(entered(events, 'RecordFailure')).toHaveLength(0);
    // The calculator plans each run of the request, and says done after the last.
    expect(entered(events, 'Calculate')).toHaveLength(4);
    expect(entered(events, 'Finish')).toHaveLength(1);
    expect(calls.map((c) => [c.index, c.attempt, c.iteration])).toEqual([
      [0, 1, 2],
      [1, 1, 3],
      [1, 2, 3],
      [2, 1, 4],
    ]);
    const runs = await runsOf(request);
    expect(runs.map((r) => [r?.index, r?.iteration, r?.state, r?.attempts, r?.plannedAt])).toEqual([
      [0, 2, 'SUCCEEDED', 1, iso(START + 2 * HOUR)],
      [1, 3, 'SUCCEEDED', 2, iso(START + 3 * HOUR)],
      [2, 4, 'SUCCEEDED', 1, iso(START + 4 * HOUR)],
    ]);
    expect(runs.every((r) => r?.executionArn?.endsWith(`:${name}`))).toBe(true);
    expect(await extras.getRequest(job.id, request.requestId)).toMatchObject({ state: 'SUCCEEDED', completedRuns: 3, failedRuns: 0, cursor: 2, finishedAt: expect.any(String) });
  });

  it('catches a PermanentError into RecordFailure, records the run FAILED, and under onFailure continue runs the rest and ends the request FAILED', async () => {
    const job = await storedJob('bf-continue');
    expect(job.onFailure).toBeUndefined(); // an action job's default policy is continue
    const { request, name, input } = await backfill(job);
    const { steps, calls } = stepsWith(async (context) => {
      if (context.extra?.index === 1) throw new PermanentError('the receiver refused run 1: 400 bad payload');
      return { result: { index: context.extra?.index ?? -1 } };
    });

    const { events, result } = await runOnEngine(input, name, taskWith(steps));

    expect(result).toMatchObject({ ok: true, output: { requestId: request.requestId, status: 'FAILED' } });
    expect(retried(events, 'RunStep')).toHaveLength(0);
    expect(entered(events, 'RunStep')).toHaveLength(3);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    expect(calls.map((c) => [c.index, c.attempt])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const runs = await runsOf(request);
    expect(runs.map((r) => [r?.index, r?.state, r?.attempts])).toEqual([
      [0, 'SUCCEEDED', 1],
      [1, 'FAILED', 1],
      [2, 'SUCCEEDED', 1],
    ]);
    expect(runs[1]?.error).toEqual({ name: 'PermanentError', message: 'the receiver refused run 1: 400 bad payload' });
    expect(await extras.getRequest(job.id, request.requestId)).toMatchObject({ state: 'FAILED', completedRuns: 2, failedRuns: 1, cursor: 2 });
  });

  it('under onFailure abort ends the request FAILED after the failed run, and never begins the later runs', async () => {
    const job = await storedJob('bf-abort', { onFailure: 'abort' });
    const { request, name, input } = await backfill(job);
    const { steps, calls } = stepsWith(async (context) => {
      if (context.extra?.index === 1) throw new PermanentError('the receiver refused run 1: 400 bad payload');
      return { result: { index: context.extra?.index ?? -1 } };
    });

    const { events, result } = await runOnEngine(input, name, taskWith(steps));

    // As a live job under abort: the execution fails (JobFailed) with the request ended FAILED.
    expect(result.ok).toBe(false);
    expect(entered(events, 'RunStep')).toHaveLength(2);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    expect(entered(events, 'JobFailed')).toHaveLength(1);
    expect(calls.map((c) => c.index)).toEqual([0, 1]);
    const runs = await runsOf(request);
    expect(runs.map((r) => r?.state)).toEqual(['SUCCEEDED', 'FAILED', undefined]);
    expect(runs[1]?.error).toEqual({ name: 'PermanentError', message: 'the receiver refused run 1: 400 bad payload' });
    expect((await stores.runs.list(job.id, 'manual', { limit: 10 })).items.map((r) => r.index).sort()).toEqual([0, 1]);
    const ended = await extras.getRequest(job.id, request.requestId);
    expect(ended).toMatchObject({ state: 'FAILED', completedRuns: 1, failedRuns: 1, cursor: 1 });
    expect(ended?.reason).toMatch(/abort/);
  });

  it('gives each step `extra` in its context and the previous backfilled run\'s result as lastResult, leaving the live job as it was', async () => {
    const job = await storedJob('bf-chain');
    const liveBefore = await jobs.getJob(job.id);
    const { request, name, input } = await backfill(job);
    const { steps, calls } = stepsWith(async (context) => {
      const previous = (context.lastResult ?? { total: 0 }) as { total: number };
      return { result: { iteration: context.schedule.iteration, total: previous.total + context.schedule.iteration } };
    });

    const { result } = await runOnEngine(input, name, taskWith(steps));

    expect(result).toMatchObject({ ok: true, output: { status: 'SUCCEEDED' } });
    expect(calls.map((c) => c.extra)).toEqual([0, 1, 2].map((index) => ({ kind: 'backfill', requestId: request.requestId, index })));
    expect(calls.map((c) => c.lastResult)).toEqual([undefined, { iteration: 2, total: 2 }, { iteration: 3, total: 5 }]);
    expect((await runsOf(request)).map((r) => r?.result)).toEqual([
      { iteration: 2, total: 2 },
      { iteration: 3, total: 5 },
      { iteration: 4, total: 9 },
    ]);
    const liveAfter = await jobs.getJob(job.id);
    // Only the request itself is counted on the job (its detail then looks for requests); its runs move nothing.
    expect(liveAfter).toEqual({ ...liveBefore, requestsMade: (liveBefore?.requestsMade ?? 0) + 1 });
    expect(liveAfter).toMatchObject({ status: 'SCHEDULED', cursor: -1, progress: { completedRuns: 0, failedRuns: 0 }, executionArns: [] });
    expect((await stores.runs.list(job.id, 'live', { limit: 10 })).items).toEqual([]);
  });
});
