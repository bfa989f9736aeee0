/**
 * The client side of the API bench, in its own process so that it does not share the server's event loop
 * (on loopback only). Reads one JSON argument and prints one JSON line:
 *
 * - `{ "mode": "http", url, method, body?, seconds, connections }`: autocannon; a POST body's `"{{id}}"`
 *   becomes a fresh id per request (a counter, so every POST /jobs creates a new job);
 * - `{ "mode": "getitem", endpoint, table, key, seconds, connections }`: a bare GetItem loop on DynamoDB
 *   (`connections` loops at once), the floor under any read the API does.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

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

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2] ?? '{}') as HttpLoad | GetItemLoad;
  const result = load.mode === 'http' ? await httpLoad(load) : await getItemLoad(load);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load client failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
