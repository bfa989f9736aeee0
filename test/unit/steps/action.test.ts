import { BlockedDestinationError, PermanentError, TransientError } from '../../../src/lib/errors';
import { parseJob, type JobInput } from '../../../src/lib/job';
import { createActionStep } from '../../../src/steps/action';
import { LocalTargets } from '../../../src/adapters/targets/local';
import { contextFor, LOOPBACK_GUARD, recordingNotifier, schedule, startServer, type TestServer } from './fixtures';

const options = { timeoutMs: 2_000, maxResponseBytes: 1_024, guard: LOOPBACK_GUARD };

function actionJob(action: JobInput['action']) {
  return parseJob({ id: 'ping-1', startDateTime: '2024-12-04T10:00:00Z', action });
}

describe('webhook action', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts the JSON body with the configured headers and returns the status and latency', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 202;
      res.end('accepted');
    });
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook`, headers: { 'X-Team': 'ops' }, body: { hello: 'world' } });

    const { result } = await createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    expect(result).toEqual({ statusCode: 202, latencyMs: expect.any(Number), responseBytes: 8 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/hook', body: '{"hello":"world"}' });
    expect(server.requests[0]?.headers).toMatchObject({ 'x-team': 'ops', 'content-type': 'application/json' });
  });

  it('sends an Idempotency-Key of job id and iteration that a configured header cannot replace', async () => {
    server = await startServer((_, res) => res.end());
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook`, headers: { 'Idempotency-Key': 'mine' } });

    await createActionStep(options)(contextFor(job, schedule(3, null, 'action')));

    expect(server.requests[0]?.headers['idempotency-key']).toBe('ping-1:3');
  });

  it('uses the configured method and sends no body when none is configured', async () => {
    server = await startServer((_, res) => res.end());
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook`, method: 'PUT' });

    await createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    expect(server.requests[0]).toMatchObject({ method: 'PUT', body: '' });
    expect(server.requests[0]?.headers['content-type']).toBeUndefined();
  });

  it('throws TransientError on a 500, naming the webhook and the answer', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook` });

    const act = createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(TransientError);
    await expect(act).rejects.toThrow(`webhook POST ${server.url}/hook answered 500: boom`);
  });

  it('throws TransientError on a 429', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 429;
      res.end();
    });

    await expect(createActionStep(options)(contextFor(actionJob({ type: 'webhook', url: server.url }), schedule(0, 1, 'action')))).rejects.toThrow(TransientError);
  });

  it('throws PermanentError on a 404', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 404;
      res.end('no such hook');
    });
    const job = actionJob({ type: 'webhook', url: `${server.url}/gone` });

    const act = createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('answered 404: no such hook');
  });

  it('throws PermanentError on a redirect instead of following it', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 302;
      res.setHeader('location', 'http://169.254.169.254/latest/meta-data');
      res.end();
    });
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook` });

    const act = createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('answered 302 redirecting to http://169.254.169.254/latest/meta-data');
    expect(server.requests).toHaveLength(1);
  });

  it('throws TransientError when the webhook does not answer in time', async () => {
    server = await startServer((_, res) => setTimeout(() => res.end(), 2_000).unref());
    const job = actionJob({ type: 'webhook', url: `${server.url}/slow` });

    const started = Date.now();
    const act = createActionStep({ ...options, timeoutMs: 150 })(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(TransientError);
    await expect(act).rejects.toThrow('did not answer within 150 ms');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reads an oversize response only up to the cap and still succeeds', async () => {
    server = await startServer((_, res) => res.end('x'.repeat(500_000)));
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook` });

    const { result } = await createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    expect(result).toMatchObject({ statusCode: 200, responseBytes: 1_024 });
  });

  it('refuses a webhook on a loopback address that no allow-list opens, without calling it', async () => {
    server = await startServer((_, res) => res.end());
    const job = actionJob({ type: 'webhook', url: `${server.url}/hook` });

    const act = createActionStep({ timeoutMs: 2_000, maxResponseBytes: 1_024 })(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(BlockedDestinationError);
    await expect(act).rejects.toThrow(`webhook POST ${server.url}/hook refused: 127.0.0.1 is a loopback address; only public addresses may be called`);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses headers that HTTP cannot carry as a configuration error', async () => {
    const job = actionJob({ type: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { 'X-Bad': 'line\nbreak' } });

    const act = createActionStep(options)(contextFor(job, schedule(0, 1, 'action')));

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('headers are not valid HTTP headers');
  });

  it('refuses a GET with a body as a configuration error', async () => {
    const job = actionJob({ type: 'webhook', url: 'http://127.0.0.1:9/hook', method: 'GET', body: { a: 1 } });

    await expect(createActionStep(options)(contextFor(job, schedule(0, 1, 'action')))).rejects.toThrow(PermanentError);
  });
});

describe('message action', () => {
  it('publishes the text to the configured channel and returns the message id', async () => {
    const notifier = recordingNotifier();
    const job = actionJob({ type: 'message', text: 'Backups verified', channel: 'ops' });

    const { result } = await createActionStep(options)(contextFor(job, schedule(2, null, 'action'), [], notifier));

    expect(notifier.sent).toEqual([{ channel: 'ops', subject: 'Message from job ping-1 (run 3)', text: 'Backups verified' }]);
    expect(result).toEqual({ messageId: 'msg-1', channel: 'ops' });
  });

  it('publishes to the default channel when none is configured', async () => {
    const notifier = recordingNotifier();

    const { result } = await createActionStep(options)(contextFor(actionJob({ type: 'message', text: 'hi' }), schedule(0, 1, 'action'), [], notifier));

    expect(result).toEqual({ messageId: 'msg-1', channel: 'default' });
  });
});

describe('action step', () => {
  it('refuses a job without an action', async () => {
    const job = parseJob({ id: 'x', startDateTime: '2024-12-04T10:00:00Z' });

    await expect(createActionStep(options)(contextFor(job, schedule(0, 1, 'action')))).rejects.toThrow(PermanentError);
  });
});

describe('target actions', () => {
  const arn = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:123456789012:${resource}`;
  const fresh = () => new LocalTargets({ now: () => new Date('2024-12-10T10:00:05.000Z') });

  it('send the request built with the run key to the target sender, and record its receipt as the result', async () => {
    const targets = fresh();
    const job = actionJob({ type: 'lambda', functionArn: arn('lambda', 'function:step-scheduler-dev-report'), payload: { a: 1 } });
    const { result } = await createActionStep({ ...options, targets })(contextFor(job, schedule(4, null, 'action')));

    expect(result).toMatchObject({ target: 'lambda', idempotencyKey: 'ping-1:4', statusCode: 202, latencyMs: expect.any(Number) });
    expect((await targets.list({ target: 'lambda' })).map((e) => e.request)).toEqual([expect.objectContaining({ payload: { a: 1, idempotencyKey: 'ping-1:4' }, invocationType: 'Event' })]);
  });

  it('a triggered run carries its request key: <jobId>:<requestId>:<index>, its execution name with . for :', async () => {
    const targets = fresh();
    const job = actionJob({ type: 'stepfunctions', stateMachineArn: arn('states', 'stateMachine:step-scheduler-dev-etl') });
    const context = { ...contextFor(job, schedule(0, 1, 'action')), extra: { kind: 'trigger' as const, requestId: '20261124T101500123Z-trigger-3fa9c2', index: 0 } };
    const { result } = await createActionStep({ ...options, targets })(context);

    expect(result).toMatchObject({ idempotencyKey: 'ping-1:20261124T101500123Z-trigger-3fa9c2:0', executionName: 'ping-1.20261124T101500123Z-trigger-3fa9c2.0' });
  });

  it('the stand-in keeps one execution per name and one FIFO message per deduplication id, as the services do', async () => {
    const targets = fresh();
    const step = createActionStep({ ...options, targets });
    const sfn = actionJob({ type: 'stepfunctions', stateMachineArn: arn('states', 'stateMachine:step-scheduler-dev-etl') });
    const fifo = actionJob({ type: 'sqs', queue: arn('sqs', 'step-scheduler-dev-q.fifo'), body: 'x' });
    const standard = actionJob({ type: 'sqs', queue: arn('sqs', 'step-scheduler-dev-q'), body: 'x' });
    for (const job of [sfn, sfn, fifo, fifo, standard, standard]) await step(contextFor(job, schedule(0, 1, 'action')));

    expect((await targets.list({ target: 'stepfunctions' })).map((e) => e.request.executionName)).toEqual(['ping-1.0']);
    // A standard queue has no deduplication: both deliveries arrive, each with the key for the consumer.
    expect((await targets.list({ target: 'sqs' })).map((e) => [e.request.fifo, e.idempotencyKey])).toEqual([
      [true, 'ping-1:0'],
      [false, 'ping-1:0'],
      [false, 'ping-1:0'],
    ]);
  });

  it('the stand-in refuses (-refuse) as a permanent error and throttles (-throttle) the first attempt as a transient one', async () => {
    const targets = fresh();
    const step = createActionStep({ ...options, targets });
    const refusing = actionJob({ type: 'sns', topicArn: arn('sns', 'step-scheduler-dev-refuse'), message: 'x' });
    const throttling = actionJob({ type: 'eventbridge', eventBusArn: arn('events', 'event-bus/step-scheduler-dev-throttle'), source: 'com.example', detailType: 'x' });

    await expect(step(contextFor(refusing, schedule(0, 1, 'action')))).rejects.toThrow(PermanentError);
    await expect(step(contextFor(throttling, schedule(0, 1, 'action')))).rejects.toThrow(TransientError);
    await expect(step(contextFor(throttling, schedule(0, 1, 'action')))).resolves.toMatchObject({ result: { target: 'eventbridge', eventId: expect.any(String) } });
    expect(await targets.list({})).toHaveLength(1);
  });
});
