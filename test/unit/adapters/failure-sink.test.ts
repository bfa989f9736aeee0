import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createFailureSink, failureSinkFromEnv, queueUrlOf } from '../../../src/adapters/failure-sink';
import { NetGuard } from '../../../src/adapters/guarded-http';
import { BlockedDestinationError, PermanentError, TransientError } from '../../../src/lib/errors';
import { parseJob } from '../../../src/lib/job';
import { parseAllowList } from '../../../src/lib/net-guard';
import type { FailureReport } from '../../../src/lib/steps';
import { startServer, type TestServer } from '../steps/fixtures';

const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:step-scheduler-dev-failures';
const QUEUE = 'arn:aws:sqs:eu-central-1:123456789012:step-scheduler-dev-failures';

function report(iteration = 3): FailureReport {
  const job = parseJob({ id: 'hourly-ping', startDateTime: '2024-12-04T10:00:00Z', frequency: { hours: 1 }, forever: true, action: { type: 'webhook', url: 'https://example.com/x' } });
  return {
    idempotencyKey: `hourly-ping:${iteration}`,
    jobId: 'hourly-ping',
    iteration,
    phase: 'action',
    plannedAt: '2024-12-04T13:00:00Z',
    failedAt: '2024-12-04T13:00:04.000Z',
    attempts: 5,
    error: { name: 'TransientError', message: 'webhook POST https://example.com/x answered 503' },
    input: { job, schedule: { iteration, runAt: '2024-12-04T13:00:00Z', phase: 'action', isLast: false, done: false, totalRuns: null } },
  };
}

const keyAttributes = (key: string) => ({
  idempotencyKey: { DataType: 'String', StringValue: key },
  jobId: { DataType: 'String', StringValue: 'hourly-ping' },
});

function serviceError<E>(Kind: new (options: never) => E, name: string, httpStatusCode: number): E {
  return new Kind({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name} happened` } as never);
}

describe('SNS failure destination', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());
  afterAll(() => sns.restore());

  it('publishes the report to a standard topic with the idempotency key as a message attribute', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    await createFailureSink().deliver({ type: 'sns', arn: TOPIC }, report());

    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC, Subject: 'Run 4 of job hourly-ping failed', Message: JSON.stringify(report()), MessageAttributes: keyAttributes('hourly-ping:3') },
    ]);
  });

  it('adds the key as MessageDeduplicationId and the job as MessageGroupId on a FIFO topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    await createFailureSink().deliver({ type: 'sns', arn: `${TOPIC}.fifo` }, report());

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toMatchObject({ MessageDeduplicationId: 'hourly-ping:3', MessageGroupId: 'hourly-ping' });
  });

  it('throws TransientError when SNS throttles and PermanentError when it refuses', async () => {
    const sink = createFailureSink();

    sns.on(PublishCommand).rejects(serviceError(SNSServiceException, 'ThrottledException', 400));
    await expect(sink.deliver({ type: 'sns', arn: TOPIC }, report())).rejects.toThrow(TransientError);

    sns.on(PublishCommand).rejects(serviceError(SNSServiceException, 'AuthorizationErrorException', 403));
    await expect(sink.deliver({ type: 'sns', arn: TOPIC }, report())).rejects.toThrow(PermanentError);
  });

  it('leaves the job input out of a report too large for a message', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const big = report();
    big.input.job = { ...big.input.job, context: 'x'.repeat(300_000) };

    await createFailureSink().deliver({ type: 'sns', arn: TOPIC }, big);

    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    expect(message).toMatchObject({ idempotencyKey: 'hourly-ping:3', input: { omitted: expect.any(String) } });
  });
});

describe('SQS failure destination', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('derives the queue URL from the ARN', () => {
    expect(queueUrlOf(QUEUE)).toBe('https://sqs.eu-central-1.amazonaws.com/123456789012/step-scheduler-dev-failures');
    expect(queueUrlOf('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
  });

  it('sends the report to a standard queue with the key as an attribute and no deduplication id', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q-1' });

    await createFailureSink().deliver({ type: 'sqs', arn: QUEUE }, report());

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/step-scheduler-dev-failures',
        MessageBody: JSON.stringify(report()),
        MessageAttributes: keyAttributes('hourly-ping:3'),
      },
    ]);
  });

  it('sends to a FIFO queue with MessageDeduplicationId = key and MessageGroupId = job id', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q-1' });

    await createFailureSink().deliver({ type: 'sqs', arn: `${QUEUE}.fifo` }, report(7));

    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/step-scheduler-dev-failures.fifo',
      MessageBody: JSON.stringify(report(7)),
      MessageAttributes: keyAttributes('hourly-ping:7'),
      MessageDeduplicationId: 'hourly-ping:7',
      MessageGroupId: 'hourly-ping',
    });
  });

  it('throws TransientError on a 5xx and PermanentError when the queue does not exist', async () => {
    const sink = createFailureSink();

    sqs.on(SendMessageCommand).rejects(serviceError(SQSServiceException, 'InternalError', 500));
    await expect(sink.deliver({ type: 'sqs', arn: QUEUE }, report())).rejects.toThrow(TransientError);

    sqs.on(SendMessageCommand).rejects(serviceError(SQSServiceException, 'QueueDoesNotExist', 400));
    await expect(sink.deliver({ type: 'sqs', arn: QUEUE }, report())).rejects.toThrow(PermanentError);
  });
});

describe('file failure destination', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'failure-sink-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one NDJSON line per failure inside the folder', async () => {
    const sink = createFailureSink({ fileDir: dir });

    await sink.deliver({ type: 'file', path: 'failures/jobs.ndjson' }, report(1));
    await sink.deliver({ type: 'file', path: join(dir, 'failures/jobs.ndjson') }, report(2));

    const lines = (await readFile(join(dir, 'failures/jobs.ndjson'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).idempotencyKey)).toEqual(['hourly-ping:1', 'hourly-ping:2']);
  });

  it('writes a failure whose key is already in the file only once, even delivered concurrently or by a new sink', async () => {
    const path = join(dir, 'failures.ndjson');
    await writeFile(path, `${JSON.stringify(report(1))}\n`);

    await Promise.all([1, 2, 2, 2].map((i) => createFailureSink({ fileDir: dir }).deliver({ type: 'file', path: 'failures.ndjson' }, report(i))));
    const sink = createFailureSink({ fileDir: dir });
    await Promise.all([sink.deliver({ type: 'file', path: 'failures.ndjson' }, report(3)), sink.deliver({ type: 'file', path: 'failures.ndjson' }, report(3))]);

    const keys = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line).idempotencyKey);
    expect(keys.sort()).toEqual(['hourly-ping:1', 'hourly-ping:2', 'hourly-ping:3']);
  });

  it('refuses a path outside the folder', async () => {
    const act = createFailureSink({ fileDir: dir }).deliver({ type: 'file', path: '../escape.ndjson' }, report());

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('is outside');
  });

  it('refuses a path that leaves the folder through a symbolic link', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'failure-sink-outside-'));
    try {
      await symlink(outside, join(dir, 'link'));

      await expect(createFailureSink({ fileDir: dir }).deliver({ type: 'file', path: 'link/x.ndjson' }, report())).rejects.toThrow('is outside');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses file destinations when FAILURE_FILE_DIR is not set, saying they are for the local runtime', async () => {
    const act = failureSinkFromEnv({}).deliver({ type: 'file', path: '/tmp/failures.ndjson' }, report());

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('file destinations are for the local runtime');
  });
});

describe('url failure destination', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts the report as JSON with its Idempotency-Key through an allow-listed guard', async () => {
    server = await startServer((_, res) => res.writeHead(202).end());
    const sink = createFailureSink({ guard: new NetGuard({ allowList: parseAllowList('127.0.0.1') }) });

    await sink.deliver({ type: 'url', url: `${server.url}/failures` }, report());

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/failures', body: JSON.stringify(report()) });
    expect(server.requests[0]?.headers).toMatchObject({ 'idempotency-key': 'hourly-ping:3', 'content-type': 'application/json' });
  });

  it('throws TransientError on a 503 and PermanentError on a 404', async () => {
    let status = 503;
    server = await startServer((_, res) => res.writeHead(status).end());
    const sink = createFailureSink({ guard: new NetGuard({ allowList: parseAllowList('127.0.0.1') }) });

    await expect(sink.deliver({ type: 'url', url: server.url }, report())).rejects.toThrow(TransientError);
    status = 404;
    await expect(sink.deliver({ type: 'url', url: server.url }, report())).rejects.toThrow(PermanentError);
  });

  it('refuses a loopback URL under the default guard without calling it', async () => {
    server = await startServer((_, res) => res.end());

    await expect(createFailureSink().deliver({ type: 'url', url: server.url }, report())).rejects.toThrow(BlockedDestinationError);
    expect(server.requests).toHaveLength(0);
  });
});
