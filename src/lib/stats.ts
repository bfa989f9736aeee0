/**
 * Statistics and the cost estimate behind `GET /stats`: pure arithmetic over job records and run
 * durations. The run durations come through the small `RunDurations` port (a scan of run items on
 * DynamoDB, src/adapters/dynamodb-stats.ts), so this module does no I/O.
 *
 * ## Cost model
 *
 * Counted from the ASL loop (src/statemachines/scheduler.asl.json). Step Functions Standard bills every
 * state entered, retries included; Lambda bills every invocation and its GB-seconds.
 *
 * - A run enters Calculate → Due → WaitUntil → RunStep: **4 transitions, 2 invocations** (Calculate,
 *   RunStep).
 * - A failed run also enters RecordFailure → AfterFailure: **+2 transitions, +1 invocation**.
 * - A retried attempt (ASL Retry on RunStep) re-enters the state: **+1 transition, +1 invocation**.
 * - An execution enters Normalize, StartAtFirstRun, the last Calculate, Due and Finish once:
 *   **5 transitions, 2 invocations** (the last Calculate, Finish).
 *
 * ```
 * transitions = 4 × runs + 2 × failedRuns + retries + 5 × executions
 * invocations = 2 × runs + 1 × failedRuns + retries + 2 × executions
 * GB-seconds  = memoryGB × (runDurationMsTotal + shortInvocationMs × (invocations − runs)) / 1000
 * cost        = transitions × $/transition + invocations × $/request + GB-seconds × $/GB-s
 * ```
 * Each run's RunStep bills its recorded duration; every other invocation (calculator, RecordFailure,
 * Finish, a retried attempt) is assumed to take `shortInvocationMs`. A job that was aborted or cancelled
 * skips part of its per-execution overhead, so the figure is a slight over-estimate there.
 *
 * The polling design it is compared with (seed 001): an executor Lambda invoked once a minute (1,440 a
 * day) from the first job's creation until now, each invocation ~100 ms at 128 MB (seed 000's figure),
 * priced with the same Lambda prices; its DynamoDB queries are left out, which favours polling.
 */
import {
  LAMBDA_ARM64_USD_PER_GB_SECOND,
  LAMBDA_USD_PER_REQUEST,
  PRICES_NOTE,
  SFN_STANDARD_USD_PER_TRANSITION,
} from './pricing';

/** The port to the durations of finished runs, in milliseconds. */
export interface RunDurations {
  /** Duration of every finished run that recorded one, in no particular order. */
  durations(): Promise<number[]>;
}

/** State transitions and Lambda invocations of the ASL loop; see the module comment. */
export const LOOP_COUNTS = {
  transitionsPerRun: 4,
  invocationsPerRun: 2,
  extraTransitionsPerFailedRun: 2,
  extraInvocationsPerFailedRun: 1,
  transitionsPerRetry: 1,
  invocationsPerRetry: 1,
  transitionsPerExecution: 5,
  invocationsPerExecution: 2,
} as const;

export const COST_FORMULA = {
  stateTransitions: '4 × runs + 2 × failedRuns + retries + 5 × executions',
  lambdaInvocations: '2 × runs + failedRuns + retries + 2 × executions',
  lambdaGbSeconds: 'memoryGB × (runDurationMsTotal + shortInvocationMs × (invocations − runs)) / 1000',
  polling: 'ceil(minutes from the first job to now) invocations × (request price + 0.1 s × 0.125 GB × GB-s price)',
} as const;

export interface CostAssumptions {
  /** Memory of the calculator and task functions: provider.memorySize in serverless.ts. */
  memoryMb: number;
  /** Billed time of an invocation other than a run's own step (calculator, RecordFailure, Finish, a retry). */
  shortInvocationMs: number;
  polling: { invocationsPerDay: number; durationMs: number; memoryMb: number };
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  memoryMb: 256,
  shortInvocationMs: 50,
  polling: { invocationsPerDay: 1_440, durationMs: 100, memoryMb: 128 },
};

/** The part of a job record the statistics read. */
export interface JobFigures {
  status: string;
  createdAt: string;
  executionArns: readonly string[];
  progress: { completedRuns: number; failedRuns: number };
  metrics: { retries: number; runDurationMsTotal: number };
}

export interface Usage {
  /** Finished runs, succeeded and failed. */
  runs: number;
  failedRuns: number;
  retries: number;
  executions: number;
  runDurationMsTotal: number;
  /** When the first job was created; null with no jobs. */
  since: Date | null;
  now: Date;
}

const DAY_MS = 86_400_000;

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

const usd = (value: number) => round(value, 8);

/**
 * The nearest-rank percentile: the smallest value with at least `p` % of the values at or below it.
 * null for no values.
 * @example percentile([40, 10, 30, 20], 50) // 20
 * @example percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95) // 19
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`p must be in (0, 100], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/**
 * Counts and totals over job records: jobs by status, runs succeeded / failed / retried, executions.
 * @example summarizeJobs(records).byStatus // { COMPLETED: 2, SCHEDULED: 1 }
 */
/** The part of a trigger or backfill request the statistics read: its runs count like live runs. */
export interface RequestFigures {
  completedRuns: number;
  failedRuns: number;
  retries?: number;
  runDurationMsTotal?: number;
  executionArns: readonly string[];
}

export function summarizeJobs(jobs: readonly JobFigures[], requests: readonly RequestFigures[] = []) {
  const byStatus: Record<string, number> = {};
  let completedRuns = 0;
  let failedRuns = 0;
  let retries = 0;
  let executions = 0;
  let runDurationMsTotal = 0;
  let firstCreatedMs = Number.POSITIVE_INFINITY;
  for (const job of jobs) {
    byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
    completedRuns += job.progress.completedRuns;
    failedRuns += job.progress.failedRuns;
    retries += job.metrics.retries;
    runDurationMsTotal += job.metrics.runDurationMsTotal;
    const ran = job.progress.completedRuns + job.progress.failedRuns > 0;
    // A job that ran had an execution even when none was recorded (a console start records its ARN on the run).
    executions += Math.max(job.executionArns.length, ran ? 1 : 0);
    const created = Date.parse(job.createdAt);
    if (Number.isFinite(created)) firstCreatedMs = Math.min(firstCreatedMs, created);
  }
  // Triggered and backfilled runs are runs like any other: billed, retried, each request an execution.
  for (const request of requests) {
    completedRuns += request.completedRuns;
    failedRuns += request.failedRuns;
    retries += request.retries ?? 0;
    runDurationMsTotal += request.runDurationMsTotal ?? 0;
    executions += Math.max(request.executionArns.length, request.completedRuns + request.failedRuns > 0 ? 1 : 0);
  }
  return {
    total: jobs.length,
    byStatus,
    completedRuns,
    failedRuns,
    retries,
    executions,
    runDurationMsTotal,
    firstCreatedAt: Number.isFinite(firstCreatedMs) ? new Date(firstCreatedMs) : null,
  };
}

/**
 * What the work so far cost on this design, and what the same span would have cost polling every minute.
 * @example estimateCost({ runs: 7, failedRuns: 0, retries: 0, executions: 1, runDurationMsTotal: 700, since, now })
 * // stepFunctions.stateTransitions === 33, stepFunctions.lambdaInvocations === 16
 */
export function estimateCost(usage: Usage, assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS) {
  const L = LOOP_COUNTS;
  const transitions =
    L.transitionsPerRun * usage.runs +
    L.extraTransitionsPerFailedRun * usage.failedRuns +
    L.transitionsPerRetry * usage.retries +
    L.transitionsPerExecution * usage.executions;
  const invocations =
    L.invocationsPerRun * usage.runs +
    L.extraInvocationsPerFailedRun * usage.failedRuns +
    L.invocationsPerRetry * usage.retries +
    L.invocationsPerExecution * usage.executions;
  const billedMs = usage.runDurationMsTotal + assumptions.shortInvocationMs * (invocations - usage.runs);
  const gbSeconds = ((assumptions.memoryMb / 1024) * billedMs) / 1000;
  const sfn = {
    stateTransitions: transitions * SFN_STANDARD_USD_PER_TRANSITION,
    lambdaRequests: invocations * LAMBDA_USD_PER_REQUEST,
    lambdaCompute: gbSeconds * LAMBDA_ARM64_USD_PER_GB_SECOND,
  };
  const sfnTotal = sfn.stateTransitions + sfn.lambdaRequests + sfn.lambdaCompute;

  const spanMs = usage.since ? Math.max(0, usage.now.getTime() - usage.since.getTime()) : 0;
  const { polling: p } = assumptions;
  const pollInvocations = Math.ceil((spanMs / DAY_MS) * p.invocationsPerDay);
  const pollGbSeconds = pollInvocations * (p.memoryMb / 1024) * (p.durationMs / 1000);
  const poll = {
    lambdaRequests: pollInvocations * LAMBDA_USD_PER_REQUEST,
    lambdaCompute: pollGbSeconds * LAMBDA_ARM64_USD_PER_GB_SECOND,
  };
  const pollTotal = poll.lambdaRequests + poll.lambdaCompute;
  const perRun = (value: number, digits: number) => (usage.runs > 0 ? round(value / usage.runs, digits) : null);

  return {
    stepFunctions: {
      stateTransitions: transitions,
      lambdaInvocations: invocations,
      lambdaGbSeconds: round(gbSeconds, 6),
      usd: {
        stateTransitions: usd(sfn.stateTransitions),
        lambdaRequests: usd(sfn.lambdaRequests),
        lambdaCompute: usd(sfn.lambdaCompute),
        total: usd(sfnTotal),
      },
      perRun: {
        stateTransitions: perRun(transitions, 2),
        lambdaInvocations: perRun(invocations, 2),
        lambdaGbSeconds: perRun(gbSeconds, 6),
        usd: perRun(sfnTotal, 8),
      },
    },
    polling: {
      days: round(spanMs / DAY_MS, 4),
      invocations: pollInvocations,
      lambdaGbSeconds: round(pollGbSeconds, 6),
      usd: { lambdaRequests: usd(poll.lambdaRequests), lambdaCompute: usd(poll.lambdaCompute), total: usd(pollTotal) },
      perRun: { usd: perRun(pollTotal, 8) },
    },
    savings: {
      usd: usd(pollTotal - sfnTotal),
      /** Share of the polling cost saved; null when polling would have cost nothing (no time has passed). */
      percent: pollTotal > 0 ? round(((pollTotal - sfnTotal) / pollTotal) * 100, 2) : null,
    },
    formula: COST_FORMULA,
    assumptions,
    prices: {
      stepFunctionsStandardUsdPerTransition: SFN_STANDARD_USD_PER_TRANSITION,
      lambdaUsdPerRequest: LAMBDA_USD_PER_REQUEST,
      lambdaArm64UsdPerGbSecond: LAMBDA_ARM64_USD_PER_GB_SECOND,
      note: PRICES_NOTE,
    },
  };
}
export type CostEstimate = ReturnType<typeof estimateCost>;

/**
 * The whole `GET /stats` body from job records and run durations.
 * @example buildStats({ jobs: records, durations: [120, 80, 100], now: new Date() }).durations.p50Ms // 100
 */
export function buildStats(input: {
  jobs: readonly JobFigures[];
  /** Trigger and backfill requests: their runs count with the live ones. */
  requests?: readonly RequestFigures[];
  durations: readonly number[];
  now: Date;
  assumptions?: CostAssumptions;
}) {
  const summary = summarizeJobs(input.jobs, input.requests);
  const durations = input.durations.filter((ms) => Number.isFinite(ms) && ms >= 0);
  const totalMs = durations.reduce((sum, ms) => sum + ms, 0);
  return {
    jobs: { total: summary.total, byStatus: summary.byStatus },
    runs: {
      total: summary.completedRuns + summary.failedRuns,
      completed: summary.completedRuns,
      failed: summary.failedRuns,
      retried: summary.retries,
    },
    durations: {
      samples: durations.length,
      p50Ms: percentile(durations, 50),
      p95Ms: percentile(durations, 95),
      meanMs: durations.length > 0 ? round(totalMs / durations.length, 1) : null,
      maxMs: durations.length > 0 ? durations.reduce((max, ms) => Math.max(max, ms), 0) : null,
    },
    cost: estimateCost(
      {
        runs: summary.completedRuns + summary.failedRuns,
        failedRuns: summary.failedRuns,
        retries: summary.retries,
        executions: summary.executions,
        runDurationMsTotal: summary.runDurationMsTotal,
        since: summary.firstCreatedAt,
        now: input.now,
      },
      input.assumptions,
    ),
    generatedAt: input.now.toISOString(),
  };
}
