/** SQS SendMessage target: the run's key as the `idempotencyKey` attribute, and FIFO's deduplication id. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TransientError } from '../../lib/errors';
import type { TargetReceipt, TargetRequest } from '../../lib/targets';
import { toDomainError } from '../aws-errors';
import { stringAttributes } from './attributes';

/**
 * Send one run's message. A queue that refuses (missing, forbidden, a KMS key the role may not use) is a
 * PermanentError; throttling, 5xx and network failures are TransientErrors (src/adapters/aws-errors.ts).
 * @example await sendSqs(client, targetRequest(action, { jobId: 'j', idempotencyKey: 'j:0' }) as SqsRequest) // { messageId: '…' }
 */
export async function sendSqs(client: SQSClient, request: Extract<TargetRequest, { target: 'sqs' }>): Promise<TargetReceipt> {
  const what = `SQS SendMessage ${request.idempotencyKey} to ${request.queueUrl}`;
  try {
    const output = await client.send(
      new SendMessageCommand({
        QueueUrl: request.queueUrl,
        MessageBody: request.body,
        MessageAttributes: stringAttributes(request.attributes),
        ...(request.messageGroupId === undefined ? {} : { MessageGroupId: request.messageGroupId }),
        ...(request.messageDeduplicationId === undefined ? {} : { MessageDeduplicationId: request.messageDeduplicationId }),
      }),
    );
    if (!output.MessageId) throw new TransientError(`${what} returned no MessageId`);
    return { messageId: output.MessageId, ...(output.SequenceNumber ? { sequenceNumber: output.SequenceNumber } : {}) };
  } catch (error) {
    throw toDomainError(error, what, { refused: 'permanent' });
  }
}
