/**
 * An in-memory DynamoDB (dynalite) for integration tests: one per test file, on a free loopback port,
 * with the jobs table created from the same definition serverless.ts deploys — the local runtime's own
 * starter (src/local/dynamo.ts), so tests and `npm start` run the same setup.
 *
 * @example
 * let db: LocalDynamo;
 * beforeAll(async () => { db = await startDynalite(); });
 * afterAll(() => db.stop());
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, startLocalDynamo, type LocalDynamo } from '../../src/local/dynamo';

export type { LocalDynamo };

/** Start dynalite in memory and create the jobs table; resolves once the table is ACTIVE. */
export function startDynalite(options: { tableName?: string } = {}): Promise<LocalDynamo> {
  return startLocalDynamo({ tableName: options.tableName ?? 'jobs' });
}

/** Create one more jobs table on the same dynalite (a test that needs a table of its own). */
export function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensureTable(client, tableName);
}
