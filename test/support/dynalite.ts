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

/**
 * Point the deployed handler modules (src/functions/*) at this dynalite through the environment, as
 * `sls invoke local` would: table, endpoint and keys; and let their webhooks and data sources reach
 * 127.0.0.1, where the tests' receivers listen (the guard refuses it otherwise). Import the handlers
 * after this: they read the environment on first use.
 */
export function setHandlerEnvironment(db: LocalDynamo): void {
  process.env.TABLE_NAME = db.tableName;
  process.env.DYNAMODB_ENDPOINT = db.endpoint;
  process.env.AWS_ACCESS_KEY_ID = db.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = db.credentials.secretAccessKey;
  process.env.WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
}
