/**
 * Runs that fail, on the real ASL: the job's policy decides what follows (abort: the job FAILED with the
 * cause; continue: later runs go on), and every failure reaches the job's failure destination exactly
 * once — even when RecordFailure is retried after the delivery, by a fault injected in the store.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunLedger, RunRef } from '../../../src/lib/ledger';
import { createFailureSink } from '../../../src/adapters/failure-sink';
import { TransientError } from '../../../src/lib/errors';
import type { FailureSink } from '../../../src/lib/steps';
import { entered, hooksClosedAfterEach, hourlyHook, LOOPBACK_GUARD, loopbackTask, retried, runOnEngine, useDynamoStores } from './support';

const dynamo = useDynamoStores();
const hooks = hooksClosedAfterEach();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'failure-policy-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A sink that counts what it is asked to deliver before passing it on. */
function counting(sink: FailureSink): FailureSink & { keys: string[] } {
  const keys: string[] = [];
  return { keys, deliver: (destination, report) => (keys.push(report.idempotencyKey), sink.deliver(destination, report)) };
}

async function lines(file: string): Promise<Array<{ idempotencyKey: string; error: { name: string; message: string } }>> {
  const text = await readFile(path.join(dir, file), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line));
}

const taskOver = (runs: RunLedger, failures: FailureSink) => loopbackTask(dynamo.stores, { runs, failures });

describe('a run that always fails', () => {
  it('under policy abort: is retried by the ASL, then fails the job with the cause, delivered to the file once', async () => {
    const hook = await hooks.start(() => 500);
    const failures = counting(createFailureSink({ fileDir: dir, guard: LOOPBACK_GUARD }));
    const job = hourlyHook('abort-hook', hook.url, { onFailure: 'abort', failureDestination: { type: 'file', path: 'abort.ndjson' } });

    const { events, result } = await runOnEngine({ job }, 'abort-hook', taskOver(dynamo.stores.runs, failures));

    expect(hook.requests).toHaveLength(5);
    expect(retried(events, 'RunStep')).toHaveLength(4);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    expect(result.ok).toBe(false);
    const record = await dynamo.stores.jobs.getJob('abort-hook');
    expect(record).toMatchObject({ status: 'FAILED', progress: { completedRuns: 0, failedRuns: 1 } });
    expect(record?.reason).toBe(`webhook POST ${hook.url}/hook answered 500: {"error":"try later"}`);
    const runs = (await dynamo.stores.runs.list('abort-hook', 'live', { limit: 10 })).items;
    expect(runs.map((r) => [r.iteration, r.state, r.attempts])).toEqual([[0, 'FAILED', 5]]);
    expect(runs[0]?.failureDeliveredAt).toEqual(expect.any(String));
    const delivered = await lines('abort.ndjson');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ idempotencyKey: 'abort-hook:0', error: { name: 'TransientError', message: record?.reason } });
  });

  it('under policy continue: records each failed run, runs the later ones, and delivers each failure once though RecordFailure is retried after a delivery', async () => {
    // Runs 0 and 2 are refused (a 400 is permanent: no ASL retry); runs 1 and 3 pass.
    const hook = await hooks.start((request) => (/:(0|2)$/.test(request.idempotencyKey ?? '') ? 400 : 200));
    const failures = counting(createFailureSink({ fileDir: dir, guard: LOOPBACK_GUARD }));
    let faults = 0;
    // The fault comes after the first delivery: recording it fails once, so RecordFailure runs again.
    const faulty: RunLedger = Object.assign(Object.create(dynamo.stores.runs) as RunLedger, {
      async markFailureDelivered(ref: RunRef, now: Date) {
        if (faults++ === 0) throw new TransientError('DynamoDB UpdateItem failed, try again (injected)');
        return dynamo.stores.runs.markFailureDelivered(ref, now);
      },
    });
    const job = hourlyHook('continue-hook', hook.url, { onFailure: 'continue', failureDestination: { type: 'file', path: 'continue.ndjson' } });

    const { events, result } = await runOnEngine({ job }, 'continue-hook', taskOver(faulty, failures));

    expect(result).toMatchObject({ ok: true, output: { jobId: 'continue-hook', status: 'COMPLETED' } });
    expect(entered(events, 'RecordFailure')).toHaveLength(2);
    expect(retried(events, 'RecordFailure')).toHaveLength(1);
    const runs = (await dynamo.stores.runs.list('continue-hook', 'live', { limit: 10 })).items;
    expect(runs.map((r) => [r.iteration, r.state])).toEqual([
      [0, 'FAILED'],
      [1, 'SUCCEEDED'],
      [2, 'FAILED'],
      [3, 'SUCCEEDED'],
    ]);
    expect(await dynamo.stores.jobs.getJob('continue-hook')).toMatchObject({ status: 'COMPLETED', progress: { completedRuns: 2, failedRuns: 2 } });
    // Asked three times (run 0 twice), written twice: the outbox drops a key it already holds.
    expect(failures.keys).toEqual(['continue-hook:0', 'continue-hook:0', 'continue-hook:2']);
    expect((await lines('continue.ndjson')).map((line) => line.idempotencyKey)).toEqual(['continue-hook:0', 'continue-hook:2']);
    expect(runs.filter((r) => r.state === 'FAILED').every((r) => r.failureDeliveredAt !== undefined)).toBe(true);
  });
});
