import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createNotifier, snsSubject } from '../../../src/adapters/notifier';
import { logger } from '../../../src/common/logger';
import { PermanentError, TransientError } from '../../../src/lib/errors';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:scheduler-notifications';

function snsError(name: string, httpStatusCode: number): SNSServiceException {
  return new SNSServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name} happened` });
}

describe('SNS notifier', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());
  afterAll(() => sns.restore());

  it('publishes subject, text, channel and email to the topic and returns the MessageId', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'sns-123' });
    const notifier = createNotifier({ NOTIFY_TOPIC_ARN: TOPIC });

    const out = await notifier.publish({ channel: 'reports', subject: 'weekly report', text: 'all good', email: 'admin@example.com' });

    expect(out).toEqual({ messageId: 'sns-123' });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: 'weekly report',
        Message: 'all good',
        MessageAttributes: {
          channel: { DataType: 'String', StringValue: 'reports' },
          email: { DataType: 'String', StringValue: 'admin@example.com' },
        },
      },
    ]);
  });

  it('leaves the email attribute off when there is no email', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });

    await createNotifier({ NOTIFY_TOPIC_ARN: TOPIC }).publish({ channel: 'default', subject: 's', text: 't' });

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({ channel: { DataType: 'String', StringValue: 'default' } });
  });

  it('throws TransientError when SNS throttles or fails on its side', async () => {
    const notifier = createNotifier({ NOTIFY_TOPIC_ARN: TOPIC });

    sns.on(PublishCommand).rejects(snsError('ThrottledException', 400));
    await expect(notifier.publish({ channel: 'c', subject: 's', text: 't' })).rejects.toThrow(TransientError);

    sns.on(PublishCommand).rejects(snsError('InternalErrorException', 500));
    await expect(notifier.publish({ channel: 'c', subject: 's', text: 't' })).rejects.toThrow(TransientError);
  });

  it('throws TransientError when the connection drops, and lets a bug of ours through untouched', async () => {
    const notifier = createNotifier({ NOTIFY_TOPIC_ARN: TOPIC });
    const bug = new TypeError("Cannot read properties of undefined (reading 'MessageId')");

    sns.on(PublishCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 3 } }));
    await expect(notifier.publish({ channel: 'c', subject: 's', text: 't' })).rejects.toThrow(TransientError);

    sns.on(PublishCommand).rejects(bug);
    await expect(notifier.publish({ channel: 'c', subject: 's', text: 't' })).rejects.toBe(bug);
  });

  it('throws PermanentError naming the topic when SNS refuses the request', async () => {
    sns.on(PublishCommand).rejects(snsError('NotFoundException', 404));

    const act = createNotifier({ NOTIFY_TOPIC_ARN: TOPIC }).publish({ channel: 'c', subject: 's', text: 't' });

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow(`SNS publish to ${TOPIC} (channel c) failed: NotFoundException: NotFoundException happened`);
  });
});

describe('snsSubject', () => {
  it('makes any subject one line of printable ASCII under 100 characters', () => {
    expect(snsSubject('Report für job-1\nweekly')).toBe('Report f?r job-1 weekly');
    expect(snsSubject('x'.repeat(300))).toHaveLength(99);
    expect(snsSubject(' \n ')).toBe('Notification');
  });
});

describe('local notifier', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notifier-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('logs the notification when no topic is configured', async () => {
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);

    const { messageId } = await createNotifier({}).publish({ channel: 'ops', subject: 'Done', text: 'job finished' });

    expect(messageId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(info).toHaveBeenCalledWith('notification', expect.objectContaining({ messageId, channel: 'ops', subject: 'Done', text: 'job finished' }));
  });

  it('appends each notification to the outbox as one NDJSON line', async () => {
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const outbox = join(dir, 'outbox.ndjson');
    const notifier = createNotifier({ NOTIFY_OUTBOX: outbox });

    const first = await notifier.publish({ channel: 'reports', subject: 'One', text: 'a', email: 'admin@example.com' });
    const second = await notifier.publish({ channel: 'default', subject: 'Two', text: 'b' });

    const lines = (await readFile(outbox, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      { messageId: first.messageId, sentAt: expect.any(String), channel: 'reports', subject: 'One', text: 'a', email: 'admin@example.com' },
      { messageId: second.messageId, sentAt: expect.any(String), channel: 'default', subject: 'Two', text: 'b' },
    ]);
    expect(first.messageId).not.toBe(second.messageId);
  });

  it('throws PermanentError when the outbox folder does not exist', async () => {
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);

    const act = createNotifier({ NOTIFY_OUTBOX: join(dir, 'missing', 'outbox.ndjson') }).publish({ channel: 'c', subject: 's', text: 't' });

    await expect(act).rejects.toThrow(PermanentError);
  });
});
