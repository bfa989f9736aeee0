/**
 * What an operator reads first: a job's outcome (a job whose every run failed is `failed`, not a success),
 * its latest run, each attempt of a retried run, and its runs newest first. Runs are written through the
 * real run ledger on dynalite the way the task Lambda writes them (test/support/runs.ts).
 */
import { JobSchema, type Job, type JobInput } from '../../../src/lib/job';
import { ATTEMPTS_KEPT, LIVE } from '../../../src/lib/ledger';
import { nextRun, totalRuns } from '../../../src/lib/schedule';
import { beginRun, failRun, succeedRun } from '../../support/runs';
import { useApi } from './harness';

const T0 = 1733306400000; // 2024-12-04T10:00:00Z
const HOUR = 3_600_000;

const t = useApi({ now: new Date(T0) });

beforeEach(() => t.reset());

/** An hourly webhook job of `runs` runs from T0, stored as POST /jobs stores it. */
async function hourlyHook(id: string, runs: number, extra: Partial<JobInput> = {}): Promise<Job> {
  const input: JobInput = {
    id,
    startDateTime: new Date(T0).toISOString(),
    maxRuns: runs,
    frequency: { hours: 1 },
    action: { type: 'webhook', url: 'https://example.com/hook' },
    ...extra,
  };
  const job = JobSchema.parse(input);
  const total = totalRuns(job);
  await t.store.createJob(job, { totalRuns: total, nextRunAt: nextRun(job, { iteration: 0 }, total).runAt, now: new Date(T0) });
  return job;
}

const at = (iteration: number, ms = 0) => new Date(T0 + iteration * HOUR + ms);

async function run(job: Job, iteration: number, ok: boolean): Promise<void> {
  const plannedAt = at(iteration).toISOString();
  await beginRun(t.runs, { job, iteration, phase: 'action', plannedAt, totalRuns: job.maxRuns ?? null, now: at(iteration) });
  const nextRunAt = iteration + 1 < (job.maxRuns ?? 0) ? at(iteration + 1).toISOString() : null;
  if (ok) await succeedRun(t.runs, { job, iteration, phase: 'action', plannedAt, statusAfter: 'SCHEDULED', nextRunAt, now: at(iteration, 100) });
  else await failRun(t.runs, { job, iteration, phase: 'action', plannedAt, policy: 'continue', nextRunAt, error: { name: 'PermanentError', message: `webhook answered 404 (run ${iteration})` }, now: at(iteration, 100) });
}

describe('a job’s outcome, latest run and attention', () => {
  it('calls a COMPLETED job whose every run failed `failed`, in the list and the detail, with its last error', async () => {
    const job = await hourlyHook('all-failed', 3);
    for (const i of [0, 1, 2]) await run(job, i, false);
    await t.store.completeJob('all-failed', at(3));

    const detail = await t.call('GET', '/jobs/all-failed');
    const list = await t.call('GET', '/jobs');

    expect(detail.body).toMatchObject({ status: 'COMPLETED', outcome: 'failed', needsAttention: true });
    expect(detail.body.lastRun).toEqual({ index: 2, state: 'FAILED', finishedAt: at(2, 100).toISOString(), error: { name: 'PermanentError', message: 'webhook answered 404 (run 2)' } });
    expect(list.body.jobs[0]).toMatchObject({ jobId: 'all-failed', status: 'COMPLETED', outcome: 'failed', needsAttention: true, lastRun: { index: 2, state: 'FAILED' } });
  });

  it('tells a job that ended with some failures from one that succeeded, and one still going', async () => {
    const mixed = await hourlyHook('mixed', 2);
    await run(mixed, 0, true);
    await run(mixed, 1, false);
    await t.store.completeJob('mixed', at(2));
    const clean = await hourlyHook('clean', 2);
    await run(clean, 0, true);
    await run(clean, 1, true);
    await t.store.completeJob('clean', at(2));
    const going = await hourlyHook('going', 5);
    await run(going, 0, false);
    await run(going, 1, true);

    const outcome = async (id: string) => (await t.call('GET', `/jobs/${id}`)).body;

    expect(await outcome('mixed')).toMatchObject({ outcome: 'completed_with_failures', needsAttention: true, lastRun: { index: 1, state: 'FAILED' } });
    expect(await outcome('clean')).toMatchObject({ outcome: 'succeeded', needsAttention: false, lastRun: { index: 1, state: 'SUCCEEDED' } });
    const still = await outcome('going');
    expect(still).toMatchObject({ status: 'SCHEDULED', outcome: 'in_progress', needsAttention: true, lastRun: { index: 1, state: 'SUCCEEDED' } });
    expect(still.lastRun.error).toBeUndefined();
  });

  it('shows no last run before the first, and `paused` / `cancelled` for those jobs', async () => {
    await hourlyHook('fresh', 3);
    await hourlyHook('held', 3);
    await t.call('POST', '/jobs/held/pause');
    await hourlyHook('gone', 3);
    await t.call('DELETE', '/jobs/gone');

    expect((await t.call('GET', '/jobs/fresh')).body).toMatchObject({ outcome: 'in_progress', needsAttention: false, lastRun: null });
    expect((await t.call('GET', '/jobs/held')).body).toMatchObject({ status: 'PAUSED', outcome: 'paused' });
    expect((await t.call('GET', '/jobs/gone')).body).toMatchObject({ status: 'CANCELLED', outcome: 'cancelled' });
  });

  it('puts each pause (with its note) and resume in the status history, in time order among the runs', async () => {
    const job = await hourlyHook('held-twice', 5);
    await run(job, 0, true);
    t.clock.now = at(0, 200);
    expect((await t.call('POST', '/jobs/held-twice/pause', { body: { note: 'deploy freeze' } })).status).toBe(200);
    t.clock.now = at(0, 300);
    expect((await t.call('POST', '/jobs/held-twice/resume')).status).toBe(200);
    t.clock.now = at(0, 400);
    await t.call('POST', '/jobs/held-twice/pause');

    const detail = (await t.call('GET', '/jobs/held-twice')).body;

    expect(detail.status).toBe('PAUSED');
    expect(detail.statusHistory).toEqual([
      { status: 'SCHEDULED', at: new Date(T0).toISOString() },
      { status: 'PAUSED', at: at(0, 200).toISOString(), event: 'paused', note: 'deploy freeze' },
      { status: 'SCHEDULED', at: at(0, 300).toISOString(), event: 'resumed' },
      { status: 'PAUSED', at: at(0, 400).toISOString(), event: 'paused' },
    ]);
  });

  it('keeps the latest 20 pauses and resumes of a job paused and resumed over and over', async () => {
    await hourlyHook('fidget', 5);
    for (let i = 0; i < 12; i += 1) {
      t.clock.now = at(0, 1000 * (2 * i + 1));
      await t.call('POST', '/jobs/fidget/pause', { body: { note: `pause ${i}` } });
      t.clock.now = at(0, 1000 * (2 * i + 2));
      await t.call('POST', '/jobs/fidget/resume');
    }

    const history = (await t.call('GET', '/jobs/fidget')).body.statusHistory as Array<{ event?: string; note?: string }>;
    const pauses = history.filter((change) => change.event !== undefined);

    expect(pauses).toHaveLength(20);
    // The oldest two pairs are dropped: the log starts at the third pause.
    expect(pauses[0]).toMatchObject({ event: 'paused', note: 'pause 2' });
    expect(pauses.at(-1)).toMatchObject({ event: 'resumed' });
  });
});

describe('the attempts of a retried run', () => {
  it('keeps each attempt’s start, error and the delay before the next, and the Catch’s error on the last', async () => {
    const job = await hourlyHook('flaky', 2);
    const ref = { jobId: 'flaky', series: LIVE, index: 0 };
    const plannedAt = at(0).toISOString();
    const begin = (ms: number) => beginRun(t.runs, { job, iteration: 0, phase: 'action', plannedAt, totalRuns: 2, now: at(0, ms) });
    await begin(0);
    await t.runs.recordAttemptFailure!(ref, { attempt: 1, error: { name: 'TransientError', message: 'webhook answered 503' }, now: at(0, 200) });
    await begin(2_200);
    // Attempt 2 dies without a word (a Lambda timeout): nothing is noted.
    await begin(10_000);
    await t.runs.recordAttemptFailure!(ref, { attempt: 3, error: { name: 'PermanentError', message: 'webhook answered 400' }, now: at(0, 10_300) });
    await failRun(t.runs, { job, iteration: 0, phase: 'action', plannedAt, policy: 'continue', nextRunAt: at(1).toISOString(), error: { name: 'PermanentError', message: 'webhook answered 400' }, now: at(0, 10_300) });

    const step = (await t.call('GET', '/jobs/flaky')).body.progress.steps[0];

    expect(step).toMatchObject({ state: 'FAILED', attempts: 3 });
    expect(step.attemptHistory).toEqual([
      { attempt: 1, outcome: 'failed', startedAt: at(0).toISOString(), endedAt: at(0, 200).toISOString(), error: { name: 'TransientError', message: 'webhook answered 503' }, delayMs: 2_000 },
      { attempt: 2, outcome: 'unknown', startedAt: at(0, 2_200).toISOString(), endedAt: null, error: null, delayMs: 7_800 },
      { attempt: 3, outcome: 'failed', startedAt: at(0, 10_000).toISOString(), endedAt: at(0, 10_300).toISOString(), error: { name: 'PermanentError', message: 'webhook answered 400' }, delayMs: null },
    ]);
    expect(step.lastFailure).toEqual({ attempt: 3, at: at(0, 10_300).toISOString(), error: { name: 'PermanentError', message: 'webhook answered 400' } });
  });

  it('shows a run still retrying with its last failure, and keeps only the last ATTEMPTS_KEPT earlier attempts', async () => {
    const job = await hourlyHook('stubborn', 2);
    const ref = { jobId: 'stubborn', series: LIVE, index: 0 };
    const total = ATTEMPTS_KEPT + 3;
    for (let attempt = 1; attempt <= total; attempt++) {
      await beginRun(t.runs, { job, iteration: 0, phase: 'action', plannedAt: at(0).toISOString(), totalRuns: 2, now: at(0, attempt * 1000) });
      if (attempt < total) await t.runs.recordAttemptFailure!(ref, { attempt, error: { name: 'TransientError', message: `503 on attempt ${attempt}` }, now: at(0, attempt * 1000 + 10) });
    }

    const step = (await t.call('GET', '/jobs/stubborn')).body.progress.steps[0];
    const item = (await t.items()).find((i) => i.pk === 'JOB#stubborn' && i.sk !== 'JOB') as { earlierAttempts: unknown[] };

    expect(step).toMatchObject({ state: 'STARTED', attempts: total });
    expect(item.earlierAttempts).toHaveLength(ATTEMPTS_KEPT);
    expect(step.attemptHistory.map((a: { attempt: number }) => a.attempt)).toEqual(Array.from({ length: ATTEMPTS_KEPT + 1 }, (_, i) => total - ATTEMPTS_KEPT + i));
    expect(step.attemptHistory.at(-1)).toMatchObject({ attempt: total, outcome: 'running', endedAt: null, error: null });
    expect(step.lastFailure).toMatchObject({ attempt: total - 1, error: { message: `503 on attempt ${total - 1}` } });
  });

  it('has one attempt and no failure for a run that passed first time', async () => {
    const job = await hourlyHook('smooth', 2);
    await run(job, 0, true);

    const step = (await t.call('GET', '/jobs/smooth')).body.progress.steps[0];

    expect(step.attemptHistory).toEqual([{ attempt: 1, outcome: 'succeeded', startedAt: at(0).toISOString(), endedAt: at(0, 100).toISOString(), error: null, delayMs: null }]);
    expect(step.lastFailure).toBeNull();
  });
});

describe('runs newest first', () => {
  it('lists runs newest first with runsOrder=desc, and pages back to the oldest', async () => {
    const job = await hourlyHook('five', 5);
    for (const i of [0, 1, 2, 3, 4]) await run(job, i, i !== 3);

    const first = await t.call('GET', '/jobs/five?runsOrder=desc&runsLimit=2');
    const second = await t.call('GET', `/jobs/five?runsOrder=desc&runsLimit=2&runsCursor=${encodeURIComponent(first.body.runsCursor)}`);
    const third = await t.call('GET', `/jobs/five?runsOrder=desc&runsLimit=2&runsCursor=${encodeURIComponent(second.body.runsCursor)}`);
    const ascending = await t.call('GET', '/jobs/five');

    const iterations = (reply: { body: { progress: { steps: Array<{ iteration: number }> } } }) => reply.body.progress.steps.map((s) => s.iteration);
    expect(first.body.runsOrder).toBe('desc');
    expect([iterations(first), iterations(second), iterations(third)]).toEqual([[4, 3], [2, 1], [0]]);
    expect(third.body.runsCursor).toBeUndefined();
    expect(ascending.body.runsOrder).toBe('asc');
    expect(iterations(ascending)).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a runsOrder other than asc or desc, naming it', async () => {
    await hourlyHook('named', 2);

    const reply = await t.call('GET', '/jobs/named?runsOrder=newest');

    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'runsOrder' });
  });
});
