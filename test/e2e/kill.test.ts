/**
 * kill -9 loses nothing under DEFAULT job settings (issue 16, finding 7; issue 15's invariant).
 *
 * `npm start`'s program runs as a child process on a data folder of its own; it is killed with SIGKILL at
 * seeded random moments and started again on the same folder. Jobs carry no catchUp, overlap or onFailure
 * setting. At the end every job must be final and its stored partition must hold the ledger's invariant
 * (test/support/invariant.ts: each iteration exactly one outcome, no run STARTED, counters equal items,
 * completed + failed + skipped = totalRuns), and the webhook receiver must have seen each run's
 * Idempotency-Key more than once only when a kill came between the deliveries.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { childConfig as config, cleanUpChildren, documents, kill9, runtimeNow, startChildRuntime as startRuntime } from '../support/child-runtime';
import { callJson, until, type AnyJson } from '../support/http';
import { checkPartition, checkTable, readPartition } from '../support/invariant';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Every job item's id and status, read from the store (after a pause: callers poll it). */
async function jobStatuses(client: DynamoDBDocumentClient, tableName: string): Promise<Map<string, string>> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const statuses = new Map<string, string>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new ScanCommand({ TableName: tableName, FilterExpression: '#sk = :job', ExpressionAttributeNames: { '#sk': 'sk' }, ExpressionAttributeValues: { ':job': 'JOB' }, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const item of out.Items ?? []) statuses.set(String(item.jobId), String(item.status));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return statuses;
}

// ---- the webhook receiver ----------------------------------------------------------------------------

interface Delivery {
  key: string;
  arrivedAt: number;
  /** Whether the runtime read the answer's end: false when a kill cut the call off. */
  answered: boolean;
}

/** A receiver on loopback recording every call's Idempotency-Key; `delayMs` decides how long each answer takes. */
async function startReceiver(delayMs: (key: string, nth: number) => number): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const delivery: Delivery = { key, arrivedAt: Date.now(), answered: false };
      deliveries.push(delivery);
      const nth = deliveries.filter((d) => d.key === key).length;
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}', () => (delivery.answered = true)), delayMs(key, nth));
      // A killed runtime closes the socket: the answer is never sent.
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A seeded PRNG (mulberry32): the same seed gives the same kill moments and receiver delays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fraction in [0, 1) from a hash of the inputs: the receiver's delay for a delivery whatever order calls arrive in. */
function hashFraction(...parts: Array<string | number>): number {
  return createHash('sha256').update(parts.join(':')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Deliveries repeated without a kill between them, or for runs that did not end SUCCEEDED or FAILED; an
 * empty list is what the test expects.
 */
function unexplainedDeliveries(deliveries: readonly Delivery[], killedAt: readonly number[], runOf: (key: string) => AnyJson): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Delivery[]>();
  for (const delivery of deliveries) byKey.set(delivery.key, [...(byKey.get(delivery.key) ?? []), delivery]);
  for (const [key, list] of byKey) {
    const run = runOf(key);
    if (!run) problems.push(`${key}: delivered ${list.length}× but has no run item`);
    else if (run.state !== 'SUCCEEDED' && run.state !== 'FAILED') problems.push(`${key}: delivered ${list.length}× but the run is ${run.state}`);
    else if (run.attempts < list.length) problems.push(`${key}: delivered ${list.length}× but the run was begun ${run.attempts}×`);
    for (let i = 1; i < list.length; i += 1) {
      const cutOff = killedAt.some((at) => at > list[i - 1]!.arrivedAt && at < list[i]!.arrivedAt);
      if (!cutOff) problems.push(`${key}: delivered again at +${list[i]!.arrivedAt - list[i - 1]!.arrivedAt} ms with no kill in between`);
    }
  }
  return problems;
}

// ---- the tests -----------------------------------------------------------------------------------------

afterAll(cleanUpChildren);

it('kill -9 at random moments loses no run of many hourly webhook jobs with default settings', async () => {
  const SEED = 16;
  const JOBS = 40;
  const KILLS = 3;
  const random = seeded(SEED);
  const began = Date.now();
  // One call in six takes 1.5-3.5 s (hours of warped time: kills land mid-call and later runs overlap it).
  const receiver = await startReceiver((key, nth) => (hashFraction(SEED, key, nth) < 1 / 6 ? 1500 + 2000 * hashFraction('slow', key, nth) : 20));
  const setup = await config(3600);
  let runtime = await startRuntime(setup);

  // Submitting takes real seconds (warped hours) on a busy machine: each job starts 2-3 warped hours after
  // its own submission, on the runtime's clock as estimated from one reading, so runs go on while later jobs
  // are still being posted and the kills below land among them.
  const clockAt = { warped: await runtimeNow(runtime), real: Date.now() };
  const jobs: Array<{ id: string; startDateTime: string; frequency: { hours: number }; maxRuns: number; action: AnyJson }> = [];
  const answers: number[] = [];
  for (let n = 0; n < JOBS; n += 1) {
    const warpedNow = clockAt.warped + (Date.now() - clockAt.real) * setup.speed;
    const job = {
      id: `kill-${n}`,
      startDateTime: new Date(Math.ceil(warpedNow / MINUTE) * MINUTE + 2 * HOUR + Math.floor(random() * 60) * MINUTE).toISOString(),
      frequency: { hours: 1 },
      maxRuns: 6 + Math.floor(random() * 5),
      action: { type: 'webhook', url: receiver.url, method: 'POST' },
    };
    jobs.push(job);
    answers.push((await callJson(runtime.url, 'POST', '/jobs', job)).status);
  }
  expect(answers).toEqual(jobs.map(() => 201));
  const totalRuns = jobs.reduce((sum, job) => sum + job.maxRuns, 0);

  const marks: Record<string, number> = { created: Date.now() - began };
  const killedAt: number[] = [];
  for (let kill = 0; kill < KILLS; kill += 1) {
    // A random moment 1-4 s (warped hours) into this runtime's life, while runs are going.
    await new Promise((resolve) => setTimeout(resolve, 1000 + random() * 3000));
    await kill9(runtime);
    killedAt.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 300 + random() * 1500));
    runtime = await startRuntime(setup);
    marks[`restarted${kill + 1}`] = Date.now() - began;
  }

  const client = documents(runtime);
  const statuses = await until(() => jobStatuses(client, runtime.tableName), (found) => found.size === JOBS && [...found.values()].every((s) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED'), 90_000);
  marks.final = Date.now() - began;
  const { violations, tallies } = await checkTable(client, runtime.tableName);
  const runItems = new Map<string, AnyJson>();
  for (const job of jobs) {
    for (const item of await readPartition(client, runtime.tableName, job.id)) if (String(item.sk).startsWith('RUN#')) runItems.set(`${job.id}:${Number(item.iteration)}`, item);
  }
  const duplicates = unexplainedDeliveries(receiver.deliveries, killedAt, (key) => runItems.get(key));
  await kill9(runtime);
  await receiver.close();

  const sum = (field: 'succeeded' | 'failed' | 'skipped' | 'retried') => tallies.reduce((total, tally) => total + tally[field], 0);
  const repeated = receiver.deliveries.length - new Set(receiver.deliveries.map((d) => d.key)).size;
  const figures = {
    jobs: JOBS,
    runs: totalRuns,
    kills: KILLS,
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    skipped: sum('skipped'),
    retried: sum('retried'),
    deliveries: receiver.deliveries.length,
    repeated,
    cutOffMidCall: receiver.deliveries.filter((d) => !d.answered).length,
    seconds: Math.round((Date.now() - began) / 1000),
    marks,
  };
  process.stdout.write(`kill test figures: ${JSON.stringify(figures)}\n`);

  // Every run that succeeded reached the receiver; a key came twice only across a kill.
  const delivered = new Set(receiver.deliveries.map((d) => d.key));
  const undelivered = [...runItems].filter(([, item]) => item.state === 'SUCCEEDED' && !delivered.has(item.jobId + ':' + String(item.iteration))).map(([key]) => key);
  // One assertion over everything, so a failure shows every kind of problem at once.
  expect({ notCompleted: [...statuses].filter(([, s]) => s !== 'COMPLETED'), violations, undelivered, duplicates }).toEqual({ notCompleted: [], violations: [], undelivered: [], duplicates: [] });
  expect(figures.succeeded + figures.failed + figures.skipped).toBe(totalRuns);
}, 180_000);

it("reproduces the issue's case: a minute job whose run 0 is cut off mid-call and found 150 s late runs it again", async () => {
  // At 30× a minute is 2 s. Run 0's first call is held (up to 9 s, under the 10 s webhook deadline) until
  // the kill cuts it off; every other call answers at once.
  const receiver = await startReceiver((key, nth) => (key === 'late-run-0:0' && nth === 1 ? 9000 : 20));
  const setup = await config(30);
  let runtime = await startRuntime(setup);
  const now = await runtimeNow(runtime);
  const start = Math.ceil(now / 1000) * 1000 + 30_000;
  const job = { id: 'late-run-0', startDateTime: new Date(start).toISOString(), frequency: { minutes: 1 }, maxRuns: 5, action: { type: 'webhook', url: receiver.url, method: 'POST' } };
  expect((await callJson(runtime.url, 'POST', '/jobs', job)).status).toBe(201);

  await until(async () => receiver.deliveries.length, (n) => n >= 1, 30_000);
  await until(() => runtimeNow(runtime), (at) => at >= start + 150_000, 30_000);
  // The restarted warped clock carries on from the store's latest write: a job posted now puts it 150 s
  // after run 0's planned time, as a runtime down for 150 s would find it. It runs once, after the restart.
  const marker = { id: 'clock-marker', startDateTime: new Date(start + 200_000).toISOString(), action: { type: 'webhook', url: receiver.url, method: 'POST' } };
  expect((await callJson(runtime.url, 'POST', '/jobs', marker)).status).toBe(201);
  await kill9(runtime);
  expect(receiver.deliveries.map((d) => [d.key, d.answered])).toEqual([['late-run-0:0', false]]);

  runtime = await startRuntime(setup);
  const client = documents(runtime);
  await until(() => jobStatuses(client, runtime.tableName), (found) => found.get('late-run-0') === 'COMPLETED' && found.get('clock-marker') === 'COMPLETED', 60_000);
  const items = await readPartition(client, runtime.tableName, 'late-run-0');
  const checked = checkPartition(items);
  const run0 = (await client.send(new GetCommand({ TableName: runtime.tableName, Key: { pk: 'JOB#late-run-0', sk: 'RUN#0000000000' }, ConsistentRead: true }))).Item;
  const { violations: all } = await checkTable(client, runtime.tableName);
  await kill9(runtime);
  await receiver.close();

  expect(run0).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
  expect(receiver.deliveries.filter((d) => d.key === 'late-run-0:0').map((d) => d.answered)).toEqual([false, true]);
  expect(checked.violations).toEqual([]);
  expect(checked.tally.succeeded + checked.tally.failed + checked.tally.skipped).toBe(5);
  expect(checked.tally.started).toBe(0);
  expect(all).toEqual([]);
}, 120_000);
