/**
 * The JobStore on DynamoDB: the job item's lifecycle (create, list, pause, resume, stop, delete). Its runs
 * are the ledger's (run-ledger.ts). A failed condition comes back as the domain's word for it
 * (JobConflictError, JobNotActiveError, JobNotFoundError), never as ConditionalCheckFailedException.
 *
 * dynalite ignores ReturnValuesOnConditionCheckFailure, so after a failed condition the store reads the
 * item back (consistently) to tell which case it was.
 */
import { BatchWriteCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JobConflictError, JobNotActiveError, JobNotFoundError, TransientError } from '../../lib/errors';
import type { Job } from '../../lib/job';
import { initialStatus, isFinalStatus, PAUSED } from '../../lib/status';
import { PAUSE_LOG_MAX, type JobRecord, type JobStore, type Page } from '../../lib/store';
import { JOB_SK, STATUS_INDEX, SUBMIT_KEY_SK, jobKey, jobPk, submitKeyItemKey } from '../table';
import { finalValues, iso, NOT_FINAL, Update } from './expressions';
import { nextRunAttributes, sameJob, toJobRecord, type JobItem } from './items';
import { checkLimit, collect, decodeCursor, encodeCursor, pick, STATUS_INDEX_KEY, TABLE_KEY, type Key } from './paging';
import { getItem, sendConditional, sendTranslated, updateIf } from './send';

/** Attempts at a write whose item keeps changing under it before that is reported as transient. */
const MAX_OPTIMISTIC_ATTEMPTS = 5;
/** Rounds of resending a BatchWrite's UnprocessedItems before giving up as transient. */
const MAX_BATCH_RETRIES = 8;
const BATCH_WRITE_SIZE = 25;
/** Items a Scan evaluates per request when listing jobs (most items of a busy table are runs). */
const SCAN_BATCH = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * @example
 * const { jobs } = createDynamoStores(documentClient(), storeConfig().tableName);
 * await jobs.createJob(job, { totalRuns: 7, nextRunAt: '2024-12-04T10:00:00Z', now: new Date() });
 */
export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createJob(job: Job, input: { totalRuns: number | null; nextRunAt: string | null; now: Date; idempotencyKey?: string; executionArn?: string }): Promise<{ outcome: 'created' | 'exists'; record: JobRecord }> {
    if (input.idempotencyKey !== undefined) {
      const key = submitKeyItemKey(input.idempotencyKey);
      // The key's item is written first and names the job; a repeat finds it, and so the first job. It
      // expires after a day (TTL), as idempotency keys of HTTP APIs commonly do.
      const claimed = await sendConditional('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, jobId: job.id, createdAt: iso(input.now), expiresAt: Math.floor(input.now.getTime() / 1000) + 86_400 },
            // Admits a key never used.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (!claimed) {
        const first = await getItem<{ jobId?: string }>(this.client, this.tableName, key);
        const existing = first?.jobId === undefined ? undefined : await this.getJobItem(first.jobId);
        // The first job was deleted since: this submit stands on its own.
        if (existing) return { outcome: 'exists', record: toJobRecord(existing) };
      }
    }
    const now = iso(input.now);
    const status = initialStatus(job);
    const { nextRunAt, noNextRun } = nextRunAttributes(isFinalStatus(status), input.nextRunAt, now);
    const item: JobItem = {
      ...jobKey(job.id),
      jobId: job.id,
      job,
      status,
      cursor: -1,
      progress: { completedRuns: 0, failedRuns: 0, skippedRuns: 0, totalRuns: input.totalRuns },
      nextRunAt,
      ...(noNextRun ? { noNextRun } : {}),
      createdAt: now,
      updatedAt: now,
      executionArns: input.executionArn === undefined ? [] : [input.executionArn],
      metrics: { retries: 0, runDurationMsTotal: 0 },
      requestsMade: 0,
      // The Idempotency-Key's item, deleted with the job.
      ...(input.idempotencyKey === undefined ? {} : { submitKey: submitKeyItemKey(input.idempotencyKey).pk }),
    };
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const created = await sendConditional('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            // Admits an id never used; an existing job item means a repeated or a conflicting start.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (created) return { outcome: 'created', record: toJobRecord(item) };
      const existing = await this.getJobItem(job.id);
      if (existing === undefined) continue; // deleted between the put and the read: try again
      if (!sameJob(existing.job, job)) throw new JobConflictError(job.id);
      return { outcome: 'exists', record: toJobRecord(existing) };
    }
    throw new TransientError(`job ${job.id} kept changing while it was being created`);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const item = await this.getJobItem(jobId);
    return item && toJobRecord(item);
  }

  async listJobs(query: { status?: string; group?: string; tag?: string; limit: number; cursor?: string }): Promise<Page<JobRecord>> {
    checkLimit(query.limit);
    const { status } = query;
    // Group and tag live in the stored job: filtered after the read, collect() goes on until the page is full.
    const filters: string[] = [];
    const filterNames: Record<string, string> = {};
    const filterValues: Record<string, string> = {};
    if (query.group !== undefined) {
      filters.push('#job.#group = :group');
      Object.assign(filterNames, { '#job': 'job', '#group': 'group' });
      filterValues[':group'] = query.group;
    }
    if (query.tag !== undefined) {
      filters.push('contains(#job.#tags, :tag)');
      Object.assign(filterNames, { '#job': 'job', '#tags': 'tags' });
      filterValues[':tag'] = query.tag;
    }
    if (status !== undefined) {
      const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, STATUS_INDEX_KEY, (key) => key.status === status && key.sk === JOB_SK);
      const page = await collect<JobItem>(query.limit, start, STATUS_INDEX_KEY, (startKey, want) =>
        sendTranslated('Query', () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: STATUS_INDEX,
              KeyConditionExpression: '#status = :status',
              ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
              ExpressionAttributeNames: { '#status': 'status', ...filterNames },
              ExpressionAttributeValues: { ':status': status, ...filterValues },
              Limit: want,
              ExclusiveStartKey: startKey,
            }),
          ),
        ),
      );
      return { items: page.items.map(toJobRecord), ...(page.next ? { cursor: encodeCursor(page.next) } : {}) };
    }
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor, TABLE_KEY, (key) => key.sk === JOB_SK && key.pk?.startsWith('JOB#') === true);
    const page = await collect<JobItem>(query.limit, start, TABLE_KEY, (startKey) =>
      sendTranslated('Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: ['#sk = :job', ...filters].join(' AND '),
            ExpressionAttributeNames: { '#sk': 'sk', ...filterNames },
            ExpressionAttributeValues: { ':job': JOB_SK, ...filterValues },
            // Limit counts items read before the filter, so a page may hold fewer jobs: collect() goes on.
            Limit: SCAN_BATCH,
            ExclusiveStartKey: startKey,
          }),
        ),
      ),
    );
    return { items: page.items.map(toJobRecord), ...(page.next ? { cursor: encodeCursor(page.next) } : {}) };
  }

  completeJob(jobId: string, now: Date, expiresAt?: number): Promise<JobRecord> {
    return this.stopJob(jobId, 'COMPLETED', now, (update) => update.set('expiresAt', expiresAt));
  }

  cancelJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord> {
    return this.stopJob(jobId, 'CANCELLED', now, (update) => update.set('reason', reason).set('expiresAt', expiresAt));
  }

  failJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord> {
    return this.stopJob(jobId, 'FAILED', now, (update) => update.set('reason', reason).set('expiresAt', expiresAt));
  }

  async recordExecution(jobId: string, executionArn: string, now: Date): Promise<void> {
    const update = new Update()
      .set('updatedAt', iso(now))
      .append('executionArns', [executionArn])
      .values({ ':arn': executionArn });
    // Admits a job that exists (an update would otherwise create a bare item) and does not list this
    // execution yet, so a repeated call adds nothing.
    const recorded = await updateIf(this.client, this.tableName, jobKey(jobId), update, 'attribute_exists(pk) AND NOT contains(#executionArns, :arn)');
    if (recorded) return;
    if ((await this.getJobItem(jobId)) === undefined) throw new JobNotFoundError(jobId);
  }

  async pauseJob(jobId: string, note: string | undefined, nowDate: Date): Promise<JobRecord> {
    const now = iso(nowDate);
    const update = new Update()
      .setExpression('#statusBeforePause = #status')
      .names('statusBeforePause', 'status')
      .set('status', PAUSED)
      .set('pausedAt', now)
      .set('updatedAt', now)
      .append('pauseLog', [{ event: 'paused', at: now, ...(note === undefined ? {} : { note }) }])
      .values({ ':paused': PAUSED, ...finalValues() });
    if (note === undefined) update.remove('pauseNote');
    else update.set('pauseNote', note);
    // Admits a job that exists, is going, and is not paused already (its status-before is kept).
    const paused = await updateIf(this.client, this.tableName, jobKey(jobId), update, `attribute_exists(pk) AND ${NOT_FINAL} AND #status <> :paused`, 'ALL_NEW');
    if (paused) return this.trimPauseLog(jobId, toJobRecord(paused.Attributes as JobItem));
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    if (isFinalStatus(existing.status)) throw new JobNotActiveError(jobId, existing.status);
    return toJobRecord(existing);
  }

  async resumeJob(jobId: string, nowDate: Date): Promise<JobRecord> {
    const update = new Update()
      .setExpression('#status = #statusBeforePause')
      .names('status', 'statusBeforePause')
      .set('updatedAt', iso(nowDate))
      .set('resumedAt', iso(nowDate))
      .append('pauseLog', [{ event: 'resumed', at: iso(nowDate) }])
      .remove('statusBeforePause', 'pausedAt', 'pauseNote')
      .values({ ':paused': PAUSED });
    // Admits only a paused job: resuming a going or final job changes nothing.
    const resumed = await updateIf(this.client, this.tableName, jobKey(jobId), update, '#status = :paused AND attribute_exists(#statusBeforePause)', 'ALL_NEW');
    if (resumed) return this.trimPauseLog(jobId, toJobRecord(resumed.Attributes as JobItem));
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    return toJobRecord(existing);
  }

  /**
   * Drop the oldest pauses past PAUSE_LOG_MAX. DynamoDB cannot cap a list in the write that appends to it;
   * the condition on its size makes a trim that raced another pause or resume a no-op (the next one trims).
   */
  private async trimPauseLog(jobId: string, record: JobRecord): Promise<JobRecord> {
    const log = record.pauseLog ?? [];
    const excess = log.length - PAUSE_LOG_MAX;
    if (excess <= 0) return record;
    const update = new Update().names('pauseLog').values({ ':size': log.length });
    for (let i = 0; i < excess; i += 1) update.removeExpression(`#pauseLog[${i}]`);
    await updateIf(this.client, this.tableName, jobKey(jobId), update, 'size(#pauseLog) = :size');
    return { ...record, pauseLog: log.slice(excess) };
  }

  async deleteJob(jobId: string): Promise<number> {
    const pk = jobPk(jobId);
    let hadJob = false;
    let startKey: Key | undefined;
    // Runs and requests first, the job item last: a delete cut short leaves the job listed, and calling again finishes it.
    do {
      const page = await sendTranslated('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#submitKey': 'submitKey' },
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: '#pk, #sk, #submitKey',
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      const keys = (page.Items ?? []).map((item) => pick(item, TABLE_KEY));
      hadJob ||= keys.some((key) => key.sk === JOB_SK);
      // The job's Idempotency-Key item lives in a partition of its own: it goes with the runs.
      const submitKey = (page.Items ?? []).find((item) => item.sk === JOB_SK)?.submitKey;
      if (typeof submitKey === 'string') keys.push({ pk: submitKey, sk: SUBMIT_KEY_SK });
      await this.deleteKeys(keys.filter((key) => key.sk !== JOB_SK));
      startKey = page.LastEvaluatedKey as Key | undefined;
    } while (startKey);
    if (hadJob) await this.deleteKeys([jobKey(jobId)]);
    return hadJob ? 1 : 0;
  }

  async getJobItem(jobId: string): Promise<JobItem | undefined> {
    return getItem<JobItem>(this.client, this.tableName, jobKey(jobId));
  }

  /** Move a job to a final status unless it already has one; either way return the record as it ends up. */
  private async stopJob(jobId: string, status: 'COMPLETED' | 'CANCELLED' | 'FAILED', nowDate: Date, extra: (update: Update) => void): Promise<JobRecord> {
    const now = iso(nowDate);
    const update = new Update()
      .set('status', status)
      .set('finishedAt', now)
      .set('updatedAt', now)
      // The index sort key of a final job is its finish time (see table.ts).
      .set('nextRunAt', now)
      .remove('noNextRun')
      .values(finalValues());
    extra(update);
    // Admits a job that exists (an update would otherwise create a bare item) and is not final yet: the
    // first stop wins and a later one changes nothing.
    const stopped = await updateIf(this.client, this.tableName, jobKey(jobId), update, `attribute_exists(pk) AND ${NOT_FINAL}`, 'ALL_NEW');
    if (stopped) return toJobRecord(stopped.Attributes as JobItem);
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    return toJobRecord(existing);
  }

  /** BatchWrite deletes, 25 at a time, resending UnprocessedItems with backoff. */
  private async deleteKeys(keys: Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH_WRITE_SIZE) {
      let requests = keys.slice(i, i + BATCH_WRITE_SIZE).map((Key) => ({ DeleteRequest: { Key } }));
      for (let round = 0; requests.length > 0; round += 1) {
        if (round > MAX_BATCH_RETRIES) throw new TransientError(`DynamoDB BatchWriteItem left ${requests.length} deletes unprocessed; try again`);
        if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round) * Math.random());
        const out = await sendTranslated('BatchWriteItem', () => this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })));
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }
}
