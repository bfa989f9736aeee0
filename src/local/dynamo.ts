/**
 * dynalite, the embedded DynamoDB: on disk under a folder (survives restarts) or in memory, on loopback,
 * with the jobs table created from the one definition serverless.ts deploys. It answers only requests
 * signed with the keys generated for it (src/local/credentials.ts): dynalite itself checks none.
 */
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../adapters/table';
import { generateCredentials, refuseUnlessSigned, type LocalCredentials } from './credentials';

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}

// dynalite ships no types; this is the one call made to it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options?: DynaliteOptions) => Server;

export interface LocalDynamo {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  tableName: string;
  /** The only keys the endpoint accepts. */
  credentials: LocalCredentials;
  /** A plain client on the endpoint (destroyed by stop()). */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** Folder for the data; absent: in memory. */
  path?: string;
  port?: number;
  tableName?: string;
  /** The keys to accept; default: a fresh pair. */
  credentials?: LocalCredentials;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Put the credentials check in front of dynalite's own request handler. */
function guardRequests(server: Server, credentials: LocalCredentials): void {
  const handlers = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refuseUnlessSigned(req, res, credentials)) return;
    for (const handle of handlers) handle(req, res);
  });
}

/** Start dynalite and make sure the jobs table exists and is ACTIVE. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const credentials = options.credentials ?? generateCredentials();
  guardRequests(server, credentials);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials,
  });
  const tableName = options.tableName ?? 'step-scheduler-jobs';
  const stop = async (): Promise<void> => {
    client.destroy();
    await new Promise<void>((resolve, reject) => {
      server.close((err?: Error) => (err ? reject(err) : resolve()));
      // Keep-alive sockets of other clients would hold close() open for their idle timeout.
      server.closeAllConnections();
    });
  };
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, tableName, credentials, client, stop };
}

/** Create the jobs table unless it exists (a restart on disk finds it), and wait until it is ACTIVE. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
