/**
 * Retention: a job with retentionDays gets DynamoDB's TTL attribute on its items when it ends, so
 * DynamoDB deletes them later. (dynalite has no TTL: this checks what is written, not the deletion.)
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { createDynamoStores } from '../../../src/adapters/dynamodb';
import { jobKey, runKey } from '../../../src/adapters/table';
import { parseJob, retentionExpiry } from '../../../src/lib/job';
import { attemptRun, finishSeries } from '../../../src/lib/attempt';
import { nextRun } from '../../../src/lib/schedule';
import type { StepRegistry } from '../../../src/lib/steps';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';

let db: LocalDynamo;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.stop();
});

const quietSteps = { action: async () => ({ result: { ok: true } }) } as unknown as StepRegistry;

it('marks a finished job and its runs to expire retentionDays after the job’s end', async () => {
  const client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  const stores = createDynamoStores(client, db.tableName);
  const store = stores.jobs;
  const job = parseJob({
    id: 'kept-30-days',
    startDateTime: '2024-12-04T10:00:00Z',
    endDateTime: '2024-12-04T11:00:00Z',
    frequency: { hours: 1 },
    retentionDays: 30,
    action: { type: 'message', text: 'hi' },
  });
  const now = new Date('2024-12-04T11:00:05Z');
  const deps = { ...stores, steps: quietSteps, notifier: { publish: async () => ({ messageId: 'm' }) }, now: () => now };
  await store.createJob(job, { totalRuns: 2, nextRunAt: '2024-12-04T10:00:00Z', now });

  for (const iteration of [0, 1]) await attemptRun(deps, { job, schedule: nextRun(job, { iteration }), cursor: { iteration } });
  await finishSeries(deps, { job, cursor: { iteration: 2 } });

  const expected = retentionExpiry(job, now);
  const jobItem = (await client.send(new GetCommand({ TableName: db.tableName, Key: jobKey(job.id) }))).Item;
  const runItem = (await client.send(new GetCommand({ TableName: db.tableName, Key: runKey(job.id, 0) }))).Item;
  expect(expected).toBe(Math.floor(Date.parse('2025-01-03T11:00:05Z') / 1000));
  expect(jobItem?.expiresAt).toBe(expected);
  expect(runItem?.expiresAt).toBe(expected);
  expect((await store.getJob(job.id))?.status).toBe('COMPLETED');
});
