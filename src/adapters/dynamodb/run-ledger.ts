/**
 * The RunLedger on DynamoDB: one item per run under the job's partition — `RUN#<iteration>` for the live
 * series, `EXTRA#<requestId>#<index>` for a trigger or backfill (src/adapters/table.ts) — and its parent,
 * the job item or the request item, whose counters it moves. One protocol for every series; the parent is
 * a parameter (`parentOf`), not a second code path.
 *
 * dynalite has no transactions, so settling a run is two writes: the run item (the arbiter between
 * concurrent settlers) and then the parent (counted at most once by its `cursor`). The run item keeps what
 * the settle does to its parent (`settlement`), so whoever finds a run settled but not counted — a losing
 * settler, a re-delivered begin after a crash between the two writes — counts it from the item alone.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JobNotActiveError, PermanentError, RunAlreadyFinishedError, TransientError } from '../../lib/errors';
import { RequestNotActiveError } from '../../lib/extra-runs';
import type { Job, Phase } from '../../lib/job';
import { ATTEMPTS_KEPT, type AttemptRecord, type BeginInput, type BeginOutcome, type LastRun, type ParentChange, type RunLedger, type RunRecord, type RunRef, type SeriesFilter, type SettleInput } from '../../lib/ledger';
import type { SkippedRuns } from '../../lib/job';
import { isFinalStatus, PAUSED } from '../../lib/status';
import type { Page } from '../../lib/store';
import { EXTRA_SK_PREFIX, extraRunKey, jobKey, jobPk, requestKey, RUN_SK_PREFIX, runKey, runSk } from '../table';
import { finalValues, iso, IS_FINAL, NOT_FINAL, Update } from './expressions';
import { nextRunAttributes, settlementOf, toRunRecord, type JobItem, type RequestItem, type RunItem } from './items';
import type { DynamoDbJobStore } from './job-store';
import { checkLimit, collect, decodeCursor, encodeCursor, TABLE_KEY, type Key } from './paging';
import { getItem, sendConditional, sendTranslated, updateIf } from './send';

/** Attempts at a write whose item keeps changing under it before that is reported as transient. */
const MAX_OPTIMISTIC_ATTEMPTS = 5;

/** The parent of a series: the item whose counters its settled runs move. */
interface Parent {
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

function parentOf(ref: Pick<RunRef, 'jobId' | 'series'>): Parent {
  if (ref.series.kind === 'live') {
    return { live: true, key: jobKey(ref.jobId), completed: 'progress.completedRuns', failed: 'progress.failedRuns', skipped: 'progress.skippedRuns', retries: 'metrics.retries', runTime: 'metrics.runDurationMsTotal', status: 'status' };
  }
  return { live: false, key: requestKey(ref.jobId, ref.series.requestId), completed: 'completedRuns', failed: 'failedRuns', skipped: 'skippedRuns', retries: 'retries', runTime: 'runDurationMsTotal', status: 'state' };
}

function itemKey(ref: RunRef): Key {
  return ref.series.kind === 'live' ? runKey(ref.jobId, ref.index) : extraRunKey(ref.jobId, ref.series.requestId, ref.index);
}

function refOfItem(item: RunItem): RunRef {
  if (item.requestId !== undefined && item.kind !== undefined) return { jobId: item.jobId, series: { kind: item.kind, requestId: item.requestId }, index: item.index ?? 0 };
  return { jobId: item.jobId, series: { kind: 'live' }, index: item.iteration ?? 0 };
}

/** What counting a settled item adds to its parent's counters, and how far it moves the parent's cursor. */
interface Count {
  through: number;
  completed: number;
  failed: number;
  skipped: number;
  change?: ParentChange;
}

function countOf(item: RunItem): Count | undefined {
  const index = refOfItem(item).index;
  if (item.state === 'SKIPPED') {
    const through = item.skippedThrough ?? index;
    return { through, completed: 0, failed: 0, skipped: through - index + 1 };
  }
  const change = settlementOf(item);
  if (!change) return undefined;
  return { through: index, completed: change.outcome === 'SUCCEEDED' ? 1 : 0, failed: change.outcome === 'FAILED' ? 1 : 0, skipped: 0, change };
}

/**
 * @example
 * const { runs } = createDynamoStores(documentClient(), storeConfig().tableName);
 * const begun = await runs.begin({ jobId: 'daily', series: LIVE, index: 0, job, iteration: 0, phase: 'collection', plannedAt, totalRuns: 7, now });
 */
export class DynamoDbRunLedger implements RunLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly jobs: DynamoDbJobStore,
  ) {}

  async begin(input: BeginInput): Promise<BeginOutcome> {
    const now = iso(input.now);
    const parent = parentOf(input);
    const listed = parent.live ? await this.touchActiveJob(input) : (await this.touchRunningRequest(input), undefined);
    const outcome = await this.beginItem(input, parent, now);
    return listed === undefined ? outcome : { ...outcome, executionListed: listed };
  }

  private async beginItem(input: BeginInput, parent: Parent, now: string): Promise<BeginOutcome> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const update = this.identity(new Update(), input)
        .set('phase', input.phase)
        .set('plannedAt', input.plannedAt)
        .set('startedAt', now)
        .set('startedAtMs', input.now.getTime())
        // Real time, whatever the clock (a warped one locally): a failure's duration is measured from it.
        .set('startedAtRealMs', input.realNowMs ?? input.now.getTime())
        .set('state', 'STARTED')
        .set('executionArn', input.executionArn)
        .increment('attempts', 1)
        .values({ ':started': 'STARTED' })
        // A new attempt starts clean: what an attempt that died recorded no longer describes the run.
        .remove('finishedAt', 'durationMs', 'error', 'result', 'statusAfter', 'settlement', 'jobPatch', 'attemptFailure');
      const begun = await updateIf(
        this.client,
        this.tableName,
        itemKey(input),
        update,
        // Admits a run never begun, or a retry of an attempt that died while running (STARTED). A settled
        // run (SUCCEEDED, FAILED, SKIPPED) is never begun again: its parent has counted it.
        'attribute_not_exists(pk) OR #state = :started',
        // The item as it was: the attempt this begin replaces is kept in the run's attempts from it.
        'ALL_OLD',
      );
      if (begun) {
        const before = begun.Attributes as RunItem | undefined;
        const attempts = (before?.attempts ?? 0) + 1;
        if (attempts > 1) {
          await this.countRetry(parent, input);
          if (before?.startedAt !== undefined) await this.keepEarlierAttempt(input, before, attempts);
        }
        return { kind: 'run', attempts };
      }
      const stored = await this.getItem(input);
      if (stored && stored.state !== 'STARTED') {
        // A re-delivered invocation: count the run on its parent if a crash came between the two writes.
        await this.countOnParent(stored, input.now);
        return { kind: 'already-settled', run: toRunRecord(stored) };
      }
      // The run changed between the update and the read (another attempt began): go again.
    }
    throw new TransientError(`run ${input.index} of job ${input.jobId} kept changing while it was being begun`);
  }

  async settle(input: SettleInput): Promise<RunRecord> {
    const { outcome, change } = input;
    const succeeded = outcome.state === 'SUCCEEDED';
    const update = new Update()
      .set('state', outcome.state)
      .set('finishedAt', iso(input.now))
      .set('expiresAt', input.expiresAt)
      .set('settlement', change)
      .set('statusAfter', input.series.kind === 'live' ? change.status : undefined)
      .values({ ':started': 'STARTED' });
    if (outcome.state === 'SUCCEEDED') {
      // The measured step time: timestamps on a warped clock would inflate it.
      update.set('result', outcome.result).set('durationMs', Math.max(0, Math.round(outcome.durationMs)));
    } else {
      // A failure may come before the run was ever begun (beginning it was what kept failing): the item then
      // gets its identity here. Its duration is real time since its last begin (none when never begun).
      this.identity(update, input)
        .setExpression('#durationMs = :realNow - if_not_exists(#startedAtRealMs, :realNow)')
        .names('durationMs', 'startedAtRealMs')
        .values({ ':realNow': input.realNowMs ?? input.now.getTime() })
        .set('error', outcome.error)
        .set('phase', input.phase)
        .set('plannedAt', input.plannedAt)
        .setExpression('#startedAt = if_not_exists(#startedAt, :now), #attempts = if_not_exists(#attempts, :zero)')
        .names('startedAt', 'attempts')
        .values({ ':now': iso(input.now), ':zero': 0 });
    }
    const settled = await updateIf(
      this.client,
      this.tableName,
      itemKey(input),
      update,
      // Admits only a run still going: of two settlers the second finds it settled and loses. A failure
      // is also admitted for a run never begun; a success never is (it was run, so it was begun).
      succeeded ? '#state = :started' : 'attribute_not_exists(pk) OR #state = :started',
      'ALL_NEW',
    );
    if (!settled) {
      const stored = await this.getItem(input);
      if (stored === undefined) throw new PermanentError(`run ${input.index} of job ${input.jobId} was never begun, so it cannot finish`);
      // The winner may have stopped between its two writes: make sure its run is counted.
      if (stored.state !== 'STARTED') await this.countQuietly(stored, input.now);
      throw new RunAlreadyFinishedError(input.jobId, input.index);
    }
    const item = settled.Attributes as RunItem;
    await this.countOnParent(item, input.now);
    return toRunRecord(item);
  }

  async get(ref: RunRef): Promise<RunRecord | undefined> {
    const item = await this.getItem(ref);
    return item && toRunRecord(item);
  }

  async list(jobId: string, series: SeriesFilter, query: { limit: number; cursor?: string; order?: 'asc' | 'desc' }): Promise<Page<RunRecord>> {
    checkLimit(query.limit);
    const pk = jobPk(jobId);
    const prefix = series === 'live' ? RUN_SK_PREFIX : EXTRA_SK_PREFIX;
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, TABLE_KEY, (key) => key.pk === pk && key.sk?.startsWith(prefix) === true);
    const page = await collect<RunItem>(query.limit, start, TABLE_KEY, (startKey, want) =>
      sendTranslated('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ConsistentRead: true,
            // Live runs oldest first unless asked otherwise; manual runs newest request first (request ids begin with their time).
            ScanIndexForward: series === 'live' && query.order !== 'desc',
            Limit: want,
            ExclusiveStartKey: startKey,
          }),
        ),
      ),
    );
    return { items: page.items.map(toRunRecord), ...(page.next ? { cursor: encodeCursor(page.next) } : {}) };
  }

  async recordSkipped(input: { job: Job; skipped: SkippedRuns; plan: (index: number) => { plannedAt: string; phase: Phase }; now: Date; expiresAt?: number }): Promise<void> {
    const { job, skipped } = input;
    const now = iso(input.now);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const parent = await this.jobs.getJobItem(job.id);
      if (!parent || parent.cursor >= skipped.to) return; // gone, or the range is counted already (a retried RunStep)
      const from = Math.max(skipped.from, parent.cursor + 1);
      const existing = await this.itemsBetween(job.id, from, skipped.to);
      const count: Count = { through: skipped.to, completed: 0, failed: 0, skipped: 0 };
      let next = from;
      const gap = async (upTo: number) => {
        if (upTo < next) return;
        const { plannedAt, phase } = input.plan(next);
        // One item stands for a whole gap, so a year of missed minute runs is one write, not 525,600.
        const written = await sendConditional('PutItem', () =>
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { ...runKey(job.id, next), jobId: job.id, iteration: next, phase, plannedAt, startedAt: now, finishedAt: now, attempts: 0, state: 'SKIPPED', skippedThrough: upTo, skipReason: skipped.reason, ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }) },
              // Admits an index with no item: an existing item keeps its outcome.
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        if (!written) throw new TransientError(`run ${next} of job ${job.id} was written while its skip was being recorded`);
        count.skipped += upTo - next + 1;
      };
      try {
        for (const item of existing) {
          const index = item.iteration ?? 0;
          await gap(index - 1);
          const counted = countOf(item);
          if (item.state === 'STARTED' || !counted) {
            // A run begun and cut off (a crash) that the schedule has since passed over: it ends SKIPPED,
            // so no iteration is left without an outcome.
            const ended = await this.skipStarted(item, skipped.reason, now);
            count.skipped += ended ? 1 : 0;
            next = index + 1;
            continue;
          }
          count.completed += counted.completed;
          count.failed += counted.failed;
          count.skipped += counted.skipped;
          next = counted.through + 1;
        }
        await gap(skipped.to);
      } catch (error) {
        if (error instanceof TransientError && attempt < MAX_OPTIMISTIC_ATTEMPTS - 1) continue;
        throw error;
      }
      const update = new Update()
        .set('cursor', skipped.to)
        .set('updatedAt', now)
        .increment('progress.completedRuns', count.completed)
        .increment('progress.failedRuns', count.failed)
        .increment('progress.skippedRuns', count.skipped)
        .values({ ':seen': parent.cursor });
      // Admits the parent as it was read: what was counted before this range stays counted once.
      if (await updateIf(this.client, this.tableName, jobKey(job.id), update, '#cursor = :seen')) return;
    }
    throw new TransientError(`job ${job.id} kept changing while skipped runs were being recorded`);
  }

  async recordAttemptFailure(ref: RunRef, failure: { attempt: number; error: { name: string; message: string }; now: Date }): Promise<void> {
    const update = new Update().set('attemptFailure', { attempt: failure.attempt, at: iso(failure.now), error: failure.error }).values({ ':started': 'STARTED', ':attempt': failure.attempt });
    // Admits the attempt still going: a later attempt, or a settle, has already said more.
    await updateIf(this.client, this.tableName, itemKey(ref), update.names('state', 'attempts'), '#state = :started AND #attempts = :attempt');
  }

  async markFailureDelivered(ref: RunRef, now: Date): Promise<void> {
    const update = new Update().set('failureDeliveredAt', iso(now));
    // Admits a run that exists and was not marked yet; a repeat changes nothing (and is not an error).
    await updateIf(this.client, this.tableName, itemKey(ref), update, 'attribute_exists(pk) AND attribute_not_exists(#failureDeliveredAt)');
  }

  // ---- the run's identity, and items ---------------------------------------------------------------

  /**
   * Keep the attempt a begin replaced in the run's `earlierAttempts`: its start, and its end and error when
   * its step noted them (recordAttemptFailure); otherwise it ended without a record (a timeout, a crash).
   * DynamoDB cannot trim a list, so under the bound the entry is appended and at it the list is rewritten
   * from the item as it was. Only while the attempt that replaced it is still the latest (a later begin
   * keeps its own predecessor).
   */
  private async keepEarlierAttempt(input: BeginInput, before: RunItem, attempts: number): Promise<void> {
    const failure = before.attemptFailure?.attempt === before.attempts ? before.attemptFailure : undefined;
    const endedMs = Date.parse(failure?.at ?? before.startedAt);
    const entry: AttemptRecord = {
      attempt: before.attempts,
      startedAt: before.startedAt,
      ...(failure ? { endedAt: failure.at, error: failure.error } : {}),
      ...(Number.isFinite(endedMs) ? { delayMs: Math.max(0, input.now.getTime() - endedMs) } : {}),
    };
    const kept = before.earlierAttempts ?? [];
    const update = new Update().names('attempts').values({ ':attempts': attempts });
    if (kept.length < ATTEMPTS_KEPT) {
      update.setExpression('#earlierAttempts = list_append(if_not_exists(#earlierAttempts, :noAttempts), :attempt)').names('earlierAttempts').values({ ':noAttempts': [], ':attempt': [entry] });
    } else {
      update.set('earlierAttempts', [...kept.slice(kept.length - ATTEMPTS_KEPT + 1), entry]);
    }
    await updateIf(this.client, this.tableName, itemKey(input), update, '#attempts = :attempts');
  }

  /** The attributes that say which run an item is: a live run's iteration, a manual run's request and index. */
  private identity(update: Update, input: BeginInput | SettleInput): Update {
    update.set('jobId', input.jobId).set('iteration', input.iteration);
    if (input.series.kind !== 'live') update.set('requestId', input.series.requestId).set('kind', input.series.kind).set('index', input.index);
    return update;
  }

  private async getItem(ref: RunRef): Promise<RunItem | undefined> {
    return getItem<RunItem>(this.client, this.tableName, itemKey(ref));
  }

  /** Live run items from `from` to `to`, in order. */
  private async itemsBetween(jobId: string, from: number, to: number): Promise<RunItem[]> {
    const items: RunItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await sendTranslated('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': jobPk(jobId), ':from': runSk(from), ':to': runSk(to) },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...((out.Items ?? []) as RunItem[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** End a run left STARTED inside a skipped range as SKIPPED; false when it settled meanwhile. */
  private async skipStarted(item: RunItem, reason: SkippedRuns['reason'], now: string): Promise<boolean> {
    const update = new Update().set('state', 'SKIPPED').set('skipReason', reason).set('finishedAt', now).values({ ':started': 'STARTED' });
    return (await updateIf(this.client, this.tableName, { pk: item.pk, sk: item.sk }, update, '#state = :started')) !== undefined;
  }

  // ---- the parent ------------------------------------------------------------------------------------

  /**
   * The live parent's part of a begin: refuse a run of a job that is final or paused before anything is
   * written, and show an action job RUNNING. A job started from the Step Functions console never went
   * through the API, so its item is created here.
   */
  /** The live parent's part of a begin; with `checkExecution`, whether the job lists the execution. */
  private async touchActiveJob(input: BeginInput): Promise<boolean | undefined> {
    const { job, index } = input;
    // The whole item back only when asked: it is what tells whether the execution is listed already.
    const check = input.checkExecution === true && input.executionArn !== undefined;
    const now = iso(input.now);
    // Only a run the job has not counted yet shows RUNNING: no later write would move it back otherwise.
    let showRunning = job.action !== undefined;
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
  private async touchRunningRequest(input: BeginInput): Promise<void> {
    if (input.series.kind === 'live') return;
    const { requestId } = input.series;
    const update = new Update().set('updatedAt', iso(input.now)).names('state').values({ ':running': 'RUNNING' });
    // Admits a request that exists and is still running.
    if (await updateIf(this.client, this.tableName, requestKey(input.jobId, requestId), update, 'attribute_exists(pk) AND #state = :running')) return;
    const request = await getItem<RequestItem>(this.client, this.tableName, requestKey(input.jobId, requestId));
    throw new RequestNotActiveError(input.jobId, requestId, request ? request.state : 'gone (its job was deleted)');
  }

  /** A re-attempt of a run counts as one retry on its parent's totals. */
  private async countRetry(parent: Parent, input: BeginInput): Promise<void> {
    const update = new Update().set('updatedAt', iso(input.now)).increment(parent.retries, 1);
    // Admits a parent that still exists.
    await updateIf(this.client, this.tableName, parent.key, update, 'attribute_exists(pk)');
  }

  /** The losing settler's part: make sure the winner's run is counted; a stopped parent is not an error here. */
  private async countQuietly(item: RunItem, now: Date): Promise<void> {
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
  private async countOnParent(item: RunItem, nowDate: Date): Promise<void> {
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
