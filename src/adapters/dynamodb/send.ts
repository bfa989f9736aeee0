/**
 * Sending to DynamoDB with its errors in domain terms: throttling, 5xx and network failures become the
 * retryable TransientError the ASL names; a failed condition is an answer (undefined) for the caller to
 * read back and decide on; anything else passes through as the bug it is.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SchedulerError, TransientError } from '../../lib/errors';
import type { Update } from './expressions';

/** DynamoDB errors that say "try again later"; everything else is a bug or bad input and is passed on. */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: unknown }).code;
  return (
    TRANSIENT_ERROR_NAMES.has(error.name) ||
    (typeof status === 'number' && status >= 500) ||
    (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code))
  );
}

/** An AWS error in domain terms. Our own errors pass through untouched. */
export function translate(error: unknown, operation: string): unknown {
  if (error instanceof SchedulerError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') {
    // Off AWS this means the local runtime is not running: say what to do, in one line.
    return new TransientError(`DynamoDB ${operation} failed: nothing answers at the DynamoDB endpoint (${detail}); start the local runtime with \`npm start\` or set DYNAMODB_ENDPOINT`, { cause: error });
  }
  if (isTransient(error)) return new TransientError(`DynamoDB ${operation} failed, try again: ${detail}`, { cause: error });
  if (isConditionFailure(error)) return new SchedulerError(`DynamoDB ${operation}: unexpected failed condition`, { cause: error });
  return error;
}

/** Send, with AWS errors turned into domain errors. */
export async function sendTranslated<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translate(error, operation);
  }
}

/** Send a conditional write; undefined when its condition failed (the caller reads back to see why). */
export async function sendConditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw translate(error, operation);
  }
}

/**
 * UpdateItem `key` with `update` if `condition` holds: the new item (with `ReturnValues: 'ALL_NEW'`) or
 * an empty output on success, undefined when the condition failed (the caller reads back to see why).
 * Every conditional update of the store goes through here.
 */
export function updateIf(client: DynamoDBDocumentClient, tableName: string, key: Record<string, string>, update: Update, condition: string, returnValues?: 'ALL_NEW') {
  return sendConditional('UpdateItem', () =>
    client.send(new UpdateCommand({ TableName: tableName, Key: key, ...update.build(condition), ...(returnValues ? { ReturnValues: returnValues } : {}) })),
  );
}
