/**
 * `GET /jobs/{id}/executions/{generation}/history` and a retried run's attempts, end to end on the local
 * runtime with waits and retry intervals skipped: the real ASL on the engine, the real task handler calling
 * a webhook on loopback, and the API reading the execution back through @aws-sdk/client-sfn from the local
 * Step Functions endpoint (DescribeExecution, GetExecutionHistory), as it would on AWS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRuntime, type Runtime } from '../../../src/local/runtime';
import { callJson, until, type AnyJson } from '../../support/http';

let runtime: Runtime;
let server: http.Server;
let hookUrl: string;
/** Answers the webhook gives, in order per path; 200 once a path's list is used up. */
const script = new Map<string, number[]>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const answers = script.get(req.url ?? '') ?? [];
    const status = answers.shift() ?? 200;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  runtime = await startRuntime({ port: 0, memory: true, speed: 0, allowHosts: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  await new Promise((resolve) => server.close(resolve));
});

const call = (method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);
const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

async function oneOffHook(id: string, path: string, answers: number[]): Promise<AnyJson> {
  script.set(path, [...answers]);
  const created = await call('POST', '/jobs', { id, startDateTime: '2026-12-01T09:00:00Z', action: { type: 'webhook', url: `${hookUrl}${path}` } });
  expect(created.status).toBe(201);
  return (await until(() => call('GET', `/jobs/${id}`), (r) => FINAL.includes(r.body?.status), 30_000)).body;
}

describe('a retried run through the state machine', () => {
  it('keeps the error of each attempt the ASL retried, and succeeds on the last', async () => {
    const job = await oneOffHook('retried', '/retried', [503, 503]);
    const step = job.progress.steps[0];

    expect(job).toMatchObject({ status: 'COMPLETED', outcome: 'succeeded', lastRun: { index: 0, state: 'SUCCEEDED' } });
    expect(step).toMatchObject({ state: 'SUCCEEDED', attempts: 3 });
    expect(step.attemptHistory.map((a: AnyJson) => [a.attempt, a.outcome, a.error?.name ?? null])).toEqual([
      [1, 'failed', 'TransientError'],
      [2, 'failed', 'TransientError'],
      [3, 'succeeded', null],
    ]);
    expect(step.attemptHistory[0].error.message).toMatch(/503/);
    expect(step.lastFailure).toMatchObject({ attempt: 2, error: { name: 'TransientError' } });
  });

  it('shows a job whose only run failed as COMPLETED with outcome failed, its last run carrying the error', async () => {
    const job = await oneOffHook('doomed', '/doomed', [404]);

    expect(job).toMatchObject({ status: 'COMPLETED', outcome: 'failed', needsAttention: true, lastRun: { index: 0, state: 'FAILED', error: { name: 'PermanentError' } } });
    expect(job.lastRun.error.message).toMatch(/404/);
  });
});

describe('GET /jobs/{id}/executions/{generation}/history', () => {
  it('answers the execution’s status, times and duration, and its events in order, paged', async () => {
    await oneOffHook('traced', '/traced', [503]);

    const whole = await call('GET', '/jobs/traced/executions/0/history?limit=1000');
    const pages: AnyJson[] = [];
    let cursor: string | null = null;
    do {
      const reply: { status: number; body: AnyJson } = await call('GET', `/jobs/traced/executions/0/history?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(reply.status).toBe(200);
      pages.push(...reply.body.events);
      cursor = reply.body.cursor;
    } while (cursor);

    expect(whole.status).toBe(200);
    const { execution, events } = whole.body;
    expect(whole.body).toMatchObject({ jobId: 'traced', generation: 0, generations: 1, cursor: null });
    expect(execution).toMatchObject({ name: 'traced', status: 'SUCCEEDED', error: null });
    expect(execution.executionArn).toMatch(/:execution:[^:]+:traced$/);
    expect(execution.durationMs).toBe(Date.parse(execution.stopDate) - Date.parse(execution.startDate));
    expect(events[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(events.map((e: AnyJson) => e.id)).toEqual(events.map((_: unknown, i: number) => i + 1));
    // The retried attempt's failure is an event, with the error's name; the entered states name themselves.
    expect(events.find((e: AnyJson) => e.type === 'LambdaFunctionFailed')).toMatchObject({ error: 'TransientError' });
    expect(events.filter((e: AnyJson) => e.type === 'TaskStateEntered').map((e: AnyJson) => e.stateName)).toEqual(expect.arrayContaining(['Calculate', 'RunStep']));
    expect(JSON.parse(events.find((e: AnyJson) => e.type === 'TaskStateEntered' && e.stateName === 'RunStep').input)).toHaveProperty('job.id', 'traced');
    // Paging walks the same events, none repeated or missing.
    expect(pages.map((e) => e.id)).toEqual(events.map((e: AnyJson) => e.id));
  });

  it('names generation for one the job does not have, cursor for one it did not hand out, and 404s a missing job', async () => {
    await oneOffHook('probed', '/probed', []);

    const beyond = await call('GET', '/jobs/probed/executions/3/history');
    const word = await call('GET', '/jobs/probed/executions/first/history');
    const badCursor = await call('GET', '/jobs/probed/executions/0/history?cursor=not-a-token');
    const missing = await call('GET', '/jobs/nobody/executions/0/history');

    expect(beyond.status).toBe(400);
    expect(beyond.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'generation', message: expect.stringMatching(/0 to 0/) });
    expect(word.body.error).toMatchObject({ field: 'generation' });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error).toMatchObject({ field: 'cursor' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});
