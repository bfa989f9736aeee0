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
import { PermanentError, RunAlreadyFinishedError, TransientError } from '../../lib/errors';
import type { Job, Phase } from '../../lib/job';
import type { ActionRun } from '../../lib/fanout';
import { ATTEMPTS_KEPT, type AttemptRecord, type BeginInput, type BeginOutcome, type RunLedger, type RunRecord, type RunRef, type SeriesFilter, type SettleInput } from '../../lib/ledger';
import type { SkippedRuns } from '../../lib/job';
import type { Page } from '../../lib/store';
import { EXTRA_SK_PREFIX, extraRunKey, jobKey, jobPk, RUN_SK_PREFIX, runKey, runSk } from '../table';
import { iso, Update } from './expressions';
import { toRunRecord, type RunItem } from './items';
import type { DynamoDbJobStore } from './job-store';
import { countOf, parentOf, Parents, type Count, type Parent } from './parents';
import { checkLimit, collect, decodeCursor, encodeCursor, TABLE_KEY, type Key } from './paging';
import { getItem, queryAll, sendConditional, sendTranslated, updateIf } from './send';

/** Attempts at a write whose item keeps changing under it before that is reported as transient. */
const MAX_OPTIMISTIC_ATTEMPTS = 5;

/** An action's entry in the run item's `actionRuns` map (a name, not a number: names alias as `#a3`). */
function actionAttribute(index: number): string {
  return `a${index}`;
}

function itemKey(ref: RunRef): Key {
  return ref.series.kind === 'live' ? runKey(ref.jobId, ref.index) : extraRunKey(ref.jobId, ref.series.requestId, ref.index);
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
  ) {
    this.parents = new Parents(client, tableName, jobs);
  }

  /** The job item or the request item a run's settle counts on. */
  private readonly parents: Parents;

  async begin(input: BeginInput): Promise<BeginOutcome> {
    const now = iso(input.now);
    const parent = parentOf(input);
    const listed = parent.live ? await this.parents.touchActiveJob(input) : (await this.parents.touchRunningRequest(input), undefined);
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
      // A fan-out run keeps its actions' records across attempts: an action that finished is never run again.
      if (input.job.actions) update.setExpression('#actionRuns = if_not_exists(#actionRuns, :noActionRuns)').names('actionRuns').values({ ':noActionRuns': {} });
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
          await this.parents.countRetry(parent, input);
          if (before?.startedAt !== undefined) await this.keepEarlierAttempt(input, before, attempts);
        }
        return { kind: 'run', attempts };
      }
      const stored = await this.getItem(input);
      if (stored && stored.state !== 'STARTED') {
        // A re-delivered invocation: count the run on its parent if a crash came between the two writes.
        await this.parents.countOnParent(stored, input.now);
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
      if (stored.state !== 'STARTED') await this.parents.countQuietly(stored, input.now);
      throw new RunAlreadyFinishedError(input.jobId, input.index);
    }
    const item = settled.Attributes as RunItem;
    await this.parents.countOnParent(item, input.now);
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
          // A settled item stored without the parent change it made (a layout before the run ledger) still
          // holds its outcome: it is counted by its state, never taken for a run cut off.
          const counted = countOf(item) ?? (item.state === 'SUCCEEDED' || item.state === 'FAILED' ? { through: index, completed: item.state === 'SUCCEEDED' ? 1 : 0, failed: item.state === 'FAILED' ? 1 : 0, skipped: 0 } : undefined);
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

  async beginAction(ref: RunRef, input: { index: number; key: string; type: ActionRun['type']; now: Date }): Promise<{ kind: 'run'; attempts: number } | { kind: 'already-settled'; action: ActionRun }> {
    const name = actionAttribute(input.index);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const item = await this.getItem(ref);
      if (!item || item.state !== 'STARTED') throw new RunAlreadyFinishedError(ref.jobId, ref.index);
      const before = item.actionRuns?.[name];
      if (before && before.state !== 'STARTED') return { kind: 'already-settled', action: before };
      const attempts = (before?.attempts ?? 0) + 1;
      const record: ActionRun = { index: input.index, key: input.key, type: input.type, state: 'STARTED', attempts, startedAt: iso(input.now) };
      const update = new Update().set(`actionRuns.${name}`, record).names('state').values({ ':started': 'STARTED' });
      if (before) update.names('attempts').values({ ':before': before.attempts });
      // Admits the action as it was read (never begun, or begun `before.attempts` times) on a run still going.
      const condition = `#state = :started AND ${before ? `#actionRuns.#${name}.#attempts = :before` : `attribute_not_exists(#actionRuns.#${name})`}`;
      if (await updateIf(this.client, this.tableName, itemKey(ref), update, condition)) return { kind: 'run', attempts };
    }
    throw new TransientError(`action ${input.index} of run ${ref.index} of job ${ref.jobId} kept changing while it was being begun`);
  }

  async settleAction(ref: RunRef, action: ActionRun & { state: 'SUCCEEDED' | 'FAILED' }): Promise<ActionRun> {
    const name = actionAttribute(action.index);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const item = await this.getItem(ref);
      if (!item || item.state !== 'STARTED') throw new RunAlreadyFinishedError(ref.jobId, ref.index);
      const before = item.actionRuns?.[name];
      if (before && before.state !== 'STARTED') return before;
      // The begin's start and attempt count stand; a failure recorded by the Catch knows neither.
      const settled: ActionRun = { ...action, attempts: Math.max(action.attempts, before?.attempts ?? 0), startedAt: before?.startedAt ?? action.startedAt };
      const update = new Update().set(`actionRuns.${name}`, settled).names('state').values({ ':started': 'STARTED' });
      // Admits an action not settled yet, on a run still going: of two settlers the first wins.
      if (await updateIf(this.client, this.tableName, itemKey(ref), update, `#state = :started AND (attribute_not_exists(#actionRuns.#${name}) OR #actionRuns.#${name}.#state = :started)`)) return settled;
    }
    throw new TransientError(`action ${action.index} of run ${ref.index} of job ${ref.jobId} kept changing while it was being settled`);
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
      update.append('earlierAttempts', [entry]);
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
  private itemsBetween(jobId: string, from: number, to: number): Promise<RunItem[]> {
    return queryAll<RunItem>(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':from': runSk(from), ':to': runSk(to) },
    });
  }


  /** End a run left STARTED inside a skipped range as SKIPPED; false when it settled meanwhile. */
  private async skipStarted(item: RunItem, reason: SkippedRuns['reason'], now: string): Promise<boolean> {
    const update = new Update().set('state', 'SKIPPED').set('skipReason', reason).set('finishedAt', now).values({ ':started': 'STARTED' });
    return (await updateIf(this.client, this.tableName, { pk: item.pk, sk: item.sk }, update, '#state = :started')) !== undefined;
  }
}
