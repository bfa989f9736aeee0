/**
 * The api under test: `createApi` on the real DynamoDbJobStore and run-durations scan against dynalite,
 * with a recording ExecutionService on the Step Functions side (the one boundary these tests fake; the
 * local-runtime tests run it for real). Requests are API Gateway proxy events, as on AWS.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { DynamoDbRunDurations } from '../../../src/adapters/dynamodb-stats';
import { createDynamoStores } from '../../../src/adapters/dynamodb';
import type { RunLedger } from '../../../src/lib/ledger';
import type { JobStore, RequestStore } from '../../../src/lib/store';
import { NetGuard, type Resolver } from '../../../src/adapters/guarded-http';
import { createApi, type ApiHandler } from '../../../src/functions/api/app';
import { executionArnFor, type ExecutionService } from '../../../src/lib/executions';
import type { JsonValue } from '../../../src/lib/json';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:step-scheduler-test-scheduler';

/** Records what the api asks of Step Functions; `down` makes every call fail as an unreachable service would. */
export class RecordingExecutions implements ExecutionService {
  readonly started: Array<{ name: string; input: JsonValue }> = [];
  readonly stopped: Array<{ executionArn: string; cause: string }> = [];
  down = false;

  async start(name: string, input: JsonValue): Promise<{ executionArn: string }> {
    if (this.down) throw new Error('connect ECONNREFUSED (test: Step Functions is down)');
    this.started.push({ name, input });
    return { executionArn: executionArnFor(STATE_MACHINE_ARN, name) };
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED (test: Step Functions is down)');
    this.stopped.push({ executionArn, cause });
  }

  async ping(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED (test: Step Functions is down)');
  }

  reset(): void {
    this.started.length = 0;
    this.stopped.length = 0;
    this.down = false;
  }
}

/**
 * DNS for the webhook guard, offline and deterministic: these `.test` names resolve to non-public
 * addresses (and localhost to loopback); every other name does not resolve, which the submit-time check
 * lets pass (the call-time check decides).
 */
export const GUARD_TEST_NAMES: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'metadata.guard.test': ['169.254.169.254'],
  'intranet.guard.test': ['10.0.0.7'],
  'split.guard.test': ['93.184.215.14', '192.168.1.20'],
  'mapped.guard.test': ['::ffff:127.0.0.1'],
  'ula.guard.test': ['fd12:3456::1'],
  'cgnat.guard.test': ['100.64.1.1'],
  'public.guard.test': ['93.184.215.14'],
};

export const testResolver: Resolver = async (hostname) => {
  const addresses = GUARD_TEST_NAMES[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

export interface RequestOptions {
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  base64?: boolean;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a parsed JSON response under test
}

/** An API Gateway (REST, proxy) event; a `?query` on the path becomes queryStringParameters. */
export function apiEvent(method: string, pathAndQuery: string, options: RequestOptions = {}): APIGatewayProxyEvent {
  const [path = '/', search] = pathAndQuery.split('?', 2);
  const query = search === undefined ? null : Object.fromEntries(new URLSearchParams(search));
  let body: string | null = null;
  if (options.body !== undefined) body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== null && options.base64) body = Buffer.from(body, 'utf8').toString('base64');
  const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  return {
    httpMethod: method,
    path,
    resource: path,
    headers,
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded: options.base64 === true,
  };
}

export interface ApiUnderTest {
  db: LocalDynamo;
  store: JobStore;
  extras: RequestStore;
  runs: RunLedger;
  executions: RecordingExecutions;
  api: ApiHandler;
  /** The api's clock; tests move it. */
  clock: { now: Date };
  call(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** Every item in the table (jobs and runs). */
  items(): Promise<Array<Record<string, unknown>>>;
  /** Back to the start: no jobs (nor their runs), an idle Step Functions, the clock where it started. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startApi(options: { apiToken?: string; now?: Date } = {}): Promise<ApiUnderTest> {
  const db = await startDynalite();
  const client = createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials });
  const { jobs: store, requests: extras, runs } = createDynamoStores(client, db.tableName);
  const executions = new RecordingExecutions();
  const start = options.now ?? new Date(1733306400000); // 2024-12-04T10:00:00Z
  const clock = { now: start };
  const api = createApi({
    store,
    extras,
    runs,
    executions,
    runDurations: new DynamoDbRunDurations(client, db.tableName),
    now: () => clock.now,
    urlGuard: new NetGuard({ resolve: testResolver }),
    ...(options.apiToken === undefined ? {} : { apiToken: options.apiToken }),
  });
  async function items() {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: db.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
  return {
    db,
    store,
    extras,
    runs,
    executions,
    api,
    clock,
    async call(method, path, requestOptions) {
      const result = await api(apiEvent(method, path, requestOptions));
      return { status: result.statusCode, headers: (result.headers ?? {}) as Record<string, string>, body: JSON.parse(result.body) };
    },
    items,
    async reset() {
      for (const item of await items()) {
        if (item.sk === 'JOB') await store.deleteJob(String(item.jobId));
      }
      executions.reset();
      clock.now = new Date(start);
    },
    async stop() {
      client.destroy();
      await db.stop();
    },
  };
}

/**
 * The api for the test file (or the describe block it is called in): started before its tests, stopped
 * after them. Its fields are set once `beforeAll` has run.
 * @example
 * const t = useApi();
 * beforeEach(() => t.reset());
 */
export function useApi(options: { apiToken?: string; now?: Date } = {}): ApiUnderTest {
  const t = {} as ApiUnderTest;
  beforeAll(async () => {
    Object.assign(t, await startApi(options));
  });
  afterAll(async () => {
    await t.stop();
  });
  return t;
}
