/**
 * Load on the embedded runtime, through HTTP only: 1,000 one-off message jobs posted with 50 requests in
 * flight, every one answered 201, run and COMPLETED, with one job item and one run item each — none lost,
 * none run twice. The wall times go to stdout (README, "Reliability").
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../src/adapters/dynamodb';
import { startRuntime, type Runtime } from '../../../src/local/runtime';

const JOBS = 1_000;
const IN_FLIGHT = 50;

let runtime: Runtime;

beforeAll(async () => {
  // 50 requests in flight keep the runtime's DynamoDB client at its 50 sockets, and the SDK warns about
  // that on every request that waits for one: expected here, and not what this test is about.
  const warn = console.warn.bind(console);
  jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!args.some((arg) => /socket usage at capacity|node-configuring-maxsockets/.test(String(arg)))) warn(...args);
  });
  runtime = await startRuntime({ port: 0, memory: true, speed: 0, resume: false });
});

afterAll(async () => {
  await runtime.close();
  jest.restoreAllMocks();
});

/** Run `work` over `items` with at most `limit` going at once. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

async function countItems(): Promise<{ jobs: number; runs: number; byState: Record<string, number> }> {
  const client = createDocumentClient({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials });
  const counts = { jobs: 0, runs: 0, byState: {} as Record<string, number> };
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: runtime.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        if (item.sk === 'JOB') {
          counts.jobs += 1;
          counts.byState[item.status as string] = (counts.byState[item.status as string] ?? 0) + 1;
        } else if (String(item.sk).startsWith('RUN#')) {
          counts.runs += 1;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return counts;
}

describe('the local runtime under 1,000 concurrent submissions', () => {
  it('accepts every job with a 201 and completes each exactly once', async () => {
    const start = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ids = Array.from({ length: JOBS }, (_, i) => `load-${String(i).padStart(4, '0')}`);
    const began = performance.now();

    const statuses = await pool(ids, IN_FLIGHT, async (id) => {
      const response = await fetch(`${runtime.url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, startDateTime: start, action: { type: 'message', text: `hello from ${id}`, channel: 'load' } }),
      });
      await response.arrayBuffer();
      return response.status;
    });
    const submittedMs = performance.now() - began;
    let stats: { jobs: { total: number; byStatus: Record<string, number> } };
    for (;;) {
      stats = (await (await fetch(`${runtime.url}/stats`)).json()) as typeof stats;
      if ((stats.jobs.byStatus.COMPLETED ?? 0) + (stats.jobs.byStatus.FAILED ?? 0) >= JOBS || performance.now() - began > 170_000) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const completedMs = performance.now() - began;
    const items = await countItems();

    expect(statuses.filter((status) => status === 201)).toHaveLength(JOBS);
    expect(stats.jobs).toEqual({ total: JOBS, byStatus: { COMPLETED: JOBS } });
    expect(items).toEqual({ jobs: JOBS, runs: JOBS, byState: { COMPLETED: JOBS } });
    process.stdout.write(
      `reliability: ${JOBS} one-off message jobs, ${IN_FLIGHT} requests in flight: all 201 in ${(submittedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(JOBS / (submittedMs / 1000))} jobs/s), all COMPLETED after ${(completedMs / 1000).toFixed(1)} s; ${items.jobs} job items, ${items.runs} run items\n`,
    );
  }, 180_000);
});
