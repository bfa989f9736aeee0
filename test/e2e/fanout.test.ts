/**
 * Fan-out inside a run on the local runtime, through HTTP only: a job whose `actions` mix a webhook (a real
 * receiver on 127.0.0.1) and the targets' local stand-ins, posted to the API and run with waits skipped.
 * Each action's Idempotency-Key (`<run key>:<index>`) is read back where its receiver sees it (the webhook's
 * header, GET /outbox), and each action's result through GET /jobs/{id}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { callJson, until, type AnyJson } from '../support/http';

let runtime: Runtime;
let receiver: http.Server;
let hookUrl = '';
const received: Array<{ key: string; body: string }> = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ key: String(req.headers['idempotency-key']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  runtime = await startRuntime({ port: 0, memory: true, speed: 0, allowHosts: '127.0.0.1' });
});

afterAll(async () => {
  await runtime.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const call = (method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);
const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];
const ACCOUNT = '123456789012';

const mixed = () => [
  { type: 'webhook', url: hookUrl, body: { report: 'daily' } },
  { type: 'sqs', queue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:step-scheduler-dev-orders`, body: { order: 7 } },
  { type: 'lambda', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:step-scheduler-dev-report`, payload: { region: 'emea' } },
  { type: 'eventbridge', eventBusArn: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/step-scheduler-dev-bus`, source: 'com.example.nightly', detailType: 'Nightly run' },
  // A queue the stand-in refuses for good (AccessDenied, as IAM would): this action fails.
  { type: 'sqs', queue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:step-scheduler-dev-refuse`, body: 'x' },
];

async function runJob(body: Record<string, unknown>): Promise<AnyJson> {
  const created = await call('POST', '/jobs', { startDateTime: '2026-12-01T09:00:00Z', ...body });
  expect(created.status).toBe(201);
  return (await until(() => call('GET', `/jobs/${String(body.id)}`), (r) => FINAL.includes(r.body?.status))).body;
}

async function outbox(query: string): Promise<AnyJson[]> {
  const answer = await call('GET', `/outbox?${query}`);
  expect(answer.status).toBe(200);
  return answer.body.entries;
}

describe('a fan-out job on the local runtime', () => {
  it('runs mixed targets in one run, each under its own key, and shows each action\'s result in GET /jobs/{id} (one refusal tolerated)', async () => {
    const job = await runJob({ id: 'fan-mixed', actions: mixed(), maxConcurrency: 3, toleratedFailureCount: 1 });

    expect(job.status).toBe('COMPLETED');
    const [step, ...more] = job.progress.steps;
    expect(more).toEqual([]);
    expect(step).toMatchObject({ action: 'Fan-out', state: 'SUCCEEDED', result: { actions: 5, succeeded: 4, failed: 1 } });
    expect(step.actions.map((a: AnyJson) => [a.index, a.type, a.key, a.state])).toEqual([
      [0, 'webhook', 'fan-mixed:0:0', 'SUCCEEDED'],
      [1, 'sqs', 'fan-mixed:0:1', 'SUCCEEDED'],
      [2, 'lambda', 'fan-mixed:0:2', 'SUCCEEDED'],
      [3, 'eventbridge', 'fan-mixed:0:3', 'SUCCEEDED'],
      [4, 'sqs', 'fan-mixed:0:4', 'FAILED'],
    ]);
    expect(step.actions[0].result).toMatchObject({ statusCode: 200 });
    expect(step.actions[4]).toMatchObject({ attempts: 1, error: { name: 'PermanentError', message: expect.stringMatching(/AccessDenied/) } });

    // Each receiver saw its own action's key, once.
    expect(received.filter((r) => r.key.startsWith('fan-mixed:'))).toEqual([{ key: 'fan-mixed:0:0', body: '{"report":"daily"}' }]);
    const sqs = await outbox('target=sqs&jobId=fan-mixed');
    expect(sqs.map((e) => [e.idempotencyKey, e.request.attributes.idempotencyKey])).toEqual([['fan-mixed:0:1', 'fan-mixed:0:1']]);
    expect(step.actions[1].result).toMatchObject({ target: 'sqs', idempotencyKey: 'fan-mixed:0:1', messageId: sqs[0].receipt.messageId });
    expect((await outbox('target=lambda&jobId=fan-mixed')).map((e) => e.request.payload)).toEqual([{ region: 'emea', idempotencyKey: 'fan-mixed:0:2' }]);
    expect((await outbox('target=eventbridge&jobId=fan-mixed')).map((e) => e.request.detail)).toEqual([{ idempotencyKey: 'fan-mixed:0:3' }]);
  });

  it('without a tolerance the same run FAILS through the failure path of any run: its notice, the job\'s policy', async () => {
    const job = await runJob({ id: 'fan-strict', actions: mixed(), onFailure: 'abort', notify: { channel: 'ops' }, notifyOn: ['failure'] });

    expect(job.status).toBe('FAILED');
    expect(job.progress.steps[0]).toMatchObject({ state: 'FAILED', error: { message: expect.stringMatching(/^1 of 5 actions failed, at most 0 tolerated \(toleratedFailureCount\); actions\[4\] \(sqs\)/) } });
    expect(job.progress.steps[0].actions.map((a: AnyJson) => a.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    const notices = await outbox('target=notification&jobId=fan-strict');
    expect(notices.map((n) => [n.request.subject, n.idempotencyKey])).toEqual([
      ['Run 1 of job fan-strict failed', 'fan-strict:0:run-failed'],
      ['Job fan-strict FAILED', 'fan-strict:job-failed'],
    ]);
  });

  it('a triggered run of a fan-out job fans out too, each action keyed <jobId>:<requestId>:0:<index>', async () => {
    const created = await call('POST', '/jobs', { id: 'fan-trig', startDateTime: '2026-12-01T09:00:00Z', frequency: { days: 1 }, forever: true, actions: [{ type: 'webhook', url: hookUrl }, { type: 'message', text: 'hi' }] });
    expect(created.status).toBe(201);
    expect((await call('POST', '/jobs/fan-trig/pause', { note: 'hold the live runs' })).status).toBe(200);

    const trigger = await call('POST', '/jobs/fan-trig/trigger', {});
    expect(trigger.status).toBe(202);
    const { requestId } = trigger.body;
    const job = (await until(() => call('GET', '/jobs/fan-trig'), (r) => r.body?.extraRuns?.some((run: AnyJson) => run.requestId === requestId && run.state !== 'STARTED'))).body;
    const run = job.extraRuns.find((entry: AnyJson) => entry.requestId === requestId);

    expect(run).toMatchObject({ kind: 'trigger', state: 'SUCCEEDED', result: { actions: 2, succeeded: 2, failed: 0 } });
    expect(run.actions.map((a: AnyJson) => [a.key, a.state])).toEqual([
      [`fan-trig:${requestId}:0:0`, 'SUCCEEDED'],
      [`fan-trig:${requestId}:0:1`, 'SUCCEEDED'],
    ]);
    expect(received.filter((r) => r.key === `fan-trig:${requestId}:0:0`)).toHaveLength(1);
    await call('DELETE', '/jobs/fan-trig');
  });

  it('refuses bad fan-out input with 400 naming the field', async () => {
    const bad = async (body: Record<string, unknown>) => (await call('POST', '/jobs', { id: 'fan-bad', startDateTime: '2026-12-01T09:00:00Z', ...body })).body.error;

    expect(await bad({ actions: [{ type: 'webhook', url: hookUrl }, { type: 'fax' }] })).toMatchObject({ code: 'VALIDATION_ERROR', field: 'actions.1.type' });
    expect(await bad({ actions: Array.from({ length: 41 }, () => ({ type: 'message', text: 'hi' })) })).toMatchObject({ field: 'actions' });
    expect(await bad({ actions: [{ type: 'message', text: 'hi' }], maxConcurrency: 100 })).toMatchObject({ field: 'maxConcurrency' });
    expect(await bad({ action: { type: 'message', text: 'hi' }, toleratedFailureCount: 1 })).toMatchObject({ field: 'toleratedFailureCount' });
  });
});
