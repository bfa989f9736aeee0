/**
 * dynalite, the embedded DynamoDB: on disk under a folder (survives restarts) or in memory, on loopback,
 * with the jobs table created from the one definition serverless.ts deploys. It answers only requests
 * signed with the keys generated for it (src/local/credentials.ts): dynalite itself checks none.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
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
  /**
   * A client `requestHandler` for clients in this process: it hands each signed request to dynalite's own
   * request handler directly, with no socket, no HTTP parsing and no connection pool in between. Everything
   * above it (the SDK's serialisation, middleware, signing, retries, error parsing) and everything below it
   * (dynalite's validation and actions) is the same code that runs over the port.
   */
  requestHandler: InProcessHandler;
  stop(): Promise<void>;
}

/** The smithy HttpHandler shape a client's `requestHandler` option takes. */
export type InProcessHandler = NonNullable<DynamoDBClientConfig['requestHandler']>;

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

/** What a smithy HttpRequest carries that dynalite reads. */
interface SignedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * The request handler a client in this process uses instead of Node's HTTP agent: dynalite's handler gets a
 * request and a response object with the few members it uses (headers, method, url, data/end events;
 * statusCode, setHeader, end), and its answer goes back to the SDK as the HttpResponse it would have parsed
 * off the socket. The credentials check of the port is not needed: nothing outside this process reaches it.
 * Why: over loopback each call paid a socket write and read, HTTP parsing on both sides and a connection
 * pool that queues behind 50 sockets; in a burst of due runs that serialized CPU is most of the lateness.
 */
function inProcessHandler(handlers: readonly Listener[], isStopped: () => boolean): InProcessHandler {
  return {
    metadata: { handlerProtocol: 'in-process' },
    async handle(request: SignedRequest) {
      // The SDK's JSON body is a Uint8Array subclass whose valueOf() is a string: viewed, not converted.
      const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body instanceof Uint8Array ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength) : Buffer.alloc(0);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
      // Where a socket write would end the caller's turn: dynalite's work waits for the next turn of the
      // event loop, so every other timer due now (a burst of due runs) reaches its own first call first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // A stopped dynalite has closed its store: refused as a closed port would be (a network error the
      // adapters report as transient), never handed to a store that would throw outside any caller.
      if (isStopped()) throw Object.assign(new Error('connect ECONNREFUSED (the in-process dynalite has stopped)'), { code: 'ECONNREFUSED' });
      return new Promise((resolve) => {
        const req = Object.assign(new EventEmitter(), { method: request.method, url: request.path || '/', headers });
        const responseHeaders: Record<string, string> = {};
        const res = {
          statusCode: 200,
          setHeader(name: string, value: unknown) {
            responseHeaders[name.toLowerCase()] = String(value);
          },
          end(chunk?: string | Buffer) {
            const bytes = chunk === undefined ? Buffer.alloc(0) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8');
            // The SDK reads a Uint8Array body as it is (collectBody), as it would a stream's bytes.
            resolve({ response: { statusCode: res.statusCode, reason: undefined, headers: responseHeaders, body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) } });
          },
        };
        for (const handle of handlers) handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        if (body.length > 0) req.emit('data', body);
        req.emit('end');
      });
    },
  } as unknown as InProcessHandler;
}

/** Start dynalite and make sure the jobs table exists and is ACTIVE. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const credentials = options.credentials ?? generateCredentials();
  let stopped = false;
  const requestHandler = inProcessHandler(guardRequests(server, credentials), () => stopped);
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
