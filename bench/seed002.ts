/**
 * Seed 002's own example — every 5 minutes from 2021-02-22T03:05Z (to 2030 in the seed; here the first
 * SEED002_YEARS years, default 2, since the whole 931,644-run job takes the same path nine times longer) —
 * through the real ASL on the local engine with the real calculator, waits skipped and a task that only
 * hands back the next cursor. It shows what ContinueAsNew makes possible: how many executions the job
 * takes, that none nears 25,000 history events, and that every run happens exactly once.
 */
import { performance } from 'node:perf_hooks';
import { createCalculatorHandler } from '../src/functions/calculator/handler';
import type { Schedule } from '../src/lib/job';
import { LOCAL_STATE_MACHINE_ARN } from '../src/local/engine';
import { LocalExecutions } from '../src/local/executions';
import { WarpClock } from '../src/local/warp-clock';
import { row, type FigureResult } from './common';

const HISTORY_LIMIT = 25_000;

export async function run(): Promise<FigureResult> {
  const years = Number(process.env.SEED002_YEARS ?? '2');
  const start = Date.parse('2021-02-22T03:05:00.000Z');
  const end = new Date(Date.UTC(2021 + years, 1, 22, 3, 0, 0)).toISOString();
  const job = { id: 'task', startDateTime: '2021-02-22T03:05:00.000Z', endDateTime: end, frequency: { minutes: 5 }, context: { name: 'Curtis' } };
  const expected = Math.floor((Date.parse(end) - start) / 300_000) + 1;

  const seen = new Uint8Array(expected);
  let doubled = 0;
  const task = async (input: unknown) => {
    const { op, schedule, cursor } = input as { op: string; schedule: Schedule; cursor: Record<string, unknown> };
    if (op !== 'run') return { done: true };
    if (seen[schedule.iteration]) doubled++;
    seen[schedule.iteration] = 1;
    return { ...cursor, iteration: schedule.iteration + 1, lastRunAt: schedule.runAt, totalRuns: schedule.totalRuns };
  };
  const clock = new WarpClock(0, start - 60_000);
  const executions = new LocalExecutions({
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    functions: { calculator: createCalculatorHandler(() => undefined), task },
    clock,
  });

  const began = performance.now();
  executions.start('task', job);
  await executions.idle();
  const seconds = (performance.now() - began) / 1000;

  const all = executions.list();
  const events = all.map((e) => executions.history(e.executionArn).length);
  const missed = seen.reduce((count, value) => count + (value ? 0 : 1), 0);
  const maxEvents = Math.max(...events);
  const maxSpanDays = Math.max(...all.map((e) => ((e.stopDate ?? e.startDate).getTime() - e.startDate.getTime()) / 86_400_000));
  const failed = all.filter((e) => e.status !== 'SUCCEEDED').length;

  return {
    name: 'seed002',
    rows: [
      row({ figure: `seed 002 example, ${years} years: runs done once`, measured: expected - missed - doubled, unit: 'runs', reference: { value: expected, unit: 'runs', what: 'runs in the range' }, target: 'all, none missed or doubled', met: missed === 0 && doubled === 0 && failed === 0 }),
      row({ figure: `seed 002 example, ${years} years: executions (ContinueAsNew)`, measured: all.length, unit: 'executions', reference: null, target: '>= runs / 500', met: all.length >= Math.ceil(expected / 500) }),
      row({ figure: `seed 002 example, ${years} years: most history events in one execution`, measured: maxEvents, unit: 'events', reference: { value: HISTORY_LIMIT, unit: 'events', what: 'Step Functions limit' }, target: '< 25,000', met: maxEvents < HISTORY_LIMIT }),
      row({ figure: `seed 002 example, ${years} years: longest execution`, measured: Math.round(maxSpanDays * 10) / 10, unit: 'days', reference: { value: 365, unit: 'days', what: 'Step Functions limit' }, target: '< 365 days', met: maxSpanDays < 365 }),
      row({ figure: `seed 002 example, ${years} years: wall time, waits skipped`, measured: Math.round(seconds * 10) / 10, unit: 's', reference: null, target: 'informational', met: null }),
    ],
    details: { years, expected, missed, doubled, failed, executions: all.length, maxEvents, maxSpanDays, seconds },
  };
}
