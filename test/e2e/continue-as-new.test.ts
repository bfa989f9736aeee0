/**
 * ContinueAsNew on the real ASL: an hourly job over three years (26,280 runs) with waits skipped runs past
 * both of Step Functions' limits on one execution (25,000 history events, one year) by handing itself to
 * fresh executions of the same state machine.
 */
import { RUNS_PER_EXECUTION } from '../../src/lib/continue-as-new';
import type { RunRecord } from '../../src/lib/store';
import { startRuntime, type Runtime } from '../../src/local/runtime';

const HISTORY_EVENT_LIMIT = 25_000;
const YEAR_MS = 365 * 86_400_000;
const RUNS = 26_280;

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({ port: 0, memory: true, speed: 0 });
});

afterAll(async () => {
  await runtime.close();
});

it('runs an hourly job over three years through fresh executions, no run missed or doubled', async () => {
  const start = Date.parse('2027-01-01T00:00:00Z');
  const job = {
    id: 'hourly-three-years',
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(start + (RUNS - 1) * 3_600_000).toISOString(),
    frequency: { hours: 1 },
    action: { type: 'message', text: 'tick' },
  };

  const response = await fetch(`${runtime.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
  expect(response.status).toBe(201);
  await runtime.executions.idle();

  const record = await runtime.store.getJob(job.id);
  const runs: RunRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await runtime.runs.list(job.id, 'live', { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    runs.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  const executions = runtime.executions.list().filter((e) => e.name === job.id || e.name.startsWith(`${job.id}--`));
  const histories = executions.map((e) => runtime.executions.history(e.executionArn));

  expect(record?.status).toBe('COMPLETED');
  expect(record?.progress).toMatchObject({ completedRuns: RUNS, failedRuns: 0, totalRuns: RUNS });
  expect(runs).toHaveLength(RUNS);
  expect(runs.every((run, i) => run.iteration === i && run.state === 'SUCCEEDED' && run.attempts === 1)).toBe(true);
  expect(executions).toHaveLength(Math.ceil(RUNS / RUNS_PER_EXECUTION));
  expect(executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  expect(record?.executionArns).toHaveLength(executions.length);
  const view = (await (await fetch(`${runtime.url}/jobs/${job.id}`)).json()) as { generation: number; executions: string[] };
  expect(view.generation).toBe(executions.length - 1);
  expect(view.executions).toHaveLength(executions.length);
  expect(new Set(record?.executionArns)).toEqual(new Set(executions.map((e) => e.executionArn)));
  for (const [i, execution] of executions.entries()) {
    const history = histories[i]!;
    expect(history.length).toBeLessThan(HISTORY_EVENT_LIMIT / 2);
    expect(execution.stopDate!.getTime() - execution.startDate.getTime()).toBeLessThan(YEAR_MS);
  }
  // Every generation but the last handed over through the service integration, named <jobId>--<n>.
  const handedOver = histories.filter((h) => h.some((e) => e.type === 'TaskStateEntered' && e.stateName === 'ContinueAsNew'));
  expect(handedOver).toHaveLength(executions.length - 1);
  expect(executions.map((e) => e.name).sort()).toEqual([job.id, ...Array.from({ length: executions.length - 1 }, (_, g) => `${job.id}--${g + 1}`)].sort());
}, 600_000);
