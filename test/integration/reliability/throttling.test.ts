/**
 * DynamoDB throttling under a whole workflow: the store's document client throws ThrottlingException on
 * every Nth call, the store turns it into TransientError, and the ASL's Retry on RunStep / RecordFailure /
 * Finish tries again. Nothing may be lost or counted twice.
 */
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { createNotifier } from '../../../src/adapters/notifier';
import { createTaskHandler } from '../../../src/functions/task/handler';
import { parseJob } from '../../../src/lib/job';
import { nextRun, totalRuns } from '../../../src/lib/schedule';
import { defaultSteps } from '../../../src/steps/registry';
import { SEVEN_DAYS_SUCCEEDED } from '../../support/runs';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { entered, retried, runOnEngine, throttleAfter, throttleEveryNth } from './support';
import { progressOf } from '../../../src/lib/progress';

/**
 * Every 6th call. An attempt at a run makes 5 store calls (touch the job, begin the run, read run 0, finish
 * the run, count it on the job) and a retried one 6 (it also counts the retry): with a period of 5 the
 * same call of every attempt is throttled, so no attempt ever passes — a regularity real throttling lacks.
 */
const N = 6;
const DAY = 86_400_000;

let db: LocalDynamo;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.stop();
});

/** A seven-run daily workflow starting tomorrow (waits are 0 ms, and no run is ever late). */
function weekFromTomorrow(id: string) {
  const start = Math.ceil((Date.now() + DAY) / 60_000) * 60_000;
  return {
    id,
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(start + 6 * DAY).toISOString(),
    frequency: { days: 1 },
    config: { reportType: 'weekly', dataSource: 'sample:analytics' },
  };
}

/** A store that does not throttle, to prepare and to inspect. */
function cleanStore(): Stores {
  return createDynamoStores(createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials }), db.tableName);
}

/** Write the job as POST /jobs does, then run it on the engine with a task whose store throttles every nth call. */
async function runThrottled(id: string, n: number, throttle: typeof throttleEveryNth = throttleEveryNth) {
  const job = parseJob(weekFromTomorrow(id));
  const total = totalRuns(job);
  await cleanStore().jobs.createJob(job, { totalRuns: total, nextRunAt: nextRun(job, { iteration: 0 }, total).runAt, now: new Date() });
  const client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  const faults = throttle(client, n);
  const stores = createDynamoStores(client, db.tableName);
  const task = createTaskHandler(() => ({ ...stores, steps: defaultSteps, notifier: createNotifier({}), now: () => new Date() }));
  const { events, result } = await runOnEngine({ job }, id, task);
  return { faults, events, result };
}

describe('a workflow whose DynamoDB throttles every 6th call', () => {
  it('is retried by the ASL and completes with every run recorded exactly once', async () => {
    const { faults, events, result } = await runThrottled('throttled-week', N);
    const clean = cleanStore();

    expect(faults.throttled).toBeGreaterThanOrEqual(3);
    expect(retried(events, 'RunStep').length + retried(events, 'Finish').length).toBeGreaterThanOrEqual(3);
    expect(entered(events, 'RecordFailure')).toHaveLength(0);
    expect(result).toMatchObject({ ok: true, output: { jobId: 'throttled-week', status: 'COMPLETED' } });
    const runs = (await clean.runs.list('throttled-week', 'live', { limit: 50 })).items;
    expect(runs.map((r) => [r.iteration, r.phase, r.state])).toEqual(SEVEN_DAYS_SUCCEEDED);
    const record = await clean.jobs.getJob('throttled-week');
    expect(record).toMatchObject({ status: 'COMPLETED', cursor: 6, progress: { completedRuns: 7, failedRuns: 0 } });
    expect(record && progressOf(record, true)).toMatchObject({ completedDays: 7, totalDays: 7, percentage: 100 });
    expect(record?.finalReport).toMatchObject({ summary: { totalDays: 7 } });
    process.stdout.write(
      `reliability: 7-run workflow, ThrottlingException on every ${N}th DynamoDB call: ${faults.calls} calls, ` +
        `${faults.throttled} throttled, ${retried(events, 'RunStep').length} RunStep + ${retried(events, 'Finish').length} Finish retries; 7 runs recorded once, COMPLETED\n`,
    );
  });
});

describe('a workflow whose DynamoDB throttles every call after its first run', () => {
  it('stops on a TransientError once the retries run out, with nothing recorded twice or counted half-way', async () => {
    // Run 0 takes 5 calls (touch the job, begin, record the execution, settle the run, count it); then none pass.
    const { events, result } = await runThrottled('throttled-every-5th', 5, throttleAfter);

    // Every attempt of run 1 fails: RunStep and then RecordFailure use up their retries.
    expect(retried(events, 'RunStep')).toHaveLength(4);
    expect(retried(events, 'RecordFailure')).toHaveLength(6);
    expect(result.ok).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', Error: 'TransientError' });
    const clean = cleanStore();
    const runs = (await clean.runs.list('throttled-every-5th', 'live', { limit: 50 })).items;
    expect(runs.map((r) => [r.iteration, r.state, r.attempts])).toEqual([[0, 'SUCCEEDED', 1]]);
    expect(await clean.jobs.getJob('throttled-every-5th')).toMatchObject({ cursor: 0, status: 'DAY_1_COMPLETE', progress: { completedRuns: 1, failedRuns: 0 } });
  });
});
