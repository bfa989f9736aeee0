/**
 * The job store, as the domain sees it. One adapter implements it on DynamoDB
 * (src/adapters/dynamodb-store.ts); the local runtime uses the same adapter against dynalite.
 *
 * Every method that moves a run or a job forward is conditional and says so in domain terms: a second
 * finisher of a run gets RunAlreadyFinished, a write to a stopped job gets JobNotActiveError.
 */
import type { JsonValue } from './json';
import type { Job, Phase, SkippedRuns } from './job';
import type { JobStatus } from './status';

export type RunState = 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface RunRecord {
  jobId: string;
  iteration: number;
  phase: Phase;
  /** When the schedule said it should run (ISO, UTC). */
  plannedAt: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** How many times a task invocation started this run (1 when it passed first time). */
  attempts: number;
  state: RunState;
  result?: JsonValue;
  error?: { name: string; message: string };
  /** The job status this run left behind (DAY_3_COMPLETE, SCHEDULED, FAILED, …). */
  statusAfter?: JobStatus;
  executionArn?: string;
  /** When the failure was delivered to the job's failureDestination. */
  failureDeliveredAt?: string;
  /** A SKIPPED item stands for the runs from `iteration` to `skippedThrough`, and says why. */
  skippedThrough?: number;
  skipReason?: 'missed' | 'overlap';
}

export interface Progress {
  percentage: number;
  completedRuns: number;
  failedRuns: number;
  /** Runs passed over by the catch-up or overlap policy. */
  skippedRuns?: number;
  totalRuns: number | null;
  /** Workflows only: seed-000's day counters, a "day" being one run. */
  currentDay?: number;
  completedDays?: number;
  totalDays?: number | null;
}

export interface JobRecord {
  jobId: string;
  job: Job;
  status: JobStatus;
  /** Iteration of the last run that finished (succeeded or failed); -1 before the first. */
  cursor: number;
  progress: Progress;
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
  /** Totals for statistics, kept on the job so `GET /stats` needs no scan of runs. */
  metrics: { retries: number; runDurationMsTotal: number };
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

export interface BeginRunInput {
  job: Job;
  iteration: number;
  phase: Phase;
  plannedAt: string;
  totalRuns: number | null;
  executionArn?: string;
  now: Date;
}

/** What beginRun found: a fresh or retried attempt to run, or a run that already finished. */
export type BeginRunOutcome =
  | { kind: 'run'; attempts: number }
  | { kind: 'already-finished'; run: RunRecord };

export interface FinishRunInput {
  jobId: string;
  iteration: number;
  result: JsonValue;
  /** Status of the job once this run is recorded. */
  statusAfter: JobStatus;
  nextRunAt: string | null;
  finalReport?: JsonValue;
  now: Date;
  /** TTL (epoch seconds) for the run item, and for the job item when this run ends the job. */
  expiresAt?: number;
  /** How long the step ran, on a real-time clock; absent: the span between start and finish. */
  durationMs?: number;
}

export interface FailRunInput {
  jobId: string;
  iteration: number;
  phase: Phase;
  plannedAt: string;
  error: { name: string; message: string };
  /** abort: the job becomes FAILED; continue: the run is recorded failed and the job goes on. */
  policy: 'abort' | 'continue';
  nextRunAt: string | null;
  now: Date;
  /** TTL (epoch seconds) for the run item, and for the job item when this failure ends the job. */
  expiresAt?: number;
}

export interface JobStore {
  /** Write a new job; returns 'created', or 'exists' when the same job is already stored (idempotent start). Throws JobConflictError for a different job under the id. */
  createJob(job: Job, input: { totalRuns: number | null; nextRunAt: string | null; now: Date }): Promise<{ outcome: 'created' | 'exists'; record: JobRecord }>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  listJobs(query: { status?: string; group?: string; tag?: string; limit: number; cursor?: string }): Promise<Page<JobRecord>>;
  /** Mark a going job PAUSED with an optional note; a paused job is returned as it is; a final one throws JobNotActiveError. */
  pauseJob(jobId: string, note: string | undefined, now: Date): Promise<JobRecord>;
  /** Put a PAUSED job back in the status it had; a job that is not paused is returned as it is. */
  resumeJob(jobId: string, now: Date): Promise<JobRecord>;
  listRuns(jobId: string, query: { limit: number; cursor?: string }): Promise<Page<RunRecord>>;
  getRun(jobId: string, iteration: number): Promise<RunRecord | undefined>;
  /** Start (or re-start after a failed attempt) a run. Throws JobNotActiveError when the job is final. */
  beginRun(input: BeginRunInput): Promise<BeginRunOutcome>;
  /** Record success. Exactly one of two concurrent finishers wins; the other gets RunAlreadyFinishedError. */
  finishRun(input: FinishRunInput): Promise<RunRecord>;
  failRun(input: FailRunInput): Promise<RunRecord>;
  /** Mark the job COMPLETED (the loop ended). */
  completeJob(jobId: string, now: Date, expiresAt?: number): Promise<JobRecord>;
  /** Mark the job CANCELLED unless it is already final; returns the record as it ends up. */
  cancelJob(jobId: string, reason: string, now: Date, expiresAt?: number): Promise<JobRecord>;
  recordExecution(jobId: string, executionArn: string, now: Date): Promise<void>;
  /** Record a range of runs the calculator passed over as one SKIPPED item; a repeat changes nothing. */
  recordSkippedRuns(jobId: string, skipped: SkippedRuns, now: Date): Promise<void>;
  /** Remember that a failed run was delivered to the failure destination. */
  markFailureDelivered(jobId: string, iteration: number, now: Date): Promise<void>;
  /** Delete a job and all its runs; returns how many jobs were deleted (0 or 1). */
  deleteJob(jobId: string): Promise<number>;
}
