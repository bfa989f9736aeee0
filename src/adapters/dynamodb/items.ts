/**
 * Items as stored and records as the domain sees them. The layout (keys, prefixes) is src/adapters/table.ts;
 * this module only maps, so a record never carries keys and an item never carries derived figures.
 *
 * Items written before the run ledger (live runs with `jobPatch`, extra runs without `iteration`, job
 * items with seed-000 day counters stored as state) read as they always did: the mapping fills the rest.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Job } from '../../lib/job';
import type { JsonValue } from '../../lib/json';
import type { ActionRun } from '../../lib/fanout';
import type { ParentChange, RunRecord } from '../../lib/ledger';
import { isFinalStatus } from '../../lib/status';
import type { ExtraRequest, JobRecord, RunCounters } from '../../lib/store';

/**
 * The job item as stored: the record plus keys, with `nextRunAt` always a string (it is an index key).
 * Counters move by arithmetic in the update itself, so counting a run needs no read first.
 */
export interface JobItem extends Omit<JobRecord, 'nextRunAt' | 'progress'> {
  pk: string;
  sk: string;
  progress: RunCounters & { currentDay?: number; completedDays?: number; totalDays?: number | null };
  /** The next run, or — when there is none — when the job stopped having one (see table.ts). */
  nextRunAt: string;
  /** Set while a job that is still going has no next run; `nextRunAt` then holds the time of that write. */
  noNextRun?: boolean;
  /** `pk` of the item its POST's Idempotency-Key left (deleted with the job). */
  submitKey?: string;
  expiresAt?: number;
}

/**
 * A run item: the record's fields as stored, plus keys and what only the item keeps. Live runs store their
 * iteration (= their index) and no series fields; manual runs their request, kind and index (a trigger
 * stored before the ledger has no iteration), so those are optional here and filled in by toRunRecord.
 */
export interface RunItem extends Omit<RunRecord, 'kind' | 'requestId' | 'index' | 'iteration'> {
  pk: string;
  sk: string;
  iteration?: number;
  requestId?: string;
  kind?: 'trigger' | 'backfill';
  index?: number;
  /** Epoch ms of `startedAt`, so a duration can be computed in a write. */
  startedAtMs?: number;
  /** Real epoch ms of the last begin (the local clock may be warped), for a failure's duration. */
  startedAtRealMs?: number;
  /** Why the current attempt's step threw, noted for the next begin to keep in `earlierAttempts`. */
  attemptFailure?: { attempt: number; at: string; error: { name: string; message: string } };
  /** What the settle does to the parent, so anyone can finish the count from the item alone. */
  settlement?: ParentChange;
  /** A fan-out run's actions, by `a<index>` (src/lib/fanout.ts); read as the record's `actions` list. */
  actionRuns?: Record<string, ActionRun>;
  /** Before the ledger: what a succeeded live run did to its job. */
  jobPatch?: { nextRunAt: string | null; finalReport?: JsonValue };
  expiresAt?: number;
}

export interface RequestItem extends ExtraRequest {
  pk: string;
  sk: string;
  updatedAt?: string;
  expiresAt?: number;
}

/** Where a job's index sort key points: its next run, or the moment it stopped having one. */
export function nextRunAttributes(final: boolean, nextRunAt: string | null, now: string): { nextRunAt: string; noNextRun: boolean } {
  if (final) return { nextRunAt: now, noNextRun: false };
  return nextRunAt === null ? { nextRunAt: now, noNextRun: true } : { nextRunAt, noNextRun: false };
}

export function toJobRecord(item: JobItem): JobRecord {
  const { pk: _pk, sk: _sk, noNextRun, nextRunAt, expiresAt: _expiresAt, submitKey: _submitKey, progress, ...rest } = item;
  // seed-000's day counters are derived on read (src/lib/progress.ts); older items still carry them.
  const { currentDay: _currentDay, completedDays: _completedDays, totalDays: _totalDays, ...counters } = progress;
  return {
    ...rest,
    progress: counters,
    executionArns: rest.executionArns ?? [],
    metrics: { retries: rest.metrics?.retries ?? 0, runDurationMsTotal: rest.metrics?.runDurationMsTotal ?? 0 },
    // A final job has no next run: the attribute holds its finish time only to keep it in the index.
    nextRunAt: isFinalStatus(item.status) || noNextRun === true ? null : nextRunAt,
  };
}

export function toRunRecord(item: RunItem): RunRecord {
  const { pk: _pk, sk: _sk, startedAtMs: _ms, startedAtRealMs: _realMs, jobPatch: _patch, settlement: _settlement, attemptFailure: _attemptFailure, expiresAt: _expiresAt, kind, requestId, index, iteration, actionRuns, ...fields } = item;
  const actions = Object.values(actionRuns ?? {}).sort((a, b) => a.index - b.index);
  const run = actions.length > 0 ? { ...fields, actions } : fields;
  if (requestId !== undefined && kind !== undefined) {
    // A trigger stored before the ledger has no iteration: it stands for no planned run.
    return { ...run, kind, requestId, index: index ?? 0, iteration: iteration ?? -1 };
  }
  return { ...run, kind: 'live', index: iteration ?? 0, iteration: iteration ?? 0 };
}

/**
 * What a settled run item does to its parent: its own record of it, or for a run settled before the
 * ledger, what its fields imply.
 */
export function settlementOf(item: RunItem): ParentChange | undefined {
  if (item.settlement) return item.settlement;
  if (item.state === 'SUCCEEDED') {
    if (item.requestId !== undefined) return { outcome: 'SUCCEEDED' };
    if (!item.jobPatch || item.statusAfter === undefined) return undefined;
    return { outcome: 'SUCCEEDED', status: item.statusAfter, nextRunAt: item.jobPatch.nextRunAt, ...(item.jobPatch.finalReport === undefined ? {} : { finalReport: item.jobPatch.finalReport }), durationMs: item.durationMs ?? 0 };
  }
  if (item.state === 'FAILED') {
    if (item.requestId !== undefined) return { outcome: 'FAILED' };
    return { outcome: 'FAILED', ...(item.statusAfter === undefined ? {} : { status: item.statusAfter }), ...(item.statusAfter === 'FAILED' ? { reason: item.error?.message ?? 'failed' } : {}) };
  }
  return undefined;
}

export function toRequest(item: RequestItem): ExtraRequest {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, updatedAt: _updatedAt, ...request } = item;
  return { ...request, executionArns: request.executionArns ?? [] };
}

/** JSON-normalised copy: undefined fields dropped, as the document client drops them on write. */
function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

export function sameJob(a: Job, b: Job): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}
