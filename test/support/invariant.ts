/**
 * The run ledger's invariant, checked on what DynamoDB holds — not on what the API says — so a test can
 * assert it after anything (kills, pauses, catch-up) without trusting the code under test to report it.
 *
 * For every job partition (src/adapters/table.ts):
 * - every live iteration 0..cursor has exactly one outcome: its own SUCCEEDED or FAILED item, or one SKIPPED
 *   item whose range `iteration..skippedThrough` covers it, with a `skipReason` and a `plannedAt` equal to the
 *   planned time of the item's first iteration (src/lib/schedule.ts);
 * - no two items cover one iteration, anywhere;
 * - no item is STARTED once the job is final; a job still going has at most one (the run in flight), beyond
 *   its cursor;
 * - a final job has no settled item beyond its cursor (an outcome nobody counted);
 * - the job's counters equal its items up to the cursor: completedRuns = SUCCEEDED, failedRuns = FAILED,
 *   skippedRuns = iterations covered by SKIPPED;
 * - a COMPLETED job: completed + failed + skipped = totalRuns;
 * and the same for every trigger or backfill request with its EXTRA# runs and its own counters (a request that
 * SUCCEEDED accounts for all its runCount runs).
 *
 * @example
 * const { violations } = await checkTable(client, tableName);
 * expect(violations).toEqual([]);
 */
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobItem, RequestItem, RunItem } from '../../src/adapters/dynamodb/items';
import { EXTRA_SK_PREFIX, JOB_SK, jobPk, REQUEST_SK_PREFIX, RUN_SK_PREFIX } from '../../src/adapters/table';
import { runTimeMs, totalRuns as countRuns, type RunHint } from '../../src/lib/schedule';
import { isFinalStatus } from '../../src/lib/status';

/** An item as the table holds it: keys plus whatever attributes its kind has. */
export type StoredItem = { pk: string; sk: string } & Record<string, unknown>;

/** What one partition holds, by state, for a report of what was checked. */
export interface PartitionTally {
  jobId: string;
  status: string | undefined;
  /** Live iterations with an outcome, by outcome (a SKIPPED range counts each iteration it covers). */
  succeeded: number;
  failed: number;
  skipped: number;
  started: number;
  /** Live run items whose `attempts` is above 1: runs begun again after an attempt died. */
  retried: number;
  requests: number;
  extraRuns: number;
}

export interface PartitionCheck {
  violations: string[];
  tally: PartitionTally;
}

/** Planned times may be stored in whole seconds (a Wait timestamp) or with milliseconds: same instant within a second. */
const SAME_INSTANT_MS = 1000;

/** The counted part of a series: what a parent's counters must equal. */
interface SeriesCount {
  succeeded: number;
  failed: number;
  skipped: number;
}

/** A run item of one series with its index, read from its sort key (the item's own field is checked against it). */
interface IndexedRun {
  index: number;
  item: RunItem;
}

/**
 * The items of one series checked against its parent's cursor: exactly one outcome per index 0..cursor, no
 * overlap, STARTED only as allowed, nothing settled and uncounted once final. Returns the counted tally.
 */
function checkSeries(
  where: string,
  runs: IndexedRun[],
  parent: { cursor: number; final: boolean },
  problems: string[],
  plannedOf?: (index: number) => number,
): SeriesCount {
  const coveredBy = new Map<number, string[]>();
  const counted: SeriesCount = { succeeded: 0, failed: 0, skipped: 0 };
  let started = 0;
  for (const { index, item } of runs) {
    const label = `${where} ${item.sk}`;
    const through = item.state === 'SKIPPED' ? (item.skippedThrough ?? index) : index;
    if (through < index) problems.push(`${label}: skippedThrough ${through} is before its iteration ${index}`);
    // A STARTED item is no outcome: it covers nothing.
    if (item.state !== 'STARTED') for (let i = index; i <= through; i += 1) coveredBy.set(i, [...(coveredBy.get(i) ?? []), `${item.sk} ${item.state}`]);
    if (item.state === 'STARTED') {
      started += 1;
      if (parent.final) problems.push(`${label}: left STARTED although its parent is final`);
      else if (index <= parent.cursor) problems.push(`${label}: STARTED at or before the cursor ${parent.cursor}, which counts it`);
      continue;
    }
    if (item.state === 'SKIPPED') {
      if (!item.skipReason) problems.push(`${label}: SKIPPED without a skipReason`);
      if (plannedOf) {
        const planned = plannedOf(index);
        const stored = Date.parse(item.plannedAt);
        if (!(Math.abs(stored - planned) < SAME_INSTANT_MS)) {
          problems.push(`${label}: SKIPPED with plannedAt ${item.plannedAt}, but iteration ${index} was planned at ${new Date(planned).toISOString()}`);
        }
      }
    } else if (item.state !== 'SUCCEEDED' && item.state !== 'FAILED') {
      problems.push(`${label}: unknown state ${String(item.state)}`);
      continue;
    }
    if (index > parent.cursor) {
      // Settled after the cursor: between its write and its count (a running parent), or never counted.
      if (parent.final) problems.push(`${label}: ${item.state} after the cursor ${parent.cursor} of a final parent: never counted`);
      continue;
    }
    if (through > parent.cursor) problems.push(`${label}: SKIPPED range ${index}..${through} reaches past the cursor ${parent.cursor}`);
    if (item.state === 'SUCCEEDED') counted.succeeded += 1;
    else if (item.state === 'FAILED') counted.failed += 1;
    else counted.skipped += Math.min(through, parent.cursor) - index + 1;
  }
  if (started > 1) problems.push(`${where}: ${started} runs STARTED at once; at most the one in flight may be`);
  for (const [index, items] of coveredBy) {
    if (items.length > 1) problems.push(`${where}: iteration ${index} has ${items.length} outcomes (${items.join(', ')})`);
  }
  for (let i = 0; i <= parent.cursor; i += 1) {
    if (!coveredBy.has(i)) problems.push(`${where}: iteration ${i} has no outcome although the cursor ${parent.cursor} counts it`);
  }
  return counted;
}

function compareCounters(where: string, counters: { completed: unknown; failed: unknown; skipped: unknown }, counted: SeriesCount, problems: string[]): void {
  const expect = (name: string, stored: unknown, items: number) => {
    const value = stored === undefined ? 0 : stored;
    if (value !== items) problems.push(`${where}: ${name} is ${String(value)} but the items hold ${items}`);
  };
  expect('completedRuns', counters.completed, counted.succeeded);
  expect('failedRuns', counters.failed, counted.failed);
  expect('skippedRuns', counters.skipped, counted.skipped);
}

/** The index an item's sort key names after `prefix` (digits only), or undefined when it is not a number. */
function indexIn(sk: string, prefix: string): number | undefined {
  const digits = sk.slice(prefix.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/**
 * Check one job's partition — all its items, as `readPartition` returns them — against the invariant.
 * @example checkPartition(await readPartition(client, table, 'hourly-7')).violations // []
 */
export function checkPartition(items: readonly StoredItem[]): PartitionCheck {
  const problems: string[] = [];
  const jobItem = items.find((item) => item.sk === JOB_SK) as unknown as JobItem | undefined;
  const jobId = jobItem?.jobId ?? items[0]?.pk.replace(/^JOB#/, '') ?? '?';
  const tally: PartitionTally = { jobId, status: jobItem?.status, succeeded: 0, failed: 0, skipped: 0, started: 0, retried: 0, requests: 0, extraRuns: 0 };
  const where = `job ${jobId}`;

  const live: IndexedRun[] = [];
  const extras = new Map<string, IndexedRun[]>();
  const requests: RequestItem[] = [];
  for (const stored of items) {
    if (stored.sk.startsWith(RUN_SK_PREFIX)) {
      const item = stored as unknown as RunItem;
      const index = indexIn(item.sk, RUN_SK_PREFIX);
      if (index === undefined) problems.push(`${where} ${item.sk}: not a run key`);
      else if (item.iteration !== index) problems.push(`${where} ${item.sk}: iteration ${String(item.iteration)} differs from its key`);
      else live.push({ index, item });
    } else if (stored.sk.startsWith(EXTRA_SK_PREFIX)) {
      const item = stored as unknown as RunItem;
      const rest = item.sk.slice(EXTRA_SK_PREFIX.length);
      const cut = rest.lastIndexOf('#');
      const requestId = rest.slice(0, cut);
      const index = indexIn(rest.slice(cut), '#');
      if (cut < 0 || index === undefined) problems.push(`${where} ${item.sk}: not an extra run key`);
      else if (item.requestId !== requestId || item.index !== index) problems.push(`${where} ${item.sk}: requestId/index ${String(item.requestId)}/${String(item.index)} differ from its key`);
      else extras.set(requestId, [...(extras.get(requestId) ?? []), { index, item }]);
    } else if (stored.sk.startsWith(REQUEST_SK_PREFIX)) {
      requests.push(stored as unknown as RequestItem);
    }
  }

  if (jobItem === undefined) {
    if (live.length > 0 || extras.size > 0 || requests.length > 0) problems.push(`${where}: runs or requests without a job item`);
    return { violations: problems, tally };
  }

  const final = isFinalStatus(jobItem.status);
  const job = jobItem.job;
  let hint: RunHint | undefined;
  const plannedOf = (index: number) => {
    // Stepping from the previous run keeps a cron's lookups short (src/lib/schedule.ts RunHint).
    const atMs = runTimeMs(job, index, hint && hint.iteration <= index ? hint : undefined);
    hint = { iteration: index, atMs };
    return atMs;
  };
  live.sort((a, b) => a.index - b.index);
  const counted = checkSeries(where, live, { cursor: jobItem.cursor, final }, problems, plannedOf);
  const progress = jobItem.progress ?? {};
  compareCounters(where, { completed: progress.completedRuns, failed: progress.failedRuns, skipped: progress.skippedRuns }, counted, problems);
  if (jobItem.status === 'COMPLETED') {
    const total = progress.totalRuns ?? countRuns(job);
    const sum = (progress.completedRuns ?? 0) + (progress.failedRuns ?? 0) + (progress.skippedRuns ?? 0);
    if (total !== null && sum !== total) problems.push(`${where}: COMPLETED with completed + failed + skipped = ${sum}, but totalRuns is ${total}`);
    if (total !== null && jobItem.cursor !== total - 1) problems.push(`${where}: COMPLETED with cursor ${jobItem.cursor}, but its last run is ${total - 1}`);
  }
  for (const { index, item } of live) {
    const span = item.state === 'SKIPPED' ? (item.skippedThrough ?? index) - index + 1 : 1;
    if (item.state === 'SUCCEEDED') tally.succeeded += 1;
    else if (item.state === 'FAILED') tally.failed += 1;
    else if (item.state === 'SKIPPED') tally.skipped += span;
    else if (item.state === 'STARTED') tally.started += 1;
    if ((item.attempts ?? 0) > 1) tally.retried += 1;
  }

  tally.requests = requests.length;
  for (const request of requests) {
    const requestWhere = `${where} request ${request.requestId}`;
    const runs = (extras.get(request.requestId) ?? []).sort((a, b) => a.index - b.index);
    extras.delete(request.requestId);
    tally.extraRuns += runs.length;
    const requestFinal = request.state !== 'RUNNING';
    const requestCounted = checkSeries(requestWhere, runs, { cursor: request.cursor, final: requestFinal }, problems);
    const skippedRuns = (request as RequestItem & { skippedRuns?: number }).skippedRuns;
    compareCounters(requestWhere, { completed: request.completedRuns, failed: request.failedRuns, skipped: skippedRuns }, requestCounted, problems);
    if (request.state === 'SUCCEEDED') {
      const sum = request.completedRuns + request.failedRuns + (skippedRuns ?? 0);
      if (sum !== request.runCount) problems.push(`${requestWhere}: SUCCEEDED with completed + failed + skipped = ${sum}, but runCount is ${request.runCount}`);
    }
  }
  for (const requestId of extras.keys()) problems.push(`${where}: extra runs of request ${requestId}, which has no request item`);
  return { violations: problems, tally };
}

/**
 * Every item of one job's partition, consistently read.
 * @example await readPartition(client, 'step-scheduler-jobs', 'hourly-7')
 */
export async function readPartition(client: DynamoDBDocumentClient, tableName: string, jobId: string): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': jobPk(jobId) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((out.Items ?? []) as StoredItem[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every item of the table, grouped by partition (one per job). */
export async function readAllPartitions(client: DynamoDBDocumentClient, tableName: string): Promise<Map<string, StoredItem[]>> {
  const partitions = new Map<string, StoredItem[]>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const item of (out.Items ?? []) as StoredItem[]) partitions.set(item.pk, [...(partitions.get(item.pk) ?? []), item]);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return partitions;
}

/**
 * Check every job of a table: the violations of all partitions, and each partition's tally.
 * @example const { violations, tallies } = await checkTable(client, tableName)
 */
export async function checkTable(client: DynamoDBDocumentClient, tableName: string): Promise<{ violations: string[]; tallies: PartitionTally[] }> {
  const violations: string[] = [];
  const tallies: PartitionTally[] = [];
  for (const [pk, items] of await readAllPartitions(client, tableName)) {
    // A job's partition; a POST /jobs Idempotency-Key has one of its own (SUBMIT#…) that names no runs.
    if (!pk.startsWith('JOB#')) continue;
    const checked = checkPartition(items);
    violations.push(...checked.violations);
    tallies.push(checked.tally);
  }
  return { violations, tallies };
}
