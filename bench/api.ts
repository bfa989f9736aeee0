/**
 * Figure 4, the API under load: requests per second and p99 latency of `GET /jobs/{id}` (a finished 7-day
 * workflow: its job item, a page of 7 runs, the final report) and `POST /jobs` (a new one-off job due in a
 * year per request, so each one also starts an execution), on the local runtime with autocannon on
 * loopback (10 s, 10 connections each), beside a bare GetItem loop on the same dynalite as the floor.
 *
 * The client runs in its own process (bench/load-client.ts), so it does not share the server's event loop;
 * on a 2-core machine the two still share the CPU.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { apiClient, ROOT, round, row, sleep, wholeSecond, type FigureResult } from './common';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 10;
const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx?: number;
  timeouts?: number;
}

function load(spec: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'load-client.ts'), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (SECONDS + 60) * 1000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as LoadResult);
      } catch {
        reject(new Error(`load client exited with ${code}: ${out.slice(0, 500)}`));
      }
    });
  });
}

export async function run(): Promise<FigureResult> {
  const { startRuntime } = await import('../src/local/runtime');
  const runtime = await startRuntime({ speed: 1, memory: true, port: 0 });
  const api = apiClient(runtime.url);
  try {
    // A finished 7-day workflow to read: its runs were all due in the past, so they run at once.
    const id = `api-read-${Date.now()}`;
    const start = Math.floor((Date.now() - 8 * DAY_MS) / 1000) * 1000;
    const created = await api.post('/jobs', {
      id,
      startDateTime: wholeSecond(new Date(start)),
      endDateTime: wholeSecond(new Date(start + 6 * DAY_MS)),
      frequency: { days: 1 },
      config: { reportType: 'weekly', dataSource: 'sample:analytics' },
    });
    const deadline = Date.now() + 60_000;
    while (runtime.executions.describe(created.executionArn).status === 'RUNNING' && Date.now() < deadline) await sleep(100);
    const job = await api.request('GET', `/jobs/${id}`);
    if (job.json?.status !== 'COMPLETED') throw new Error(`api: the job to read is ${job.json?.status}, not COMPLETED`);

    const floor = await load({
      mode: 'getitem',
      endpoint: runtime.dynamoEndpoint,
      credentials: runtime.credentials,
      table: runtime.tableName,
      key: { pk: `JOB#${id}`, sk: 'JOB' },
      seconds: SECONDS,
      connections: CONNECTIONS,
    });
    const get = await load({ mode: 'http', url: `${runtime.url}/jobs/${id}`, method: 'GET', seconds: SECONDS, connections: CONNECTIONS });
    const due = wholeSecond(new Date(Date.now() + YEAR_MS));
    const post = await load({
      mode: 'http',
      url: `${runtime.url}/jobs`,
      method: 'POST',
      body: JSON.stringify({ id: 'api-post-{{id}}', startDateTime: due, action: { type: 'message', text: 'load' } }),
      seconds: SECONDS,
      connections: CONNECTIONS,
    });
    // POSTs still in flight when autocannon stopped: let them finish (their executions park in WaitUntil)
    // before the runtime closes under them.
    const posted = () => runtime.executions.list().filter((e) => e.name.startsWith('api-post-'));
    const drainBy = Date.now() + 30_000;
    for (let seen = -1; Date.now() < drainBy; await sleep(1_000)) {
      const executions = posted();
      const parked = executions.every((e) => e.status !== 'RUNNING' || runtime.executions.history(e.executionArn).at(-1)?.type === 'WaitStateEntered');
      if (parked && executions.length === seen) break;
      seen = executions.length;
    }
    const jobsCreated = posted().length;

    const floorRef = (value: number, unit: string) => ({ value, unit, what: 'bare GetItem, same dynalite' });
    const shape = `${SECONDS} s, ${CONNECTIONS} connections`;
    return {
      name: 'api',
      rows: [
        row({
          figure: 'api: GET /jobs/{id}, requests/s',
          measured: round(get.requestsPerSecond, 0),
          unit: 'req/s',
          reference: floorRef(round(floor.requestsPerSecond, 0), 'req/s'),
          target: '> 100 req/s',
          met: get.requestsPerSecond > 100 && get.errors === 0 && (get.non2xx ?? 0) === 0,
          note: `${shape}; ${get.requests} requests, ${get.non2xx ?? 0} non-2xx, ${get.errors} errors`,
        }),
        row({
          figure: 'api: GET /jobs/{id}, p99',
          measured: get.latencyMs.p99,
          unit: 'ms',
          reference: floorRef(round(floor.latencyMs.p99, 1), 'ms'),
          target: '< 50 ms',
          met: get.latencyMs.p99 < 50,
        }),
        row({
          figure: 'api: POST /jobs (new job each), requests/s',
          measured: round(post.requestsPerSecond, 1),
          unit: 'req/s',
          reference: floorRef(round(floor.requestsPerSecond, 0), 'req/s'),
          target: '> 100 req/s',
          met: post.requestsPerSecond > 100 && post.errors === 0 && (post.non2xx ?? 0) === 0,
          note: `${shape}; ${post.requests} requests, ${post.non2xx ?? 0} non-2xx, ${post.errors} errors, ${jobsCreated} jobs created`,
        }),
        row({
          figure: 'api: POST /jobs, p99',
          measured: post.latencyMs.p99,
          unit: 'ms',
          reference: floorRef(round(floor.latencyMs.p99, 1), 'ms'),
          target: '< 50 ms',
          met: post.latencyMs.p99 < 50,
        }),
      ],
      details: { seconds: SECONDS, connections: CONNECTIONS, getItemFloor: floor, get, post, jobsCreated },
    };
  } finally {
    await runtime.close();
  }
}
