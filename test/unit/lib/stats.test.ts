import { loadDefinition, taskFunctions } from '../../../src/statemachines';
import {
  LAMBDA_ARM64_USD_PER_GB_SECOND,
  LAMBDA_USD_PER_REQUEST,
  PRICES_NOTE,
  SFN_STANDARD_USD_PER_TRANSITION,
} from '../../../src/lib/pricing';
import { buildStats, estimateCost, LOOP_COUNTS, percentile, summarizeJobs, type JobFigures } from '../../../src/lib/stats';

const START = new Date(1733306400000); // 2024-12-04T10:00:00Z
const SEVEN_DAYS_LATER = new Date(1733911200000); // 2024-12-11T10:00:00Z

function figures(overrides: Partial<JobFigures> = {}): JobFigures {
  return {
    status: 'COMPLETED',
    createdAt: START.toISOString(),
    executionArns: ['arn:aws:states:us-east-1:123456789012:execution:scheduler:a'],
    progress: { completedRuns: 0, failedRuns: 0 },
    metrics: { retries: 0, runDurationMsTotal: 0 },
    ...overrides,
  };
}

describe('percentile', () => {
  it('takes the nearest rank: the smallest value with p % of values at or below it', () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

    expect(percentile([40, 10, 30, 20], 50)).toBe(20);
    expect(percentile(oneToTwenty, 95)).toBe(19);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
  });

  it('has no percentile of no values', () => {
    expect(percentile([], 50)).toBeNull();
  });

  it('does not reorder the values it is given', () => {
    const values = [3, 1, 2];

    percentile(values, 50);

    expect(values).toEqual([3, 1, 2]);
  });

  it.each([0, -1, 101, Number.NaN])('refuses p = %p', (p) => {
    expect(() => percentile([1, 2], p)).toThrow(RangeError);
  });
});

describe('the loop counts behind the cost model', () => {
  type State = { Type: string; Next?: string; Default?: string; Choices?: Array<{ Next: string }>; Catch?: Array<{ Next: string }> };
  const asl = loadDefinition() as unknown as { StartAt: string; States: Record<string, State> };
  const tasks = new Set(Object.keys(taskFunctions()));
  const count = (path: string[]) => ({ transitions: path.length, invocations: path.filter((name) => tasks.has(name)).length });

  it('are those of the ASL: 4 transitions and 2 invocations a run (Calculate, Due, WaitUntil, RunStep)', () => {
    const run = ['Calculate', 'Due', 'WaitUntil', 'RunStep'];
    expect(asl.States.RunStep?.Next).toBe('Calculate');
    expect(asl.States.Due?.Default).toBe('WaitUntil');

    expect(count(run)).toEqual({ transitions: LOOP_COUNTS.transitionsPerRun, invocations: LOOP_COUNTS.invocationsPerRun });
  });

  it('add RecordFailure and AfterFailure for a failed run', () => {
    const extra = ['RecordFailure', 'AfterFailure'];
    expect(asl.States.RunStep?.Catch?.find((c) => (c as { ErrorEquals?: string[] }).ErrorEquals?.includes('States.ALL'))?.Next).toBe('RecordFailure');
    expect(asl.States.RecordFailure?.Next).toBe('AfterFailure');
    expect(asl.States.AfterFailure?.Default).toBe('Calculate');

    expect(count(extra)).toEqual({
      transitions: LOOP_COUNTS.extraTransitionsPerFailedRun,
      invocations: LOOP_COUNTS.extraInvocationsPerFailedRun,
    });
  });

  it('add Normalize, StartAtFirstRun, the last Calculate, Due and Finish once per execution', () => {
    const overhead = ['Normalize', 'StartAtFirstRun', 'Calculate', 'Due', 'Finish'];
    expect(asl.StartAt).toBe('Normalize');
    expect(asl.States.Normalize?.Choices?.some((choice) => choice.Next === 'StartAtFirstRun')).toBe(true);
    expect(asl.States.Due?.Choices?.[0]?.Next).toBe('Finish');

    expect(count(overhead)).toEqual({
      transitions: LOOP_COUNTS.transitionsPerExecution,
      invocations: LOOP_COUNTS.invocationsPerExecution,
    });
  });
});

describe('estimateCost', () => {
  it('prices a finished 7-day workflow: 33 transitions, 16 invocations, against a week of polling', () => {
    const usage = { runs: 7, failedRuns: 0, retries: 0, executions: 1, runDurationMsTotal: 700, since: START, now: SEVEN_DAYS_LATER };

    const cost = estimateCost(usage);

    expect(cost.stepFunctions.stateTransitions).toBe(33); // 4 × 7 + 5
    expect(cost.stepFunctions.lambdaInvocations).toBe(16); // 2 × 7 + 2
    expect(cost.stepFunctions.lambdaGbSeconds).toBe(0.2875); // 0.25 GB × (700 + 50 × 9) ms
    expect(cost.stepFunctions.usd).toEqual({
      stateTransitions: 0.000825,
      lambdaRequests: 0.0000032,
      lambdaCompute: 0.00000383,
      total: 0.00083203,
    });
    expect(cost.stepFunctions.perRun).toEqual({ stateTransitions: 4.71, lambdaInvocations: 2.29, lambdaGbSeconds: 0.041071, usd: 0.00011886 });
    expect(cost.polling).toEqual({
      days: 7,
      invocations: 10_080, // 7 × 1,440
      lambdaGbSeconds: 126, // 10,080 × 0.125 GB × 0.1 s
      usd: { lambdaRequests: 0.002016, lambdaCompute: 0.00168001, total: 0.00369601 },
      perRun: { usd: 0.000528 },
    });
    expect(cost.savings.usd).toBe(0.00286398);
    expect(cost.savings.percent).toBe(77.49);
  });

  it('counts a failed run twice more and a retried attempt once more, in transitions and invocations', () => {
    const base = { runs: 10, failedRuns: 0, retries: 0, executions: 1, runDurationMsTotal: 0, since: START, now: START };

    const clean = estimateCost(base);
    const troubled = estimateCost({ ...base, failedRuns: 2, retries: 3 });

    expect(troubled.stepFunctions.stateTransitions - clean.stepFunctions.stateTransitions).toBe(2 * 2 + 3);
    expect(troubled.stepFunctions.lambdaInvocations - clean.stepFunctions.lambdaInvocations).toBe(2 + 3);
  });

  it('uses the prices in pricing.ts and says when they were read', () => {
    const cost = estimateCost({ runs: 1, failedRuns: 0, retries: 0, executions: 0, runDurationMsTotal: 1000, since: START, now: START });

    expect(cost.prices).toEqual({
      stepFunctionsStandardUsdPerTransition: SFN_STANDARD_USD_PER_TRANSITION,
      lambdaUsdPerRequest: LAMBDA_USD_PER_REQUEST,
      lambdaArm64UsdPerGbSecond: LAMBDA_ARM64_USD_PER_GB_SECOND,
      note: PRICES_NOTE,
    });
    expect(SFN_STANDARD_USD_PER_TRANSITION).toBeCloseTo(0.000025, 12);
    expect(LAMBDA_USD_PER_REQUEST).toBeCloseTo(0.0000002, 12);
    expect(PRICES_NOTE).toMatch(/us-east-1, read 2026-11/);
  });

  it('has no per-run figures and no savings percentage before anything ran', () => {
    const cost = estimateCost({ runs: 0, failedRuns: 0, retries: 0, executions: 0, runDurationMsTotal: 0, since: null, now: START });

    expect(cost.stepFunctions.perRun).toEqual({ stateTransitions: null, lambdaInvocations: null, lambdaGbSeconds: null, usd: null });
    expect(cost.polling.invocations).toBe(0);
    expect(cost.savings.percent).toBeNull();
  });

  it('polls 1,440 times a day, rounding a part minute up', () => {
    const since = new Date(START.getTime() - 90_500); // 1 min 30.5 s before

    expect(estimateCost({ runs: 0, failedRuns: 0, retries: 0, executions: 0, runDurationMsTotal: 0, since, now: START }).polling.invocations).toBe(2);
  });
});

describe('summarizeJobs', () => {
  it('counts jobs by status, runs done, failed and retried, and finds the first creation', () => {
    const jobs = [
      figures({ progress: { completedRuns: 7, failedRuns: 0 }, metrics: { retries: 2, runDurationMsTotal: 700 } }),
      figures({ status: 'SCHEDULED', createdAt: '2024-12-01T00:00:00Z', progress: { completedRuns: 3, failedRuns: 1 }, executionArns: ['a', 'b'] }),
      figures({ status: 'SCHEDULED', executionArns: [] }),
      figures({ status: 'FAILED', executionArns: [], progress: { completedRuns: 0, failedRuns: 1 } }),
    ];

    const summary = summarizeJobs(jobs);

    expect(summary).toEqual({
      total: 4,
      byStatus: { COMPLETED: 1, SCHEDULED: 2, FAILED: 1 },
      completedRuns: 10,
      failedRuns: 2,
      retries: 2,
      // 1 + 2 recorded; a job that never ran and recorded none counts 0; one that ran counts at least 1.
      executions: 4,
      runDurationMsTotal: 700,
      firstCreatedAt: new Date('2024-12-01T00:00:00Z'),
    });
  });

  it('counts triggered and backfilled runs like live ones: their runs, retries, run time and executions, no job more', () => {
    const jobs = [figures({ progress: { completedRuns: 2, failedRuns: 0 }, metrics: { retries: 0, runDurationMsTotal: 200 } })];
    const requests = [
      { completedRuns: 3, failedRuns: 1, retries: 2, runDurationMsTotal: 400, executionArns: ['r1'] },
      // A request written before its runs kept totals: none counted, still its execution.
      { completedRuns: 1, failedRuns: 0, executionArns: [] },
    ];

    const summary = summarizeJobs(jobs, requests);

    expect(summary).toMatchObject({ total: 1, completedRuns: 6, failedRuns: 1, retries: 2, runDurationMsTotal: 600, executions: 1 + 1 + 1 });
  });
});

describe('buildStats', () => {
  it('puts counts, duration percentiles and the cost estimate in one body', () => {
    const jobs = [figures({ progress: { completedRuns: 6, failedRuns: 1 }, metrics: { retries: 1, runDurationMsTotal: 600 } })];
    const durations = [100, 120, 80, 90, 110, 100, 1000];

    const stats = buildStats({ jobs, durations, now: SEVEN_DAYS_LATER });

    expect(stats.jobs).toEqual({ total: 1, byStatus: { COMPLETED: 1 } });
    expect(stats.runs).toEqual({ total: 7, completed: 6, failed: 1, retried: 1 });
    expect(stats.durations).toEqual({ samples: 7, p50Ms: 100, p95Ms: 1000, meanMs: 228.6, maxMs: 1000 });
    expect(stats.cost.stepFunctions.stateTransitions).toBe(4 * 7 + 2 * 1 + 1 + 5);
    expect(stats.generatedAt).toBe('2024-12-11T10:00:00.000Z');
  });

  it('ignores durations that are not real measurements', () => {
    const stats = buildStats({ jobs: [], durations: [Number.NaN, -5, 40, Number.POSITIVE_INFINITY], now: START });

    expect(stats.durations).toMatchObject({ samples: 1, p50Ms: 40, p95Ms: 40 });
  });
});
