/** EventBridge PutEvents target: the run's key as the detail's `idempotencyKey` field. */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PermanentError, TransientError } from '../../lib/errors';
import type { TargetReceipt, TargetRequest } from '../../lib/targets';
import { toDomainError } from '../aws-errors';

/** Entry error codes PutEvents reports that a later try may pass. */
const TRANSIENT_ENTRY_ERRORS = new Set(['InternalFailure', 'ThrottlingException', 'InternalException']);

/**
 * Put one event on the bus. PutEvents answers 200 with a failed entry for a refused event: an entry error
 * is transient when EventBridge says so (InternalFailure, ThrottlingException), permanent otherwise
 * (AccessDenied, a malformed detail); errors of the call itself go through the one classifier.
 * @example await putEvent(client, request) // { eventId: '…' }
 */
export async function putEvent(client: EventBridgeClient, request: Extract<TargetRequest, { target: 'eventbridge' }>): Promise<TargetReceipt> {
  const what = `EventBridge PutEvents ${request.idempotencyKey} to ${request.eventBusArn}`;
  let output;
  try {
    output = await client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: request.eventBusArn, Source: request.source, DetailType: request.detailType, Detail: JSON.stringify(request.detail) }],
      }),
    );
  } catch (error) {
    throw toDomainError(error, what, { refused: 'permanent' });
  }
  const entry = output.Entries?.[0];
  if ((output.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
    const message = `${what} failed: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`.trim();
    throw TRANSIENT_ENTRY_ERRORS.has(entry?.ErrorCode ?? '') ? new TransientError(message) : new PermanentError(message);
  }
  if (!entry?.EventId) throw new TransientError(`${what} returned no EventId`);
  return { eventId: entry.EventId };
}
