/**
 * Effects and retries of one run: a re-delivered invocation does not call the webhook again, the webhook
 * carries the key a receiver deduplicates on, a job's own retry limit cuts the ASL's retries short, and a
 * run recorded a success is never turned into a failure afterwards.
 */
import { parseJob } from '../../../src/lib/job';
import type { AttemptDeps } from '../../../src/lib/attempt';
import { LIVE } from '../../../src/lib/ledger';
import { entered, hooksClosedAfterEach, loopbackTask, retried, runOnEngine, useDynamoStores } from './support';

const dynamo = useDynamoStores();
const hooks = hooksClosedAfterEach();
const task = (deps: Partial<AttemptDeps> = {}) => loopbackTask(dynamo.stores, deps);

/** A one-off webhook job due tomorrow, and the event RunStep sends for its only run. */
function oneOff(id: string, url: string, extra: Record<string, unknown> = {}) {
  const runAt = new Date(Math.ceil((Date.now() + 86_400_000) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const job = { id, startDateTime: runAt, action: { type: 'webhook', url: `${url}/hook`, body: { hello: 'world' } }, ...extra };
  const schedule = { iteration: 0, runAt, phase: 'action', isLast: true, done: false, totalRuns: 1 };
  return { job, event: { op: 'run', job, schedule, cursor: { iteration: 0 } } };
}

describe('a run invoked twice', () => {
  it('calls the webhook once, with Idempotency-Key <jobId>:<iteration>, and answers the second invocation from the record', async () => {
    const hook = await hooks.start(() => 200);
    const { event } = oneOff('twice', hook.url);
    const handler = task();

    const first = await handler(event);
    const second = await handler(event);

    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]).toMatchObject({ method: 'POST', idempotencyKey: 'twice:0', body: JSON.stringify({ hello: 'world' }) });
    expect(first).toMatchObject({ iteration: 1, lastResult: { statusCode: 200 } });
    expect(second).toMatchObject({ iteration: 1, lastResult: (first as { lastResult: unknown }).lastResult });
    expect(await dynamo.stores.runs.get({ jobId: 'twice', series: LIVE, index: 0 })).toMatchObject({ state: 'SUCCEEDED', attempts: 1 });
  });

  it('goes on from the recorded success when the Catch reports a failure of a run that had succeeded', async () => {
    const hook = await hooks.start(() => 200);
    const { event } = oneOff('late-failure', hook.url);
    const handler = task();
    const succeeded = await handler(event);

    // What RecordFailure sends when the retries ran out after the run was recorded (e.g. counting it was throttled).
    const next = await handler({ ...event, op: 'fail', error: { Error: 'TransientError', Cause: 'DynamoDB UpdateItem failed, try again' } });

    expect(next).toMatchObject({ iteration: 1, lastResult: (succeeded as { lastResult: unknown }).lastResult });
    expect(next).not.toHaveProperty('aborted', true);
    expect(await dynamo.stores.runs.get({ jobId: 'late-failure', series: LIVE, index: 0 })).toMatchObject({ state: 'SUCCEEDED' });
    expect(await dynamo.stores.jobs.getJob('late-failure')).toMatchObject({ progress: { completedRuns: 1, failedRuns: 0 } });
    expect(hook.requests).toHaveLength(1);
  });
});

describe('a job with retry: { maxAttempts: 2 } whose webhook always answers 503', () => {
  it('is attempted exactly twice, waiting its interval between, and is then recorded FAILED with "gave up after 2 attempts"', async () => {
    const hook = await hooks.start(() => 503);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const { job } = oneOff('two-attempts', hook.url, { retry: { maxAttempts: 2, intervalSeconds: 3 } });

    const { events } = await runOnEngine({ job }, 'two-attempts', task({ sleep }));

    expect(hook.requests.map((r) => r.idempotencyKey)).toEqual(['two-attempts:0', 'two-attempts:0']);
    expect(waits).toEqual([3_000]);
    expect(retried(events, 'RunStep')).toHaveLength(1);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    const run = await dynamo.stores.runs.get({ jobId: 'two-attempts', series: LIVE, index: 0 });
    expect(run).toMatchObject({ state: 'FAILED', attempts: 2, error: { name: 'PermanentError' } });
    expect(run?.error?.message).toMatch(/^gave up after 2 attempts \(retry\.maxAttempts\): webhook POST http:\/\/127\.0\.0\.1:\d+\/hook answered 503/);
    expect(parseJob(job).retry).toEqual({ maxAttempts: 2, intervalSeconds: 3, backoffRate: 2 });
  });
});
