/**
 * Figure 1, cost per run on AWS. The real ASL runs on the local engine (waits skipped) with the real
 * handlers; state transitions and Lambda invocations are counted from each execution's history the way
 * Step Functions bills them, priced with src/lib/pricing.ts, and set beside:
 * - the formula of src/lib/stats.ts (GET /stats) for the same runs — do they agree?
 * - seed 000's published figure: ~10 invocations, ~$0.002 per 7-day task;
 * - the one-minute polling design of seed 001: 1,440 executor invocations a day whatever the load
 *   (~100 ms at 128 MB each, DEFAULT_COST_ASSUMPTIONS.polling), per run at the same load.
 *
 * Counting: every `*StateEntered` event is one transition; a retry re-enters its state without a new
 * StateEntered event (the local history shows it as another LambdaFunctionScheduled), so retries are the
 * Scheduled events of a Task beyond its entries. Lambda invocations are the LambdaFunctionScheduled events
 * of the states bound to a Lambda (`${fn}` tokens), retries included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LAMBDA_ARM64_USD_PER_GB_SECOND, LAMBDA_USD_PER_REQUEST, PRICES_NOTE, SFN_STANDARD_USD_PER_TRANSITION } from '../src/lib/pricing';
import { DEFAULT_COST_ASSUMPTIONS, estimateCost, summarizeJobs } from '../src/lib/stats';
import { taskFunctions } from '../src/statemachines';
import type { HistoryEvent } from '../src/local/executions';
import type { Runtime } from '../src/local/runtime';
import { apiClient, row, round, sevenDayWorkflow, withTimeout, type FigureResult, type Row } from './common';

const DAY_MS = 86_400_000;
const PER_MILLION = 1_000_000;

export interface HistoryCounts {
  stateEntered: number;
  retries: number;
  transitions: number;
  lambdaInvocations: number;
  events: number;
  byState: Record<string, number>;
}

/** Transitions and invocations of one execution's history, as Step Functions bills them. */
export function countHistory(history: readonly HistoryEvent[]): HistoryCounts {
  const lambdaStates = new Set(Object.keys(taskFunctions()));
  const entered = new Map<string, number>();
  const scheduled = new Map<string, number>();
  let stateEntered = 0;
  let lambdaInvocations = 0;
  for (const event of history) {
    const state = event.stateName ?? '';
    if (event.type.endsWith('StateEntered')) {
      stateEntered += 1;
      entered.set(state, (entered.get(state) ?? 0) + 1);
    }
    if (event.type === 'LambdaFunctionScheduled') {
      scheduled.set(state, (scheduled.get(state) ?? 0) + 1);
      if (lambdaStates.has(state)) lambdaInvocations += 1;
    }
  }
  let retries = 0;
  for (const [state, count] of scheduled) retries += Math.max(0, count - (entered.get(state) ?? 0));
  return {
    stateEntered,
    retries,
    transitions: stateEntered + retries,
    lambdaInvocations,
    events: history.length,
    byState: Object.fromEntries(entered),
  };
}

const { polling, memoryMb, shortInvocationMs } = DEFAULT_COST_ASSUMPTIONS;
/** One polling executor invocation: a request and ~100 ms at 128 MB. */
const POLL_INVOCATION_USD = LAMBDA_USD_PER_REQUEST + (polling.memoryMb / 1024) * (polling.durationMs / 1000) * LAMBDA_ARM64_USD_PER_GB_SECOND;
/** Polling's cost per run when the whole deployment runs `runsPerDay` runs a day. */
const pollingUsdPerRun = (runsPerDay: number) => (polling.invocationsPerDay / runsPerDay) * POLL_INVOCATION_USD;

interface Scenario {
  key: string;
  label: string;
  job: Record<string, unknown>;
  /** Runs a day this job alone makes, for polling's per-run cost at the same load (at least one). */
  runsPerDay: number;
}

interface Measured {
  key: string;
  label: string;
  jobId: string;
  status: string;
  executions: number;
  runs: number;
  failedRuns: number;
  retriesRecorded: number;
  history: HistoryCounts;
  formula: { transitions: number; invocations: number; usd: number };
  usd: { transitions: number; requests: number; compute: number; total: number };
  usdPerRun: number;
  usdPerMillionRuns: number;
  pollingUsdPerMillionRuns: number;
}

/** A loopback webhook that answers 503 to the first call and 200 after: one ASL retry of RunStep. */
async function flakyWebhook(): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls += 1;
    req.resume();
    res.writeHead(calls === 1 ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function measure(runtime: Runtime, scenario: Scenario): Promise<Measured> {
  const api = apiClient(runtime.url);
  await api.post('/jobs', scenario.job);
  await withTimeout(`cost: ${scenario.label}`, 120_000, runtime.executions.idle());
  const jobId = scenario.job.id as string;
  const record = await runtime.store.getJob(jobId);
  if (!record) throw new Error(`cost: job ${jobId} not stored`);
  // Every execution of the job (a ContinueAsNew hand-over names the next one <jobId>--<n>).
  const executions = runtime.executions.list().filter((e) => e.name === jobId || e.name.startsWith(`${jobId}--`));
  const total: HistoryCounts = { stateEntered: 0, retries: 0, transitions: 0, lambdaInvocations: 0, events: 0, byState: {} };
  for (const execution of executions) {
    const counts = countHistory(runtime.executions.history(execution.executionArn));
    total.stateEntered += counts.stateEntered;
    total.retries += counts.retries;
    total.transitions += counts.transitions;
    total.lambdaInvocations += counts.lambdaInvocations;
    total.events += counts.events;
    for (const [state, n] of Object.entries(counts.byState)) total.byState[state] = (total.byState[state] ?? 0) + n;
  }
  const summary = summarizeJobs([record]);
  const runs = summary.completedRuns + summary.failedRuns;
  const estimate = estimateCost({
    runs,
    failedRuns: summary.failedRuns,
    retries: summary.retries,
    executions: summary.executions,
    runDurationMsTotal: summary.runDurationMsTotal,
    since: null,
    now: new Date(),
  });
  // The measured counts priced like the formula prices its own: RunStep at its recorded durations, every
  // other invocation at shortInvocationMs, at the deployed memory size on arm64.
  const billedMs = summary.runDurationMsTotal + shortInvocationMs * (total.lambdaInvocations - runs);
  const usd = {
    transitions: total.transitions * SFN_STANDARD_USD_PER_TRANSITION,
    requests: total.lambdaInvocations * LAMBDA_USD_PER_REQUEST,
    compute: (memoryMb / 1024) * (billedMs / 1000) * LAMBDA_ARM64_USD_PER_GB_SECOND,
    total: 0,
  };
  usd.total = usd.transitions + usd.requests + usd.compute;
  return {
    key: scenario.key,
    label: scenario.label,
    jobId,
    status: record.status,
    executions: executions.length,
    runs,
    failedRuns: summary.failedRuns,
    retriesRecorded: summary.retries,
    history: total,
    formula: {
      transitions: estimate.stepFunctions.stateTransitions,
      invocations: estimate.stepFunctions.lambdaInvocations,
      usd: estimate.stepFunctions.usd.total,
    },
    usd,
    usdPerRun: usd.total / runs,
    usdPerMillionRuns: (usd.total / runs) * PER_MILLION,
    pollingUsdPerMillionRuns: pollingUsdPerRun(Math.max(1, scenario.runsPerDay)) * PER_MILLION,
  };
}

export async function run(): Promise<FigureResult> {
  const { startRuntime } = await import('../src/local/runtime');
  // The webhook guard's one exception: the loopback server of the retry scenario.
  const runtime = await startRuntime({ speed: 0, memory: true, port: 0, allowHosts: ['127.0.0.1'] });
  const webhook = await flakyWebhook();
  const stamp = Date.now();
  const start = new Date(Math.ceil(Date.now() / 1000) * 1000 + DAY_MS);
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const scenarios: Scenario[] = [
    { key: 'sevenDay', label: '7-day workflow', job: sevenDayWorkflow(`cost-7day-${stamp}`), runsPerDay: 1 },
    {
      key: 'fiveMinute',
      label: '5-minute job, one day',
      // 288 runs: every 5 minutes from 00:00 to 23:55.
      job: {
        id: `cost-5min-${stamp}`,
        startDateTime: iso(start.getTime()),
        endDateTime: iso(start.getTime() + DAY_MS - 5 * 60_000),
        frequency: { minutes: 5 },
        action: { type: 'message', text: 'every five minutes' },
      },
      runsPerDay: 288,
    },
    {
      key: 'oneOff',
      label: 'one-off job',
      job: { id: `cost-oneoff-${stamp}`, startDateTime: iso(start.getTime()), action: { type: 'message', text: 'once' } },
      runsPerDay: 1,
    },
    {
      key: 'oneOffRetried',
      label: 'one-off webhook, 503 then 200',
      job: { id: `cost-retry-${stamp}`, startDateTime: iso(start.getTime()), action: { type: 'webhook', url: webhook.url } },
      runsPerDay: 1,
    },
  ];
  const measured: Measured[] = [];
  try {
    for (const scenario of scenarios) {
      const m = await measure(runtime, scenario);
      // What the loopback webhook run turned into: one ASL retry as planned, or a failed run should the
      // call fail for another reason; either way its counts are checked against the formula.
      if (m.key === 'oneOffRetried') {
        m.label = m.retriesRecorded > 0 ? `one-off webhook, ${m.retriesRecorded} retry` : m.failedRuns > 0 ? 'one-off webhook, failed run' : 'one-off webhook';
      }
      measured.push(m);
    }
  } finally {
    await runtime.close();
    await webhook.close();
  }

  const rows: Row[] = [];
  const by = Object.fromEntries(measured.map((m) => [m.key, m])) as Record<string, Measured>;
  const agree = (m: Measured) => m.history.transitions === m.formula.transitions && m.history.lambdaInvocations === m.formula.invocations;
  const pollingOneADay = pollingUsdPerRun(1) * PER_MILLION;
  for (const m of measured) {
    const formulaNote = `${m.runs} run(s), ${m.failedRuns} failed, ${m.retriesRecorded} retried, ${m.executions} execution(s); ${m.history.events} history events`;
    rows.push(
      row({
        figure: `cost: ${m.label}: state transitions`,
        measured: m.history.transitions,
        unit: '',
        reference: { value: m.formula.transitions, unit: '', what: 'stats.ts formula' },
        target: '= formula',
        met: m.history.transitions === m.formula.transitions,
        note: formulaNote,
      }),
    );
    rows.push(
      row({
        figure: `cost: ${m.label}: Lambda invocations`,
        measured: m.history.lambdaInvocations,
        unit: '',
        reference:
          m.key === 'sevenDay'
            ? { value: 10, unit: '', what: 'seed 000, "~10"' }
            : { value: m.formula.invocations, unit: '', what: 'stats.ts formula' },
        target: `= formula (${m.formula.invocations})`,
        met: m.history.lambdaInvocations === m.formula.invocations,
      }),
    );
    if (m.key === 'sevenDay') {
      rows.push(
        row({
          figure: 'cost: 7-day workflow: USD per task',
          measured: m.usd.total,
          unit: '$',
          reference: { value: 0.002, unit: '$', what: 'seed 000, "~$0.002"' },
          target: '< $0.002 (seed 000)',
          met: m.usd.total < 0.002,
        }),
      );
    }
    if (m.key === 'oneOffRetried') continue;
    rows.push(
      row({
        figure: `cost: ${m.label}: USD per 1M runs`,
        measured: round(m.usdPerMillionRuns, 2),
        unit: '$',
        reference: {
          value: round(m.pollingUsdPerMillionRuns, 2),
          unit: '$',
          what: m.key === 'fiveMinute' ? 'polling, same load (288 runs/day)' : 'polling, 1 run/day',
        },
        target: `< polling at 1 run/day ($${round(pollingOneADay, 0)})`,
        met: m.usdPerMillionRuns < pollingOneADay,
        ...(m.key === 'fiveMinute'
          ? { note: 'polling costs the same per day whatever the load; at 288 runs a day it is the cheaper design' }
          : {}),
      }),
    );
  }
  // Where the two designs cost the same: polling's fixed daily cost ÷ this design's cost per run.
  const sevenDayPerRun = by.sevenDay?.usdPerRun ?? Number.NaN;
  const breakEvenRunsPerDay = (polling.invocationsPerDay * POLL_INVOCATION_USD) / sevenDayPerRun;
  return {
    name: 'cost',
    rows,
    details: {
      scenarios: measured,
      allAgreeWithFormula: measured.every(agree),
      pollingUsdPerInvocation: POLL_INVOCATION_USD,
      pollingUsdPerDay: polling.invocationsPerDay * POLL_INVOCATION_USD,
      pollingUsdPerMillionRunsAtOneRunADay: pollingOneADay,
      breakEvenRunsPerDayVs7DayWorkflow: round(breakEvenRunsPerDay, 1),
      webhookCalls: webhook.calls(),
      prices: {
        sfnPerTransition: SFN_STANDARD_USD_PER_TRANSITION,
        lambdaPerRequest: LAMBDA_USD_PER_REQUEST,
        lambdaArm64PerGbSecond: LAMBDA_ARM64_USD_PER_GB_SECOND,
        note: PRICES_NOTE,
      },
      assumptions: DEFAULT_COST_ASSUMPTIONS,
    },
  };
}
