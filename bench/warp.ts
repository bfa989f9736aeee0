/**
 * Figure 2, time-warp throughput: how long the 7-day workflow takes with waits skipped
 * (`startRuntime({ speed: 0, memory: true, port: 0 })`, POST the job, `runtime.executions.idle()`), one
 * job alone (median of several) and many at once.
 *
 * Two floors, measured in the same run: the bare aws-local-stepfunctions loop on the same ASL
 * (`localDefinition()`, Calculate bound to the real, pure calculator, every other Task to a function that
 * returns the next cursor without I/O), and for the many-jobs run the DynamoDB calls those workflows made
 * (counted on the document client while they ran) issued again directly: the same number of each kind
 * (PutItem, conditional UpdateItem, GetItem, Query) per workflow, in sequence per workflow, every workflow at
 * once, through a client built the same way on the same dynalite. The ratio to that floor is what the
 * scheduler costs on top of the storage work it cannot avoid (the issue's target: ≤ 2×).
 *
 * BENCH_WARP_JOBS overrides how many jobs run at once (default 1,000).
 */
import { performance } from 'node:perf_hooks';
import { handler as calculator } from '../src/functions/calculator/handler';
import { bindTaskStates, localDefinition, StateMachine, type LocalHandler } from '../src/local/engine';
import { loadDefinition } from '../src/statemachines';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../src/adapters/dynamodb';
import { apiClient, callCounter, mapLimit, median, round, row, sevenDayWorkflow, timed, withTimeout, type FigureResult } from './common';

const SINGLE_REPEATS = 5;
const BARE_SINGLE_REPEATS = 20;
/** The issue's figure: 1,000 workflows at once (a data set is read once per process, so this is minutes at most). */
const MANY = Number(process.env.BENCH_WARP_JOBS ?? 1_000);
/** The many-jobs run is cut off (and reported as such) past this. */
const MANY_BOUND_MS = 6 * 60_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The bare engine: the same ASL, the real calculator, every other Task an I/O-free next cursor. */
function bareMachine() {
  const asl = loadDefinition();
  const next: LocalHandler = async (input) => {
    const { schedule, cursor } = input as Json;
    return { iteration: schedule.iteration + 1, generation: cursor?.generation ?? 0, firstIteration: cursor?.firstIteration ?? 0 };
  };
  const handlers = bindTaskStates(asl, {
    calculator: calculator as LocalHandler,
    task: async (input) => ((input as Json).op === 'finish' ? {} : next(input)),
  });
  handlers.ContinueAsNew = async () => ({});
  const machine = new StateMachine(localDefinition() as never);
  return (job: Json) =>
    machine.run({ job } as never, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: { WaitUntil: 0 } },
      context: { Execution: { Id: `bare-${job.id}`, Name: job.id, StartTime: new Date().toISOString() } },
    }).result;
}

type Calls = Record<string, number>;

/**
 * The storage floor: `calls` (by command, for `workflows` workflows) issued again directly, each workflow's
 * share in sequence (its job item put first), all workflows at once, on items of the same shape and size
 * (the job item carries the job definition; a run item its state, times and result). Returns wall ms.
 */
async function storageFloor(runtime: { tableName: string; dynamoEndpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; dynamoTransport: Parameters<typeof createDocumentClient>[1] }, calls: Calls, workflows: number, stamp: number): Promise<number> {
  const client = createDocumentClient({ tableName: runtime.tableName, endpoint: runtime.dynamoEndpoint, credentials: runtime.credentials }, runtime.dynamoTransport);
  const TableName = runtime.tableName;
  const share = (name: string, i: number) => {
    const total = calls[name] ?? 0;
    return Math.floor(total / workflows) + (i < total % workflows ? 1 : 0);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workflows }, async (_, i) => {
      const pk = `JOB#floor-${stamp}-${i}`;
      const job = sevenDayWorkflow(`floor-${stamp}-${i}`);
      for (let n = 0; n < share('PutCommand', i); n++) {
        await client.send(new PutCommand({ TableName, Item: { pk, sk: n === 0 ? 'JOB' : `PUT#${n}`, job, status: 'SCHEDULED', cursor: -1, executionArns: [], progress: { completedRuns: 0, failedRuns: 0, skippedRuns: 0 } }, ConditionExpression: 'attribute_not_exists(pk)' }));
      }
      const updates = share('UpdateCommand', i);
      for (let n = 0; n < updates; n++) {
        // Half on the job item (a counter moved under a cursor condition), half on a run item (begun or settled under a state condition).
        if (n % 2 === 0) {
          await client.send(new UpdateCommand({ TableName, Key: { pk, sk: 'JOB' }, UpdateExpression: 'SET #cursor = :n, #updatedAt = :now ADD #progress.#completed :one', ConditionExpression: 'attribute_exists(pk) AND #cursor < :n AND NOT #status IN (:c, :f)', ExpressionAttributeNames: { '#cursor': 'cursor', '#updatedAt': 'updatedAt', '#progress': 'progress', '#completed': 'completedRuns', '#status': 'status' }, ExpressionAttributeValues: { ':n': n, ':now': new Date().toISOString(), ':one': 1, ':c': 'COMPLETED', ':f': 'FAILED' }, ReturnValues: 'ALL_NEW' }));
        } else {
          await client.send(new UpdateCommand({ TableName, Key: { pk, sk: `RUN#${String(n >> 2).padStart(10, '0')}` }, UpdateExpression: 'SET #state = :s, #startedAt = :now, #phase = :p, #result = :r ADD #attempts :one', ConditionExpression: 'attribute_not_exists(pk) OR #state <> :done', ExpressionAttributeNames: { '#state': 'state', '#startedAt': 'startedAt', '#phase': 'phase', '#result': 'result', '#attempts': 'attempts' }, ExpressionAttributeValues: { ':s': n % 4 === 1 ? 'STARTED' : 'SUCCEEDED', ':done': 'SKIPPED', ':now': new Date().toISOString(), ':p': 'processing', ':r': { records: 1000, valid: 995, invalid: 5 }, ':one': 1 } }));
        }
      }
      for (let n = 0; n < share('GetCommand', i); n++) await client.send(new GetCommand({ TableName, Key: { pk, sk: 'JOB' }, ConsistentRead: true }));
      for (let n = 0; n < share('QueryCommand', i); n++) {
        await client.send(new QueryCommand({ TableName, KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :run)', ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' }, ExpressionAttributeValues: { ':pk': pk, ':run': 'RUN#' }, ConsistentRead: true }));
      }
    }),
  );
  const ms = performance.now() - started;
  client.destroy();
  return ms;
}

export async function run(): Promise<FigureResult> {
  const counter = callCounter();
  // The bare loop first, before the runtime has set its process clock.
  const bare = bareMachine();
  await bare(sevenDayWorkflow('bare-warmup'));
  const bareSingles: number[] = [];
  for (let i = 0; i < BARE_SINGLE_REPEATS; i++) bareSingles.push((await timed(() => bare(sevenDayWorkflow(`bare-${i}`)))).ms);
  const bareMany = await timed(() => Promise.all(Array.from({ length: MANY }, (_, i) => bare(sevenDayWorkflow(`bare-many-${i}`)))));

  const { startRuntime } = await import('../src/local/runtime');
  const runtime = await startRuntime({ speed: 0, memory: true, port: 0 });
  const api = apiClient(runtime.url);
  const stamp = Date.now();
  const singles: number[] = [];
  let many: { ms: number; submitMs: number; completed: number; jobs: number; cutOff: boolean; calls: Calls; floorMs: number } | undefined;
  try {
    for (let i = 0; i < SINGLE_REPEATS; i++) {
      const { ms } = await timed(async () => {
        await api.post('/jobs', sevenDayWorkflow(`warp-${stamp}-${i}`));
        await withTimeout('warp: one 7-day job', 60_000, runtime.executions.idle());
      });
      singles.push(ms);
    }
    counter.start();
    const started = performance.now();
    // "At once": submitted together, 50 POSTs in flight at a time, without waiting for any job to finish.
    const ids = Array.from({ length: MANY }, (_, i) => `warp-many-${stamp}-${i}`);
    await mapLimit(ids, 50, (id) => api.post('/jobs', sevenDayWorkflow(id)));
    const submitMs = performance.now() - started;
    let cutOff = false;
    try {
      await withTimeout('warp: many 7-day jobs', MANY_BOUND_MS, runtime.executions.idle());
    } catch {
      cutOff = true;
    }
    const ms = performance.now() - started;
    const calls = counter.stop();
    const records = await mapLimit(ids, 20, (id) => runtime.store.getJob(id));
    const completed = records.filter((r) => r?.status === 'COMPLETED').length;
    const floorMs = await storageFloor(runtime, calls, MANY, stamp);
    many = { ms, submitMs, completed, jobs: MANY, cutOff, calls, floorMs };
  } finally {
    await runtime.close();
  }

  const single = median(singles);
  const bareSingle = median(bareSingles);
  const runsPerSecond = (many.completed * 7) / (many.ms / 1000);
  return {
    name: 'warp',
    rows: [
      row({
        figure: 'warp: one 7-day workflow, waits skipped',
        measured: round(single, 0),
        unit: 'ms',
        reference: { value: round(bareSingle, 1), unit: 'ms', what: 'bare engine loop' },
        target: '< 5 s (a demo, not a coffee break)',
        met: single < 5_000,
        note: `median of ${SINGLE_REPEATS} (POST → idle); bare engine median of ${BARE_SINGLE_REPEATS}`,
      }),
      row({
        figure: `warp: ${MANY.toLocaleString('en-US')} 7-day workflows at once`,
        measured: round(many.ms / 1000, 1),
        unit: 's',
        reference: { value: round(many.floorMs / 1000, 1), unit: 's', what: `its ${counter.total(many.calls).toLocaleString('en-US')} DynamoDB calls issued directly, same dynalite` },
        target: '≤ 2× its DynamoDB calls',
        met: !many.cutOff && many.completed === MANY && many.ms <= 2 * many.floorMs,
        note: `${many.completed}/${MANY} completed, ${round(runsPerSecond, 0)} runs/s; ${round(counter.total(many.calls) / MANY, 1)} calls per workflow (${Object.entries(many.calls).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ')}); submitting took ${round(many.submitMs / 1000, 1)} s; bare engine loop ${round(bareMany.ms / 1000, 2)} s${many.cutOff ? `; cut off at ${MANY_BOUND_MS / 1000} s` : ''}`,
      }),
    ],
    details: {
      singleMs: singles.map((v) => round(v, 1)),
      bareSingleMs: bareSingles.map((v) => round(v, 2)),
      bareManyMs: round(bareMany.ms, 1),
      many: { ...many, ms: round(many.ms, 0), submitMs: round(many.submitMs, 0), floorMs: round(many.floorMs, 0), runsPerSecond: round(runsPerSecond, 1) },
    },
  };
}
