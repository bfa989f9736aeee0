/**
 * In-memory stand-ins for the job service's ports (src/lib/job-service.ts), for unit tests of the
 * orchestration. They keep the conditional rules src/lib/store.ts and src/lib/extra-runs.ts document —
 * the same job again is 'exists' and a different one conflicts, a final job is never moved, an ended
 * request stays ended, recording an ARN twice keeps one, an idempotency key names its first request — so a
 * test of the service fails when the service relies on a rule the real store does not keep. The DynamoDB
 * adapters are tested against dynalite (test/integration/adapters); these are not a substitute for that.
 *
 * Every port call that changes something is written to one shared `log` ("store.cancelJob daily",
 * "executions.stop arn:…"), so a test can assert the order of calls across ports.
 */
import { isDeepStrictEqual } from 'node:util';
import { JobConflictError, JobNotActiveError, JobNotFoundError, ValidationError } from '../../src/lib/errors';
import { executionArnFor, type ExecutionService } from '../../src/lib/executions';
import { RequestNotActiveError, type RequestState } from '../../src/lib/extra-runs';
import type { RunLedgerPort } from '../../src/lib/job-service';
import type { RunLedger, RunRef } from '../../src/lib/ledger';
import type { AttemptDeps } from '../../src/lib/attempt';
import type { StepContext, StepHandler } from '../../src/lib/steps';
import type { Job } from '../../src/lib/job';
import type { ExtraRunStorePort, JobServicePorts, JobStorePort } from '../../src/lib/job-service';
import type { JsonValue } from '../../src/lib/json';
import type { RunDurations } from '../../src/lib/stats';
import { initialStatus, isFinalStatus, PAUSED } from '../../src/lib/status';
import { newExtraRequest, PAUSE_LOG_MAX, type ExtraRequest, type JobRecord, type NewExtraRequest, type Page, type RunRecord } from '../../src/lib/store';

export const FAKE_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:fake-scheduler';

/** Deep copies in and out, as a store round trip would: a caller never holds the store's own object. */
const copy = <T>(value: T): T => structuredClone(value);

function encodeCursor(position: string): string {
  return Buffer.from(JSON.stringify({ after: position }), 'utf8').toString('base64url');
}

/** The store's cursor rule: only a cursor this listing handed out, else a ValidationError on `cursor`. */
function decodeCursor(cursor: string, known: ReadonlySet<string>): string {
  const refuse = () => new ValidationError([{ field: 'cursor', message: 'is not a cursor this listing returned; start again without it' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length > 4096) throw refuse();
  let after: unknown;
  try {
    ({ after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown });
  } catch {
    throw refuse();
  }
  if (typeof after !== 'string' || !known.has(after)) throw refuse();
  return after;
}

/** One page of `items` (sorted by `position`) after `cursor`. */
function pageOf<T>(items: readonly T[], position: (item: T) => string, limit: number, cursor: string | undefined): Page<T> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor, new Set(items.map(position)));
  const start = after === undefined ? 0 : items.findIndex((item) => position(item) > after);
  const from = start < 0 ? items.length : start;
  const slice = items.slice(from, from + limit);
  const more = from + limit < items.length;
  return { items: slice.map(copy), ...(more && slice.length > 0 ? { cursor: encodeCursor(position(slice.at(-1)!)) } : {}) };
}

/** The job side: job items and their live runs. */
export class MemoryJobStore implements JobStorePort {
  readonly jobs = new Map<string, JobRecord>();
  readonly runs = new Map<string, Map<number, RunRecord>>();
  /** Called by deleteJob: the real table drops a job's requests with its partition. */
  onDelete: (jobId: string) => void = () => undefined;

  constructor(private readonly log: string[] = []) {}

  /** Store a record as it is (a job some earlier code wrote). */
  put(record: JobRecord): void {
    this.jobs.set(record.jobId, copy(record));
  }

  putRun(run: RunRecord): void {
    const runs = this.runs.get(run.jobId) ?? new Map<number, RunRecord>();
    runs.set(run.iteration, copy(run));
    this.runs.set(run.jobId, runs);
  }

  async createJob(job: Job, input: { totalRuns: number | null; nextRunAt: string | null; now: Date; executionArn?: string }) {
    const existing = this.jobs.get(job.id);
    if (existing) {
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(existing.job)), JSON.parse(JSON.stringify(job)))) throw new JobConflictError(job.id);
      return { outcome: 'exists' as const, record: copy(existing) };
    }
    this.log.push(`store.createJob ${job.id}`);
    const now = input.now.toISOString();
    const record = { ...newRecord(job, { totalRuns: input.totalRuns, nextRunAt: input.nextRunAt, now }), executionArns: input.executionArn === undefined ? [] : [input.executionArn] };
    this.jobs.set(job.id, record);
    return { outcome: 'created' as const, record: copy(record) };
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    const record = this.jobs.get(jobId);
    return record && copy(record);
  }

  async listJobs(query: { status?: string; group?: string; tag?: string; limit: number; cursor?: string }): Promise<Page<JobRecord>> {
    const matching = [...this.jobs.values()]
      .filter((record) => query.status === undefined || record.status === query.status)
      .filter((record) => query.group === undefined || record.job.group === query.group)
      .filter((record) => query.tag === undefined || (record.job.tags ?? []).includes(query.tag))
      .sort((a, b) => a.jobId.localeCompare(b.jobId));
    return pageOf(matching, (record) => record.jobId, query.limit, query.cursor);
  }

  async listRuns(jobId: string, query: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    const runs = [...(this.runs.get(jobId)?.values() ?? [])].sort((a, b) => a.iteration - b.iteration);
    const position = (run: RunRecord) => String(run.iteration).padStart(12, '0');
    return pageOf(runs, position, query.limit, query.cursor);
  }

  async getRun(jobId: string, iteration: number): Promise<RunRecord | undefined> {
    const run = this.runs.get(jobId)?.get(iteration);
    return run && copy(run);
  }

  /** A going job becomes PAUSED; a paused one is returned as it is; a final one throws JobNotActiveError. */
  async pauseJob(jobId: string, note: string | undefined, now: Date): Promise<JobRecord> {
    const record = this.require(jobId);
    if (isFinalStatus(record.status)) throw new JobNotActiveError(jobId, record.status);
    if (record.status === PAUSED) return copy(record);
    this.log.push(`store.pauseJob ${jobId}`);
    record.statusBeforePause = record.status;
    record.status = PAUSED;
    record.pausedAt = now.toISOString();
    record.updatedAt = now.toISOString();
    if (note === undefined) delete record.pauseNote;
    else record.pauseNote = note;
    record.pauseLog = [...(record.pauseLog ?? []), { event: 'paused' as const, at: now.toISOString(), ...(note === undefined ? {} : { note }) }].slice(-PAUSE_LOG_MAX);
    return copy(record);
  }

  /** A paused job gets its status back; any other is returned as it is. */
  async resumeJob(jobId: string, now: Date): Promise<JobRecord> {
    const record = this.require(jobId);
    if (record.status !== PAUSED || record.statusBeforePause === undefined) return copy(record);
    this.log.push(`store.resumeJob ${jobId}`);
    record.status = record.statusBeforePause;
    record.updatedAt = now.toISOString();
    record.resumedAt = now.toISOString();
    record.pauseLog = [...(record.pauseLog ?? []), { event: 'resumed' as const, at: now.toISOString() }].slice(-PAUSE_LOG_MAX);
    delete record.statusBeforePause;
    delete record.pausedAt;
    delete record.pauseNote;
    return copy(record);
  }

  /** CANCELLED unless already final: the first stop wins. */
  async cancelJob(jobId: string, reason: string, now: Date): Promise<JobRecord> {
    const record = this.require(jobId);
    if (isFinalStatus(record.status)) return copy(record);
    this.log.push(`store.cancelJob ${jobId}`);
    Object.assign(record, { status: 'CANCELLED', reason, finishedAt: now.toISOString(), updatedAt: now.toISOString() });
    return copy(record);
  }

  /** COMPLETED unless already final (the attempt's finish). */
  async completeJob(jobId: string, now: Date): Promise<JobRecord> {
    const record = this.require(jobId);
    if (isFinalStatus(record.status)) return copy(record);
    this.log.push(`store.completeJob ${jobId}`);
    Object.assign(record, { status: 'COMPLETED', nextRunAt: null, finishedAt: now.toISOString(), updatedAt: now.toISOString() });
    return copy(record);
  }

  /** FAILED unless already final: the first stop wins. */
  async failJob(jobId: string, reason: string, now: Date): Promise<JobRecord> {
    const record = this.require(jobId);
    if (isFinalStatus(record.status)) return copy(record);
    this.log.push(`store.failJob ${jobId}`);
    Object.assign(record, { status: 'FAILED', reason, finishedAt: now.toISOString(), updatedAt: now.toISOString() });
    return copy(record);
  }

  /** Appends an ARN the job does not list yet; JobNotFoundError for a job that does not exist. */
  async recordExecution(jobId: string, executionArn: string, now: Date): Promise<void> {
    const record = this.require(jobId);
    if (record.executionArns.includes(executionArn)) return;
    this.log.push(`store.recordExecution ${jobId} ${executionArn}`);
    record.executionArns.push(executionArn);
    record.updatedAt = now.toISOString();
  }

  async deleteJob(jobId: string): Promise<number> {
    this.log.push(`store.deleteJob ${jobId}`);
    this.runs.delete(jobId);
    this.onDelete(jobId);
    return this.jobs.delete(jobId) ? 1 : 0;
  }

  private require(jobId: string): JobRecord {
    const record = this.jobs.get(jobId);
    if (!record) throw new JobNotFoundError(jobId);
    return record;
  }
}

/** A job record as createJob writes it (status by kind, cursor -1, no execution yet). */
export function newRecord(job: Job, input: { totalRuns: number | null; nextRunAt: string | null; now: string }): JobRecord {
  return {
    jobId: job.id,
    job: copy(job),
    status: initialStatus(job),
    cursor: -1,
    progress: {
      completedRuns: 0,
      failedRuns: 0,
      totalRuns: input.totalRuns,
      ...(job.action ? {} : { currentDay: 0, completedDays: 0, totalDays: input.totalRuns }),
    },
    nextRunAt: input.nextRunAt,
    createdAt: input.now,
    updatedAt: input.now,
    executionArns: [],
    metrics: { retries: 0, runDurationMsTotal: 0 },
  };
}

/** The trigger/backfill side: requests, their idempotency keys and their runs. */
export class MemoryExtraRunStore implements ExtraRunStorePort {
  readonly requests = new Map<string, ExtraRequest>();
  readonly runs = new Map<string, RunRecord>();
  private readonly keys = new Map<string, string>();

  constructor(private readonly log: string[] = []) {}

  putRequest(request: ExtraRequest): void {
    this.requests.set(`${request.jobId}|${request.requestId}`, copy(request));
  }

  putRun(run: RunRecord): void {
    this.runs.set(`${run.jobId}|${run.requestId}|${run.index}`, copy(run));
  }

  /** The job's partition is gone: its requests, keys and runs with it. */
  dropJob(jobId: string): void {
    for (const map of [this.requests, this.runs, this.keys] as Array<Map<string, unknown>>) {
      for (const key of [...map.keys()]) if (key.startsWith(`${jobId}|`)) map.delete(key);
    }
  }

  /** A new id is written; a used id, or a key used before (same job and kind), finds the first request. */
  async createRequest(input: NewExtraRequest): Promise<{ outcome: 'created' | 'exists'; request: ExtraRequest }> {
    let requestId = input.requestId;
    let keyed = false;
    if (input.idempotencyKey !== undefined) {
      const key = `${input.jobId}|${input.kind}|${input.idempotencyKey}`;
      const first = this.keys.get(key);
      if (first === undefined) this.keys.set(key, requestId);
      else ({ requestId, keyed } = { requestId: first, keyed: true });
    }
    const existing = this.requests.get(`${input.jobId}|${requestId}`);
    if (existing) return { outcome: 'exists', request: copy(existing) };
    this.log.push(`extras.createRequest ${input.jobId} ${requestId}`);
    // The record the DynamoDB store writes, from the same function: the fake keeps only the storage.
    const request = newExtraRequest(input, requestId);
    this.requests.set(`${input.jobId}|${requestId}`, request);
    return { outcome: keyed ? 'exists' : 'created', request: copy(request) };
  }

  async getRequest(jobId: string, requestId: string): Promise<ExtraRequest | undefined> {
    const request = this.requests.get(`${jobId}|${requestId}`);
    return request && copy(request);
  }

  async listRequests(jobId: string, limit: number): Promise<ExtraRequest[]> {
    return this.ofJob(jobId)
      .sort((a, b) => b.requestId.localeCompare(a.requestId))
      .slice(0, limit)
      .map(copy);
  }

  async listRunningRequests(jobId: string): Promise<ExtraRequest[]> {
    return this.ofJob(jobId)
      .filter((request) => request.state === 'RUNNING')
      .map(copy);
  }

  async listRuns(jobId: string, limit: number): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .filter((run) => run.jobId === jobId)
      .sort((a, b) => (b.requestId ?? '').localeCompare(a.requestId ?? '') || b.index - a.index)
      .slice(0, limit)
      .map(copy);
  }

  async getRun(jobId: string, requestId: string, index: number): Promise<RunRecord | undefined> {
    const run = this.runs.get(`${jobId}|${requestId}|${index}`);
    return run && copy(run);
  }

  /** Appends an ARN the request does not list yet; a missing request changes nothing (a failed condition). */
  async recordExecution(jobId: string, requestId: string, executionArn: string): Promise<void> {
    const request = this.requests.get(`${jobId}|${requestId}`);
    if (!request || request.executionArns.includes(executionArn)) return;
    this.log.push(`extras.recordExecution ${requestId} ${executionArn}`);
    request.executionArns.push(executionArn);
  }

  /** A RUNNING request ends; an ended one is returned as it is; a missing one is RequestNotActiveError. */
  async endRequest(jobId: string, requestId: string, state: Exclude<RequestState, 'RUNNING'>, now: Date, reason?: string): Promise<ExtraRequest> {
    const request = this.requests.get(`${jobId}|${requestId}`);
    if (!request) throw new RequestNotActiveError(jobId, requestId, 'gone (its job was deleted)');
    if (request.state !== 'RUNNING') return copy(request);
    this.log.push(`extras.endRequest ${requestId} ${state}`);
    Object.assign(request, { state, finishedAt: now.toISOString(), ...(reason === undefined ? {} : { reason }) });
    return copy(request);
  }

  private ofJob(jobId: string): ExtraRequest[] {
    return [...this.requests.values()].filter((request) => request.jobId === jobId);
  }
}

/**
 * Step Functions as the ExecutionService contract says: a name starts once (a repeat answers the same
 * ARN and starts nothing), stopping an unknown or ended execution is not an error. `failStarts` makes the
 * next starts fail as an unreachable service would.
 */
export class FakeExecutions implements ExecutionService {
  readonly started: Array<{ name: string; input: JsonValue; executionArn: string }> = [];
  readonly stopped: Array<{ executionArn: string; cause: string }> = [];
  readonly running = new Set<string>();
  failStarts = 0;

  constructor(private readonly log: string[] = []) {}

  async start(name: string, input: JsonValue): Promise<{ executionArn: string }> {
    if (this.failStarts > 0) {
      this.failStarts -= 1;
      throw new Error('connect ECONNREFUSED (test: Step Functions is down)');
    }
    const executionArn = executionArnFor(FAKE_STATE_MACHINE_ARN, name);
    if (this.started.some((execution) => execution.executionArn === executionArn)) return { executionArn };
    this.log.push(`executions.start ${name}`);
    this.started.push({ name, input: copy(input), executionArn });
    this.running.add(executionArn);
    return { executionArn };
  }

  arnOf(name: string): string {
    return executionArnFor(FAKE_STATE_MACHINE_ARN, name);
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    this.log.push(`executions.stop ${executionArn}`);
    this.stopped.push({ executionArn, cause });
    this.running.delete(executionArn);
  }

  async ping(): Promise<void> {}
}

/** Every port of the job service in memory, sharing one log, on a clock the test moves. */
export interface Fakes {
  log: string[];
  store: MemoryJobStore;
  extras: MemoryExtraRunStore;
  executions: FakeExecutions;
  runDurations: RunDurations & { values: number[] };
  clock: { now: Date };
  ports: JobServicePorts;
}

export function createFakes(options: { now?: Date; deleteConcurrency?: number } = {}): Fakes {
  const log: string[] = [];
  const store = new MemoryJobStore(log);
  const extras = new MemoryExtraRunStore(log);
  store.onDelete = (jobId) => extras.dropJob(jobId);
  const executions = new FakeExecutions(log);
  const values: number[] = [];
  const runDurations = { values, durations: async () => [...values] };
  const clock = { now: options.now ?? new Date(1733306400000) }; // 2024-12-04T10:00:00Z
  // The ledger's reads over both fakes: live runs on the job side, manual ones on the request side.
  const runs: RunLedgerPort = {
    get: async (ref: RunRef) => (ref.series.kind === 'live' ? store.getRun(ref.jobId, ref.index) : extras.getRun(ref.jobId, ref.series.requestId, ref.index)),
    list: async (jobId, series, query) => (series === 'live' ? store.listRuns(jobId, query) : { items: await extras.listRuns(jobId, query.limit) }),
  };
  const ports: JobServicePorts = {
    store,
    extras,
    runs,
    executions,
    runDurations,
    now: () => clock.now,
    ...(options.deleteConcurrency === undefined ? {} : { deleteConcurrency: options.deleteConcurrency }),
  };
  return { log, store, extras, executions, runDurations, clock, ports };
}

/**
 * The ports of one attempt (src/lib/attempt.ts) on the fakes and an in-memory ledger, at a fixed `now`:
 * only the action step may run; it pushes each context it gets onto `calls`, then does what `step` says.
 * `extra` adds or replaces ports (a failure sink).
 */
export function actionOnlyAttemptDeps(
  ports: { fakes: Fakes; runs: RunLedger; calls: StepContext[]; now: Date },
  step: StepHandler,
  extra: Partial<AttemptDeps> = {},
): AttemptDeps {
  const never: StepHandler = async () => {
    throw new Error('only the action step runs here');
  };
  return {
    jobs: ports.fakes.store,
    requests: ports.fakes.extras,
    runs: ports.runs,
    steps: { action: async (context) => (ports.calls.push(context), step(context)), collection: never, processing: never, report: never },
    notifier: { publish: async () => ({ messageId: 'm' }) },
    now: () => ports.now,
    ...extra,
  };
}
