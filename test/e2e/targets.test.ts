/**
 * Targets on the local runtime, through HTTP only: a job per target type posted to the API, run with waits
 * skipped, and what the stand-in received read back through GET /outbox — the run's Idempotency-Key where
 * the service would carry it. A target that refuses fails its run for good; one that throttles is retried.
 * Failure notices land in the same outbox (`target=notification`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { callJson, until, type AnyJson } from '../support/http';

let runtime: Runtime;
let dataDir: string;

beforeAll(async () => {
  // On disk, so the outbox files are checked too.
  dataDir = await mkdtemp(path.join(tmpdir(), 'targets-e2e-'));
  runtime = await startRuntime({ port: 0, dataDir, speed: 0 });
});

afterAll(async () => {
  await runtime.close();
  await rm(dataDir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);
const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];
const ACCOUNT = '123456789012';

/** Post a one-off job with this action and wait for it to end; its detail. */
async function runJob(id: string, action: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<AnyJson> {
  const created = await call('POST', '/jobs', { id, startDateTime: '2026-12-01T09:00:00Z', action, ...extra });
  expect(created.status).toBe(201);
  return (await until(() => call('GET', `/jobs/${id}`), (r) => FINAL.includes(r.body?.status))).body;
}

async function outbox(query: string): Promise<AnyJson[]> {
  const answer = await call('GET', `/outbox?${query}`);
  expect(answer.status).toBe(200);
  return answer.body.entries;
}

describe('each target type, delivered to the local stand-in', () => {
  it('sqs: the body, the key as the idempotencyKey attribute and, on a FIFO queue, the deduplication id', async () => {
    const job = await runJob('t-sqs', { type: 'sqs', queue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:step-scheduler-dev-orders.fifo`, body: { order: 7 } });
    const [entry, ...more] = await outbox('target=sqs&jobId=t-sqs');

    expect(job.status).toBe('COMPLETED');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      target: 'sqs',
      jobId: 't-sqs',
      idempotencyKey: 't-sqs:0',
      request: {
        queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/step-scheduler-dev-orders.fifo`,
        body: '{"order":7}',
        attributes: { idempotencyKey: 't-sqs:0', jobId: 't-sqs' },
        messageGroupId: 't-sqs',
        messageDeduplicationId: 't-sqs:0',
      },
    });
    expect(job.progress.steps[0]).toMatchObject({ state: 'SUCCEEDED', result: { target: 'sqs', idempotencyKey: 't-sqs:0', messageId: entry.receipt.messageId } });
    // The on-disk outbox holds the same line.
    const lines = (await readFile(path.join(dataDir, 'outbox', 'sqs.ndjson'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.filter((line) => line.jobId === 't-sqs')).toEqual([entry]);
  });

  it('sns: the message and attributes, the key as the idempotencyKey attribute', async () => {
    const job = await runJob('t-sns', { type: 'sns', topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:step-scheduler-dev-alerts`, message: 'disk full', attributes: { level: 'warn' } });
    const entries = await outbox('target=sns&jobId=t-sns');

    expect(job.status).toBe('COMPLETED');
    expect(entries).toHaveLength(1);
    expect(entries[0].request).toMatchObject({ message: 'disk full', attributes: { level: 'warn', idempotencyKey: 't-sns:0', jobId: 't-sns' }, fifo: false });
  });

  it('lambda: the payload with the key as its idempotencyKey field, invoked as an Event', async () => {
    const job = await runJob('t-lambda', { type: 'lambda', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:step-scheduler-dev-report`, payload: { region: 'emea' } });
    const entries = await outbox('target=lambda&jobId=t-lambda');

    expect(job.status).toBe('COMPLETED');
    expect(entries.map((e) => e.request.payload)).toEqual([{ region: 'emea', idempotencyKey: 't-lambda:0' }]);
    expect(entries[0].request.invocationType).toBe('Event');
    expect(job.progress.steps[0].result).toMatchObject({ statusCode: 202 });
  });

  it('eventbridge: source, detail-type and the detail with the key as its idempotencyKey field', async () => {
    const job = await runJob('t-events', {
      type: 'eventbridge',
      eventBusArn: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/step-scheduler-dev-bus`,
      source: 'com.example.nightly',
      detailType: 'Nightly run',
      detail: { size: 3 },
    });
    const entries = await outbox('target=eventbridge&jobId=t-events');

    expect(job.status).toBe('COMPLETED');
    expect(entries.map((e) => e.request)).toEqual([
      expect.objectContaining({ source: 'com.example.nightly', detailType: 'Nightly run', detail: { size: 3, idempotencyKey: 't-events:0' } }),
    ]);
  });

  it('stepfunctions: one execution per run, named after the run (<jobId>.<iteration>)', async () => {
    const job = await runJob(
      't-sfn',
      { type: 'stepfunctions', stateMachineArn: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:step-scheduler-dev-etl`, input: { day: 'today' } },
      { frequency: { hours: 1 }, maxRuns: 3 },
    );
    const entries = await outbox('target=stepfunctions&jobId=t-sfn');

    expect(job.status).toBe('COMPLETED');
    expect(entries.map((e) => e.request.executionName)).toEqual(['t-sfn.0', 't-sfn.1', 't-sfn.2']);
    expect(entries.map((e) => e.idempotencyKey)).toEqual(['t-sfn:0', 't-sfn:1', 't-sfn:2']);
    expect(entries[0].request.input).toBe('{"day":"today"}');
  });
});

describe('refusals and throttling', () => {
  it('a target that refuses for good: the run FAILED as permanent after one attempt, nothing delivered', async () => {
    const job = await runJob('t-refuse', { type: 'sqs', queue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:step-scheduler-dev-refuse`, body: 'x' });

    expect(job.progress.steps[0]).toMatchObject({ state: 'FAILED', attempts: 1 });
    expect(JSON.stringify(job.progress.steps[0].error)).toMatch(/PermanentError.*AccessDeniedException/);
    expect(await outbox('jobId=t-refuse&target=sqs')).toEqual([]);
  });

  it('a target that throttles: the run is retried by the ASL and delivered once', async () => {
    const job = await runJob('t-throttle', { type: 'lambda', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:step-scheduler-dev-throttle` });

    expect(job.status).toBe('COMPLETED');
    expect(job.progress.steps[0]).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect(await outbox('jobId=t-throttle&target=lambda')).toHaveLength(1);
  });

  it('GET /outbox refuses an unknown target, naming the field', async () => {
    const answer = await call('GET', '/outbox?target=ftp');

    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'target' });
  });
});

describe('failure notifications', () => {
  it('notifyOn failure: one notice per failed run with its reason, and one for the job FAILED', async () => {
    const job = await runJob(
      't-notify',
      { type: 'sns', topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:step-scheduler-dev-refuse`, message: 'x' },
      { frequency: { hours: 1 }, maxRuns: 3, onFailure: 'abort', notify: { channel: 'ops', email: 'ops@example.com' }, notifyOn: ['failure'] },
    );
    const notices = await outbox('target=notification&jobId=t-notify');

    expect(job.status).toBe('FAILED');
    expect(notices.map((n) => n.request.subject)).toEqual(['Run 1 of job t-notify failed', 'Job t-notify FAILED']);
    expect(notices.map((n) => n.idempotencyKey)).toEqual(['t-notify:0:run-failed', 't-notify:job-failed']);
    expect(notices[0].request).toMatchObject({ channel: 'ops', email: 'ops@example.com' });
    expect(notices[0].request.text).toMatch(/failed after 1 attempt: PermanentError: .*AccessDeniedException/);
  });

  it('without notifyOn, an action job with notify hears only of its end FAILED; under continue, of nothing', async () => {
    const refusing = { type: 'sqs', queue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:step-scheduler-dev-refuse`, body: 'x' };
    await runJob('t-notify-abort', refusing, { notify: { channel: 'ops' }, onFailure: 'abort' });
    await runJob('t-notify-continue', refusing, { frequency: { hours: 1 }, maxRuns: 2, notify: { channel: 'ops' } });

    expect((await outbox('target=notification&jobId=t-notify-abort')).map((n) => n.request.subject)).toEqual(['Job t-notify-abort FAILED']);
    expect(await outbox('target=notification&jobId=t-notify-continue')).toEqual([]);
  });

  it('notifyOn failure and completion: each failed run, then the job COMPLETED with its counts', async () => {
    const refusing = { type: 'lambda', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:step-scheduler-dev-refuse` };
    const job = await runJob('t-notify-all', refusing, { frequency: { hours: 1 }, maxRuns: 2, notify: { channel: 'ops' }, notifyOn: ['failure', 'completion'] });
    const notices = await outbox('target=notification&jobId=t-notify-all');

    expect(job.status).toBe('COMPLETED');
    expect(notices.map((n) => [n.request.subject, n.idempotencyKey])).toEqual([
      ['Run 1 of job t-notify-all failed', 't-notify-all:0:run-failed'],
      ['Run 2 of job t-notify-all failed', 't-notify-all:1:run-failed'],
      ['Job t-notify-all COMPLETED', 't-notify-all:job-completed'],
    ]);
    expect(notices[2].request.text).toBe('Job t-notify-all COMPLETED: 0 runs succeeded, 2 failed.');
  });

  it('notifyOn without notify on an action job, and notify on a workflow, are refused naming the field', async () => {
    const action = { type: 'message', text: 'hi' };
    const noTarget = await call('POST', '/jobs', { id: 't-bad-notify', startDateTime: '2026-12-01T09:00:00Z', action, notifyOn: ['failure'] });
    const workflow = await call('POST', '/jobs', { id: 't-bad-notify2', startDateTime: '2026-12-01T09:00:00Z', notify: { channel: 'ops' } });

    expect(noTarget.status).toBe(400);
    expect(noTarget.body.error).toMatchObject({ field: 'notifyOn', message: expect.stringMatching(/needs notify/) });
    expect(workflow.status).toBe(400);
    expect(workflow.body.error).toMatchObject({ field: 'notify', message: expect.stringMatching(/is for action jobs/) });
  });
});
