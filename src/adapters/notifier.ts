/**
 * Where notifications go. On AWS: the SNS topic in NOTIFY_TOPIC_ARN, with the channel as a message
 * attribute so subscribers can filter on it. Locally: a structured log line, and one NDJSON line in the
 * NOTIFY_OUTBOX file when set, so a demo or a test can read what was sent.
 */
import { appendFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import { now } from '../common/clock';
import { optionalEnv } from '../common/config';
import { logger } from '../common/logger';
import { PermanentError, TransientError } from '../lib/errors';
import { toDomainError } from './aws-errors';
import type { Notification, Notifier } from '../lib/steps';

/**
 * SNS takes a subject of printable ASCII without line breaks, under 100 characters, and rejects the
 * whole publish otherwise; a subject built from a job id or report type must never cost the message.
 * @example snsSubject('Report für job-1\nweekly') // 'Report f?r job-1 weekly'
 */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, 99)
    .trim();
  return clean === '' ? 'Notification' : clean;
}

/**
 * The SNS SDK, required on the first publish: a cold start that sends no notification (most runs, and
 * every run locally) does not load it (esbuild evaluates a required module on first use).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
const snsSdk = () => require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');

let snsClient: SNSClient | undefined;
/** One client per container: its connection pool and credentials outlive an invocation. */
function sns(): SNSClient {
  snsClient ??= new (snsSdk().SNSClient)({});
  return snsClient;
}

function snsNotifier(topicArn: string): Notifier {
  return {
    async publish(notification) {
      const attributes: Record<string, MessageAttributeValue> = {
        channel: { DataType: 'String', StringValue: notification.channel },
      };
      if (notification.email !== undefined) attributes.email = { DataType: 'String', StringValue: notification.email };
      if (notification.jobId !== undefined) attributes.jobId = { DataType: 'String', StringValue: notification.jobId };
      if (notification.idempotencyKey !== undefined) attributes.idempotencyKey = { DataType: 'String', StringValue: notification.idempotencyKey };
      try {
        const output = await sns().send(
          new (snsSdk().PublishCommand)({
            TopicArn: topicArn,
            Subject: snsSubject(notification.subject),
            Message: notification.text,
            MessageAttributes: attributes,
          }),
        );
        if (!output.MessageId) throw new TransientError(`SNS publish to ${topicArn} returned no MessageId`);
        return { messageId: output.MessageId };
      } catch (error) {
        // A topic that refuses the publish (gone, forbidden) refuses it again: permanent, recorded as the run's failure.
        throw toDomainError(error, `SNS publish to ${topicArn} (channel ${notification.channel})`, { refused: 'permanent' });
      }
    },
  };
}

function localNotifier(outbox: string | undefined): Notifier {
  return {
    async publish(notification: Notification) {
      const entry = { messageId: `local-${randomUUID()}`, sentAt: now().toISOString(), ...notification };
      logger.info('notification', entry);
      if (outbox !== undefined) {
        try {
          await appendFile(outbox, `${JSON.stringify(entry)}\n`, 'utf8');
        } catch (error) {
          const message = `notification outbox ${outbox} cannot be written: ${(error as Error).message}`;
          // A missing folder or a forbidden path stays so on a retry; anything else (a full disk) may not.
          const code = (error as NodeJS.ErrnoException).code ?? '';
          throw ['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM'].includes(code)
            ? new PermanentError(message, { cause: error })
            : new TransientError(message, { cause: error });
        }
      }
      return { messageId: entry.messageId };
    },
  };
}

/**
 * The notifier the environment asks for: SNS when NOTIFY_TOPIC_ARN is set, else the local one (a log
 * line, plus an NDJSON line in NOTIFY_OUTBOX when set).
 * @example const { messageId } = await createNotifier(process.env).publish({ channel: 'reports', subject: 'Done', text: '…' })
 */
export function createNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const topicArn = optionalEnv('NOTIFY_TOPIC_ARN', env);
  return topicArn === undefined ? localNotifier(optionalEnv('NOTIFY_OUTBOX', env)) : snsNotifier(topicArn);
}
