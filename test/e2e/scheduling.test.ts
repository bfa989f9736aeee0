/**
 * Scheduling features on the embedded runtime under time warp: pause and resume with catch-up, a cron in
 * a time zone, the flexible window, listing by group and tag, overlap, retention and forever.
 */
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../src/adapters/dynamodb';
import { startHook, type HookServer } from '../support/hook';
import { callJson, until } from '../support/http';

const HOUR = 3_600_000;

const call = (runtime: Runtime, method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);

describe('on a runtime at an hour a second', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ port: 0, memory: true, speed: 3600 });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('pauses a job (no runs while paused) and on resume runs the latest missed run once, recording the others as skipped', async () => {
    const start = new Date(Math.ceil((runtime.clock.now().getTime() + HOUR) / 1000) * 1000).toISOString();
    await call(runtime, 'POST', '/jobs', {
      id: 'paused-hourly',
      startDateTime: start,
      frequency: { hours: 1 },
      maxRuns: 100,
      action: { type: 'message', text: 'tick' },
    });
    await until(() => call(runtime, 'GET', '/jobs/paused-hourly'), (r) => r.body.progress.completedRuns >= 2);

    const paused = await call(runtime, 'POST', '/jobs/paused-hourly/pause', { note: 'maintenance' });
    const atPause = (await call(runtime, 'GET', '/jobs/paused-hourly')).body;
    await new Promise((resolve) => setTimeout(resolve, 4_500)); // four and a half warped hours
    const whilePaused = (await call(runtime, 'GET', '/jobs/paused-hourly')).body;
    const resumed = await call(runtime, 'POST', '/jobs/paused-hourly/resume');
    const after = await until(() => call(runtime, 'GET', '/jobs/paused-hourly'), (r) => r.body.progress.completedRuns > atPause.progress.completedRuns);
    await call(runtime, 'DELETE', '/jobs/paused-hourly');

    expect(paused).toMatchObject({ status: 200, body: { status: 'PAUSED', note: 'maintenance' } });
    expect(whilePaused.status).toBe('PAUSED');
    expect(whilePaused.progress.completedRuns).toBe(atPause.progress.completedRuns);
    expect(resumed).toMatchObject({ status: 200, body: { status: 'SCHEDULED' } });
    const skipped = after.body.progress.steps.filter((s: { state: string }) => s.state === 'SKIPPED');
    expect(skipped).toHaveLength(1);
    expect(skipped[0].skipReason).toBe('missed');
    expect(after.body.progress.skippedRuns).toBeGreaterThanOrEqual(2);
    // The run that caught up was planned while the job was paused and started after the resume.
    const caughtUp = after.body.progress.steps.find((s: { iteration: number }) => s.iteration === skipped[0].skippedThrough + 1);
    expect(Date.parse(caughtUp.startedAt) - Date.parse(caughtUp.plannedAt)).toBeGreaterThan(30 * 60_000);
    expect(after.body.executions.length).toBe(2);
  }, 60_000);

  it('refuses to resume a job that is not paused, with a 409 naming its status', async () => {
    await call(runtime, 'POST', '/jobs', { id: 'not-paused', startDateTime: '2030-01-01T00:00:00Z', action: { type: 'message', text: 'x' } });

    const reply = await call(runtime, 'POST', '/jobs/not-paused/resume');

    expect(reply).toMatchObject({ status: 409, body: { error: { code: 'JOB_STATE', field: 'status' } } });
    expect(reply.body.error.message).toMatch(/not PAUSED/);
  });
});

describe('on a runtime with waits skipped', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ port: 0, memory: true, speed: 0 });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('runs cron(0 9 ? * MON-FRI *) in Europe/Berlin at 09:00 local on weekdays only, across the spring change', async () => {
    const job = {
      id: 'berlin-weekdays',
      startDateTime: '2027-03-26T00:00:00Z', // a Friday; clocks go forward on Sunday 2027-03-28
      scheduleExpression: 'cron(0 9 ? * MON-FRI *)',
      timeZone: 'Europe/Berlin',
      maxRuns: 3,
      action: { type: 'message', text: 'good morning' },
    };

    const upcoming = await (async () => {
      await call(runtime, 'POST', '/jobs', job);
      return (await call(runtime, 'GET', '/jobs/berlin-weekdays/upcoming?count=5')).body;
    })();
    await runtime.executions.idle();
    const done = (await call(runtime, 'GET', '/jobs/berlin-weekdays')).body;

    expect(upcoming.runs.map((r: { localTime: string }) => r.localTime).slice(0, 3)).toEqual([
      '2027-03-26T09:00:00+01:00',
      '2027-03-29T09:00:00+02:00',
      '2027-03-30T09:00:00+02:00',
    ]);
    expect(done.status).toBe('COMPLETED');
    expect(done.progress.steps.map((s: { plannedAt: string }) => s.plannedAt)).toEqual(['2027-03-26T08:00:00Z', '2027-03-29T07:00:00Z', '2027-03-30T07:00:00Z']);
  });

  it('starts each run inside its flexible window, at a point that stays the same', async () => {
    await call(runtime, 'POST', '/jobs', {
      id: 'flexible',
      startDateTime: '2027-05-01T00:00:00Z',
      frequency: { hours: 6 },
      maxRuns: 4,
      flexibleWindowMinutes: 60,
      action: { type: 'message', text: 'somewhere in the hour' },
    });
    await runtime.executions.idle();

    const steps = (await call(runtime, 'GET', '/jobs/flexible')).body.progress.steps as Array<{ plannedAt: string; startedAt: string }>;

    expect(steps.map((s) => s.plannedAt)).toEqual(['2027-05-01T00:00:00Z', '2027-05-01T06:00:00Z', '2027-05-01T12:00:00Z', '2027-05-01T18:00:00Z']);
    for (const step of steps) {
      const offset = Date.parse(step.startedAt) - Date.parse(step.plannedAt);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(HOUR + 5_000);
    }
    expect(new Set(steps.map((s) => Date.parse(s.startedAt) - Date.parse(s.plannedAt))).size).toBeGreaterThan(1);
  });

  it('lists jobs by group and by tag', async () => {
    const base = { startDateTime: '2031-01-01T00:00:00Z', action: { type: 'message', text: 'x' } };
    await call(runtime, 'POST', '/jobs', { ...base, id: 'billing-nightly', group: 'billing', tags: ['nightly', 'eu'] });
    await call(runtime, 'POST', '/jobs', { ...base, id: 'ops-nightly', group: 'ops', tags: ['nightly'] });
    await call(runtime, 'POST', '/jobs', { ...base, id: 'ops-weekly', group: 'ops', tags: ['weekly'] });

    const billing = (await call(runtime, 'GET', '/jobs?group=billing')).body.jobs.map((j: { jobId: string }) => j.jobId);
    const nightly = (await call(runtime, 'GET', '/jobs?tag=nightly')).body.jobs.map((j: { jobId: string }) => j.jobId).sort();
    await runtime.executions.idle();
    const opsDone = (await call(runtime, 'GET', '/jobs?group=ops&status=COMPLETED')).body.jobs.map((j: { jobId: string }) => j.jobId).sort();
    const bad = await call(runtime, 'GET', '/jobs?group=has%20space');
    // Issue 15: the last of two tags was used silently; a repeated parameter is refused naming it.
    const twoTags = await call(runtime, 'GET', '/jobs?tag=nightly&tag=eu');

    expect(billing).toEqual(['billing-nightly']);
    expect(nightly).toEqual(['billing-nightly', 'ops-nightly']);
    expect(opsDone).toEqual(['ops-nightly', 'ops-weekly']);
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'group' } } });
    expect(twoTags).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_ERROR', field: 'tag' } } });
  });
});

describe('overlap, retention and forever on a runtime at an hour a second', () => {
  let runtime: Runtime;
  let slowHook: HookServer;
  beforeAll(async () => {
    // Each call takes 2.5 real seconds: two and a half warped hours, so an hourly job's run overlaps the next two.
    slowHook = await startHook(() => 200, 2_500);
    runtime = await startRuntime({ port: 0, memory: true, speed: 3600, allowHosts: '127.0.0.1' });
  });
  afterAll(async () => {
    await runtime.close();
    await slowHook.close();
  });

  const nextHour = () => new Date(Math.ceil((runtime.clock.now().getTime() + HOUR) / 1000) * 1000).toISOString();
  const hourly = (id: string, overlap: string) => ({
    id,
    startDateTime: nextHour(),
    frequency: { hours: 1 },
    maxRuns: 4,
    overlap,
    action: { type: 'webhook', url: `${slowHook.url}/${id}` },
  });
  const finished = (id: string) => until(() => call(runtime, 'GET', `/jobs/${id}`), (r) => r.body.status === 'COMPLETED', 40_000);

  it('overlap skip: runs planned while a run was still going are recorded skipped (overlap), not run', async () => {
    await call(runtime, 'POST', '/jobs', hourly('overlap-skip', 'skip'));

    const { body } = await finished('overlap-skip');

    const skipped = body.progress.steps.filter((s: { state: string }) => s.state === 'SKIPPED');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped.every((s: { skipReason: string }) => s.skipReason === 'overlap')).toBe(true);
    expect(body.progress.skippedRuns).toBeGreaterThanOrEqual(2);
    expect(body.progress.completedRuns + body.progress.skippedRuns).toBe(4);
    expect(slowHook.requests.filter((r) => r.url === '/overlap-skip')).toHaveLength(body.progress.completedRuns);
  }, 60_000);

  it('overlap allow: every run runs, one after the other, each starting after the one before finished', async () => {
    await call(runtime, 'POST', '/jobs', hourly('overlap-allow', 'allow'));

    const { body } = await finished('overlap-allow');

    expect(body.progress).toMatchObject({ completedRuns: 4, skippedRuns: 0 });
    const steps = [...body.progress.steps].sort((a: { iteration: number }, b: { iteration: number }) => a.iteration - b.iteration);
    for (let i = 1; i < steps.length; i++) expect(Date.parse(steps[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(steps[i - 1].finishedAt));
    // Runs 1-3 were planned while the one before was still going: they started late, not on time.
    expect(Date.parse(steps[2].startedAt) - Date.parse(steps[2].plannedAt)).toBeGreaterThan(HOUR);
  }, 60_000);

  it('retentionDays: a finished job and its runs carry the TTL attribute, retentionDays after the job ended', async () => {
    await call(runtime, 'POST', '/jobs', { id: 'kept-a-day', startDateTime: nextHour(), action: { type: 'message', text: 'once' }, retentionDays: 2 });
    const { body } = await finished('kept-a-day');

    const documents = createDocumentClient({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials });
    const { Items = [] } = await documents.send(
      new QueryCommand({ TableName: runtime.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'JOB#kept-a-day' }, ConsistentRead: true }),
    );
    documents.destroy();

    const expected = Math.floor((Date.parse(body.finishedAt) + 2 * 24 * HOUR) / 1000);
    expect(Items.map((item) => item.sk).sort()).toEqual(['JOB', 'RUN#0000000000']);
    const [jobItem, runItem] = ['JOB', 'RUN#0000000000'].map((sk) => Items.find((item) => item.sk === sk));
    expect(Math.abs(Number(jobItem?.expiresAt) - expected)).toBeLessThanOrEqual(1);
    // The run expires retentionDays after it finished: moments (warped) before the job closed.
    expect(Number(runItem?.expiresAt)).toBeLessThanOrEqual(expected);
    expect(Number(runItem?.expiresAt)).toBeGreaterThan(expected - 3600);
  }, 30_000);

  it('forever: an action job without an end keeps its schedule, with no total and no runs left counted', async () => {
    await call(runtime, 'POST', '/jobs', { id: 'forever', startDateTime: nextHour(), frequency: { hours: 1 }, forever: true, action: { type: 'message', text: 'tick' } });
    const { body } = await until(() => call(runtime, 'GET', '/jobs/forever'), (r) => r.body.progress.completedRuns >= 3, 20_000);
    const upcoming = (await call(runtime, 'GET', '/jobs/forever/upcoming?count=3')).body;
    await call(runtime, 'DELETE', '/jobs/forever');

    expect(body).toMatchObject({ status: 'SCHEDULED', progress: { totalRuns: null, percentage: 0 } });
    expect(upcoming).toMatchObject({ remainingRuns: null, settings: { forever: true, maxRuns: null, endDateTime: null } });
    expect(upcoming.runs).toHaveLength(3);
  }, 30_000);
});
