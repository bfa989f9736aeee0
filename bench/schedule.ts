/**
 * Issue 15's cost figures: what one calculator call costs at run 10, 10,000 and 100,000 with the cursor the
 * loop passes (`iteration`, `lastRunAt` = the previous run's planned time, `totalRuns`), for a 5-minute
 * cron and for seed 002's frequency (every 5 minutes from 2021-02-22T03:05Z to 2030); and the worst submit
 * (parse and validation, totalRuns, the first nextRun) over expressions that used to take seconds —
 * `cron(0 0 ? * 2#5 *)` to 9999-12-31 took 46 s, `cron(0 0 29 2 ? *)` 9 s — each in a zone not used before
 * in this process, so building that zone's offset tables is inside the figure.
 *
 *   npx ts-node --transpile-only bench/schedule.ts     # alone, printing the table
 *   npm run bench -- --only schedule
 */
import { performance } from 'node:perf_hooks';
import { createCalculatorHandler } from '../src/functions/calculator/handler';
import { parseJob, type JobInput } from '../src/lib/job';
import { nextRun, runTimeMs, toWaitTimestamp, totalRuns } from '../src/lib/schedule';
import { median, row, round, type FigureResult, type Row } from './common';

const TARGET_CALL_MS = 50;
const TARGET_SUBMIT_MS = 500;
const RUNS = [10, 10_000, 100_000] as const;
const REPEATS = 15;

const SEED002 = { id: 'task', startDateTime: '2021-02-22T03:05:00.000Z', endDateTime: '2030-01-01T00:00:00.000Z', context: { name: 'Curtis' } };
const SUBJECTS: Record<string, JobInput> = {
  'cron(0/5 * * * ? *) in Europe/Berlin': { ...SEED002, scheduleExpression: 'cron(0/5 * * * ? *)', timeZone: 'Europe/Berlin' },
  "seed 002's frequency { minutes: 5 }": { ...SEED002, frequency: { minutes: 5 } },
};

/** Each expression in a zone of its own, so the zone's tables are built inside the measured submit. */
const SUBMITS: Array<[string, string, string]> = [
  ['cron(0 0 ? * 2#5 *)', 'America/Chicago', '9999-12-31T00:00:00Z'],
  ['cron(0 0 29 2 ? *)', 'Asia/Tehran', '9999-12-31T00:00:00Z'],
  ['cron(* * * * ? *)', 'Australia/Lord_Howe', '2199-12-31T23:59:00Z'],
  ['cron(0/5 * * * ? *)', 'America/Santiago', '2199-12-31T00:00:00Z'],
  ['cron(0 0 LW * ? *)', 'Africa/Casablanca', '2199-12-31T00:00:00Z'],
  ['cron(0 0 ? * 5L *)', 'Pacific/Apia', '2199-12-31T00:00:00Z'],
  ['cron(0 12 1W 1 ? 2199)', 'Europe/Dublin', '2199-12-31T00:00:00Z'],
  ['cron(30 2 * * ? 2027/2)', 'America/Havana', '2199-12-31T00:00:00Z'],
  ['rate(1 minute)', 'Europe/Berlin', '9999-12-31T00:00:00Z'],
  ['rate(7 days)', 'Asia/Kolkata', '9999-12-31T00:00:00Z'],
];

async function callCost(input: JobInput, n: number): Promise<{ first: number; median: number; runAt: string | null }> {
  const job = parseJob(input);
  const total = totalRuns(job);
  const planned = runTimeMs(job, n);
  const cursor = { iteration: n, lastRunAt: toWaitTimestamp(runTimeMs(job, n - 1)), totalRuns: total };
  const event = { job: input, cursor, executionStartedAt: new Date(planned - 60_000).toISOString() };
  // The clock reads the planned time: no run is late, as in a loop that keeps up.
  const calculator = createCalculatorHandler(() => new Date(planned));
  const times: number[] = [];
  let runAt: string | null = null;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    runAt = (await calculator(event)).runAt;
    times.push(performance.now() - started);
  }
  return { first: times[0]!, median: median(times), runAt };
}

function submitCost(expression: string, timeZone: string, end: string): number {
  const started = performance.now();
  const job = parseJob({ id: 'submit', startDateTime: '2026-11-30T00:00:00Z', endDateTime: end, scheduleExpression: expression, timeZone, action: { type: 'message', text: 'x' } });
  totalRuns(job);
  nextRun(job, { iteration: 0 });
  return performance.now() - started;
}

export async function run(): Promise<FigureResult> {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(SUBJECTS)) {
    for (const n of RUNS) {
      const cost = await callCost(input, n);
      details[`${name} run ${n}`] = cost;
      rows.push(
        row({
          figure: `calculator call, ${name}, run ${n.toLocaleString('en-US')}`,
          measured: round(cost.median, 3),
          unit: 'ms',
          reference: null,
          target: `< ${TARGET_CALL_MS} ms at any run`,
          met: cost.median < TARGET_CALL_MS,
          note: `median of ${REPEATS}, first ${round(cost.first, 2)} ms; runAt ${cost.runAt}`,
        }),
      );
    }
  }
  const submits = SUBMITS.map(([expression, timeZone, end]) => ({ expression, timeZone, end, ms: submitCost(expression, timeZone, end) }));
  details.submits = submits;
  const worst = submits.reduce((a, b) => (b.ms > a.ms ? b : a));
  rows.push(
    row({
      figure: `worst submit (parse, totalRuns, first nextRun) of ${submits.length} expressions`,
      measured: round(worst.ms, 1),
      unit: 'ms',
      reference: { value: 46_000, unit: 'ms', what: 'cron(0 0 ? * 2#5 *) to 9999-12-31 before (issue 15)' },
      target: `< ${TARGET_SUBMIT_MS} ms`,
      met: worst.ms < TARGET_SUBMIT_MS,
      note: `${worst.expression} in ${worst.timeZone}, zone tables built inside`,
    }),
  );
  return { name: 'schedule', rows, details };
}

if (require.main === module) {
  void run().then((result) => {
    for (const r of result.rows) console.log(`${r.figure}: ${r.measured} ${r.unit} (target ${r.target}: ${r.met ? 'met' : 'NOT met'}) ${r.note ?? ''}`);
    console.log(JSON.stringify(result.details.submits));
  });
}
