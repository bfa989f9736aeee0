/**
 * dynalite, the embedded DynamoDB: on disk under a folder (survives restarts) or in memory, on loopback,
 * with the jobs table created from the one definition serverless.ts deploys. It answers only requests
 * signed with the keys generated for it (src/local/credentials.ts): dynalite itself checks none.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../adapters/table';
import { generateCredentials, refuseUnlessSigned, type LocalCredentials } from './credentials';
import { inProcessHandler, type InProcessHandler, type InProcessRequest, type InProcessResponse } from './in-process';

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
  /**
   * A client `requestHandler` for clients in this process: it hands each signed request to dynalite's own
   * request handler directly, with no socket, no HTTP parsing and no connection pool in between. Everything
   * above it (the SDK's serialisation, middleware, signing, retries, error parsing) and everything below it
   * (dynalite's validation and actions) is the same code that runs over the port.
   */
  requestHandler: InProcessHandler;
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

/** Put the credentials check in front of dynalite's own request handler; returns dynalite's handlers. */
function guardRequests(server: Server, credentials: LocalCredentials): Listener[] {
  const handlers = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refuseUnlessSigned(req, res, credentials)) return;
    for (const handle of handlers) handle(req, res);
  });
  return handlers;
}

/**
 * dynalite's own request handlers as an in-process service: they get a request and a response object with
 * the few members they use (headers, method, url, data/end events; statusCode, setHeader, end). The
 * credentials check of the port is not needed: nothing outside this process reaches it.
 */
function serveListeners(handlers: readonly Listener[], isStopped: () => boolean) {
  return (request: InProcessRequest): Promise<InProcessResponse> => {
    // A stopped dynalite has closed its store: refused as a closed port would be (a network error the
    // adapters report as transient), never handed to a store that would throw outside any caller.
    if (isStopped()) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED (the in-process dynalite has stopped)'), { code: 'ECONNREFUSED' }));
    return new Promise((resolve) => {
      const req = Object.assign(new EventEmitter(), { method: request.method, url: request.path, headers: request.headers });
      const headers: Record<string, string> = {};
      const res = {
        statusCode: 200,
        setHeader(name: string, value: unknown) {
          headers[name.toLowerCase()] = String(value);
        },
        end(chunk?: string | Buffer) {
          resolve({ statusCode: res.statusCode, headers, body: chunk === undefined ? Buffer.alloc(0) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8') });
        },
      };
      for (const handle of handlers) handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      if (request.body.length > 0) req.emit('data', request.body);
      req.emit('end');
    });
  };
}

/** Start dynalite and make sure the jobs table exists and is ACTIVE. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const credentials = options.credentials ?? generateCredentials();
  let stopped = false;
  const requestHandler = inProcessHandler(serveListeners(guardRequests(server, credentials), () => stopped));
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
    stopped = true;
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
  return { endpoint, tableName, credentials, client, requestHandler, stop };
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
