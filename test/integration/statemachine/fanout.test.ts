/**
 * Fan-out inside a run on the real ASL (FanOut → RunActions Map → SettleFanOut) on aws-local-stepfunctions,
 * with the real calculator and task handlers and the real run ledger on dynalite. The actions are webhooks
 * to a receiver on 127.0.0.1 that records every call with its Idempotency-Key. Waits and retry intervals
 * are 0 ms; everything else is as deployed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setHandlerEnvironment, startDynalite, type LocalDynamo } from '../../support/dynalite';
import { calculator, entered, retried, runOnEngine } from '../../support/engine';
import type { Stores } from '../../../src/adapters/dynamodb';
import { LIVE } from '../../../src/lib/ledger';

const DAY = 86_400_000;
// Tomorrow: in the future, so the calculator on the real clock counts no run as missed.
const BASE = Math.ceil(Date.now() / DAY) * DAY + DAY;
const at = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

let db: LocalDynamo;
let stores: Stores;
let task: (e: unknown) => Promise<unknown>;

/** The receiver: `/ok` answers 200, `/bad` 400 (permanent), `/flaky` 503 on its first call of a key, `/slow` 200 after 40 ms. */
interface Call {
  path: string;
  key: string;
}
let calls: Call[] = [];
let inFlight = 0;
let maxInFlight = 0;
let base = '';
let server: http.Server;

beforeAll(async () => {
  db = await startDynalite();
  setHandlerEnvironment(db);
  task = (await import('../../../src/functions/task/handler')).handler;
  stores = (await import('../../../src/adapters/store')).dynamoStores();
  server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const key = String(req.headers['idempotency-key'] ?? '');
    const first = !calls.some((call) => call.key === key);
    calls.push({ path, key });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    const answer = (status: number) => {
      inFlight -= 1;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    };
    if (path === '/bad') answer(400);
    else if (path === '/flaky' && first) answer(503);
    else if (path === '/slow') setTimeout(() => answer(200), 40);
    else answer(200);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.stop();
});

beforeEach(() => {
  calls = [];
  inFlight = 0;
  maxInFlight = 0;
});

const hook = (path: string) => ({ type: 'webhook', url: `${base}${path}` });
/** One run (a one-off job) fanning out to `paths`. */
const fanOutJob = (id: string, paths: string[], extra: Record<string, unknown> = {}) => ({ id, startDateTime: at(0), actions: paths.map(hook), ...extra });

describe('a fan-out run on the local engine', () => {
  it('with one failing action and the default rule (all must succeed): every action runs once under its own key, and the run FAILS through RecordFailure', async () => {
    const job = fanOutJob('fan-all', ['/ok', '/bad', '/ok'], { failureDestination: { type: 'url', url: `${base}/failures` } });
    const { events, result } = await runOnEngine({ job }, 'fan-all', task);

    expect(result).toMatchObject({ ok: true, output: { jobId: 'fan-all' } });
    expect(entered(events, 'RunAction')).toHaveLength(3);
    expect(entered(events, 'RecordActionFailure')).toHaveLength(1);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    expect(calls.filter((c) => c.path !== '/failures').map((c) => c.key).sort()).toEqual(['fan-all:0:0', 'fan-all:0:1', 'fan-all:0:2']);
    // The failure path of any run: its destination hears of the run once, under the run's key.
    expect(calls.filter((c) => c.path === '/failures')).toHaveLength(1);
    const run = await stores.runs.get({ jobId: 'fan-all', series: LIVE, index: 0 });
    expect(run?.state).toBe('FAILED');
    expect(run?.error?.message).toMatch(/^1 of 3 actions failed, at most 0 tolerated \(toleratedFailureCount\); actions\[1\] \(webhook\): webhook POST .* answered 400/);
    expect(run?.actions?.map((a) => [a.index, a.key, a.state])).toEqual([
      [0, 'fan-all:0:0', 'SUCCEEDED'],
      [1, 'fan-all:0:1', 'FAILED'],
      [2, 'fan-all:0:2', 'SUCCEEDED'],
    ]);
    expect(run?.actions?.[0]?.result).toMatchObject({ statusCode: 200 });
    const record = await stores.jobs.getJob('fan-all');
    expect(record?.progress).toMatchObject({ completedRuns: 0, failedRuns: 1 });
    expect(record?.lastRun).toMatchObject({ index: 0, state: 'FAILED' });
  });

  it('with toleratedFailureCount: 1 and one failing action: the run SUCCEEDS with its tally, and RecordFailure never runs', async () => {
    const { events, result } = await runOnEngine({ job: fanOutJob('fan-tolerant', ['/ok', '/bad', '/ok'], { toleratedFailureCount: 1 }) }, 'fan-tolerant', task);

    expect(result).toMatchObject({ ok: true, output: { jobId: 'fan-tolerant', status: 'COMPLETED' } });
    expect(entered(events, 'RecordFailure')).toHaveLength(0);
    const run = await stores.runs.get({ jobId: 'fan-tolerant', series: LIVE, index: 0 });
    expect(run).toMatchObject({ state: 'SUCCEEDED', result: { actions: 3, succeeded: 2, failed: 1 } });
    expect(run?.actions?.map((a) => a.state)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(run?.actions?.[1]?.error?.message).toMatch(/answered 400/);
    expect((await stores.jobs.getJob('fan-tolerant'))?.progress).toMatchObject({ completedRuns: 1, failedRuns: 0 });
  });

  it('with toleratedFailurePercentage: 30 and one of three failing (33%): the run FAILS', async () => {
    const { events } = await runOnEngine({ job: fanOutJob('fan-share', ['/ok', '/bad', '/ok'], { toleratedFailurePercentage: 30 }) }, 'fan-share', task);

    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    const run = await stores.runs.get({ jobId: 'fan-share', series: LIVE, index: 0 });
    expect(run?.error?.message).toMatch(/at most 30% tolerated \(toleratedFailurePercentage\)/);
  });

  it('retries only the action that failed transiently, under its same key; the others are called once', async () => {
    const { events, result } = await runOnEngine({ job: fanOutJob('fan-retry', ['/ok', '/flaky']) }, 'fan-retry', task);

    expect(result).toMatchObject({ ok: true, output: { status: 'COMPLETED' } });
    expect(retried(events, 'RunAction')).toHaveLength(1);
    expect(calls.filter((c) => c.key === 'fan-retry:0:0')).toHaveLength(1);
    expect(calls.filter((c) => c.key === 'fan-retry:0:1').map((c) => c.path)).toEqual(['/flaky', '/flaky']);
    const run = await stores.runs.get({ jobId: 'fan-retry', series: LIVE, index: 0 });
    expect(run?.actions?.map((a) => [a.state, a.attempts])).toEqual([
      ['SUCCEEDED', 1],
      ['SUCCEEDED', 2],
    ]);
  });

  it('runs at most maxConcurrency actions at once, and each run of a recurring job under its own run key', async () => {
    const job = { id: 'fan-narrow', startDateTime: at(0), frequency: { hours: 1 }, maxRuns: 2, actions: Array.from({ length: 5 }, () => hook('/slow')), maxConcurrency: 2 };
    const { result } = await runOnEngine({ job }, 'fan-narrow', task);

    expect(result).toMatchObject({ ok: true, output: { status: 'COMPLETED' } });
    expect(calls).toHaveLength(10);
    // An upper bound, whatever the machine's speed: never more than two calls were open together.
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set([0, 1].flatMap((run) => [0, 1, 2, 3, 4].map((action) => `fan-narrow:${run}:${action}`))));
  });

  it('after a restart mid-run, runs only the actions that had not finished: a finished one is replayed from the run\'s record', async () => {
    const job = { id: 'fan-restart', startDateTime: at(0), actions: [hook('/ok'), hook('/ok'), hook('/ok')] };
    // The first execution begins run 0 and finishes action 0, then dies (the task handler, called as the Map would).
    const schedule = await calculator({ job, cursor: { iteration: 0 } });
    const common = { job, schedule, cursor: { iteration: 0 }, executionArn: 'arn:aws:states:local:000000000000:execution:scheduler:fan-restart' };
    await task({ op: 'fanOut', ...common });
    await task({ op: 'action', ...common, action: 0 });
    expect(calls.map((c) => c.key)).toEqual(['fan-restart:0:0']);

    // The restart resumes the job from its cursor in a new execution.
    const { events, result } = await runOnEngine({ job, cursor: { iteration: 0 } }, 'fan-restart-2', task);

    expect(result).toMatchObject({ ok: true, output: { status: 'COMPLETED' } });
    expect(entered(events, 'RunAction')).toHaveLength(3);
    expect(calls.map((c) => c.key).sort()).toEqual(['fan-restart:0:0', 'fan-restart:0:1', 'fan-restart:0:2']);
    const run = await stores.runs.get({ jobId: 'fan-restart', series: LIVE, index: 0 });
    expect(run).toMatchObject({ state: 'SUCCEEDED', attempts: 2, result: { actions: 3, succeeded: 3, failed: 0 } });
    expect(run?.actions?.map((a) => a.attempts)).toEqual([1, 1, 1]);
  });
});
