/**
 * The job store and the request store, as the domain sees them: the lifecycle of a job and of a trigger
 * or backfill request. Their runs live in the run ledger (src/lib/ledger.ts). One adapter implements each
 * on DynamoDB (src/adapters/dynamodb/); the local runtime uses the same adapters against dynalite.
 *
 * Every method that moves a job forward is conditional and says so in domain terms: a write to a stopped
 * job gets JobNotActiveError, a different job under a used id JobConflictError.
 */
import type { ExtraKind, RequestState } from './extra-runs';
import type { JsonValue } from './json';
import type { Job } from './job';
import type { LastRun, Page } from './ledger';
import type { JobStatus } from './status';

export type { Page, RunRecord, RunState } from './ledger';

/** The stored counters of a job. Derived figures (percentage, seed 000's days) are computed on read (src/lib/progress.ts). */
export interface RunCounters {
  completedRuns: number;
  failedRuns: number;
  /** Runs passed over by the catch-up or overlap policy. */
  skippedRuns?: number;
  totalRuns: number | null;
}

/** One pause or resume of a job, as its status history shows it. */
export interface PauseEntry {
  event: 'paused' | 'resumed';
  at: string;
  /** The pause's note, when it was given one. */
  note?: string;
}

/** How many pauses and resumes a job keeps: enough to read its recent story, bounded so the item stays small. */
export const PAUSE_LOG_MAX = 20;

export interface JobRecord {
  jobId: string;
  job: Job;
  status: JobStatus;
  /** Index of the last live run counted (succeeded, failed or skipped); -1 before the first. */
  cursor: number;
  progress: RunCounters;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  executionArns: string[];
  finalReport?: JsonValue;
  /** Why a job FAILED or was CANCELLED. */
  reason?: string;
  /** While PAUSED: when, why, and the status it goes back to. */
  pausedAt?: string;
  pauseNote?: string;
  statusBeforePause?: JobStatus;
  /** When it was last resumed: an execution that stopped before then no longer speaks for the job. */
  resumedAt?: string;
  /** Its latest pauses and resumes, oldest first (at most PAUSE_LOG_MAX): the status history shows them. */
  pauseLog?: PauseEntry[];
  /** The latest counted live run (src/lib/ledger.ts LastRun); absent before the first. */
  lastRun?: LastRun;
  /** Totals for statistics, kept on the job so `GET /stats` needs no scan of runs. */
  metrics: { retries: number; runDurationMsTotal: number };
  /**
   * Trigger and backfill requests ever asked for (counted before each is written, so never fewer than
   * exist): 0 lets a job's detail skip looking for them. Absent on items older than the counter: unknown.
   */
  requestsMade?: number;
}

export interface JobStore {
  /** Write a new job; 'exists' when the same job is already stored (idempotent start). Throws JobConflictError for a different job under the id. */
  /**
   * With `idempotencyKey` (a client's Idempotency-Key): a second submit with the same key finds the job the
   * first one created ('exists'), whatever body and id it carries (a seed body gets a fresh id each time).
   */
  /** `executionArn`: the execution the job will run, listed on it from the start (ExecutionService.arnOf). */
  createJob(job: Job, input: { totalRuns: number | null; nextRunAt: string | null; now: Date; idempotencyKey?: string; executionArn?: string }): Promise<{ outcome: 'created' | 'exists'; record: JobRecord }>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  listJobs(query: { status?: string; group?: string; tag?: string; limit: number; cursor?: string }): Promise<Page<JobRecord>>;
  /** Mark a going job PAUSED with an optional note; a paused job is returned as it is; a final one throws JobNotActiveError. */
  pauseJob(jobId: string, note: string | undefined, now: Date): Promise<JobRecord>;
  /** Put a PAUSED job back in the status it had; a job that is not paused is returned as it is. */
  resumeJob(jobId: string, now: Date): Promise<JobRecord>;
  /** Mark the job COMPLETED (the loop ended). */
  completeJob(jobId: string, now: Date, expiresAt?: number): Promise<JobRecord>;
  /** Mark the job CANCELLED unless it is already final; returns the record as it ends up. */
  cancelJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord>;
  /** Mark the job FAILED with a reason unless it is already final; returns the record as it ends up. */
  failJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord>;
  recordExecution(jobId: string, executionArn: string, now: Date): Promise<void>;
  /** Delete a job, its runs and its requests; returns how many jobs were deleted (0 or 1). */
  deleteJob(jobId: string): Promise<number>;
}

/** A trigger or backfill request as stored, with its own progress. */
export interface ExtraRequest {
  jobId: string;
  requestId: string;
  kind: ExtraKind;
  state: RequestState;
  requestedAt: string;
  finishedAt?: string;
  /** Backfill: the range asked for, and the schedule's iterations it holds. */
  from?: string;
  to?: string;
  firstIteration?: number;
  /** Trigger: the live iteration due next when it was asked for (the run it comes before). */
  beforeIteration?: number;
  note?: string;
  /** How many runs the request has: 1 for a trigger. */
  runCount: number;
  completedRuns: number;
  failedRuns: number;
  /** Index of the last run counted; -1 before the first. */
  cursor: number;
  executionArns: string[];
  reason?: string;
  /** Totals of its runs for GET /stats, as the job keeps them for its live runs (absent before any). */
  retries?: number;
  runDurationMsTotal?: number;
}

export interface NewExtraRequest {
  jobId: string;
  requestId: string;
  /**
   * The client's Idempotency-Key: a second request with the same key (and kind) for the same job finds the
   * first one ('exists') instead of being written, whatever requestId it was given.
   */
  idempotencyKey?: string;
  kind: ExtraKind;
  runCount: number;
  from?: string;
  to?: string;
  firstIteration?: number;
  beforeIteration?: number;
  note?: string;
  now: Date;
}

/**
 * The request a RequestStore writes for a new id: RUNNING, nothing counted yet, and only the optional
 * fields the caller gave (the document client would drop undefined ones anyway; this keeps fakes alike).
 * @example newExtraRequest({ jobId: 'daily', requestId: 'r1', kind: 'trigger', runCount: 1, now }, 'r1').cursor // -1
 */
export function newExtraRequest(input: NewExtraRequest, requestId: string): ExtraRequest {
  return {
    jobId: input.jobId,
    requestId,
    kind: input.kind,
    state: 'RUNNING',
    requestedAt: input.now.toISOString(),
    runCount: input.runCount,
    completedRuns: 0,
    failedRuns: 0,
    cursor: -1,
    executionArns: [],
    ...(input.from === undefined ? {} : { from: input.from }),
    ...(input.to === undefined ? {} : { to: input.to }),
    ...(input.firstIteration === undefined ? {} : { firstIteration: input.firstIteration }),
    ...(input.beforeIteration === undefined ? {} : { beforeIteration: input.beforeIteration }),
    ...(input.note === undefined ? {} : { note: input.note }),
  };
}

/** Trigger and backfill requests. Same rules as jobs: every forward write is conditional. */
export interface RequestStore {
  /** Write a request unless its id (or its idempotency key) was used ('exists' then, with the stored one: a repeated POST). */
  createRequest(input: NewExtraRequest): Promise<{ outcome: 'created' | 'exists'; request: ExtraRequest }>;
  getRequest(jobId: string, requestId: string): Promise<ExtraRequest | undefined>;
  /** A job's requests, newest first (at most `limit`). */
  listRequests(jobId: string, limit: number): Promise<ExtraRequest[]>;
  /** Every request of a job still RUNNING, however old (stopping a job, a restart). */
  listRunningRequests(jobId: string): Promise<ExtraRequest[]>;
  recordExecution(jobId: string, requestId: string, executionArn: string): Promise<void>;
  /** Mark a RUNNING request SUCCEEDED, FAILED or CANCELLED; a request already ended is returned as it is. */
  endRequest(jobId: string, requestId: string, state: Exclude<RequestState, 'RUNNING'>, now: Date, reason?: string): Promise<ExtraRequest>;
}
