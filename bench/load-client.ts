/**
 * The client side of the API bench, in its own process so that it does not share the server's event loop
 * (on loopback only). Reads one JSON argument and prints one JSON line:
 *
 * - `{ "mode": "http", url, method, body?, seconds, connections }`: autocannon; a POST body's `"{{id}}"`
 *   becomes a fresh id per request (a counter, so every POST /jobs creates a new job);
 * - `{ "mode": "getitem", endpoint, table, key, seconds, connections }`: a bare GetItem loop on DynamoDB
 *   (`connections` loops at once), the floor under any read the API does.
 * - `{ "mode": "calls", route, endpoint, table, jobId?, seconds, connections }`: the DynamoDB calls a route
 *   makes, issued directly with the document client (the adapters' client), the route's floor:
 *   `get-job`: the job's GetItem and a Query for a page of its runs, at once (GET /jobs/{id});
 *   `post-job`: a conditional PutItem of a new job item, then the conditional UpdateItem that lists its
 *   execution (POST /jobs; the route's StartExecution is not a DynamoDB call and is not in the floor).
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

interface HttpLoad {
  mode: 'http';
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  seconds: number;
  connections: number;
}
interface GetItemLoad {
  mode: 'getitem';
  endpoint: string;
  /** The runtime's endpoint keys: its DynamoDB refuses any other. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  table: string;
  key: Record<string, string>;
  seconds: number;
  connections: number;
}

interface RouteCallsLoad {
  mode: 'calls';
  route: 'get-job' | 'post-job';
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  table: string;
  /** get-job: the job to read. */
  jobId?: string;
  seconds: number;
  connections: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function httpLoad(load: HttpLoad) {
  const url = new URL(load.url);
  let counter = 0;
  const result = await autocannon({
    url: url.origin,
    connections: load.connections,
    duration: load.seconds,
    requests: [
      {
        method: load.method,
        path: url.pathname + url.search,
        headers: { 'content-type': 'application/json' },
        ...(load.body === undefined
          ? {}
          : {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: (load.body as string).replaceAll('{{id}}', `${process.pid}-${++counter}`),
              }),
            }),
      },
    ],
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
  };
}

async function getItemLoad(load: GetItemLoad) {
  const client = new DynamoDBClient({
    endpoint: load.endpoint,
    region: 'us-east-1',
    credentials: load.credentials,
  });
  const Key = Object.fromEntries(Object.entries(load.key).map(([k, v]) => [k, { S: v }]));
  const command = () => new GetItemCommand({ TableName: load.table, Key });
  await client.send(command());
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + load.seconds * 1000;
  await Promise.all(
    Array.from({ length: load.connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const out = await client.send(command());
          if (!out.Item) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN },
    errors,
    seconds,
  };
}

/** `connections` loops of `call` for `seconds`, timed one by one; a call that throws counts as an error. */
async function loop(seconds: number, connections: number, call: () => Promise<void>) {
  await call();
  const latencies: number[] = [];
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await call();
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsed,
    /** This process's CPU per call set: the SDK's side of the calls (serialising, signing, HTTP, parsing). */
    clientCpuMsPerRequest: (used.user + used.system) / 1000 / Math.max(1, latencies.length),
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN },
    errors,
    seconds: elapsed,
  };
}

async function routeCallsLoad(load: RouteCallsLoad) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: load.endpoint, region: 'us-east-1', credentials: load.credentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = load.table;
  let counter = 0;
  const calls: Record<RouteCallsLoad['route'], () => Promise<void>> = {
    'get-job': async () => {
      const pk = `JOB#${load.jobId}`;
      const [job] = await Promise.all([
        documents.send(new GetCommand({ TableName, Key: { pk, sk: 'JOB' }, ConsistentRead: true })),
        documents.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': pk, ':prefix': 'RUN#' },
            ConsistentRead: true,
            Limit: 51,
          }),
        ),
      ]);
      if (!job.Item) throw new Error('no job item');
    },
    'post-job': async () => {
      const jobId = `floor-${process.pid}-${++counter}`;
      const now = new Date().toISOString();
      const job = { id: jobId, startDateTime: now, action: { type: 'message', text: 'load' }, timeZone: 'UTC', onFailure: 'continue' };
      await documents.send(
        new PutCommand({
          TableName,
          Item: { pk: `JOB#${jobId}`, sk: 'JOB', jobId, job, status: 'SCHEDULED', cursor: -1, progress: { completedRuns: 0, failedRuns: 0, skippedRuns: 0, totalRuns: 1 }, nextRunAt: now, createdAt: now, updatedAt: now, executionArns: [], metrics: { retries: 0, runDurationMsTotal: 0 }, requestsMade: 0 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      const arn = `arn:aws:states:us-east-1:000000000000:execution:floor:${jobId}`;
      await documents.send(
        new UpdateCommand({
          TableName,
          Key: { pk: `JOB#${jobId}`, sk: 'JOB' },
          UpdateExpression: 'SET #updatedAt = :updatedAt, #executionArns = list_append(if_not_exists(#executionArns, :none), :arns)',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(#executionArns, :arn)',
          ExpressionAttributeNames: { '#updatedAt': 'updatedAt', '#executionArns': 'executionArns' },
          ExpressionAttributeValues: { ':updatedAt': now, ':none': [], ':arns': [arn], ':arn': arn },
        }),
      );
    },
  };
  const result = await loop(load.seconds, load.connections, calls[load.route]);
  documents.destroy();
  return result;
}

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2] ?? '{}') as HttpLoad | GetItemLoad | RouteCallsLoad;
  const result = load.mode === 'http' ? await httpLoad(load) : load.mode === 'calls' ? await routeCallsLoad(load) : await getItemLoad(load);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load client failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
