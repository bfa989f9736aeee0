/**
 * Figure 3, lateness on the real clock: 1,000 one-off message jobs due in the same second
 * (`startRuntime({ speed: 1 })`), and for each, how long after its planned time its run actually started
 * (the run record's `startedAt − plannedAt`). Beside 60 s: a one-minute polling executor (seed 001) starts
 * a due task up to a minute late by design.
 *
 * The due second is set ahead of now by as long as submitting the jobs takes on this machine (measured on
 * a few jobs first) plus 3 s, so every job is waiting before it is due; a job whose POST answered only after
 * the due second would be late through submission, and is counted apart.
 *
 * The floor, measured in the same runtime afterwards: the same number of timers due at one instant, each
 * doing only what a run's wake-up cannot skip — its first DynamoDB call (a begin-shaped conditional update
 * through a client built as the runtime's) — and the same lateness of each (when its timer's turn came,
 * relative to the instant). A burst is serialized CPU on one event loop: each wake-up runs until its first
 * call has left before the next timer fires, so the floor is what that first call alone costs a burst.
 *
 * BENCH_LATENESS_JOBS overrides the number of jobs (default 1,000).
 */
import { performance } from 'node:perf_hooks';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../src/adapters/dynamodb';
import { LIVE } from '../src/lib/ledger';
import type { Runtime } from '../src/local/runtime';
import { apiClient, mapLimit, oneOffMessage, pct, round, row, sleep, wholeSecond, type FigureResult } from './common';

const JOBS = Number(process.env.BENCH_LATENESS_JOBS ?? 1_000);
const CALIBRATION_JOBS = 10;
const CONCURRENCY = 10;
/** Lead time beyond the measured submission time. */
const LEAD_MS = 3_000;
/** Bounds: submitting at most this long (fewer jobs otherwise), and waiting this long past the due second. */
const MAX_SUBMIT_MS = 7 * 60_000;
const MAX_AFTER_DUE_MS = 90_000;
const POLLING_GRANULARITY_MS = 60_000;
const YEAR_MS = 365 * 86_400_000;

/** The floor: `jobs` timers due at one instant, each sending one begin-shaped update; how late each turn came. */
async function firstCallFloor(runtime: Runtime, jobs: number, stamp: number): Promise<number[]> {
  const client = createDocumentClient({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials }, runtime.dynamoTransport);
  const TableName = runtime.tableName;
  const dueAt = Date.now() + 1_000;
  const late: number[] = [];
  const sends: Array<Promise<unknown>> = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < jobs; i++) {
      setTimeout(() => {
        const now = Date.now();
        late.push(now - dueAt);
        sends.push(
          client.send(
            new UpdateCommand({
              TableName,
              Key: { pk: `JOB#floor-${stamp}-${i}`, sk: 'RUN#0000000000' },
              UpdateExpression: 'SET #state = :started, #startedAt = :now, #plannedAt = :planned, #phase = :phase ADD #attempts :one',
              ConditionExpression: 'attribute_not_exists(pk) OR #state = :started',
              ExpressionAttributeNames: { '#state': 'state', '#startedAt': 'startedAt', '#plannedAt': 'plannedAt', '#phase': 'phase', '#attempts': 'attempts' },
              ExpressionAttributeValues: { ':started': 'STARTED', ':now': new Date(now).toISOString(), ':planned': new Date(dueAt).toISOString(), ':phase': 'action', ':one': 1 },
              ReturnValues: 'ALL_OLD',
            }),
          ),
        );
        if (late.length === jobs) resolve();
      }, dueAt - Date.now());
    }
  });
  await Promise.all(sends);
  client.destroy();
  return late;
}

export async function run(): Promise<FigureResult> {
  const { startRuntime } = await import('../src/local/runtime');
  const runtime = await startRuntime({ speed: 1, memory: true, port: 0 });
  const api = apiClient(runtime.url);
  const stamp = Date.now();
  try {
    // How long a POST takes here (it starts an execution), on jobs due in a year that stay waiting.
    const calibration = performance.now();
    await mapLimit(Array.from({ length: CALIBRATION_JOBS }, (_, i) => i), CONCURRENCY, (i) =>
      api.post('/jobs', oneOffMessage(`late-calibrate-${stamp}-${i}`, new Date(Date.now() + YEAR_MS))),
    );
    const perPostMs = (performance.now() - calibration) / CALIBRATION_JOBS;
    const jobs = Math.max(CONCURRENCY, Math.min(JOBS, Math.floor(MAX_SUBMIT_MS / perPostMs / 1.25)));
    const dueMs = Math.ceil((Date.now() + perPostMs * jobs * 1.25 + LEAD_MS) / 1000) * 1000;
    const due = new Date(dueMs);
    process.stderr.write(`lateness: ${round(perPostMs, 0)} ms a POST; ${jobs} jobs due at ${wholeSecond(due)} (in ${round((dueMs - Date.now()) / 1000, 0)} s)\n`);

    const ids = Array.from({ length: jobs }, (_, i) => `late-${stamp}-${i}`);
    const answeredAt = new Map<string, number>();
    const arns = await mapLimit(ids, CONCURRENCY, async (id) => {
      const created = await api.post('/jobs', oneOffMessage(id, due));
      answeredAt.set(id, runtime.clock.now().getTime());
      return created.executionArn as string;
    });
    const submittedBy = Math.max(...answeredAt.values());
    const lateSubmissions = ids.filter((id) => (answeredAt.get(id) ?? 0) > dueMs);

    // Wait for the due second, then for every execution to end (bounded).
    const deadline = dueMs + MAX_AFTER_DUE_MS;
    for (;;) {
      const running = arns.filter((arn) => runtime.executions.describe(arn).status === 'RUNNING').length;
      if (running === 0 || Date.now() > deadline) break;
      await sleep(Date.now() < dueMs ? Math.min(1_000, dueMs - Date.now() + 50) : 250);
    }

    const late: number[] = [];
    const finished: number[] = [];
    const onTime = new Set(ids.filter((id) => !lateSubmissions.includes(id)));
    let missing = 0;
    await mapLimit(ids, 20, async (id) => {
      const runRecord = await runtime.runs.get({ jobId: id, series: LIVE, index: 0 });
      if (!runRecord) {
        missing += 1;
        return;
      }
      if (!onTime.has(id)) return;
      const planned = Date.parse(runRecord.plannedAt);
      late.push(Date.parse(runRecord.startedAt) - planned);
      if (runRecord.finishedAt) finished.push(Date.parse(runRecord.finishedAt) - planned);
    });

    const floor = await firstCallFloor(runtime, jobs, stamp);
    const floorP99 = Math.max(1, pct(floor, 99));
    const p50 = pct(late, 50);
    const p99 = pct(late, 99);
    const max = Math.max(...late);
    const reference = { value: POLLING_GRANULARITY_MS, unit: 'ms', what: 'polling granularity' };
    const counted = `${late.length} of ${jobs} jobs due at one second${missing ? `, ${missing} never ran within ${MAX_AFTER_DUE_MS / 1000} s of it` : ''}${lateSubmissions.length ? `, ${lateSubmissions.length} submitted after it left out` : ''}`;
    return {
      name: 'lateness',
      rows: [
        row({ figure: `lateness: ${jobs.toLocaleString('en-US')} jobs due in one second, p50`, measured: round(p50, 0), unit: 'ms', reference, target: '< 1 s', met: p50 < 1_000, note: counted }),
        row({ figure: 'lateness: p99', measured: round(p99, 0), unit: 'ms', reference: { value: round(floorP99, 0), unit: 'ms', what: `p99 of ${jobs.toLocaleString('en-US')} timers due at once doing only their first DynamoDB call, same runtime` }, target: '< 300 ms (issue 17)', met: p99 < 300 && missing === 0 }),
        row({ figure: 'lateness: max', measured: round(max, 0), unit: 'ms', reference, target: '< 60 s (never worse than polling)', met: max < POLLING_GRANULARITY_MS && missing === 0 }),
      ],
      details: {
        jobs,
        due: due.toISOString(),
        perPostMs: round(perPostMs, 1),
        submittedSecondsBeforeDue: round((dueMs - submittedBy) / 1000, 1),
        lateSubmissions: lateSubmissions.length,
        missing,
        startedMinusPlannedMs: { p50, p90: pct(late, 90), p99, max, min: Math.min(...late) },
        floorFirstCallMs: { p50: pct(floor, 50), p99: pct(floor, 99), max: Math.max(...floor) },
        finishedMinusPlannedMs: { p50: pct(finished, 50), p99: pct(finished, 99), max: Math.max(...finished) },
      },
    };
  } finally {
    await runtime.close();
  }
}
