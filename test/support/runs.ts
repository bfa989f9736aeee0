/**
 * Driving the run ledger by hand the way the task Lambda does (src/lib/attempt.ts), for tests that set up
 * a job's history without running the state machine: begin, then settle as a success or a failure with the
 * parent change the attempt would compute.
 */
import type { Job, Phase } from '../../src/lib/job';
import type { JsonValue } from '../../src/lib/json';
import { LIVE, type FailurePolicy, type RunLedger, type RunRecord, type Series } from '../../src/lib/ledger';
import { statusAfterFailure, statusAfterRun } from '../../src/lib/status';

export interface LiveRun {
  job: Job;
  iteration: number;
  phase: Phase;
  plannedAt?: string;
  totalRuns?: number | null;
  now: Date;
  series?: Series;
  index?: number;
  /** The real clock's ms at this moment, when `now` is a warped clock's (the attempt passes Date.now()). */
  realNowMs?: number;
}

const ref = (run: LiveRun) => ({ jobId: run.job.id, series: run.series ?? LIVE, index: run.index ?? run.iteration });

export function beginRun(runs: RunLedger, run: LiveRun) {
  return runs.begin({ ...ref(run), job: run.job, iteration: run.iteration, phase: run.phase, plannedAt: run.plannedAt ?? run.now.toISOString(), totalRuns: run.totalRuns ?? null, now: run.now, ...(run.realNowMs === undefined ? {} : { realNowMs: run.realNowMs }) });
}

export function succeedRun(
  runs: RunLedger,
  run: LiveRun & { result?: JsonValue; statusAfter?: string; nextRunAt?: string | null; finalReport?: JsonValue; durationMs?: number },
): Promise<RunRecord> {
  const live = (run.series ?? LIVE).kind === 'live';
  const durationMs = run.durationMs ?? 0;
  return runs.settle({
    ...ref(run),
    outcome: { state: 'SUCCEEDED', result: run.result ?? { ok: true }, durationMs, ...(run.finalReport === undefined ? {} : { finalReport: run.finalReport }) },
    change: {
      outcome: 'SUCCEEDED',
      durationMs,
      ...(live ? { status: run.statusAfter ?? statusAfterRun(run.phase, run.iteration), nextRunAt: run.nextRunAt ?? null } : {}),
      ...(run.finalReport === undefined ? {} : { finalReport: run.finalReport }),
    },
    phase: run.phase,
    iteration: run.iteration,
    plannedAt: run.plannedAt ?? run.now.toISOString(),
    now: run.now,
    ...(run.realNowMs === undefined ? {} : { realNowMs: run.realNowMs }),
  });
}

export function failRun(
  runs: RunLedger,
  run: LiveRun & { error?: { name: string; message: string }; policy: FailurePolicy; nextRunAt?: string | null },
): Promise<RunRecord> {
  const live = (run.series ?? LIVE).kind === 'live';
  const error = run.error ?? { name: 'PermanentError', message: 'failed' };
  const status = live ? statusAfterFailure(run.phase, run.policy) : run.policy === 'abort' ? 'FAILED' : undefined;
  return runs.settle({
    ...ref(run),
    outcome: { state: 'FAILED', error, policy: run.policy },
    change: {
      outcome: 'FAILED',
      ...(status === undefined ? {} : { status }),
      ...(live ? { nextRunAt: run.policy === 'abort' ? null : (run.nextRunAt ?? null) } : {}),
      ...(run.policy === 'abort' ? { reason: error.message } : {}),
    },
    phase: run.phase,
    iteration: run.iteration,
    plannedAt: run.plannedAt ?? run.now.toISOString(),
    now: run.now,
    ...(run.realNowMs === undefined ? {} : { realNowMs: run.realNowMs }),
  });
}

/**
 * Seed 000's 7-day workflow once it has run through: each run recorded once and SUCCEEDED, as
 * `[iteration, phase, state]` in the ledger's order (collection, five processing days, the report).
 */
export const SEVEN_DAYS_SUCCEEDED = [
  [0, 'collection', 'SUCCEEDED'],
  [1, 'processing', 'SUCCEEDED'],
  [2, 'processing', 'SUCCEEDED'],
  [3, 'processing', 'SUCCEEDED'],
  [4, 'processing', 'SUCCEEDED'],
  [5, 'processing', 'SUCCEEDED'],
  [6, 'report', 'SUCCEEDED'],
] as const;

/** A run as the ledger holds it once it SUCCEEDED with `result` (job weekly-1, dated 2024-12-04). */
export function succeededRun(iteration: number, phase: RunRecord['phase'], result: RunRecord['result']): RunRecord {
  return {
    jobId: 'weekly-1',
    kind: 'live',
    index: iteration,
    iteration,
    phase,
    plannedAt: '2024-12-04T10:00:00Z',
    startedAt: '2024-12-04T10:00:01.000Z',
    finishedAt: '2024-12-04T10:00:02.000Z',
    attempts: 1,
    state: 'SUCCEEDED',
    result,
  };
}

/**
 * Seed 000's week up to its report: the collection of 7543 records and five processing days (38 errors in
 * all), as the report run finds them.
 */
export const SEED_000_WEEK: readonly RunRecord[] = [
  succeededRun(0, 'collection', { records: 7543, checksum: 'abc', sources: ['sample'], validAtCollection: 7505 }),
  succeededRun(1, 'processing', { recordsProcessed: 1508, errors: 7, slice: [0, 1508] }),
  succeededRun(2, 'processing', { recordsProcessed: 1509, errors: 9, slice: [1508, 3017] }),
  succeededRun(3, 'processing', { recordsProcessed: 1509, errors: 6, slice: [3017, 4526] }),
  succeededRun(4, 'processing', { recordsProcessed: 1508, errors: 8, slice: [4526, 6034] }),
  succeededRun(5, 'processing', { recordsProcessed: 1509, errors: 8, slice: [6034, 7543] }),
];
