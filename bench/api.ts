/**
 * Figure 4, the API under load: requests per second and p99 latency of `GET /jobs/{id}` (a finished 7-day
 * workflow: its job item, a page of 7 runs, the final report) and `POST /jobs` (a new one-off job due in a
 * year per request, so each one also starts an execution), on the local runtime with autocannon on
 * loopback (10 s, 10 connections each), each beside its floor measured in the same run: the DynamoDB calls
 * that route makes, issued directly on the same dynalite with the same load (load-client.ts `calls`):
 * GetItem + Query at once for the GET, conditional PutItem then UpdateItem for the POST. Targets are
 * issue 17's: GET p99 < 25 ms, POST p99 < 40 ms.
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
  /** `calls` loads: the load client's own CPU per call set. */
  clientCpuMsPerRequest?: number;
  /** Set here: this process's (the runtime's) CPU per request while the load ran. */
  serverCpuMsPerRequest?: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx?: number;
  timeouts?: number;
}

/**
 * A route's three rows (requests/s, p99, CPU per request), each beside the same load of the DynamoDB calls
 * the route needs, issued directly.
 */
function routeRows(spec: {
  route: string;
  rateFigure: string;
  rateDigits: number;
  measured: LoadResult;
  floor: LoadResult;
  floorCalls: string;
  p99TargetMs: number;
  rateNote: string;
  rateNoteTail?: string;
  cpuNote: string;
}) {
  const { measured, floor } = spec;
  const ref = (value: number, unit: string) => ({ value: round(value, 1), unit, what: `${spec.floorCalls}, issued directly` });
  return [
    row({
      figure: `api: ${spec.rateFigure}, requests/s`,
      measured: round(measured.requestsPerSecond, spec.rateDigits),
      unit: 'req/s',
      reference: ref(floor.requestsPerSecond, 'req/s'),
      target: '> 100 req/s',
      met: measured.requestsPerSecond > 100 && measured.errors === 0 && (measured.non2xx ?? 0) === 0,
      note: `${spec.rateNote}; ${measured.requests} requests, ${measured.non2xx ?? 0} non-2xx, ${measured.errors} errors${spec.rateNoteTail ?? ''}`,
    }),
    row({
      figure: `api: ${spec.route}, p99`,
      measured: measured.latencyMs.p99,
      unit: 'ms',
      reference: ref(floor.latencyMs.p99, 'ms'),
      target: `< ${spec.p99TargetMs} ms`,
      met: measured.latencyMs.p99 < spec.p99TargetMs,
      note: `floor ${round(floor.requestsPerSecond, 0)} req/s, p50 ${round(floor.latencyMs.p50, 1)} ms; route p50 ${measured.latencyMs.p50} ms`,
    }),
    row({
      figure: `api: ${spec.route}, CPU per request`,
      measured: round(measured.serverCpuMsPerRequest ?? Number.NaN, 2),
      unit: 'ms',
      reference: { value: round(floorCpu(floor), 2), unit: 'ms', what: 'its calls issued directly: client + dynalite CPU' },
      target: '—',
      met: null,
      note: spec.cpuNote,
    }),
  ];
}

/**
 * One load from its own process, with this process's CPU per request while it ran: the runtime's cost of
 * a request (API, engine, dynalite), which a shared machine sways far less than latency.
 */
async function load(spec: Record<string, unknown>): Promise<LoadResult> {
  const cpu = process.cpuUsage();
  const result = await loadOnce(spec);
  const used = process.cpuUsage(cpu);
  return { ...result, serverCpuMsPerRequest: (used.user + used.system) / 1000 / Math.max(1, result.requests) };
}

function loadOnce(spec: Record<string, unknown>): Promise<LoadResult> {
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

/** A floor's whole CPU per call set: the load client's SDK side plus dynalite's side in this process. */
const floorCpu = (floor: LoadResult) => (floor.clientCpuMsPerRequest ?? Number.NaN) + (floor.serverCpuMsPerRequest ?? Number.NaN);

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

    const dynamo = { mode: 'calls', endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials, table: runtime.tableName, seconds: SECONDS, connections: CONNECTIONS };
    const getFloor = await load({ ...dynamo, route: 'get-job', jobId: id });
    const get = await load({ mode: 'http', url: `${runtime.url}/jobs/${id}`, method: 'GET', seconds: SECONDS, connections: CONNECTIONS });
    const postFloor = await load({ ...dynamo, route: 'post-job' });
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

    const shape = `${SECONDS} s, ${CONNECTIONS} connections`;
    return {
      name: 'api',
      rows: [
        ...routeRows({ route: 'GET /jobs/{id}', rateFigure: 'GET /jobs/{id}', rateDigits: 0, measured: get, floor: getFloor, floorCalls: 'its GetItem + Query', p99TargetMs: 25, rateNote: shape, cpuNote: "the runtime process's CPU per request (API, job service, SDK, dynalite), less swayed by other work than latency" }),
        ...routeRows({ route: 'POST /jobs', rateFigure: 'POST /jobs (new job each)', rateDigits: 1, measured: post, floor: postFloor, floorCalls: 'its PutItem then UpdateItem', p99TargetMs: 40, rateNote: shape, rateNoteTail: `, ${jobsCreated} jobs created`, cpuNote: 'includes the execution each POST starts (Normalize, the calculator, the status-change event) up to its Wait' }),
      ],
      details: { seconds: SECONDS, connections: CONNECTIONS, getFloor, get, postFloor, post, jobsCreated },
    };
  } finally {
    await runtime.close();
  }
}
