/**
 * Jobs and requests stored in the layout written before the run ledger still run: a job item with seed
 * 000's day counters stored as state, live run items carrying `jobPatch` instead of `settlement`, a run left
 * STARTED by a crash, and a trigger request whose run was never begun. The runtime restarts on that data,
 * resumes both, and every job ends with each iteration settled once and its counters equal to its items.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../src/adapters/dynamodb';
import { parseJob } from '../../src/lib/job';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { checkTable } from '../support/invariant';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

let dir: string;
let runtime: Runtime | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'legacy-layout-'));
});

afterAll(async () => {
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

it('resumes a job and a trigger stored in the layout before the run ledger, settling each run once', async () => {
  // A runtime on the folder, only to create the table and write the old items with its own keys.
  const writer = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, dataDir: dir, speed: 0, resume: false, staticFiles: async () => false });
  const start = writer.clock.now().getTime() + HOUR;
  const job = parseJob({ id: 'legacy', startDateTime: iso(start), frequency: { hours: 1 }, maxRuns: 4, action: { type: 'message', text: 'tick' } });
  const at = (n: number) => iso(start + n * HOUR);
  const requestId = '20261101T000000000Z-trigger-0a0b0c';
  const client = createDocumentClient({ tableName: writer.tableName, endpoint: writer.dynamoEndpoint, credentials: writer.credentials });
  const put = (Item: Record<string, unknown>) => client.send(new PutCommand({ TableName: writer.tableName, Item }));
  const old = writer.stateMachineArn.replace(':stateMachine:', ':execution:');
  await put({
    pk: 'JOB#legacy', sk: 'JOB', jobId: 'legacy', job, status: 'SCHEDULED', cursor: 1,
    progress: { completedRuns: 2, failedRuns: 0, totalRuns: 4, currentDay: 2, completedDays: 2, totalDays: 4 },
    nextRunAt: at(2), createdAt: at(-1), updatedAt: at(1), executionArns: [`${old}:legacy`], metrics: { retries: 0, runDurationMsTotal: 20 },
  });
  for (const n of [0, 1]) {
    await put({
      pk: 'JOB#legacy', sk: `RUN#${String(n).padStart(10, '0')}`, jobId: 'legacy', iteration: n, phase: 'action', plannedAt: at(n), startedAt: at(n),
      startedAtMs: start + n * HOUR, finishedAt: at(n), durationMs: 10, attempts: 1, state: 'SUCCEEDED', result: { messageId: `m-${n}` },
      statusAfter: 'SCHEDULED', jobPatch: { nextRunAt: at(n + 1) },
    });
  }
  // Run 2 was begun and the process died under it.
  await put({ pk: 'JOB#legacy', sk: 'RUN#0000000002', jobId: 'legacy', iteration: 2, phase: 'action', plannedAt: at(2), startedAt: at(2), startedAtMs: start + 2 * HOUR, attempts: 1, state: 'STARTED' });
  // A trigger written, its execution never started (the old request item: no counters beyond its own).
  await put({
    pk: 'JOB#legacy', sk: `REQUEST#${requestId}`, jobId: 'legacy', requestId, kind: 'trigger', state: 'RUNNING', requestedAt: at(1),
    runCount: 1, completedRuns: 0, failedRuns: 0, cursor: -1, executionArns: [], beforeIteration: 2,
  });
  client.destroy();
  await writer.close();

  runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, dataDir: dir, speed: 0, staticFiles: async () => false });
  await runtime.executions.idle();

  expect(runtime.resumed).toEqual(['legacy']);
  expect(runtime.resumedRequests).toEqual([requestId]);
  const view = (await (await fetch(`${runtime.url}/jobs/legacy`)).json()) as {
    status: string;
    progress: { completedRuns: number; failedRuns: number; steps: Array<{ iteration: number; state: string; attempts: number }> };
    extraRequests: Array<{ requestId: string; state: string; runs: { completed: number } }>;
  };
  expect(view.status).toBe('COMPLETED');
  expect(view.progress).toMatchObject({ completedRuns: 4, failedRuns: 0 });
  // Run 2, cut off, was attempted again first; runs 0 and 1 were not run again.
  expect(view.progress.steps.map((s) => [s.iteration, s.state, s.attempts])).toEqual([
    [0, 'SUCCEEDED', 1],
    [1, 'SUCCEEDED', 1],
    [2, 'SUCCEEDED', 2],
    [3, 'SUCCEEDED', 1],
  ]);
  expect(view.extraRequests).toEqual([expect.objectContaining({ requestId, state: 'SUCCEEDED', runs: expect.objectContaining({ completed: 1 }) })]);
  const reader = createDocumentClient({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials });
  const { violations } = await checkTable(reader, runtime.tableName);
  reader.destroy();
  expect(violations).toEqual([]);
}, 120_000);
