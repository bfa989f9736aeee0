/**
 * Skipped runs on the DynamoDB run ledger (dynalite), through the one attempt (src/lib/attempt.ts): issue
 * 15's "skipped runs vanish" and "SKIPPED items are mislabelled". A range the calculator passed over is
 * written as SKIPPED items with their own planned time and phase (a workflow's are processing runs), only
 * where no item is (an item settled before a crash keeps its outcome and is counted as it is), a run cut off
 * STARTED inside the range ends SKIPPED, and a range reaching the job's end is recorded by Finish before the
 * job completes. Each case is then checked with the invariant checker (test/support/invariant.ts).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { runKey } from '../../../src/adapters/table';
import { attemptRun, finishSeries, type AttemptDeps } from '../../../src/lib/attempt';
import { parseJob, type Job, type JobInput } from '../../../src/lib/job';
import { nextRun, totalRuns } from '../../../src/lib/schedule';
import type { StepHandler } from '../../../src/lib/steps';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { checkPartition, readPartition } from '../../support/invariant';
import { beginRun } from '../../support/runs';

const T0 = new Date(1733306400000); // 2024-12-04T10:00:00Z
const HOUR = 3_600_000;

let db: LocalDynamo;
let client: DynamoDBDocumentClient;
let stores: Stores;

beforeAll(async () => {
  db = await startDynalite();
  client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  stores = createDynamoStores(client, db.tableName);
});

afterAll(async () => {
  client.destroy();
  await db.stop();
});

/** The attempt's ports on dynalite; every step answers at once. `now` is the (warped) time of the attempt. */
function deps(now: Date): AttemptDeps {
  const ok: StepHandler = async () => ({ result: { ok: true } });
  return {
    jobs: stores.jobs,
    requests: stores.requests,
    runs: stores.runs,
    steps: { action: ok, collection: ok, processing: ok, report: async () => ({ result: { ok: true }, finalReport: { done: true } }) },
    notifier: { publish: async () => ({ messageId: 'm' }) },
    now: () => now,
  };
}

async function stored(input: Partial<JobInput> & { id: string }): Promise<Job> {
  const job = parseJob({ startDateTime: T0.toISOString(), frequency: { hours: 1 }, maxRuns: 5, ...input });
  await stores.jobs.createJob(job, { totalRuns: totalRuns(job), nextRunAt: T0.toISOString(), now: T0 });
  return job;
}

/** Run `iteration` through the attempt as the loop would, the calculator having passed over `skippedFrom..iteration-1`. */
async function runAfterSkip(job: Job, cursorIteration: number, iteration: number, now: Date) {
  const skipped = iteration > cursorIteration ? { from: cursorIteration, to: iteration - 1, count: iteration - cursorIteration, reason: 'missed' as const } : undefined;
  const schedule = { ...nextRun(job, { iteration }), ...(skipped ? { skipped } : {}) };
  return attemptRun(deps(now), { job, schedule, cursor: { iteration: cursorIteration } });
}

const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const runs = async (jobId: string) => (await stores.runs.list(jobId, 'live', { limit: 100 })).items.map((r) => ({ index: r.index, state: r.state, phase: r.phase, plannedAt: r.plannedAt, ...(r.state === 'SKIPPED' ? { skippedThrough: r.skippedThrough, skipReason: r.skipReason } : {}) }));
const invariant = async (jobId: string) => checkPartition(await readPartition(client, db.tableName, jobId)).violations;

it('records a range that reaches the end in Finish: the job COMPLETED with completed + skipped = totalRuns (pause an hourly 3-run job across its end)', async () => {
  const job = await stored({ id: 'paused-across-end', maxRuns: 3, action: { type: 'message', text: 'tick' } });
  await runAfterSkip(job, 0, 0, at(0));
  // Resumed at 05:00: runs 1 and 2 are past, and the calculator answers done with them skipped.
  const done = { ...nextRun(job, { iteration: 3 }), skipped: { from: 1, to: 2, count: 2, reason: 'missed' as const } };
  expect(done.done).toBe(true);

  const finished = await finishSeries(deps(at(5)), { job, cursor: { iteration: 1 }, schedule: done });

  expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completedRuns: 1, skippedRuns: 2, totalRuns: 3 } });
  expect(await runs(job.id)).toEqual([
    { index: 0, state: 'SUCCEEDED', phase: 'action', plannedAt: '2024-12-04T10:00:00Z' },
    { index: 1, state: 'SKIPPED', phase: 'action', plannedAt: '2024-12-04T11:00:00.000Z', skippedThrough: 2, skipReason: 'missed' },
  ]);
  expect(await invariant(job.id)).toEqual([]);
});

it("labels a workflow's skipped runs as processing runs under their planned time, not the time of skipping", async () => {
  const job = await stored({ id: 'workflow-skips' });
  await runAfterSkip(job, 0, 0, at(0));

  await runAfterSkip(job, 1, 4, at(4)); // runs 1-3 missed, the report (4) runs

  expect(await runs(job.id)).toEqual([
    { index: 0, state: 'SUCCEEDED', phase: 'collection', plannedAt: '2024-12-04T10:00:00Z' },
    { index: 1, state: 'SKIPPED', phase: 'processing', plannedAt: '2024-12-04T11:00:00.000Z', skippedThrough: 3, skipReason: 'missed' },
    { index: 4, state: 'SUCCEEDED', phase: 'report', plannedAt: '2024-12-04T14:00:00Z' },
  ]);
  expect((await stores.jobs.getJob(job.id))?.progress).toMatchObject({ completedRuns: 2, skippedRuns: 3 });
  expect(await invariant(job.id)).toEqual([]);
});

it('writes only the gaps around a run settled before a crash, counting that run as it is, and ends a run cut off STARTED as SKIPPED', async () => {
  const job = await stored({ id: 'skips-around-items', maxRuns: 8, action: { type: 'message', text: 'tick' } });
  await runAfterSkip(job, 0, 0, at(0));
  // Run 2 settled but its count never reached the job (the task died between its two writes); run 4 is a
  // success stored without the parent change (a layout before the run ledger); run 5 was begun and cut off
  // (kill -9). None is counted: the cursor is still 0.
  const settledItem = (iteration: number, extra: Record<string, unknown>) => ({
    ...runKey(job.id, iteration), jobId: job.id, iteration, phase: 'action', plannedAt: at(iteration).toISOString(), startedAt: at(iteration).toISOString(),
    finishedAt: at(iteration).toISOString(), attempts: 1, state: 'SUCCEEDED', result: { ok: true }, durationMs: 3, ...extra,
  });
  await client.send(new PutCommand({ TableName: db.tableName, Item: settledItem(2, { settlement: { outcome: 'SUCCEEDED', status: 'SCHEDULED', nextRunAt: null, durationMs: 3 }, statusAfter: 'SCHEDULED' }) }));
  await client.send(new PutCommand({ TableName: db.tableName, Item: settledItem(4, {}) }));
  await beginRun(stores.runs, { job, iteration: 5, phase: 'action', plannedAt: at(5).toISOString(), totalRuns: 8, now: at(5) });

  await runAfterSkip(job, 1, 7, at(7)); // runs 1-6 passed over, run 7 runs

  expect((await runs(job.id)).map((r) => [r.index, r.state, r.plannedAt, r.state === 'SKIPPED' ? [r.skippedThrough ?? r.index, r.skipReason] : undefined])).toEqual([
    [0, 'SUCCEEDED', '2024-12-04T10:00:00Z', undefined],
    [1, 'SKIPPED', '2024-12-04T11:00:00.000Z', [1, 'missed']],
    [2, 'SUCCEEDED', '2024-12-04T12:00:00.000Z', undefined],
    [3, 'SKIPPED', '2024-12-04T13:00:00.000Z', [3, 'missed']],
    [4, 'SUCCEEDED', '2024-12-04T14:00:00.000Z', undefined],
    [5, 'SKIPPED', '2024-12-04T15:00:00.000Z', [5, 'missed']],
    [6, 'SKIPPED', '2024-12-04T16:00:00.000Z', [6, 'missed']],
    [7, 'SUCCEEDED', '2024-12-04T17:00:00Z', undefined],
  ]);
  // Counters equal items: 4 succeeded (0, 2, 4, 7), 4 skipped (1, 3, 5, 6), not the whole range on top.
  expect((await stores.jobs.getJob(job.id))?.progress).toMatchObject({ completedRuns: 4, skippedRuns: 4 });
  expect(await invariant(job.id)).toEqual([]);
});
