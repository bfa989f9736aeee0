/**
 * A fan-out run through the attempt (src/lib/fanout-attempt.ts) on in-memory ports: the run is begun once
 * as any run is, each action runs once under its own key and is replayed after, the job's retry limit makes
 * an action's transient failure final, a run settled meanwhile is replayed, and a run past the rule throws
 * for RecordFailure, which settles it FAILED like any run.
 */
import { recordFailure, type AttemptDeps } from '../../../src/lib/attempt';
import { PermanentError, TransientError } from '../../../src/lib/errors';
import { attemptAction, beginFanOut, recordActionFailure, settleFanOut } from '../../../src/lib/fanout-attempt';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { LIVE } from '../../../src/lib/ledger';
import { nextRun } from '../../../src/lib/schedule';
import type { StepContext, StepHandler } from '../../../src/lib/steps';
import { actionOnlyAttemptDeps, createFakes, newRecord, type Fakes } from '../../support/fakes';
import { MemoryRunLedger } from '../../support/memory-ledger';

const T0 = new Date(1733306400000); // 2024-12-04T10:00:00Z

const fanOut = (input: Partial<JobInput> = {}) =>
  parseJob({ id: 'fan', startDateTime: '2024-12-04T10:00:00Z', frequency: { hours: 1 }, maxRuns: 3, actions: [{ type: 'message', text: 'a' }, { type: 'message', text: 'b' }], ...input });

let fakes: Fakes;
let runs: MemoryRunLedger;
let calls: StepContext[];

function deps(step: StepHandler = async (context) => ({ result: { action: context.actionIndex ?? -1 } })): AttemptDeps {
  return actionOnlyAttemptDeps({ fakes, runs, calls, now: T0 }, step);
}

function stored(input: Partial<JobInput> = {}) {
  const job = fanOut(input);
  fakes.store.put(newRecord(job, { totalRuns: 3, nextRunAt: '2024-12-04T10:00:00Z', now: T0.toISOString() }));
  return job;
}

const run0 = (job: ReturnType<typeof fanOut>) => ({ job, schedule: nextRun(job, { iteration: 0 }), cursor: { iteration: 0 } });
const ref = { jobId: 'fan', series: LIVE, index: 0 };

beforeEach(() => {
  fakes = createFakes({ now: T0 });
  runs = new MemoryRunLedger(fakes.store, fakes.extras);
  calls = [];
});

describe('a fan-out run through the attempt', () => {
  it('runs each action once under <run key>:<index>, replays them after, and settles the run with its tally', async () => {
    const job = stored();
    const input = run0(job);

    expect(await beginFanOut(deps(), input)).toEqual({ maxConcurrency: 2, items: [{ action: 0 }, { action: 1 }] });
    expect(await attemptAction(deps(), { ...input, action: 0 })).toEqual({ action: 0, key: 'fan:0:0', state: 'SUCCEEDED' });
    expect(await attemptAction(deps(), { ...input, action: 1 })).toEqual({ action: 1, key: 'fan:0:1', state: 'SUCCEEDED' });
    expect(await attemptAction(deps(), { ...input, action: 0 })).toEqual({ action: 0, key: 'fan:0:0', state: 'SUCCEEDED' });
    const next = await settleFanOut(deps(), input);

    expect(calls.map((c) => c.actionIndex)).toEqual([0, 1]);
    expect(next).toMatchObject({ iteration: 1, lastResult: { actions: 2, succeeded: 2, failed: 0 } });
    expect(await runs.get(ref)).toMatchObject({ state: 'SUCCEEDED', result: { actions: 2, succeeded: 2, failed: 0 } });
    expect(fakes.store.jobs.get('fan')).toMatchObject({ cursor: 0, progress: { completedRuns: 1, failedRuns: 0 } });
    // The run again (a re-delivered FanOut): nothing to plan, and SettleFanOut replays the record.
    expect(await beginFanOut(deps(), input)).toEqual({ maxConcurrency: 1, items: [] });
    expect(await settleFanOut(deps(), input)).toMatchObject({ iteration: 1, lastResult: { actions: 2, succeeded: 2, failed: 0 } });
  });

  it('makes an action\'s transient failure final at the job\'s retry.maxAttempts, for that action only', async () => {
    const job = stored({ retry: { maxAttempts: 2, intervalSeconds: 0, backoffRate: 1 } });
    const input = run0(job);
    const flaky: StepHandler = async () => {
      throw new TransientError('503');
    };
    await beginFanOut(deps(), input);

    await expect(attemptAction(deps(flaky), { ...input, action: 1 })).rejects.toBeInstanceOf(TransientError);
    await expect(attemptAction(deps(flaky), { ...input, action: 1 })).rejects.toBeInstanceOf(PermanentError);
    await recordActionFailure(deps(), { ...input, action: 1, error: { Error: 'PermanentError', Cause: 'gave up after 2 attempts (retry.maxAttempts): 503' } });

    expect((await runs.get(ref))?.actions).toEqual([expect.objectContaining({ index: 1, key: 'fan:0:1', state: 'FAILED', attempts: 2, error: { name: 'PermanentError', message: 'gave up after 2 attempts (retry.maxAttempts): 503' } })]);
  });

  it('fails the run past the rule, and RecordFailure settles it FAILED with the actions kept on it', async () => {
    const job = stored();
    const input = run0(job);
    await beginFanOut(deps(), input);
    await attemptAction(deps(), { ...input, action: 0 });
    await recordActionFailure(deps(), { ...input, action: 1, error: { Error: 'PermanentError', Cause: 'answered 400' } });

    const thrown = await settleFanOut(deps(), input).catch((error: Error) => error);
    expect(thrown).toBeInstanceOf(PermanentError);
    const next = await recordFailure(deps(), { ...input, error: { Error: (thrown as Error).name, Cause: (thrown as Error).message } });

    expect(next).toMatchObject({ iteration: 1, aborted: false });
    expect(await runs.get(ref)).toMatchObject({ state: 'FAILED', error: { message: '1 of 2 actions failed, at most 0 tolerated (toleratedFailureCount); actions[1] (message): answered 400' } });
    expect((await runs.get(ref))?.actions?.map((a) => a.state)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(fakes.store.jobs.get('fan')).toMatchObject({ progress: { completedRuns: 0, failedRuns: 1 } });
  });

  it('runs no action of a run settled meanwhile (another invocation won): its iteration answers RUN_SETTLED', async () => {
    const job = stored({ toleratedFailureCount: 1 });
    const input = run0(job);
    await beginFanOut(deps(), input);
    await attemptAction(deps(), { ...input, action: 0 });
    await settleFanOut(deps(), input);

    expect(await attemptAction(deps(), { ...input, action: 1 })).toEqual({ action: 1, key: 'fan:0:1', state: 'RUN_SETTLED' });
    expect(calls.map((c) => c.actionIndex)).toEqual([0]);
  });
});
