/** SNS Publish target: the run's key as the `idempotencyKey` attribute, and FIFO's deduplication id. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { TransientError } from '../../lib/errors';
import type { TargetReceipt, TargetRequest } from '../../lib/targets';
import { toDomainError } from '../aws-errors';
import { stringAttributes } from './attributes';

/**
 * Publish one run's message. A topic that refuses is a PermanentError, throttling and 5xx TransientErrors.
 * @example await publishSns(client, request) // { messageId: '…' }
 */
export async function publishSns(client: SNSClient, request: Extract<TargetRequest, { target: 'sns' }>): Promise<TargetReceipt> {
  const what = `SNS Publish ${request.idempotencyKey} to ${request.topicArn}`;
  try {
    const output = await client.send(
      new PublishCommand({
        TopicArn: request.topicArn,
        Message: request.message,
        ...(request.subject === undefined ? {} : { Subject: request.subject }),
        MessageAttributes: stringAttributes(request.attributes),
        ...(request.messageGroupId === undefined ? {} : { MessageGroupId: request.messageGroupId }),
        ...(request.messageDeduplicationId === undefined ? {} : { MessageDeduplicationId: request.messageDeduplicationId }),
      }),
    );
    if (!output.MessageId) throw new TransientError(`${what} returned no MessageId`);
    return { messageId: output.MessageId };
  } catch (error) {
    throw toDomainError(error, what, { refused: 'permanent' });
  }
}
