/**
 * The step contract: what a run of each phase is given and returns. Step handlers live in src/steps/
 * (they do I/O: reading a data source, calling a webhook, publishing a message); the task Lambda picks
 * one by phase and records its result through the store, so steps never know where results are kept.
 */
import type { JsonObject, JsonValue } from './json';
import type { FailureDestination, Job, Phase, Schedule } from './job';
import type { ExtraKind } from './extra-runs';
import { actionKey } from './fanout';
import type { RunRecord } from './store';

/** Read access to the job's earlier runs (collection's manifest, processing counts for the report). */
export interface RunHistory {
  getRun(iteration: number): Promise<RunRecord | undefined>;
  /** Every finished run before the current one, in iteration order. */
  finishedRuns(): Promise<RunRecord[]>;
}

export interface Notification {
  channel: string;
  subject: string;
  text: string;
  /** Kept for a mail integration; nothing sends mail in this product. */
  email?: string;
  /** The job it is about, and a key a subscriber can drop a repeat on (failure notices carry both). */
  jobId?: string;
  idempotencyKey?: string;
}

/** Where messages and notifications go: SNS on AWS, a log line and an outbox file locally. */
export interface Notifier {
  publish(notification: Notification): Promise<{ messageId: string }>;
}

export interface StepContext {
  job: Job;
  schedule: Schedule;
  /** The previous run's result summary, if any. */
  lastResult?: JsonValue;
  /** Attempt number of this run, from the store (1 on the first try). */
  attempt: number;
  history: RunHistory;
  notifier: Notifier;
  now: () => Date;
  /** Set for a triggered or backfilled run (src/lib/extra-runs.ts): it is not the live run of its iteration. */
  extra?: { kind: ExtraKind; requestId: string; index: number };
  /** Set for one action of a fan-out run (src/lib/fanout.ts): which of `job.actions` runs, keyed `<run key>:<index>`. */
  actionIndex?: number;
}

/**
 * The key a receiver deduplicates a run's effect on: `<jobId>:<iteration>` for a live run, with the
 * request and index for an extra one, so a backfilled run 3 is never mistaken for the live run 3.
 * An action of a fan-out run adds its index: `<run key>:<action index>`.
 * @example runKeyOf({ job: { id: 'daily' }, schedule: { iteration: 3 } }) // 'daily:3'
 */
export function runKeyOf(context: Pick<StepContext, 'job' | 'schedule' | 'extra' | 'actionIndex'>): string {
  const run = context.extra ? `${context.job.id}:${context.extra.requestId}:${context.extra.index}` : `${context.job.id}:${context.schedule.iteration}`;
  return context.actionIndex === undefined ? run : actionKey(run, context.actionIndex);
}

export interface StepResult {
  /** Stored on the run item (keep it small: it is not the data). */
  result: JsonObject;
  /** Handed to the next run as `lastResult`; defaults to `result`. */
  summary?: JsonObject;
  /** The report step's seed-000 `finalReport`. */
  finalReport?: JsonObject;
}

export type StepHandler = (context: StepContext) => Promise<StepResult>;

export type StepRegistry = Record<Phase, StepHandler>;

/** What a failure destination receives about a failed run. */
export interface FailureReport {
  /** `<jobId>:<iteration>`: the same for every delivery of the same failure. */
  idempotencyKey: string;
  jobId: string;
  iteration: number;
  phase: Phase;
  plannedAt: string;
  failedAt: string;
  attempts: number;
  error: { name: string; message: string };
  input: { job: Job; schedule: Schedule };
}

/** Delivers failure reports: SNS or SQS on AWS, a file or a URL on the local runtime. */
export interface FailureSink {
  deliver(destination: FailureDestination, report: FailureReport): Promise<void>;
}
