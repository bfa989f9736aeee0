/**
 * The real ASL on aws-local-stepfunctions, with the real calculator and task handlers bound to its Task
 * states and the real store on dynalite. Waits are shortened to 0 ms; everything else is as deployed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SEVEN_DAYS_SUCCEEDED } from '../../support/runs';
import { setHandlerEnvironment, startDynalite, type LocalDynamo } from '../../support/dynalite';
import { entered, runOnEngine } from '../../support/engine';
import type { JobStore } from '../../../src/lib/store';
import type { Stores } from '../../../src/adapters/dynamodb';
import { LIVE } from '../../../src/lib/ledger';
import { progressOf } from '../../../src/lib/progress';

/**
 * Runs are dated from tomorrow: in the future, so the calculator (on the real clock) counts none as missed,
 * and within a year, so no execution has to hand over before its first run. Waits are overridden to 0.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;
const BASE = Math.ceil(Date.now() / DAY) * DAY + DAY;
const at = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

let db: LocalDynamo;
let store: JobStore;
let stores: Stores;
let handlers: { calculator: (e: unknown) => Promise<unknown>; task: (e: unknown) => Promise<unknown> };

beforeAll(async () => {
  db = await startDynalite();
  setHandlerEnvironment(db);
  // Loaded after the environment is set: the handlers read it on first use.
  const calculator = await import('../../../src/functions/calculator/handler');
  const task = await import('../../../src/functions/task/handler');
  handlers = { calculator: calculator.handler, task: task.handler };
  stores = (await import('../../../src/adapters/store')).dynamoStores();
  store = stores.jobs;
});

afterAll(async () => {
  await db.stop();
});

const execute = (input: unknown, executionName: string) => runOnEngine(input, executionName, handlers.task);

async function withServer(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void, body: (url: string) => Promise<void>) {
  const server = http.createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const sevenDays = (id: string) => ({
  id,
  startDateTime: at(0),
  endDateTime: at(6 * DAY),
  frequency: { days: 1 },
  config: { reportType: 'weekly', dataSource: 'sample:analytics', notifyEmail: 'admin@example.com' },
});

describe('the scheduler state machine on the local engine', () => {
  it('runs the 7-day workflow as collection, five processing runs and the report, then completes', async () => {
    const { events, result } = await execute({ job: sevenDays('seven-days') }, 'seven-days');

    const phases = entered(events, 'RunStep').map((e) => (e.state.input as { schedule: { phase: string } }).schedule.phase);
    expect(phases).toEqual(['collection', 'processing', 'processing', 'processing', 'processing', 'processing', 'report']);
    expect(result).toMatchObject({ ok: true, output: { jobId: 'seven-days', status: 'COMPLETED' } });
    const job = await store.getJob('seven-days');
    expect(job?.status).toBe('COMPLETED');
    expect(job && progressOf(job, true)).toMatchObject({ percentage: 100, completedRuns: 7 });
    const runs = (await stores.runs.list('seven-days', 'live', { limit: 50 })).items;
    expect(runs.map((r) => [r.iteration, r.phase, r.state])).toEqual(SEVEN_DAYS_SUCCEEDED);
    expect(job?.finalReport).toMatchObject({ summary: { totalDays: 7 } });
  });

  it('accepts seed 002’s console input, the job itself, and gives it a job item on its first run', async () => {
    const consoleJob = {
      id: 'console-job',
      startDateTime: at(0),
      endDateTime: at(15 * MINUTE),
      frequency: { minutes: 5 },
      action: { type: 'message', text: 'hello from the console' },
      context: { name: 'Curtis' },
    };

    const { events, result } = await execute(consoleJob, 'console-job');

    expect(entered(events, 'RunStep')).toHaveLength(4);
    expect(result.ok).toBe(true);
    expect((await store.getJob('console-job'))?.status).toBe('COMPLETED');
  });

  it('retries a transient failure with the ASL Retry and then succeeds, recording two attempts', async () => {
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls += 1;
        res.writeHead(calls === 1 ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
      },
      async (url) => {
        const job = { id: 'flaky-hook', startDateTime: at(0), action: { type: 'webhook', url: `${url}/hook` } };

        const { events, result } = await execute({ job }, 'flaky-hook');

        expect(events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
        expect(entered(events, 'RecordFailure')).toHaveLength(0);
        expect(result.ok).toBe(true);
        const run = await stores.runs.get({ jobId: 'flaky-hook', series: LIVE, index: 0 });
        expect(run).toMatchObject({ state: 'SUCCEEDED', attempts: 2, result: { statusCode: 200 } });
        expect(calls).toBe(2);
      },
    );
  });

  it('catches a permanent failure without retrying it, records it, and fails the workflow (policy abort)', async () => {
    await withServer(
      (_req, res) => res.writeHead(404).end('no such data'),
      async (url) => {
        const job = { ...sevenDays('missing-data'), config: { reportType: 'weekly', dataSource: `${url}/missing.json` } };

        const { events, result } = await execute({ job }, 'missing-data');

        expect(events.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
        expect(entered(events, 'RecordFailure')).toHaveLength(1);
        expect(result.ok).toBe(false);
        expect(!result.ok && result.error.name).toMatch(/JobFailed|ExecutionError/);
        const job0 = await store.getJob('missing-data');
        expect(job0?.status).toBe('FAILED');
        expect(job0?.reason).toMatch(/404/);
        expect(await stores.runs.get({ jobId: 'missing-data', series: LIVE, index: 0 })).toMatchObject({ state: 'FAILED', error: { name: 'PermanentError' } });
      },
    );
  });

  it('records a failed run of a recurring action job and goes on to the next run (policy continue)', async () => {
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls += 1;
        res.writeHead(calls === 2 ? 400 : 200).end();
      },
      async (url) => {
        const job = {
          id: 'hook-continues',
          startDateTime: at(0),
          endDateTime: at(2 * MINUTE),
          frequency: { minutes: 1 },
          action: { type: 'webhook', url },
        };

        const { result } = await execute({ job }, 'hook-continues');

        expect(result.ok).toBe(true);
        const runs = (await stores.runs.list('hook-continues', 'live', { limit: 10 })).items;
        expect(runs.map((r) => r.state)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
        expect((await store.getJob('hook-continues'))?.progress).toMatchObject({ completedRuns: 2, failedRuns: 1 });
      },
    );
  });
});
