/**
 * The JobStore on DynamoDB: one job item and one item per run under the job's partition (layout in
 * src/adapters/table.ts). Every write that moves a run or a job forward is conditional, and a failed
 * condition comes back as the domain's word for it (RunAlreadyFinishedError, JobNotActiveError,
 * JobConflictError), never as ConditionalCheckFailedException. Throttling and 5xx become TransientError,
 * the name the state machine retries.
 *
 * dynalite has no transactions, so finishing a run is two writes: the run item (the arbiter between
 * concurrent finishers) and then the job item (counted at most once by its `cursor`). Whoever finds the
 * run SUCCEEDED but the job not yet counted — a losing finisher, or a re-delivered beginRun after a crash
 * between the two writes — rolls the job forward from what the run item recorded, so no crash leaves a
 * finished run uncounted.
 *
 * dynalite also ignores ReturnValuesOnConditionCheckFailure, so after a failed condition the adapter reads
 * the item back (consistently) to tell which case it was.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  JobConflictError,
  JobNotActiveError,
  JobNotFoundError,
  PermanentError,
  RunAlreadyFinishedError,
  SchedulerError,
  TransientError,
  ValidationError,
} from '../lib/errors';
import type { Job, SkippedRuns } from '../lib/job';
import type { JsonValue } from '../lib/json';
import { FINAL_STATUSES, initialStatus, isFinalStatus, PAUSED, type JobStatus } from '../lib/status';
import type {
  BeginRunInput,
  BeginRunOutcome,
  FailRunInput,
  FinishRunInput,
  JobRecord,
  JobStore,
  Page,
  Progress,
  RunRecord,
} from '../lib/store';
import { JOB_SK, RUN_SK_PREFIX, STATUS_INDEX, jobKey, jobPk, runKey } from './table';

/**
 * The job item as stored: the record plus keys, with `nextRunAt` always a string (it is an index key),
 * and progress without `percentage`: that is derived on read from the counters, which the store moves
 * with arithmetic in the update itself, so counting a run needs no read first and cannot lose an update.
 */
interface JobItem extends Omit<JobRecord, 'nextRunAt' | 'progress'> {
  pk: string;
  sk: string;
  progress: StoredProgress;
  /** The next run, or — when there is none — when the job stopped having one (see table.ts). */
  nextRunAt: string;
  /** Set while a job that is still going has no next run; `nextRunAt` then holds the time of that write. */
  noNextRun?: boolean;
  expiresAt?: number;
}

/** What the job item becomes once this run is counted, kept on the run so anyone can finish the count. */
interface JobPatch {
  nextRunAt: string | null;
  finalReport?: JsonValue;
}

type StoredProgress = Omit<Progress, 'percentage'>;

interface RunItem extends RunRecord {
  pk: string;
  sk: string;
  /** Epoch ms of `startedAt`, so `durationMs` is computed in the finishing update itself. */
  startedAtMs?: number;
  jobPatch?: JobPatch;
  expiresAt?: number;
}

type Key = Record<string, string>;

/** What a finished run does to its job. */
type RunChange =
  | { kind: 'succeeded'; statusAfter: JobStatus; nextRunAt: string | null; finalReport?: JsonValue; durationMs: number }
  | { kind: 'failed'; policy: 'abort' | 'continue'; error: { name: string; message: string }; nextRunAt: string | null };

/** DynamoDB errors that say "try again later"; everything else is a bug or bad input and is passed on. */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Attempts at a write whose item keeps changing under it before that is reported as transient. */
const MAX_OPTIMISTIC_ATTEMPTS = 5;
/** Rounds of resending a BatchWrite's UnprocessedItems before giving up as transient. */
const MAX_BATCH_RETRIES = 8;
const BATCH_WRITE_SIZE = 25;
/** Items a Scan evaluates per request when listing jobs (most items of a busy table are runs). */
const SCAN_BATCH = 200;

/** `NOT #status IN (...)`: the job is still going. Values are bound by `finalValues()`. */
const FINAL_PLACEHOLDERS = FINAL_STATUSES.map((_, i) => `:final${i}`);
const NOT_FINAL = `NOT #status IN (${FINAL_PLACEHOLDERS.join(', ')})`;
function finalValues(): Record<string, string> {
  return Object.fromEntries(FINAL_STATUSES.map((status, i) => [`:final${i}`, status]));
}

/**
 * Collects an UpdateExpression with every attribute name aliased (`status`, `state`, `result`… are
 * reserved words), so callers write `#status` in conditions and call `names()` for the aliases.
 */
export class Update {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly attributeNames: Record<string, string> = {};
  private readonly attributeValues: Record<string, unknown> = {};

  /** `a.b` → `#a.#b`, registering the aliases. */
  path(path: string): string {
    return path
      .split('.')
      .map((part) => {
        this.attributeNames[`#${part}`] = part;
        return `#${part}`;
      })
      .join('.');
  }

  /** Bind a value; returns its placeholder. */
  value(name: string, value: unknown): string {
    const placeholder = `:${name}`;
    this.attributeValues[placeholder] = value;
    return placeholder;
  }

  /** `SET path = value`; an undefined value sets nothing. */
  set(path: string, value: unknown): this {
    if (value !== undefined) this.sets.push(`${this.path(path)} = ${this.value(`set_${path.replace(/\./g, '_')}`, value)}`);
    return this;
  }

  /** A SET clause written out (for arithmetic and functions); placeholders are bound with `values`. */
  setExpression(expression: string): this {
    this.sets.push(expression);
    return this;
  }

  remove(...paths: string[]): this {
    for (const path of paths) this.removes.push(this.path(path));
    return this;
  }

  names(...names: string[]): this {
    for (const name of names) this.path(name);
    return this;
  }

  values(values: Record<string, unknown>): this {
    Object.assign(this.attributeValues, values);
    return this;
  }

  build(condition: string) {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '',
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(' '),
      ConditionExpression: condition,
      ExpressionAttributeNames: this.attributeNames,
      ExpressionAttributeValues: this.attributeValues,
    };
  }
}

export function iso(date: Date): string {
  return date.toISOString();
}

/** JSON-normalised copy: undefined fields dropped, as the document client drops them on write. */
function plain<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function sameJob(a: Job, b: Job): boolean {
  return isDeepStrictEqual(plain(a), plain(b));
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: unknown }).code;
  return (
    TRANSIENT_ERROR_NAMES.has(error.name) ||
    (typeof status === 'number' && status >= 500) ||
    (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code))
  );
}

/** An AWS error in domain terms. Our own errors pass through untouched. */
function translate(error: unknown, operation: string): unknown {
  if (error instanceof SchedulerError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if ((error as { code?: unknown }).code === 'ECONNREFUSED') {
    // Off AWS this means the local runtime is not running: say what to do, in one line.
    return new TransientError(`DynamoDB ${operation} failed: nothing answers at the DynamoDB endpoint (${detail}); start the local runtime with \`npm start\` or set DYNAMODB_ENDPOINT`, { cause: error });
  }
  if (isTransient(error)) return new TransientError(`DynamoDB ${operation} failed, try again: ${detail}`, { cause: error });
  if (isConditionFailure(error)) return new SchedulerError(`DynamoDB ${operation}: unexpected failed condition`, { cause: error });
  return error;
}

/** Where a job's index sort key points: its next run, or the moment it stopped having one. */
function nextRunAttributes(final: boolean, nextRunAt: string | null, now: string): { nextRunAt: string; noNextRun: boolean } {
  if (final) return { nextRunAt: now, noNextRun: false };
  return nextRunAt === null ? { nextRunAt: now, noNextRun: true } : { nextRunAt, noNextRun: false };
}

/** round(100 × finished / total) when the total is known; a COMPLETED job is at 100 whatever it counted. */
function percentageOf(status: JobStatus, progress: StoredProgress): number {
  if (status === 'COMPLETED') return 100;
  const { totalRuns, completedRuns, failedRuns, skippedRuns = 0 } = progress;
  if (!totalRuns) return 0;
  return Math.min(100, Math.round((100 * (completedRuns + failedRuns + skippedRuns)) / totalRuns));
}

function toJobRecord(item: JobItem): JobRecord {
  const { pk: _pk, sk: _sk, noNextRun, nextRunAt, expiresAt: _expiresAt, progress, ...rest } = item;
  return {
    ...rest,
    progress: { percentage: percentageOf(item.status, progress), ...progress },
    executionArns: rest.executionArns ?? [],
    metrics: { retries: rest.metrics?.retries ?? 0, runDurationMsTotal: rest.metrics?.runDurationMsTotal ?? 0 },
    // A final job has no next run: the attribute holds its finish time only to keep it in the index.
    nextRunAt: isFinalStatus(item.status) || noNextRun === true ? null : nextRunAt,
  };
}

function toRunRecord(item: RunItem): RunRecord {
  const { pk: _pk, sk: _sk, startedAtMs: _startedAtMs, jobPatch: _jobPatch, expiresAt: _expiresAt, ...run } = item;
  return run;
}

function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function badCursor(): ValidationError {
  return new ValidationError([{ field: 'cursor', message: 'is not a cursor this listing returned; start again without it' }]);
}

/** Decode a cursor and check it has exactly the key attributes this listing uses. */
function decodeCursor(cursor: string, attributes: readonly string[], check: (key: Key) => boolean): Key {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length > 4096) throw badCursor();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw badCursor();
  const entries = Object.entries(key);
  const valid =
    entries.length === attributes.length &&
    entries.every(([name, value]) => attributes.includes(name) && typeof value === 'string' && value !== '') &&
    check(key as Key);
  if (!valid) throw badCursor();
  return key as Key;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError([{ field: 'limit', message: 'must be a whole number of 1 or more' }]);
  }
}

function pick(item: Record<string, unknown>, attributes: readonly string[]): Key {
  return Object.fromEntries(attributes.map((name) => [name, String(item[name])]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const TABLE_KEY = ['pk', 'sk'] as const;
const STATUS_INDEX_KEY = ['pk', 'sk', 'status', 'nextRunAt'] as const;

/**
 * @example
 * const store = new DynamoDbJobStore(documentClient(), storeConfig().tableName);
 * await store.createJob(job, { totalRuns: 7, nextRunAt: '2024-12-04T10:00:00Z', now: new Date() });
 */
export class DynamoDbJobStore implements JobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createJob(
    job: Job,
    input: { totalRuns: number | null; nextRunAt: string | null; now: Date },
  ): Promise<{ outcome: 'created' | 'exists'; record: JobRecord }> {
    const now = iso(input.now);
    const status = initialStatus(job);
    const progress: StoredProgress = { completedRuns: 0, failedRuns: 0, totalRuns: input.totalRuns };
    if (!job.action) Object.assign(progress, { currentDay: 0, completedDays: 0, totalDays: input.totalRuns });
    const { nextRunAt, noNextRun } = nextRunAttributes(isFinalStatus(status), input.nextRunAt, now);
    const item: JobItem = {
      ...jobKey(job.id),
      jobId: job.id,
      job,
      status,
      cursor: -1,
      progress,
      nextRunAt,
      ...(noNextRun ? { noNextRun } : {}),
      createdAt: now,
      updatedAt: now,
      executionArns: [],
      metrics: { retries: 0, runDurationMsTotal: 0 },
    };
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const created = await this.conditional('PutItem', () =>
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

  async getRun(jobId: string, iteration: number): Promise<RunRecord | undefined> {
    const item = await this.getRunItem(jobId, iteration);
    return item && toRunRecord(item);
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
      const start =
        query.cursor === undefined
          ? undefined
          : decodeCursor(query.cursor, STATUS_INDEX_KEY, (key) => key.status === status && key.sk === JOB_SK);
      const page = await this.collect<JobItem>(query.limit, start, STATUS_INDEX_KEY, (startKey, want) =>
        this.call('Query', () =>
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
    const start =
      query.cursor === undefined
        ? undefined
        : decodeCursor(query.cursor, TABLE_KEY, (key) => key.sk === JOB_SK && key.pk?.startsWith('JOB#') === true);
    const page = await this.collect<JobItem>(query.limit, start, TABLE_KEY, (startKey) =>
      this.call('Scan', () =>
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

  async listRuns(jobId: string, query: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    checkLimit(query.limit);
    const pk = jobPk(jobId);
    const start =
      query.cursor === undefined
        ? undefined
        : decodeCursor(query.cursor, TABLE_KEY, (key) => key.pk === pk && key.sk?.startsWith(RUN_SK_PREFIX) === true);
    const page = await this.collect<RunItem>(query.limit, start, TABLE_KEY, (startKey, want) =>
      this.call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :run)',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': pk, ':run': RUN_SK_PREFIX },
            ConsistentRead: true,
            Limit: want,
            ExclusiveStartKey: startKey,
          }),
        ),
      ),
    );
    return { items: page.items.map(toRunRecord), ...(page.next ? { cursor: encodeCursor(page.next) } : {}) };
  }

  async beginRun(input: BeginRunInput): Promise<BeginRunOutcome> {
    const { job, iteration } = input;
    const now = iso(input.now);
    await this.touchActiveJob(input);

    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const update = new Update()
        .set('jobId', job.id)
        .set('iteration', iteration)
        .set('phase', input.phase)
        .set('plannedAt', input.plannedAt)
        .set('startedAt', now)
        .set('startedAtMs', input.now.getTime())
        .set('state', 'STARTED')
        .set('executionArn', input.executionArn)
        .setExpression('#attempts = if_not_exists(#attempts, :zero) + :one')
        .names('attempts', 'state')
        .values({ ':zero': 0, ':one': 1, ':started': 'STARTED', ':failedRun': 'FAILED' })
        // A new attempt starts clean: what an earlier failed attempt recorded no longer describes the run.
        .remove('finishedAt', 'durationMs', 'error', 'result', 'statusAfter', 'jobPatch');
      const begun = await this.updateIf(
        runKey(job.id, iteration),
        update,
        [
          // Admits a run never begun.
          'attribute_not_exists(pk)',
          // Admits a retry of an attempt that died while running (STARTED) or was recorded failed
          // (FAILED). A SUCCEEDED run is not admitted: it is never run twice.
          'OR #state IN (:started, :failedRun)',
        ].join(' '),
        'ALL_NEW',
      );
      if (begun) {
        const { attempts } = begun.Attributes as RunItem;
        if (attempts > 1) await this.countRetry(job.id, now);
        return { kind: 'run', attempts };
      }
      const stored = await this.getRunItem(job.id, iteration);
      if (stored?.state === 'SUCCEEDED') {
        // A re-delivered invocation: count the run on the job if a crash came between the two writes.
        await this.settleSucceededRun(stored, input.now);
        return { kind: 'already-finished', run: toRunRecord(stored) };
      }
      // The run changed between the update and the read (another attempt began or failed): go again.
    }
    throw new TransientError(`run ${iteration} of job ${job.id} kept changing while it was being begun`);
  }

  async finishRun(input: FinishRunInput): Promise<RunRecord> {
    const { jobId, iteration } = input;
    const jobPatch: JobPatch = { nextRunAt: input.nextRunAt, finalReport: input.finalReport };
    const update = new Update()
      .set('state', 'SUCCEEDED')
      .set('finishedAt', iso(input.now))
      .set('expiresAt', input.expiresAt)
      .set('result', input.result)
      .set('statusAfter', input.statusAfter)
      .set('jobPatch', jobPatch)
      .values({ ':started': 'STARTED' });
    // The measured step time when the caller has one (a warped clock's timestamps would inflate it);
    // otherwise the span between the start and finish timestamps, computed inside this write.
    if (input.durationMs !== undefined) update.set('durationMs', Math.max(0, Math.round(input.durationMs)));
    else update.setExpression('#durationMs = :nowMs - #startedAtMs').names('durationMs', 'startedAtMs').values({ ':nowMs': input.now.getTime() });
    const finished = await this.updateIf(
      runKey(jobId, iteration),
      update,
      // Admits only a run still going: of two finishers the second finds SUCCEEDED (or FAILED) and
      // loses. A run never begun has no state and is not admitted either.
      '#state = :started',
      'ALL_NEW',
    );
    if (!finished) {
      const stored = await this.getRunItem(jobId, iteration);
      if (stored === undefined) throw new PermanentError(`run ${iteration} of job ${jobId} was never begun, so it cannot finish`);
      // The winner may have stopped between its two writes: make sure its run is counted.
      if (stored.state === 'SUCCEEDED') await this.settleQuietly(stored, input.now);
      throw new RunAlreadyFinishedError(jobId, iteration);
    }
    const run = finished.Attributes as RunItem;
    await this.advanceJob(run, {
      kind: 'succeeded',
      statusAfter: input.statusAfter,
      ...jobPatch,
      durationMs: run.durationMs ?? 0,
    }, input.now);
    return toRunRecord(run);
  }

  async failRun(input: FailRunInput): Promise<RunRecord> {
    const { jobId, iteration } = input;
    const now = iso(input.now);
    const [run, job] = await Promise.all([this.getRunItem(jobId, iteration), this.getJobItem(jobId)]);
    if (run?.state === 'SUCCEEDED') {
      // The run was recorded as a success; a failure caught after that says the job was stopped
      // meanwhile (finishRun threw JobNotActiveError), or it is simply late.
      if (job && isFinalStatus(job.status) && job.cursor < iteration) throw new JobNotActiveError(jobId, job.status);
      throw new RunAlreadyFinishedError(jobId, iteration);
    }
    const statusAfter = input.policy === 'abort' ? 'FAILED' : input.phase === 'action' ? 'SCHEDULED' : job?.status;
    const update = new Update()
      .set('jobId', jobId)
      .set('iteration', iteration)
      .set('phase', input.phase)
      .set('plannedAt', input.plannedAt)
      .setExpression(
        '#startedAt = if_not_exists(#startedAt, :now), #startedAtMs = if_not_exists(#startedAtMs, :nowMs), ' +
          '#attempts = if_not_exists(#attempts, :zero)',
      )
      .names('startedAt', 'startedAtMs', 'attempts')
      .set('state', 'FAILED')
      .set('finishedAt', now)
      .set('durationMs', run?.startedAtMs === undefined ? 0 : Math.max(0, input.now.getTime() - run.startedAtMs))
      .set('error', input.error)
      .set('statusAfter', statusAfter)
      .set('expiresAt', input.expiresAt)
      .values({ ':now': now, ':nowMs': input.now.getTime(), ':zero': 0, ':succeeded': 'SUCCEEDED' });
    const failed = await this.updateIf(
      runKey(jobId, iteration),
      update,
      [
        // Admits a run that failed before it was ever begun (no item yet).
        'attribute_not_exists(pk)',
        // Admits a run still going or already recorded failed (a retried failRun); never a success.
        'OR #state <> :succeeded',
      ].join(' '),
      'ALL_NEW',
    );
    if (!failed) throw new RunAlreadyFinishedError(jobId, iteration);
    const stored = failed.Attributes as RunItem;
    await this.advanceJob(stored, { kind: 'failed', policy: input.policy, error: input.error, nextRunAt: input.nextRunAt }, input.now);
    return toRunRecord(stored);
  }

  async completeJob(jobId: string, now: Date, expiresAt?: number): Promise<JobRecord> {
    // Its progress then reads 100 % (percentageOf).
    return this.stopJob(jobId, 'COMPLETED', now, (update) => update.set('expiresAt', expiresAt));
  }

  async cancelJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord> {
    return this.stopJob(jobId, 'CANCELLED', now, (update) => update.set('reason', reason).set('expiresAt', expiresAt));
  }

  async recordExecution(jobId: string, executionArn: string, now: Date): Promise<void> {
    const update = new Update()
      .set('updatedAt', iso(now))
      .setExpression('#executionArns = list_append(if_not_exists(#executionArns, :none), :arns)')
      .names('executionArns')
      .values({ ':none': [], ':arns': [executionArn], ':arn': executionArn });
    const recorded = await this.updateIf(
      jobKey(jobId),
      update,
      [
        // Admits a job that exists (an update would otherwise create a bare item)…
        'attribute_exists(pk)',
        // …and does not list this execution yet, so a repeated call adds nothing.
        'AND NOT contains(#executionArns, :arn)',
      ].join(' '),
    );
    if (recorded) return;
    if ((await this.getJobItem(jobId)) === undefined) throw new JobNotFoundError(jobId);
  }

  async pauseJob(jobId: string, note: string | undefined, nowDate: Date): Promise<JobRecord> {
    const now = iso(nowDate);
    const paused = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression:
            'SET #before = #status, #status = :paused, #pausedAt = :now, #updatedAt = :now' + (note === undefined ? ' REMOVE #note' : ', #note = :note'),
          // Admits a job that exists, is going, and is not paused already (its status-before is kept).
          ConditionExpression: `attribute_exists(pk) AND ${NOT_FINAL} AND #status <> :paused`,
          ExpressionAttributeNames: { '#status': 'status', '#before': 'statusBeforePause', '#pausedAt': 'pausedAt', '#updatedAt': 'updatedAt', '#note': 'pauseNote' },
          ExpressionAttributeValues: { ':paused': PAUSED, ':now': now, ...(note === undefined ? {} : { ':note': note }), ...finalValues() },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (paused) return toJobRecord(paused.Attributes as JobItem);
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    if (isFinalStatus(existing.status)) throw new JobNotActiveError(jobId, existing.status);
    return toJobRecord(existing);
  }

  async resumeJob(jobId: string, nowDate: Date): Promise<JobRecord> {
    const resumed = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression: 'SET #status = #before, #updatedAt = :now REMOVE #before, #pausedAt, #note',
          // Admits only a paused job: resuming a going or final job changes nothing.
          ConditionExpression: '#status = :paused AND attribute_exists(#before)',
          ExpressionAttributeNames: { '#status': 'status', '#before': 'statusBeforePause', '#pausedAt': 'pausedAt', '#updatedAt': 'updatedAt', '#note': 'pauseNote' },
          ExpressionAttributeValues: { ':paused': PAUSED, ':now': iso(nowDate) },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (resumed) return toJobRecord(resumed.Attributes as JobItem);
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    return toJobRecord(existing);
  }

  async recordSkippedRuns(jobId: string, skipped: SkippedRuns, nowDate: Date): Promise<void> {
    const now = iso(nowDate);
    // One item stands for the whole range, so a year of missed minute runs is one write, not 525,600.
    await this.conditional('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...runKey(jobId, skipped.from),
            jobId,
            iteration: skipped.from,
            phase: 'action',
            plannedAt: now,
            startedAt: now,
            finishedAt: now,
            attempts: 0,
            state: 'SKIPPED',
            skippedThrough: skipped.to,
            skipReason: skipped.reason,
          },
          // Admits a range not recorded yet; a retried RunStep records nothing twice.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(jobId),
          UpdateExpression:
            'SET #cursor = :to, #updatedAt = :now, #progress.#skippedRuns = if_not_exists(#progress.#skippedRuns, :zero) + :count',
          // Admits a range not counted yet on a job still going; a repeat or a stopped job changes nothing.
          ConditionExpression: `#cursor < :to AND ${NOT_FINAL}`,
          ExpressionAttributeNames: { '#cursor': 'cursor', '#updatedAt': 'updatedAt', '#progress': 'progress', '#skippedRuns': 'skippedRuns', '#status': 'status' },
          ExpressionAttributeValues: { ':to': skipped.to, ':now': now, ':zero': 0, ':count': skipped.count, ...finalValues() },
        }),
      ),
    );
  }

  async markFailureDelivered(jobId: string, iteration: number, now: Date): Promise<void> {
    await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(jobId, iteration),
          UpdateExpression: 'SET failureDeliveredAt = :now',
          // Admits a run that exists and was not marked yet; a repeat changes nothing (and is not an error).
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(failureDeliveredAt)',
          ExpressionAttributeValues: { ':now': iso(now) },
        }),
      ),
    );
  }

  async deleteJob(jobId: string): Promise<number> {
    const pk = jobPk(jobId);
    let hadJob = false;
    let startKey: Key | undefined;
    // Runs first, the job item last: a delete cut short leaves the job listed, and calling again finishes it.
    do {
      const page = await this.call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: '#pk, #sk',
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      const keys = (page.Items ?? []).map((item) => pick(item, TABLE_KEY));
      hadJob ||= keys.some((key) => key.sk === JOB_SK);
      await this.deleteKeys(keys.filter((key) => key.sk !== JOB_SK));
      startKey = page.LastEvaluatedKey as Key | undefined;
    } while (startKey);
    if (hadJob) await this.deleteKeys([jobKey(jobId)]);
    return hadJob ? 1 : 0;
  }

  // ---- job item -------------------------------------------------------------------------------------

  private async getJobItem(jobId: string): Promise<JobItem | undefined> {
    const out = await this.call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true })),
    );
    return out.Item as JobItem | undefined;
  }

  private async getRunItem(jobId: string, iteration: number): Promise<RunItem | undefined> {
    const out = await this.call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: runKey(jobId, iteration), ConsistentRead: true })),
    );
    return out.Item as RunItem | undefined;
  }

  /**
   * beginRun's first write: refuse a run of a final job before anything is written, and show an action
   * job RUNNING. A job started from the Step Functions console never went through the API, so its item is
   * created here.
   */
  private async touchActiveJob(input: BeginRunInput): Promise<void> {
    const { job, iteration } = input;
    const now = iso(input.now);
    // Only a run the job has not counted yet shows RUNNING: no later write would move it back otherwise.
    let showRunning = job.action !== undefined;
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const update = new Update().set('updatedAt', now).names('status').values(finalValues());
      const condition = [
        // Admits a job that exists (a missing one is created below, then touched again)…
        'attribute_exists(pk)',
        // …and is still going: a stopped, failed or completed job starts no run.
        `AND ${NOT_FINAL}`,
      ];
      if (showRunning) {
        update.set('status', 'RUNNING').names('cursor').values({ ':iteration': iteration });
        // …and has not counted this run yet (a re-delivered or re-attempted run it counted stays as is).
        condition.push('AND #cursor < :iteration');
      }
      const touched = await this.conditional('UpdateItem', () =>
        this.client.send(new UpdateCommand({ TableName: this.tableName, Key: jobKey(job.id), ...update.build(condition.join(' ')) })),
      );
      if (touched) return;
      const existing = await this.getJobItem(job.id);
      if (existing === undefined) {
        await this.createJob(job, { totalRuns: input.totalRuns, nextRunAt: input.plannedAt, now: input.now });
      } else if (isFinalStatus(existing.status)) {
        throw new JobNotActiveError(job.id, existing.status);
      } else if (existing.cursor >= iteration) {
        showRunning = false;
      }
    }
    throw new TransientError(`job ${job.id} kept changing while run ${iteration} was being begun`);
  }

  /** A re-attempt of a run counts as one retry on the job's totals. */
  private async countRetry(jobId: string, now: string): Promise<void> {
    const update = new Update()
      .set('updatedAt', now)
      .setExpression('#metrics.#retries = #metrics.#retries + :one')
      .names('metrics', 'retries', 'status')
      .values({ ':one': 1, ...finalValues() });
    const counted = await this.updateIf(
      jobKey(jobId),
      update,
      [
        // Admits a job that still exists…
        'attribute_exists(pk)',
        // …and was not stopped since beginRun checked: the stop wins and the run goes no further.
        `AND ${NOT_FINAL}`,
      ].join(' '),
    );
    if (counted) return;
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    throw new JobNotActiveError(jobId, existing.status);
  }

  /** Count a SUCCEEDED run on its job from what the run item recorded (no-op when already counted). */
  private async settleSucceededRun(run: RunItem, now: Date): Promise<void> {
    if (!run.jobPatch || run.statusAfter === undefined) return;
    await this.advanceJob(run, { kind: 'succeeded', statusAfter: run.statusAfter, ...run.jobPatch, durationMs: run.durationMs ?? 0 }, now);
  }

  /** The losing finisher's part: make sure the winner's run is counted, then report the loss. */
  private async settleQuietly(run: RunItem, now: Date): Promise<void> {
    try {
      await this.settleSucceededRun(run, now);
    } catch (error) {
      // The job was stopped or deleted: nothing to count, and the caller learns of the loss anyway.
      if (!(error instanceof JobNotActiveError || error instanceof JobNotFoundError)) throw error;
    }
  }

  /**
   * Count finished run `run.iteration` on its job — cursor, counters, status, next run, totals — in one
   * conditional update with the arithmetic in the expression, so no read comes first. When the condition
   * fails, a read tells which case it was.
   */
  private async advanceJob(run: RunItem, change: RunChange, nowDate: Date): Promise<void> {
    const { jobId, iteration } = run;
    const now = iso(nowDate);
    const workflow = run.phase !== 'action';
    const succeeded = change.kind === 'succeeded';
    // A failed run under `continue` leaves a workflow's status as it was; an action job waits for its next run.
    const status: JobStatus | undefined = succeeded
      ? change.statusAfter
      : change.policy === 'abort'
        ? 'FAILED'
        : workflow
          ? undefined
          : 'SCHEDULED';
    const final = status !== undefined && isFinalStatus(status);
    const next = nextRunAttributes(final, change.nextRunAt, now);

    const update = new Update()
      .set('cursor', iteration)
      .set('status', status)
      .set('nextRunAt', next.nextRunAt)
      .set('updatedAt', now)
      .names('status')
      .values({ ':iteration': iteration, ':one': 1, ...finalValues() });
    if (next.noNextRun) update.set('noNextRun', true);
    else update.remove('noNextRun');
    if (final) update.set('finishedAt', now).set('expiresAt', run.expiresAt);
    if (succeeded) {
      update
        .setExpression('#progress.#completedRuns = #progress.#completedRuns + :one')
        .setExpression('#metrics.#runDurationMsTotal = #metrics.#runDurationMsTotal + :duration')
        .names('progress', 'completedRuns', 'metrics', 'runDurationMsTotal')
        .values({ ':duration': change.durationMs })
        .set('finalReport', change.finalReport);
      if (workflow) update.setExpression('#progress.#completedDays = if_not_exists(#progress.#completedDays, :zero) + :one').names('completedDays').values({ ':zero': 0 });
    } else {
      update.setExpression('#progress.#failedRuns = #progress.#failedRuns + :one').names('progress', 'failedRuns');
      if (change.policy === 'abort') update.set('reason', change.error.message);
    }
    // seed-000's day counters: a day is a run, and run `iteration` is day `iteration + 1`.
    if (workflow) update.set('progress.currentDay', iteration + 1);

    const advanced = await this.updateIf(
      jobKey(jobId),
      update,
      [
        // Admits a run not yet counted: a second finisher, a replay or a retried failRun counts nothing.
        '#cursor < :iteration',
        // Admits a job still going: a stopped (or failed, completed) job is never moved back.
        `AND ${NOT_FINAL}`,
      ].join(' '),
    );
    if (advanced) return;
    const job = await this.getJobItem(jobId);
    if (job === undefined) throw new JobNotFoundError(jobId);
    if (job.cursor >= iteration) return; // already counted: by a concurrent finisher, a replay or a retry
    throw new JobNotActiveError(jobId, job.status);
  }

  /** Move a job to a final status unless it already has one; either way return the record as it ends up. */
  private async stopJob(jobId: string, status: 'COMPLETED' | 'CANCELLED', nowDate: Date, extra: (update: Update) => void): Promise<JobRecord> {
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
    const stopped = await this.updateIf(
      jobKey(jobId),
      update,
      [
        // Admits a job that exists (an update would otherwise create a bare item)…
        'attribute_exists(pk)',
        // …and is not final yet: the first stop wins and a later one changes nothing.
        `AND ${NOT_FINAL}`,
      ].join(' '),
      'ALL_NEW',
    );
    if (stopped) return toJobRecord(stopped.Attributes as JobItem);
    const existing = await this.getJobItem(jobId);
    if (existing === undefined) throw new JobNotFoundError(jobId);
    return toJobRecord(existing);
  }

  // ---- plumbing -------------------------------------------------------------------------------------

  /**
   * Read pages until `limit` items are in hand or the table ends. One item more than asked is fetched so
   * the last page knows it is the last (no empty page after it); the cursor is the key of the last item
   * returned, so the extra one is read again on the next page.
   */
  private async collect<T extends object>(
    limit: number,
    startKey: Key | undefined,
    keyAttributes: readonly string[],
    read: (startKey: Key | undefined, want: number) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
  ): Promise<{ items: T[]; next?: Key }> {
    const items: T[] = [];
    let key = startKey;
    for (;;) {
      const out = await read(key, limit + 1 - items.length);
      items.push(...((out.Items ?? []) as T[]));
      if (items.length > limit) {
        const last = items[limit - 1] as Record<string, unknown>;
        return { items: items.slice(0, limit), next: pick(last, keyAttributes) };
      }
      if (out.LastEvaluatedKey === undefined) return { items };
      key = out.LastEvaluatedKey as Key;
    }
  }

  /** BatchWrite deletes, 25 at a time, resending UnprocessedItems with backoff. */
  private async deleteKeys(keys: Key[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH_WRITE_SIZE) {
      let requests = keys.slice(i, i + BATCH_WRITE_SIZE).map((Key) => ({ DeleteRequest: { Key } }));
      for (let round = 0; requests.length > 0; round += 1) {
        if (round > MAX_BATCH_RETRIES) {
          throw new TransientError(`DynamoDB BatchWriteItem left ${requests.length} deletes unprocessed; try again`);
        }
        if (round > 0) await sleep(Math.min(1000, 25 * 2 ** round) * Math.random());
        const out = await this.call('BatchWriteItem', () =>
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return sendTranslated(operation, send);
  }

  private updateIf(key: Key, update: Update, condition: string, returnValues?: 'ALL_NEW') {
    return updateIf(this.client, this.tableName, key, update, condition, returnValues);
  }

  private conditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    return sendConditional(operation, send);
  }
}

/** Send, with AWS errors turned into domain errors. */
export async function sendTranslated<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw translate(error, operation);
  }
}

/**
 * UpdateItem `key` with `update` if `condition` holds: the new item (with `ReturnValues: 'ALL_NEW'`) or
 * an empty output on success, undefined when the condition failed (the caller reads back to see why).
 */
export function updateIf(client: DynamoDBDocumentClient, tableName: string, key: Record<string, string>, update: Update, condition: string, returnValues?: 'ALL_NEW') {
  return sendConditional('UpdateItem', () =>
    client.send(new UpdateCommand({ TableName: tableName, Key: key, ...update.build(condition), ...(returnValues ? { ReturnValues: returnValues } : {}) })),
  );
}

/** Send a conditional write; undefined when its condition failed (the caller reads back to see why). */
export async function sendConditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw translate(error, operation);
  }
}

