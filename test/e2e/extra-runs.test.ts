/**
 * Trigger now and backfill on the embedded runtime under time warp, with a real webhook receiver: the
 * extra runs call the action with keys of their own, run in order, are recorded apart from the live runs,
 * and leave the live schedule (its cursor, counters, status and final report) as it was.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { startHook, type HookServer } from '../support/hook';
import { callJson, until, type AnyJson } from '../support/http';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function call(runtime: Runtime, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  if (Object.keys(headers).length === 0) return callJson(runtime.url, method, path, body);
  return fetch(`${runtime.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body ?? {}) }).then(async (r) => ({ status: r.status, body: (await r.json()) as AnyJson }));
}

/** Whole seconds, so planned times compare exactly with what the API returns. */
function at(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function requestOf(job: AnyJson, requestId: string): AnyJson {
  return job.extraRequests.find((r: AnyJson) => r.requestId === requestId);
}

async function requestEnded(runtime: Runtime, jobId: string, requestId: string, timeoutMs = 20_000): Promise<AnyJson> {
  const reply = await until(
    () => call(runtime, 'GET', `/jobs/${jobId}?runsLimit=100`),
    (r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(requestOf(r.body, requestId)?.state),
    timeoutMs,
  );
  return reply.body;
}

describe('trigger and backfill on a runtime at an hour a second', () => {
  let runtime: Runtime;
  let hook: HookServer;
  beforeAll(async () => {
    hook = await startHook(() => 200);
    runtime = await startRuntime({ port: 0, memory: true, speed: 3600, allowHosts: '127.0.0.1' });
  });
  afterAll(async () => {
    await runtime.close();
    await hook.close();
  });

  const keysOf = (jobId: string) => hook.requests.filter((r) => r.url === `/${jobId}`).map((r) => r.idempotencyKey);

  it('triggers one extra run now, recorded as triggered, with its own idempotency key, the live runs untouched', async () => {
    const now = runtime.clock.now().getTime();
    await call(runtime, 'POST', '/jobs', {
      id: 'trig',
      startDateTime: at(now + 10 * DAY),
      frequency: { days: 1 },
      maxRuns: 5,
      action: { type: 'webhook', url: `${hook.url}/trig` },
    });

    const reply = await call(runtime, 'POST', '/jobs/trig/trigger', { note: 'customer asked' });
    const job = await requestEnded(runtime, 'trig', reply.body.requestId);

    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ jobId: 'trig', kind: 'trigger', state: 'RUNNING', note: 'customer asked', runs: { total: 1 } });
    expect(reply.body.executionArn).toContain(`trig--${reply.body.requestId}`);
    expect(requestOf(job, reply.body.requestId)).toMatchObject({ state: 'SUCCEEDED', runs: { total: 1, completed: 1, failed: 0 } });
    expect(job.extraRuns).toEqual([expect.objectContaining({ kind: 'trigger', index: 0, iteration: null, state: 'SUCCEEDED', phase: 'action', result: expect.objectContaining({ statusCode: 200 }) })]);
    expect(keysOf('trig')).toEqual([`trig:${reply.body.requestId}:0`]);
    // The live schedule did not move: no live run, the same next run, still SCHEDULED.
    expect(job.progress).toMatchObject({ completedRuns: 0, failedRuns: 0, steps: [] });
    expect(job.status).toBe('SCHEDULED');
    expect(job.nextRunAt).toBe(at(now + 10 * DAY));
  });

  it('answers a repeated trigger with the same Idempotency-Key with the first request, and runs it once', async () => {
    await call(runtime, 'POST', '/jobs', { id: 'trig-once', startDateTime: at(runtime.clock.now().getTime() + 10 * DAY), action: { type: 'webhook', url: `${hook.url}/trig-once` } });

    const first = await call(runtime, 'POST', '/jobs/trig-once/trigger', {}, { 'idempotency-key': 'button-click-1' });
    const second = await call(runtime, 'POST', '/jobs/trig-once/trigger', {}, { 'idempotency-key': 'button-click-1' });
    const job = await requestEnded(runtime, 'trig-once', first.body.requestId);
    const third = await call(runtime, 'POST', '/jobs/trig-once/trigger', {}, { 'idempotency-key': 'button-click-1' });

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.requestId).toBe(first.body.requestId);
    expect(third).toMatchObject({ status: 200, body: { requestId: first.body.requestId, state: 'SUCCEEDED' } });
    expect(job.extraRequests).toHaveLength(1);
    expect(keysOf('trig-once')).toEqual([`trig-once:${first.body.requestId}:0`]);
  });

  it('backfills a past range in order, marked backfilled, while the live schedule goes on from where it was', async () => {
    const now = runtime.clock.now().getTime();
    const start = Math.floor((now - 10 * DAY) / 1000) * 1000;
    await call(runtime, 'POST', '/jobs', {
      id: 'backfilled',
      startDateTime: at(start),
      frequency: { days: 1 },
      maxRuns: 30,
      // The ten missed days are skipped (recorded), so only the backfill runs them.
      catchUp: 'skip',
      action: { type: 'webhook', url: `${hook.url}/backfilled` },
    });
    // The skipped range is recorded when the next live run begins: up to a day away (24 s at an hour a second)
    // when the run due now was already late on a loaded machine.
    const live = await until(() => call(runtime, 'GET', '/jobs/backfilled'), (r) => r.body.progress.skippedRuns > 0, 60_000);

    const statsBefore = (await call(runtime, 'GET', '/stats')).body;
    const reply = await call(runtime, 'POST', '/jobs/backfilled/backfill', { from: at(start + 2 * DAY), to: at(start + 6 * DAY) });
    const job = await requestEnded(runtime, 'backfilled', reply.body.requestId);
    // GET /stats counts backfilled runs like live ones (and the request's execution with them).
    const statsAfter = (await call(runtime, 'GET', '/stats')).body;
    expect(statsAfter.runs.completed - statsBefore.runs.completed).toBeGreaterThanOrEqual(5);
    expect(statsAfter.durations.samples - statsBefore.durations.samples).toBeGreaterThanOrEqual(5);

    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ kind: 'backfill', from: new Date(start + 2 * DAY).toISOString(), iterations: { first: 2, last: 6 }, runs: { total: 5 } });
    expect(requestOf(job, reply.body.requestId)).toMatchObject({ state: 'SUCCEEDED', runs: { total: 5, completed: 5, failed: 0 } });
    const runs = [...job.extraRuns].sort((a: AnyJson, b: AnyJson) => a.index - b.index);
    expect(runs.map((r: AnyJson) => [r.kind, r.iteration, r.state])).toEqual([2, 3, 4, 5, 6].map((i) => ['backfill', i, 'SUCCEEDED']));
    expect(runs.map((r: AnyJson) => r.plannedAt)).toEqual([2, 3, 4, 5, 6].map((i) => at(start + i * DAY)));
    // In order: each run started after the one before it finished.
    for (let i = 1; i < runs.length; i++) expect(Date.parse(runs[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(runs[i - 1].finishedAt));
    const keys = keysOf('backfilled');
    expect(keys.filter((key) => key?.includes(reply.body.requestId))).toEqual([0, 1, 2, 3, 4].map((i) => `backfilled:${reply.body.requestId}:${i}`));
    // The live runs kept their own keys (`<jobId>:<iteration>`), from iteration 10 on.
    expect(keys.filter((key) => !key?.includes(reply.body.requestId)).every((key) => /^backfilled:(1\d|[2-9]\d)$/.test(key ?? ''))).toBe(true);
    // The live side: the same skipped range, no live run added by the backfill, none of its steps backfilled.
    expect(job.progress.skippedRuns).toBe(live.body.progress.skippedRuns);
    expect(job.progress.completedRuns).toBe(job.progress.steps.filter((s: AnyJson) => s.state === 'SUCCEEDED').length);
    expect(job.progress.steps.every((s: AnyJson) => s.state === 'SKIPPED' || s.iteration >= 10)).toBe(true);
  }, 120_000);

  it('refuses a backfill it cannot run, naming the field', async () => {
    const now = runtime.clock.now().getTime();
    await call(runtime, 'POST', '/jobs', { id: 'bf-bad', startDateTime: at(now - 3 * DAY), frequency: { minutes: 1 }, maxRuns: 100_000, catchUp: 'skip', action: { type: 'message', text: 'x' } });
    await call(runtime, 'POST', '/jobs', { id: 'bf-workflow', startDateTime: at(now - 3 * DAY), endDateTime: at(now + 3 * DAY), frequency: { days: 1 } });

    const cases: Array<[string, unknown, string]> = [
      ['bf-bad', { from: at(now - DAY) }, 'to'],
      ['bf-bad', { from: 'yesterday', to: at(now - DAY) }, 'from'],
      ['bf-bad', { from: at(now - DAY), to: at(now - 2 * DAY) }, 'to'],
      ['bf-bad', { from: at(now - DAY), to: at(now + DAY) }, 'to'],
      ['bf-bad', { from: at(now - 10 * DAY), to: at(now - 5 * DAY) }, 'from'],
      ['bf-bad', { from: at(now - 2 * DAY), to: at(now - DAY) }, 'to'], // 1,441 runs: more than 1,000
      ['bf-bad', { from: at(now - 2 * HOUR), to: at(now - HOUR), iterations: 3 }, 'iterations'],
      ['bf-workflow', { from: at(now - 3 * DAY), to: at(now - DAY) }, 'id'],
    ];
    for (const [id, body, field] of cases) {
      const reply = await call(runtime, 'POST', `/jobs/${id}/backfill`, body);
      expect({ body, status: reply.status, field: reply.body.error?.field }).toEqual({ body, status: 400, field });
    }
    expect((await call(runtime, 'POST', '/jobs/nope/backfill', { from: at(now - 2 * HOUR), to: at(now - HOUR) })).status).toBe(404);
    const job = (await call(runtime, 'GET', '/jobs/bf-bad')).body;
    await call(runtime, 'DELETE', '/jobs/bf-bad');
    await call(runtime, 'DELETE', '/jobs/bf-workflow');
    expect(job.extraRequests).toEqual([]);
  });

  it('refuses to trigger a finished job with a 409, and a body with unknown fields with a 400', async () => {
    await call(runtime, 'POST', '/jobs', { id: 'trig-stopped', startDateTime: at(runtime.clock.now().getTime() + DAY), action: { type: 'message', text: 'x' } });
    const unknown = await call(runtime, 'POST', '/jobs/trig-stopped/trigger', { when: 'now' });
    await call(runtime, 'DELETE', '/jobs/trig-stopped');

    const reply = await call(runtime, 'POST', '/jobs/trig-stopped/trigger');

    expect(unknown).toMatchObject({ status: 400, body: { error: { field: 'when' } } });
    expect(reply).toMatchObject({ status: 409, body: { error: { code: 'JOB_STATE' } } });
    expect(reply.body.error.message).toMatch(/CANCELLED/);
  });

  it('triggers an interim report on a workflow without finishing it or touching its final report', async () => {
    const now = runtime.clock.now().getTime();
    await call(runtime, 'POST', '/jobs', { id: 'wf-interim', startDateTime: at(now + HOUR), endDateTime: at(now + HOUR + 6 * DAY), frequency: { days: 1 } });
    await until(() => call(runtime, 'GET', '/jobs/wf-interim'), (r) => r.body.progress.completedRuns >= 1);

    const reply = await call(runtime, 'POST', '/jobs/wf-interim/trigger');
    const job = await requestEnded(runtime, 'wf-interim', reply.body.requestId);
    await call(runtime, 'DELETE', '/jobs/wf-interim');

    expect(job.extraRuns).toEqual([expect.objectContaining({ kind: 'trigger', phase: 'report', action: 'Report Generation', state: 'SUCCEEDED', result: expect.objectContaining({ reportGenerated: true }) })]);
    expect(job.finalReport).toBeUndefined();
    expect(job.status).toMatch(/^DAY_\d_COMPLETE$/);
  });
});

describe('a long backfill', () => {
  let slowHook: HookServer;
  beforeAll(async () => {
    slowHook = await startHook(() => 200, 150);
  });
  afterAll(async () => {
    await slowHook.close();
  });

  it('stops when its job is stopped: the request is CANCELLED and no run starts after', async () => {
    const runtime = await startRuntime({ port: 0, memory: true, speed: 3600, allowHosts: '127.0.0.1' });
    try {
      const now = runtime.clock.now().getTime();
      await call(runtime, 'POST', '/jobs', { id: 'bf-stop', startDateTime: at(now - 2 * DAY), frequency: { hours: 1 }, maxRuns: 500, catchUp: 'skip', action: { type: 'webhook', url: `${slowHook.url}/bf-stop` } });
      const reply = await call(runtime, 'POST', '/jobs/bf-stop/backfill', { from: at(now - 2 * DAY), to: at(now - DAY) });
      await until(() => call(runtime, 'GET', '/jobs/bf-stop'), (r) => requestOf(r.body, reply.body.requestId).runs.completed >= 2);

      await call(runtime, 'DELETE', '/jobs/bf-stop');
      const stopped = (await call(runtime, 'GET', '/jobs/bf-stop?runsLimit=100')).body;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const later = (await call(runtime, 'GET', '/jobs/bf-stop?runsLimit=100')).body;

      expect(stopped.status).toBe('CANCELLED');
      expect(requestOf(stopped, reply.body.requestId).state).toBe('CANCELLED');
      expect(reply.body.runs.total).toBe(25);
      expect(later.extraRuns.length).toBe(stopped.extraRuns.length);
      expect(later.extraRuns.length).toBeLessThan(25);
    } finally {
      await runtime.close();
    }
  }, 30_000);

  it('carries on from its stored cursor after the runtime restarts, each run recorded once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'extra-restart-'));
    try {
      let runtime = await startRuntime({ port: 0, dataDir, speed: 3600, allowHosts: '127.0.0.1' });
      const now = runtime.clock.now().getTime();
      await call(runtime, 'POST', '/jobs', { id: 'bf-restart', startDateTime: at(now - 2 * DAY), frequency: { hours: 1 }, maxRuns: 48, catchUp: 'skip', action: { type: 'webhook', url: `${slowHook.url}/bf-restart` } });
      const reply = await call(runtime, 'POST', '/jobs/bf-restart/backfill', { from: at(now - 2 * DAY), to: at(now - 2 * DAY + 11 * HOUR) });
      await until(() => call(runtime, 'GET', '/jobs/bf-restart'), (r) => requestOf(r.body, reply.body.requestId).runs.completed >= 3);
      await runtime.close();

      runtime = await startRuntime({ port: 0, dataDir, speed: 3600, allowHosts: '127.0.0.1' });
      try {
        const job = await requestEnded(runtime, 'bf-restart', reply.body.requestId);

        expect(runtime.resumedRequests).toEqual([reply.body.requestId]);
        expect(requestOf(job, reply.body.requestId)).toMatchObject({ state: 'SUCCEEDED', runs: { total: 12, completed: 12, failed: 0 } });
        expect(job.extraRuns.map((r: AnyJson) => r.index).sort((a: number, b: number) => a - b)).toEqual([...Array(12).keys()]);
        expect(requestOf(job, reply.body.requestId).executionArn).toMatch(/-1$/);
        // Every run reached the receiver; one cut off by the restart may have been delivered twice, with the same key.
        const keys = slowHook.requests.filter((r) => r.url === '/bf-restart').map((r) => r.idempotencyKey);
        expect(new Set(keys).size).toBe(12);
      } finally {
        await runtime.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
