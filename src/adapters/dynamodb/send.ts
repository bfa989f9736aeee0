/**
 * Sending to DynamoDB with its errors in domain terms: throttling, 5xx and network failures become the
 * retryable TransientError the ASL names; a failed condition is an answer (undefined) for the caller to
 * read back and decide on; anything else passes through as the bug it is.
 */
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { classifyAwsError, dynamoDbUnreachable, toDomainError } from '../aws-errors';
import type { Update } from './expressions';

/** A failed condition: the caller reads the item back to tell which case it was. */
export function isConditionFailure(error: unknown): boolean {
  return classifyAwsError(error) === 'condition';
}

/**
 * An AWS error in domain terms, by the one classifier every adapter uses (src/adapters/aws-errors.ts):
 * throttling, 5xx and network failures are TransientError; a request DynamoDB refuses is our bug and
 * passes through, not retried. Our own errors pass through untouched.
 */
export function translate(error: unknown, operation: string): unknown {
  return toDomainError(error, `DynamoDB ${operation}`, { refused: 'pass', unreachable: dynamoDbUnreachable });
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
export function updateIf(client: DynamoDBDocumentClient, tableName: string, key: Record<string, string>, update: Update, condition: string, returnValues?: 'ALL_NEW' | 'ALL_OLD') {
  return sendConditional('UpdateItem', () =>
    client.send(new UpdateCommand({ TableName: tableName, Key: key, ...update.build(condition), ...(returnValues ? { ReturnValues: returnValues } : {}) })),
  );
}

/**
 * The item at `key`, read consistently (every read of the store decides on what it finds), or undefined.
 * @example const job = await getItem<JobItem>(client, tableName, jobKey('daily'))
 */
export async function getItem<T>(client: DynamoDBDocumentClient, tableName: string, key: Record<string, string>): Promise<T | undefined> {
  const out = await sendTranslated('GetItem', () => client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
  return out.Item as T | undefined;
}

/**
 * Every item a Query finds, page after page, read consistently (for the few reads that need them all: a
 * job's running requests, the runs inside a skipped range).
 * @example await queryAll<RunItem>(client, { TableName, KeyConditionExpression: '#pk = :pk', … })
 */
export async function queryAll<T>(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'ConsistentRead'>): Promise<T[]> {
  const items: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await sendTranslated('Query', () => client.send(new QueryCommand({ ...input, ConsistentRead: true, ExclusiveStartKey: startKey })));
    items.push(...((out.Items ?? []) as T[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
