/**
 * The RunDurations port on DynamoDB: a paged Scan of run items (`sk` beginning with `RUN#`, see
 * src/adapters/table.ts) that reads only their `durationMs`. `GET /stats` calls it; nothing else does,
 * so the cost of a scan is paid only when someone asks for statistics. A throttled or failed Scan is a
 * TransientError (aws-errors.ts), which the API answers with 503 like every other read.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { storeConfig } from '../common/config';
import type { RunDurations } from '../lib/stats';
import { dynamoDbUnreachable, toDomainError } from './aws-errors';
import { documentClient } from './dynamodb/client';
import { EXTRA_SK_PREFIX, RUN_SK_PREFIX } from './table';

export interface RunDurationsOptions {
  /** Stop after this many durations, so a huge table cannot hold the api Lambda past its timeout. */
  maxItems?: number;
}

export class DynamoDbRunDurations implements RunDurations {
  private readonly maxItems: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: RunDurationsOptions = {},
  ) {
    this.maxItems = options.maxItems ?? 100_000;
  }

  async durations(): Promise<number[]> {
    const durations: number[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.scan(startKey);
      for (const item of page.Items ?? []) {
        const ms = item.durationMs;
        if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) durations.push(ms);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && durations.length < this.maxItems);
    return durations.slice(0, this.maxItems);
  }

  private async scan(startKey: Record<string, unknown> | undefined) {
    try {
      return await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: [
            // Admits the run items of every series (live RUN#, triggered or backfilled EXTRA#; not JOB or REQUEST#)…
            '(begins_with(#sk, :run) OR begins_with(#sk, :extra))',
            // …that finished (a STARTED run has no duration yet)…
            'AND #state <> :started',
            // …and recorded how long they took.
            'AND attribute_exists(#durationMs)',
          ].join(' '),
          ProjectionExpression: '#durationMs',
          ExpressionAttributeNames: { '#sk': 'sk', '#state': 'state', '#durationMs': 'durationMs' },
          ExpressionAttributeValues: { ':run': RUN_SK_PREFIX, ':extra': EXTRA_SK_PREFIX, ':started': 'STARTED' },
          ExclusiveStartKey: startKey,
        }),
      );
    } catch (error) {
      throw toDomainError(error, 'DynamoDB Scan of run durations', { refused: 'pass', unreachable: dynamoDbUnreachable });
    }
  }
}

let shared: RunDurations | undefined;

/** The container's RunDurations on the configured table. @example await runDurations().durations() */
export function runDurations(): RunDurations {
  shared ??= new DynamoDbRunDurations(documentClient(), storeConfig().tableName);
  return shared;
}
