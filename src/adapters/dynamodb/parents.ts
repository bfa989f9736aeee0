/**
 * The parent side of the run ledger (run-ledger.ts): the job item for the live series, the request item for
 * a trigger or backfill. A begin checks its parent still runs anything; a settled run is counted on it once
 * (its `cursor`), and a parent that stopped or paused meanwhile counts the run without moving its status.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JobNotActiveError, TransientError } from '../../lib/errors';
import { RequestNotActiveError } from '../../lib/extra-runs';
import { isActionJob } from '../../lib/fanout';
import type { BeginInput, LastRun, ParentChange, RunRef } from '../../lib/ledger';
import { isFinalStatus, PAUSED } from '../../lib/status';
import { jobKey, requestKey } from '../table';
import { finalValues, iso, IS_FINAL, NOT_FINAL, Update } from './expressions';
import { nextRunAttributes, settlementOf, type JobItem, type RequestItem, type RunItem } from './items';
import type { DynamoDbJobStore } from './job-store';
import type { Key } from './paging';
import { getItem, updateIf } from './send';

/** Attempts at a write whose item keeps changing under it before that is reported as transient. */
const MAX_OPTIMISTIC_ATTEMPTS = 5;

/** The parent of a series: the item whose counters its settled runs move. */
export interface Parent {
  live: boolean;
  key: Key;
  /** Attribute paths of its counters. */
  completed: string;
  failed: string;
  skipped: string;
  retries: string;
  /** The real run time its settled runs took, for GET /stats. */
  runTime: string;
  /** Its status attribute: the job's `status`, the request's `state`. */
  status: string;
}

export function parentOf(ref: Pick<RunRef, 'jobId' | 'series'>): Parent {
  if (ref.series.kind === 'live') {
    return { live: true, key: jobKey(ref.jobId), completed: 'progress.completedRuns', failed: 'progress.failedRuns', skipped: 'progress.skippedRuns', retries: 'metrics.retries', runTime: 'metrics.runDurationMsTotal', status: 'status' };
  }
  return { live: false, key: requestKey(ref.jobId, ref.series.requestId), completed: 'completedRuns', failed: 'failedRuns', skipped: 'skippedRuns', retries: 'retries', runTime: 'runDurationMsTotal', status: 'state' };
}

export function refOfItem(item: RunItem): RunRef {
  if (item.requestId !== undefined && item.kind !== undefined) return { jobId: item.jobId, series: { kind: item.kind, requestId: item.requestId }, index: item.index ?? 0 };
  return { jobId: item.jobId, series: { kind: 'live' }, index: item.iteration ?? 0 };
}

/** What counting a settled item adds to its parent's counters, and how far it moves the parent's cursor. */
export interface Count {
  through: number;
  completed: number;
  failed: number;
  skipped: number;
  change?: ParentChange;
}

export function countOf(item: RunItem): Count | undefined {
  const index = refOfItem(item).index;
  if (item.state === 'SKIPPED') {
    const through = item.skippedThrough ?? index;
    return { through, completed: 0, failed: 0, skipped: through - index + 1 };
  }
  const change = settlementOf(item);
  if (!change) return undefined;
  return { through: index, completed: change.outcome === 'SUCCEEDED' ? 1 : 0, failed: change.outcome === 'FAILED' ? 1 : 0, skipped: 0, change };
}

/** Begin checks and counting on the parent of a series. */
export class Parents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly jobs: DynamoDbJobStore,
  ) {}

  /**
   * The live parent's part of a begin: refuse a run of a job that is final or paused before anything is
   * written, and show an action job RUNNING. A job started from the Step Functions console never went
   * through the API, so its item is created here.
   */
  /** The live parent's part of a begin; with `checkExecution`, whether the job lists the execution. */
  async touchActiveJob(input: BeginInput): Promise<boolean | undefined> {
    const { job, index } = input;
    // The whole item back only when asked: it is what tells whether the execution is listed already.
    const check = input.checkExecution === true && input.executionArn !== undefined;
    const now = iso(input.now);
    // Only a run the job has not counted yet shows RUNNING: no later write would move it back otherwise.
    let showRunning = isActionJob(job);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const update = new Update().set('updatedAt', now).names('status').values({ ...finalValues(), ':paused': PAUSED });
      // Admits a job that exists (a missing one is created below, then touched again), is still going and
      // is not paused: a stopped, failed, completed or paused job starts no run.
      const condition = [`attribute_exists(pk) AND ${NOT_FINAL} AND #status <> :paused`];
      if (showRunning) {
        update.set('status', 'RUNNING').names('cursor').values({ ':index': index });
        // …and has not counted this run yet (a re-delivered or re-attempted run it counted stays as is).
        condition.push('AND #cursor < :index');
      }
      const touched = await updateIf(this.client, this.tableName, jobKey(job.id), update, condition.join(' '), check ? 'ALL_NEW' : undefined);
      if (touched) return check ? ((touched.Attributes as JobItem | undefined)?.executionArns ?? []).includes(input.executionArn as string) : undefined;
      const existing = await this.jobs.getJobItem(job.id);
      if (existing === undefined) await this.jobs.createJob(job, { totalRuns: input.totalRuns, nextRunAt: input.plannedAt, now: input.now });
      else if (isFinalStatus(existing.status) || existing.status === PAUSED) throw new JobNotActiveError(job.id, existing.status);
      else if (existing.cursor >= index) showRunning = false;
    }
    throw new TransientError(`job ${job.id} kept changing while run ${index} was being begun`);
  }

  /** The request parent's part of a begin: a run of a request that ended (or is gone) is refused. */
  async touchRunningRequest(input: BeginInput): Promise<void> {
    if (input.series.kind === 'live') return;
    const { requestId } = input.series;
    const update = new Update().set('updatedAt', iso(input.now)).names('state').values({ ':running': 'RUNNING' });
    // Admits a request that exists and is still running.
    if (await updateIf(this.client, this.tableName, requestKey(input.jobId, requestId), update, 'attribute_exists(pk) AND #state = :running')) return;
    const request = await getItem<RequestItem>(this.client, this.tableName, requestKey(input.jobId, requestId));
    throw new RequestNotActiveError(input.jobId, requestId, request ? request.state : 'gone (its job was deleted)');
  }

  /** A re-attempt of a run counts as one retry on its parent's totals. */
  async countRetry(parent: Parent, input: BeginInput): Promise<void> {
    const update = new Update().set('updatedAt', iso(input.now)).increment(parent.retries, 1);
    // Admits a parent that still exists.
    await updateIf(this.client, this.tableName, parent.key, update, 'attribute_exists(pk)');
  }

  /** The losing settler's part: make sure the winner's run is counted; a stopped parent is not an error here. */
  async countQuietly(item: RunItem, now: Date): Promise<void> {
    try {
      await this.countOnParent(item, now);
    } catch (error) {
      if (!(error instanceof JobNotActiveError || error instanceof RequestNotActiveError)) throw error;
    }
  }

  /**
   * Count a settled run item on its parent — cursor, counters, and for the live series status, next run and
   * totals — in one conditional update with the arithmetic in the expression, so no read comes first.
   * A parent that stopped or paused meanwhile still counts the run (counters equal items), but its status
   * is not moved: a paused job keeps PAUSED and remembers the status to go back to.
   */
  async countOnParent(item: RunItem, nowDate: Date): Promise<void> {
    const count = countOf(item);
    if (!count) return;
    const ref = refOfItem(item);
    const parent = parentOf(ref);
    const now = iso(nowDate);
    const change = count.change;
    // The job shows its latest live run (and its error) in lists, without a read of its runs.
    const lastRun: LastRun | undefined =
      parent.live && change && (item.state === 'SUCCEEDED' || item.state === 'FAILED')
        ? { index: ref.index, state: item.state, finishedAt: item.finishedAt ?? now, ...(item.error ? { error: item.error } : {}) }
        : undefined;
    const counters = (update: Update) =>
      update
        .set('cursor', count.through)
        .set('lastRun', lastRun)
        .set('updatedAt', now)
        .increment(parent.completed, count.completed)
        .increment(parent.failed, count.failed)
        .increment(parent.skipped, count.skipped)
        .values({ ':index': count.through });

    const full = counters(new Update()).names(parent.status);
    const final = change?.status !== undefined && isFinalStatus(change.status);
    if (change) {
      full.increment(parent.runTime, Math.round(change.durationMs ?? 0));
      if (parent.live) {
        full.set('status', change.status).set('finalReport', change.finalReport);
        if (change.nextRunAt !== undefined || final) {
          const next = nextRunAttributes(final, change.nextRunAt ?? null, now);
          full.set('nextRunAt', next.nextRunAt);
          if (next.noNextRun) full.set('noNextRun', true);
          else full.remove('noNextRun');
        }
      } else if (change.status !== undefined) {
        full.set('state', change.status);
      }
      if (final) full.set('finishedAt', now).set('expiresAt', item.expiresAt);
      full.set('reason', change.reason);
    }
    // Admits a run not yet counted (a second settler, a replay or a retry counts nothing) on a parent still
    // going: a job neither final nor paused, a request still running.
    const active = parent.live ? `${NOT_FINAL} AND #status <> :paused` : '#state = :running';
    full.values(parent.live ? { ...finalValues(), ':paused': PAUSED } : { ':running': 'RUNNING' });
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      if (await updateIf(this.client, this.tableName, parent.key, full, `#cursor < :index AND ${active}`)) return;
      const stored = await getItem<JobItem & RequestItem>(this.client, this.tableName, parent.key);
      if (stored === undefined) {
        if (parent.live) throw new JobNotActiveError(ref.jobId, 'deleted');
        throw new RequestNotActiveError(ref.jobId, ref.series.kind === 'live' ? '' : ref.series.requestId, 'gone (its job was deleted)');
      }
      if (stored.cursor >= count.through) return; // already counted: by a concurrent settler, a replay or a retry
      if (parent.live && stored.status === PAUSED && change?.status !== undefined && !final) {
        // Paused while the run was going: the job stays paused and goes back to the run's status on resume.
        const paused = counters(new Update()).names('status').set('statusBeforePause', change.status).values({ ':paused': PAUSED });
        if (await updateIf(this.client, this.tableName, parent.key, paused, '#cursor < :index AND #status = :paused')) return;
        continue;
      }
      const stopped = parent.live ? isFinalStatus(stored.status) || stored.status === PAUSED : stored.state !== 'RUNNING';
      if (stopped) {
        // Stopped meanwhile: the run is counted, the parent's status is left as the stop made it.
        const counted = counters(new Update()).names(parent.status).values(parent.live ? { ...finalValues(), ':paused': PAUSED } : { ':running': 'RUNNING' });
        const stillStopped = parent.live ? `(${IS_FINAL} OR #status = :paused)` : '#state <> :running';
        if (await updateIf(this.client, this.tableName, parent.key, counted, `#cursor < :index AND ${stillStopped}`)) return;
      }
      // The parent changed between the write and the read: go again.
    }
    throw new TransientError(`the parent of run ${ref.index} of job ${ref.jobId} kept changing while the run was being counted`);
  }
}
