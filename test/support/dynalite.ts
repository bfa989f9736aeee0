/**
 * An in-memory DynamoDB (dynalite) for integration tests: one per test file, on a free loopback port,
 * with the jobs table created from the same definition serverless.ts deploys (src/adapters/table.ts).
 *
 * @example
 * let db: LocalDynamo;
 * beforeAll(async () => { db = await startDynalite(); });
 * afterAll(() => db.stop());
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../src/adapters/table';

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}

// dynalite ships no types; this is the one call we make.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options?: DynaliteOptions) => Server;

export interface LocalDynamo {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  tableName: string;
  /** A plain client on the endpoint (destroyed by stop()). */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Start dynalite in memory and create the jobs table; resolves once the table is ACTIVE. */
export async function startDynalite(options: { tableName?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tableName = options.tableName ?? 'jobs';

  const stop = async (): Promise<void> => {
    client.destroy();
    await new Promise<void>((resolve, reject) => {
      server.close((err?: Error) => (err ? reject(err) : resolve()));
      // Keep-alive sockets of other clients on this endpoint would hold close() open for 30 s.
      server.closeAllConnections();
    });
  };

  try {
    await createTable(client, tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, tableName, client, stop };
}

/** Create one more jobs table on the same dynalite (a test that needs a table of its own). */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
