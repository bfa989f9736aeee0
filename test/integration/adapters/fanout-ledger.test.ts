/**
 * The run ledger's fan-out side on dynalite: a fan-out run's actions begun and settled on the run's own
 * item (`actionRuns`), under the conditions that make each action happen once: a settled action is never
 * begun again, of two settlers the first wins, a new attempt at the run keeps its actions, and nothing is
 * written on a run that has settled.
 */
import { createDocumentClient, createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { RunAlreadyFinishedError } from '../../../src/lib/errors';
import type { ActionRun } from '../../../src/lib/fanout';
import { parseJob } from '../../../src/lib/job';
import { LIVE } from '../../../src/lib/ledger';
import { beginRun, succeedRun } from '../../support/runs';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';

let db: LocalDynamo;
let stores: Stores;
let close: () => void;

beforeAll(async () => {
  db = await startDynalite();
  const client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  close = () => client.destroy();
  stores = createDynamoStores(client, db.tableName);
});

afterAll(async () => {
  close();
  await db.stop();
});

const now = new Date('2024-12-04T10:00:00Z'); // a fixed instant: the ledger takes time as an argument
const hook = { type: 'webhook', url: 'https://example.com/hook' };

async function fanOutRun(id: string) {
  const job = parseJob({ id, startDateTime: '2024-12-04T10:00:00Z', actions: [hook, hook, hook] });
  await stores.jobs.createJob(job, { totalRuns: 1, nextRunAt: job.startDateTime, now });
  await beginRun(stores.runs, { job, iteration: 0, phase: 'action', now });
  return { job, ref: { jobId: id, series: LIVE, index: 0 } };
}

const settled = (index: number, state: 'SUCCEEDED' | 'FAILED', extra: Partial<Omit<ActionRun, 'state'>> = {}): ActionRun & { state: 'SUCCEEDED' | 'FAILED' } => ({
  index,
  key: `k:0:${index}`,
  type: 'webhook',
  attempts: 1,
  startedAt: now.toISOString(),
  finishedAt: now.toISOString(),
  ...(state === 'SUCCEEDED' ? { result: { statusCode: 200 } } : { error: { name: 'PermanentError', message: 'answered 400' } }),
  ...extra,
  state,
});

describe('a fan-out run\'s actions in the DynamoDB run ledger', () => {
  it('begins an action once per attempt, and replays it once settled instead of beginning it again', async () => {
    const { ref } = await fanOutRun('fl-replay');

    expect(await stores.runs.beginAction(ref, { index: 0, key: 'k:0:0', type: 'webhook', now })).toEqual({ kind: 'run', attempts: 1 });
    expect(await stores.runs.beginAction(ref, { index: 0, key: 'k:0:0', type: 'webhook', now })).toEqual({ kind: 'run', attempts: 2 });
    await stores.runs.settleAction(ref, settled(0, 'SUCCEEDED', { attempts: 2 }));
    const again = await stores.runs.beginAction(ref, { index: 0, key: 'k:0:0', type: 'webhook', now });

    expect(again).toMatchObject({ kind: 'already-settled', action: { index: 0, state: 'SUCCEEDED', attempts: 2, result: { statusCode: 200 } } });
  });

  it('keeps the first of two settlers\' outcome, and answers both with it', async () => {
    const { ref } = await fanOutRun('fl-race');
    await stores.runs.beginAction(ref, { index: 1, key: 'k:0:1', type: 'webhook', now });

    const first = await stores.runs.settleAction(ref, settled(1, 'FAILED'));
    const second = await stores.runs.settleAction(ref, settled(1, 'SUCCEEDED'));

    expect(first.state).toBe('FAILED');
    expect(second).toEqual(first);
    expect((await stores.runs.get(ref))?.actions?.map((a) => [a.index, a.state])).toEqual([[1, 'FAILED']]);
  });

  it('keeps the actions when the run is begun again (a restart), and lists them in index order on the record', async () => {
    const { job, ref } = await fanOutRun('fl-restart');
    await stores.runs.beginAction(ref, { index: 2, key: 'k:0:2', type: 'webhook', now });
    await stores.runs.settleAction(ref, settled(2, 'SUCCEEDED'));
    await stores.runs.beginAction(ref, { index: 0, key: 'k:0:0', type: 'webhook', now });
    await stores.runs.settleAction(ref, settled(0, 'SUCCEEDED'));

    const begun = await beginRun(stores.runs, { job, iteration: 0, phase: 'action', now });
    const record = await stores.runs.get(ref);

    expect(begun).toMatchObject({ kind: 'run', attempts: 2 });
    expect(record?.actions?.map((a) => [a.index, a.state])).toEqual([
      [0, 'SUCCEEDED'],
      [2, 'SUCCEEDED'],
    ]);
  });

  it('writes no action on a run that has settled', async () => {
    const { job, ref } = await fanOutRun('fl-settled');
    await succeedRun(stores.runs, { job, iteration: 0, phase: 'action', now });

    await expect(stores.runs.beginAction(ref, { index: 0, key: 'k:0:0', type: 'webhook', now })).rejects.toBeInstanceOf(RunAlreadyFinishedError);
    await expect(stores.runs.settleAction(ref, settled(0, 'SUCCEEDED'))).rejects.toBeInstanceOf(RunAlreadyFinishedError);
    expect((await stores.runs.get(ref))?.actions).toBeUndefined();
  });
});
