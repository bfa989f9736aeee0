/**
 * Figure 6, memory: the resident set of the runtime holding 1,000 waiting jobs (real clock, one-off jobs
 * due in a year, each execution parked in its WaitUntil state), measured in the same process before the
 * jobs and after, each time after a full GC (the bench runs with --expose-gc).
 *
 * BENCH_MEMORY_JOBS overrides the number of jobs (default 1,000).
 */
import { apiClient, gc, mapLimit, oneOffMessage, round, row, sleep, withTimeout, type FigureResult } from './common';

const JOBS = Number(process.env.BENCH_MEMORY_JOBS ?? 1_000);
const YEAR_MS = 365 * 86_400_000;
const MB = 1024 * 1024;

function snapshot() {
  gc();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

export async function run(): Promise<FigureResult> {
  const { startRuntime } = await import('../src/local/runtime');
  const runtime = await startRuntime({ speed: 1, memory: true, port: 0 });
  const api = apiClient(runtime.url);
  try {
    // One job through first, so the modules every request needs are loaded before "before".
    await api.post('/jobs', oneOffMessage(`mem-warmup-${Date.now()}`, new Date(Date.now() + YEAR_MS)));
    await sleep(500);
    const before = snapshot();
    const stamp = Date.now();
    const due = new Date(Date.now() + YEAR_MS);
    const arns = await withTimeout(
      'memory: submitting',
      7 * 60_000,
      mapLimit(Array.from({ length: JOBS }, (_, i) => `mem-${stamp}-${i}`), 10, async (id) => (await api.post('/jobs', oneOffMessage(id, due))).executionArn as string),
    );
    // Every execution parked in its Wait state.
    const waiting = () => arns.filter((arn) => runtime.executions.history(arn).at(-1)?.type === 'WaitStateEntered').length;
    const deadline = Date.now() + 60_000;
    while (waiting() < arns.length && Date.now() < deadline) await sleep(200);
    const parked = waiting();
    await sleep(500);
    const after = snapshot();
    const perJobKb = (after.rss - before.rss) / 1024 / JOBS;
    return {
      name: 'memory',
      rows: [
        row({
          figure: `memory: RSS holding ${JOBS.toLocaleString('en-US')} waiting jobs`,
          measured: round(after.rss / MB, 0),
          unit: 'MB',
          reference: { value: round(before.rss / MB, 0), unit: 'MB', what: 'same process, no jobs' },
          target: '< 300 MB',
          met: after.rss < 300 * MB && parked === JOBS,
          note: `${parked}/${JOBS} parked in WaitUntil; +${round(perJobKb, 1)} KB RSS, +${round((after.heapUsed - before.heapUsed) / 1024 / JOBS, 1)} KB heap a job`,
        }),
      ],
      details: {
        jobs: JOBS,
        parked,
        before: Object.fromEntries(Object.entries(before).map(([k, v]) => [k, round(v / MB, 1)])),
        after: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, round(v / MB, 1)])),
        unit: 'MB',
        perJobKb: round(perJobKb, 1),
        gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
      },
    };
  } finally {
    await runtime.close();
  }
}
