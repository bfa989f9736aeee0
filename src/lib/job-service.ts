/**
 * The job service: every operation on jobs that the HTTP API and the local runtime perform — submit, read,
 * stop, pause, resume, trigger, backfill, delete all, and resume what a restart left unfinished — as
 * orchestration over three ports (the job store, the trigger/backfill store, Step Functions). No SDK and
 * no I/O of its own: the API (src/functions/api/app.ts) parses a request, calls one method and renders
 * its answer; the local runtime (src/local/runtime.ts) calls `resumeUnfinished` at start.
 *
 * One private path starts an execution and records it on its owner (`startAndRecord`): the job item for a
 * job's live executions, the request item for a trigger's or backfill's. The order is always the same —
 * start, then record — and both steps are idempotent (an execution name starts once; recording an ARN
 * twice keeps one), so a crash between them is mended by doing the same call again: a job or request
 * written but never started is started by the next submit of the same body, trigger with the same key,
 * or restart.
 */
import { resumeFrom } from './continue-as-new';
import { JobConflictError, JobNotFoundError, JobStateError, ValidationError } from './errors';
import { executionInputOf, type ExecutionStatusChangeDetail } from './execution-events';
import type { ExecutionEvent, ExecutionReader, ExecutionService, ExecutionSummary } from './executions';
import { newRequestId, planBackfill, requestExecution } from './extra-runs';
import { LIVE, requestSeries, type RunLedger } from './ledger';
import { retentionExpiry, type Job, type Schedule, type SkippedRuns } from './job';
import type { JsonValue } from './json';
import { nextRun, scheduleAt, totalRuns, upcomingRuns } from './schedule';
import type { RunDurations } from './stats';
import { isFinalStatus, PAUSED } from './status';
import type { ExtraRequest, JobRecord, JobStore, NewExtraRequest, Page, RequestStore, RunRecord } from './store';

/** The job store as the service uses it: the job lifecycle and reads, none of the run protocol. */
export type JobStorePort = Pick<JobStore, 'createJob' | 'getJob' | 'listJobs' | 'pauseJob' | 'resumeJob' | 'cancelJob' | 'failJob' | 'recordExecution' | 'deleteJob'>;
/** The trigger/backfill store as the service uses it: requests and reads, none of the run protocol. */
export type ExtraRunStorePort = Pick<RequestStore, 'createRequest' | 'getRequest' | 'listRequests' | 'listRunningRequests' | 'recordExecution' | 'endRequest'>;
/** The run ledger as the service uses it: reads only; runs are begun and settled by the task. */
export type RunLedgerPort = Pick<RunLedger, 'get' | 'list'>;
/** Starting and stopping; reading executions back (the API's execution history) where the adapter can. */
export type ExecutionPort = Pick<ExecutionService, 'start' | 'stop' | 'ping' | 'arnOf'> & Partial<ExecutionReader>;

export interface JobServicePorts {
  store: JobStorePort;
  extras: ExtraRunStorePort;
  runs: RunLedgerPort;
  executions: ExecutionPort;
  runDurations: RunDurations;
  now: () => Date;
  /** Jobs `deleteAll` stops and deletes at once; default DELETE_CONCURRENCY. */
  deleteConcurrency?: number;
}

/** The reason recorded on a job or request stopped through the service (API or dashboard). */
export const STOP_CAUSE = 'stopped through the API';
/**
 * `deleteAll` works on this many jobs at a time: each job costs a few sequential calls (stop its
 * executions, end its requests, delete its items), so a table of hundreds of jobs fits the api Lambda's
 * 30 s, while DynamoDB and Step Functions see a handful of calls in flight, far below their throttles.
 */
export const DELETE_CONCURRENCY = 8;
/** Trigger and backfill requests of one job that GET /stats counts (its newest). */
const STATS_REQUESTS = 1000;
/** Trigger and backfill requests a job's detail shows, newest first. */
export const REQUESTS_SHOWN = 20;
/** Page size when the service reads every job (delete all, statistics, a restart). */
const ALL_JOBS_PAGE = 100;

export interface SubmitAnswer {
  outcome: 'created' | 'exists';
  record: JobRecord;
  /** The job's latest execution; null for a job stored final (nothing to run). */
  executionArn: string | null;
}

export interface JobDetail {
  record: JobRecord;
  runs: Page<RunRecord>;
  requests: ExtraRequest[];
  extraRuns: RunRecord[];
}

export interface RequestAnswer {
  /** 'exists': the Idempotency-Key (or request id) was used before; this is the first request. */
  outcome: 'created' | 'exists';
  request: ExtraRequest;
  executionArn: string | null;
}

/** Whose execution a start is recorded on. */
type Owner = { jobId: string; requestId?: undefined } | { jobId: string; requestId: string };

export class JobService {
  private readonly deleteConcurrency: number;

  constructor(private readonly ports: JobServicePorts) {
    this.deleteConcurrency = ports.deleteConcurrency ?? DELETE_CONCURRENCY;
  }

  /**
   * Store `job` and start its execution (named after the job id, input `{ job }`). Idempotent: the same
   * job again is 'exists' with the stored record and starts nothing new; a different job under the id
   * throws JobConflictError (409). A job stored but never started (a crash, or Step Functions failing,
   * between the two writes) is started by the next submit of the same job.
   * @example await service.submit(job) // { outcome: 'created', record: { status: 'SCHEDULED', … }, executionArn: 'arn:…:daily' }
   */
  async submit(job: Job, options: { idempotencyKey?: string } = {}): Promise<SubmitAnswer> {
    const total = totalRuns(job);
    // Its execution is named after the job: when its ARN is known beforehand, the job item lists it from the
    // start, and no second write (racing the execution's own first run and status event) records it after.
    const planned = this.ports.executions.arnOf?.(job.id);
    const { outcome, record } = await this.ports.store.createJob(job, {
      totalRuns: total,
      nextRunAt: nextRun(job, { iteration: 0 }, total).runAt,
      now: this.ports.now(),
      ...options,
      ...(planned === undefined ? {} : { executionArn: planned }),
    });
    let executionArn = record.executionArns.at(-1) ?? null;
    if (isFinalStatus(record.status)) return { outcome, record, executionArn };
    if (executionArn === null) {
      // The stored job (the first submit's, under an Idempotency-Key) is the one that runs.
      executionArn = await this.startAndRecord({ jobId: record.jobId }, record.jobId, { job: record.job });
    } else if (record.cursor < 0 && record.executionArns.length === 1 && executionArn === this.ports.executions.arnOf?.(record.jobId)) {
      // Listed before it started and no run counted yet: started now, or again (a start is idempotent by
      // name), so a crash or a Step Functions failure between the write and the start loses nothing.
      executionArn = (await this.ports.executions.start(record.jobId, { job: record.job })).executionArn;
    }
    return { outcome, record, executionArn };
  }

  /**
   * The job record follows its executions, whoever started or stopped them (the API, the console, the CLI,
   * a Fail state, a timeout): the handler of Step Functions' "Execution Status Change" events calls this.
   * - RUNNING: a job started from the console or the CLI gets its item now (before its first run, which may
   *   be a day away) and every execution is listed on its job as it starts.
   * - ABORTED, FAILED, TIMED_OUT: a job still going is settled (CANCELLED, or FAILED with the cause, no next
   *   run), unless it is paused (a pause stops its execution), a newer execution of it carries on
   *   (ContinueAsNew, a resume), or it was resumed after this execution stopped. A trigger or backfill
   *   request still running on that execution ends CANCELLED or FAILED.
   * Anything else (another state machine's input, a job already final) is left alone: 'ignored'.
   * @example await service.followExecution({ executionArn, name: 'daily', status: 'ABORTED', input: '{"job":{…}}', stopDate: Date.now(), error: null, cause: null }) // 'cancelled'
   */
  async followExecution(detail: FollowedExecution): Promise<'registered' | 'cancelled' | 'failed' | 'ignored'> {
    // A success ends through the state machine itself (Finish, or a hand-over to the next generation).
    if (detail.status === 'SUCCEEDED') return 'ignored';
    const input = executionInputOf(detail.input);
    if (!input) return 'ignored';
    const { job } = input;
    const stopped = detail.status === 'ABORTED' ? 'cancelled' : 'failed';
    const why =
      detail.status === 'ABORTED'
        ? `execution ${detail.name} was stopped${detail.cause ? `: ${detail.cause}` : ''}`
        : `execution ${detail.name} ${detail.status === 'TIMED_OUT' ? 'timed out' : 'failed'}: ${[detail.error, detail.cause].filter(Boolean).join(': ') || 'no cause given'}`;
    if (input.extra) {
      // A request's item is written before its execution starts: nothing to register.
      if (detail.status === 'RUNNING') return 'ignored';
      const request = await this.ports.extras.getRequest(job.id, input.extra.requestId);
      if (!request || request.state !== 'RUNNING' || newerThan(request.executionArns, detail.executionArn)) return 'ignored';
      await this.ports.extras.endRequest(job.id, request.requestId, stopped === 'cancelled' ? 'CANCELLED' : 'FAILED', this.ports.now(), why);
      return stopped;
    }
    if (detail.status === 'RUNNING') {
      // Most executions are listed already (the API's, listed when its job was written; a resume's; one whose
      // first run came first): a read, and no write that would fail its condition and read anyway.
      if ((await this.ports.store.getJob(job.id))?.executionArns.includes(detail.executionArn)) return 'registered';
      try {
        // Most executions belong to a job already stored (the API's, a ContinueAsNew, a resume): one write.
        await this.ports.store.recordExecution(job.id, detail.executionArn, this.ports.now());
      } catch (error) {
        if (!(error instanceof JobNotFoundError)) throw error;
        const total = totalRuns(job);
        try {
          await this.ports.store.createJob(job, { totalRuns: total, nextRunAt: nextRun(job, { iteration: 0 }, total).runAt, now: this.ports.now() });
        } catch (conflict) {
          // Another job under that id: the execution's first run will find out; this one is not ours to list.
          if (conflict instanceof JobConflictError) return 'ignored';
          throw conflict;
        }
        await this.ports.store.recordExecution(job.id, detail.executionArn, this.ports.now());
      }
      return 'registered';
    }
    const record = await this.ports.store.getJob(job.id);
    if (!record || isFinalStatus(record.status) || record.status === PAUSED) return 'ignored';
    if (newerThan(record.executionArns, detail.executionArn)) return 'ignored';
    if (record.resumedAt !== undefined && detail.stopDate !== null && detail.stopDate <= Date.parse(record.resumedAt)) return 'ignored';
    const expiresAt = retentionExpiry(job, this.ports.now());
    if (stopped === 'cancelled') await this.ports.store.cancelJob(job.id, why, this.ports.now(), expiresAt);
    else await this.ports.store.failJob(job.id, why, this.ports.now(), expiresAt);
    return stopped;
  }

  /** A job's record; JobNotFoundError (404) when there is none. */
  async get(jobId: string): Promise<JobRecord> {
    const record = await this.ports.store.getJob(jobId);
    if (!record) throw new JobNotFoundError(jobId);
    return record;
  }

  /**
   * A job with one page of its live runs and its newest triggers and backfills. The reads go out
   * together; a runs cursor the store refuses is a ValidationError on `cursor` (even for a missing job,
   * as the cursor is checked first), a missing job JobNotFoundError.
   */
  async detail(jobId: string, runs: { limit: number; cursor?: string; order?: 'asc' | 'desc' }): Promise<JobDetail> {
    const [record, page] = await Promise.all([this.ports.store.getJob(jobId), this.ports.runs.list(jobId, 'live', runs)]);
    if (!record) throw new JobNotFoundError(jobId);
    // Most jobs never had a trigger or backfill: their count (absent on older items: unknown) spares two queries.
    if (record.requestsMade === 0) return { record, runs: page, requests: [], extraRuns: [] };
    const [requests, extraRuns] = await Promise.all([
      this.ports.extras.listRequests(jobId, REQUESTS_SHOWN),
      this.ports.runs.list(jobId, 'manual', { limit: runs.limit }).then((manual) => manual.items),
    ]);
    return { record, runs: page, requests, extraRuns };
  }

  /**
   * One of a job's executions (`generation`: its position in the job's executions, 0 the first) with a
   * page of its event history. A generation the job does not have is a ValidationError on `generation`;
   * an execution Step Functions no longer knows (a local runtime restarted) ExecutionNotFoundError (404).
   * @example await service.executionHistory('daily', 0, { limit: 100 }) // { execution: { status: 'SUCCEEDED', … }, events: [{ type: 'ExecutionStarted', … }, …] }
   */
  async executionHistory(jobId: string, generation: number, page: { limit: number; cursor?: string }): Promise<{ record: JobRecord; generation: number; execution: ExecutionSummary; events: ExecutionEvent[]; cursor?: string }> {
    const record = await this.get(jobId);
    const executionArn = record.executionArns[generation];
    if (executionArn === undefined) {
      const count = record.executionArns.length;
      throw new ValidationError([{ field: 'generation', message: count === 0 ? `job ${jobId} has no execution yet` : `must be from 0 to ${count - 1}: job ${jobId} has ${count} ${count === 1 ? 'execution' : 'executions'}` }]);
    }
    const { describe, history } = this.ports.executions;
    if (!describe || !history) throw new Error('this ExecutionService cannot read executions back (no describe/history)');
    const [execution, events] = await Promise.all([describe.call(this.ports.executions, executionArn), history.call(this.ports.executions, executionArn, page)]);
    return { record, generation, execution, ...events };
  }

  /** One page of jobs, filtered; the store checks the cursor (ValidationError on `cursor`). */
  list(query: Parameters<JobStore['listJobs']>[0]): Promise<Page<JobRecord>> {
    return this.ports.store.listJobs(query);
  }

  /** Every job, read page by page before anything acts on them (acting while paging would move the pages). */
  async allJobs(): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ports.store.listJobs({ limit: ALL_JOBS_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      jobs.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return jobs;
  }

  /** The next `count` runs of a job after its last finished one; none for a final job. */
  async upcoming(jobId: string, count: number): Promise<{ record: JobRecord; runs: Schedule[]; passedOver?: SkippedRuns }> {
    const record = await this.get(jobId);
    if (isFinalStatus(record.status)) return { record, runs: [] };
    // Runs whose time passed while nothing ran (a pause, downtime) go as the catch-up policy says when the
    // job next runs: listed from the run it would start if it ran now, those it passes over counted apart.
    const resume = scheduleAt(record.job, { iteration: record.cursor + 1 }, this.ports.now().getTime());
    const runs = resume.done ? [] : upcomingRuns(record.job, resume.iteration, count);
    return { record, runs, ...(resume.skipped ? { passedOver: resume.skipped } : {}) };
  }

  /**
   * Stop a job: its executions stopped, its running triggers and backfills ended and stopped, then the job
   * marked CANCELLED — stopped first, so a job shown CANCELLED has nothing running any more. A final job
   * is returned as it is (stopping twice is not an error).
   */
  async stop(jobId: string): Promise<JobRecord> {
    const record = await this.get(jobId);
    if (isFinalStatus(record.status)) return record;
    await this.stopExecutions(record);
    await this.stopRequests(jobId);
    // A job kept for retentionDays expires that long after it was stopped, as after any other end.
    return this.ports.store.cancelJob(jobId, STOP_CAUSE, this.ports.now(), retentionExpiry(record.job, this.ports.now()));
  }

  /**
   * Pause a job: marked PAUSED first, its executions stopped after, so a run that slips in between finds
   * the job paused in its record and does nothing. Pausing a paused job changes nothing (its note stays);
   * a final job throws JobNotActiveError (409). Triggers and backfills already running go on.
   */
  async pause(jobId: string, note: string | undefined): Promise<JobRecord> {
    const record = await this.get(jobId);
    const paused = await this.ports.store.pauseJob(jobId, note, this.ports.now());
    if (record.status !== PAUSED) await this.stopExecutions(record);
    return paused;
  }

  /**
   * Resume a paused job: its status put back, then a fresh execution from the stored cursor (the runs
   * missed meanwhile follow its catchUp policy). A job that is not paused throws JobStateError (409).
   */
  async resume(jobId: string): Promise<{ record: JobRecord; executionArn: string }> {
    const record = await this.get(jobId);
    if (record.status !== PAUSED) {
      throw new JobStateError(jobId, record.status, `job ${jobId} is ${record.status}, not PAUSED; only a paused job can be resumed`);
    }
    const resumed = await this.ports.store.resumeJob(jobId, this.ports.now());
    const executionArn = await this.resumeJobExecution(record);
    return { record: resumed, executionArn };
  }

  /**
   * Run a job once now, apart from its schedule. A final job throws JobStateError (409); a paused one may
   * be triggered. With an idempotency key a repeat finds the first request ('exists') and starts nothing.
   */
  async trigger(jobId: string, options: { note?: string; idempotencyKey?: string } = {}): Promise<RequestAnswer> {
    const record = await this.get(jobId);
    if (isFinalStatus(record.status)) {
      throw new JobStateError(jobId, record.status, `job ${jobId} is ${record.status}; only a job still scheduled (or paused) can be triggered`);
    }
    const { note, idempotencyKey } = options;
    return this.startRequest(record, { kind: 'trigger', runCount: 1, beforeIteration: record.cursor + 1, ...(note === undefined ? {} : { note }) }, idempotencyKey);
  }

  /**
   * Run the runs a past range held (`range` is the client's `{ from, to }`, checked against the job by
   * planBackfill: ValidationError naming `from`, `to` or the field at fault). With an idempotency key a
   * repeat of the same range finds the first request; the key with another range is a ValidationError
   * on `Idempotency-Key`.
   */
  async backfill(jobId: string, range: unknown, options: { idempotencyKey?: string } = {}): Promise<RequestAnswer> {
    const record = await this.get(jobId);
    const plan = planBackfill(record.job, range, this.ports.now().getTime());
    return this.startRequest(record, { kind: 'backfill', runCount: plan.runCount, from: plan.from, to: plan.to, firstIteration: plan.firstIteration }, options.idempotencyKey);
  }

  /**
   * Stop and delete every job (each as `stop` does, then its items), DELETE_CONCURRENCY jobs at a time.
   * Jobs are listed first and deleted after. When one job fails, no further job is started, the ones under
   * way finish, and the first error is thrown: a repeat deletes what is left.
   * @returns how many jobs were deleted
   */
  async deleteAll(): Promise<number> {
    const jobs = await this.allJobs();
    const deleted = await eachBounded(jobs, this.deleteConcurrency, async (record) => {
      if (!isFinalStatus(record.status)) await this.stopExecutions(record);
      await this.stopRequests(record.jobId);
      return this.ports.store.deleteJob(record.jobId);
    });
    return deleted.reduce((sum, count) => sum + count, 0);
  }

  /** What `GET /stats` is computed from (src/lib/stats.ts `buildStats`). */
  async statsInputs(): Promise<{ jobs: JobRecord[]; requests: ExtraRequest[]; durations: number[]; now: Date }> {
    const [jobs, durations] = await Promise.all([this.allJobs(), this.ports.runDurations.durations()]);
    // Triggered and backfilled runs count too: the requests of the jobs that ever had one (their count spares
    // the query for the others), each job's newest STATS_REQUESTS.
    const withRequests = jobs.filter((job) => job.requestsMade !== 0);
    const requests = (await eachBounded(withRequests, this.deleteConcurrency, (job) => this.ports.extras.listRequests(job.jobId, STATS_REQUESTS))).flat();
    return { jobs, requests, durations, now: this.ports.now() };
  }

  /** Resolves when the store answers: a read of an id no job can have (a space), a cheap miss. */
  async pingStore(): Promise<void> {
    await this.ports.store.getJob('health check');
  }

  /** Resolves when Step Functions answers. */
  pingExecutions(): Promise<void> {
    return this.ports.executions.ping();
  }

  /**
   * After a restart of the local runtime (on AWS the executions would simply have gone on): start every
   * job that is neither final nor paused again from its stored cursor (the input ContinueAsNew uses, so a
   * finished run never runs twice), then every trigger or backfill still RUNNING from its own cursor,
   * whatever its job's status (a backfill may run on a finished job). A paused job stays paused.
   * @param jobs every job, when the caller has read them already
   */
  async resumeUnfinished(jobs?: readonly JobRecord[]): Promise<{ jobs: string[]; requests: string[] }> {
    const all = jobs ?? (await this.allJobs());
    const resumedJobs: string[] = [];
    for (const record of all.filter((job) => !isFinalStatus(job.status) && job.status !== PAUSED)) {
      await this.resumeJobExecution(record);
      resumedJobs.push(record.jobId);
    }
    const resumedRequests: string[] = [];
    for (const record of all) {
      for (const request of await this.ports.extras.listRunningRequests(record.jobId)) {
        await this.resumeRequestExecution(record.job, request);
        resumedRequests.push(request.requestId);
      }
    }
    return { jobs: resumedJobs, requests: resumedRequests };
  }

  // ---- private -----------------------------------------------------------------------------------------

  /** The one way an execution starts: start it, then record its ARN on its job or request. */
  private async startAndRecord(owner: Owner, name: string, input: JsonValue): Promise<string> {
    const { executionArn } = await this.ports.executions.start(name, input);
    if (owner.requestId === undefined) await this.ports.store.recordExecution(owner.jobId, executionArn, this.ports.now());
    else await this.ports.extras.recordExecution(owner.jobId, owner.requestId, executionArn);
    return executionArn;
  }

  /** A new execution of a job's live schedule from its stored cursor, with the last finished run's result. */
  private async resumeJobExecution(record: JobRecord): Promise<string> {
    const [previous, next] = await Promise.all([
      record.cursor >= 0 ? this.ports.runs.get({ jobId: record.jobId, series: LIVE, index: record.cursor }) : undefined,
      this.ports.runs.get({ jobId: record.jobId, series: LIVE, index: record.cursor + 1 }),
    ]);
    // A run cut off mid-way (a crash) is attempted again first, whatever its age.
    const { name, input } = resumeFrom(record, previous?.result, next?.state === 'STARTED');
    return this.startAndRecord({ jobId: record.jobId }, name, input);
  }

  /** A new execution of a request from its stored cursor, with its last run's result when that succeeded. */
  private async resumeRequestExecution(job: Job, request: ExtraRequest): Promise<string> {
    const previous = request.cursor >= 0 ? await this.ports.runs.get({ jobId: job.id, series: requestSeries(request.kind, request.requestId), index: request.cursor }) : undefined;
    const { name, input } = requestExecution(job, request, previous?.state === 'SUCCEEDED' ? previous.result : undefined);
    return this.startAndRecord({ jobId: job.id, requestId: request.requestId }, name, input);
  }

  /**
   * Write a trigger or backfill request and start its execution (`<jobId>--<requestId>`). With an
   * idempotency key the stored request under that key answers instead ('exists'), started now if it was
   * written but never started; the same key for another range is refused.
   */
  private async startRequest(record: JobRecord, spec: Omit<NewExtraRequest, 'jobId' | 'requestId' | 'now' | 'idempotencyKey'>, idempotencyKey: string | undefined): Promise<RequestAnswer> {
    const now = this.ports.now();
    const { outcome, request } = await this.ports.extras.createRequest({
      ...spec,
      jobId: record.jobId,
      requestId: newRequestId(spec.kind, now),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      now,
    });
    if (outcome === 'exists' && (request.from !== spec.from || request.to !== spec.to)) {
      throw new ValidationError([{ field: 'Idempotency-Key', message: `was already used for ${request.kind} ${request.requestId} of another range; use a new key` }]);
    }
    let executionArn = request.executionArns.at(-1) ?? null;
    if (executionArn === null && request.state === 'RUNNING') executionArn = await this.resumeRequestExecution(record.job, request);
    return { outcome, request, executionArn };
  }

  private async stopExecutions(record: JobRecord): Promise<void> {
    for (const arn of record.executionArns) await this.ports.executions.stop(arn, STOP_CAUSE);
  }

  /** End a job's running triggers and backfills, then stop them: marked first, so a run that slips in finds the request ended. */
  private async stopRequests(jobId: string): Promise<void> {
    for (const request of await this.ports.extras.listRunningRequests(jobId)) {
      await this.ports.extras.endRequest(jobId, request.requestId, 'CANCELLED', this.ports.now(), STOP_CAUSE);
      for (const arn of request.executionArns) await this.ports.executions.stop(arn, STOP_CAUSE);
    }
  }
}

/**
 * `work` on every item, at most `limit` at a time; the results in the items' order. After a failure no
 * further item starts; the ones under way settle, then the first error is thrown, so nothing is still
 * running when the caller answers.
 * @example await eachBounded([1, 2, 3], 2, async (n) => n * 2) // [2, 4, 6]
 */
export async function eachBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/** What followExecution reads of a status-change event's detail. */
export type FollowedExecution = Pick<ExecutionStatusChangeDetail, 'executionArn' | 'name' | 'status' | 'input' | 'stopDate' | 'error' | 'cause'>;

/** Whether `arns` lists a newer execution after `arn` (an execution not listed yet counts as the newest). */
function newerThan(arns: readonly string[], arn: string): boolean {
  const at = arns.indexOf(arn);
  return at >= 0 && at < arns.length - 1;
}
