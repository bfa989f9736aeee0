/**
 * Failure notifications: who hears about a job's failures, and what they are told. Pure: the notices are
 * built here and published by src/lib/attempt.ts, once per failed run, beside the run's failure
 * destination and under the same once-marker (`failureDeliveredAt`).
 *
 * | job       | where                                          | `notifyOn` default         |
 * |-----------|------------------------------------------------|----------------------------|
 * | workflow  | `config.notifyChannel` (default `reports`), `config.notifyEmail` | `["failure", "completion"]` |
 * | action    | `notify: { channel?, email? }` (none: no notices; channel default `default`) | `[]` |
 *
 * A job that ends FAILED (a failed run under `onFailure: "abort"`) is always notified. `failure` adds a
 * notice for each failed run, with its reason; `completion` is a workflow's report notice (always sent, by
 * the report step) or, for an action job, a notice when the job ends COMPLETED (sent by Finish).
 */
import type { Job } from './job';
import { isActionJob } from './fanout';
import type { Notification } from './steps';

export interface NotifyTarget {
  channel: string;
  email?: string;
}

/**
 * Where a job's notices go, or undefined for an action job without `notify`.
 * @example notifyTargetOf({ action: { type: 'webhook', … }, notify: { email: 'ops@example.com' } }) // { channel: 'default', email: 'ops@example.com' }
 */
export function notifyTargetOf(job: Job): NotifyTarget | undefined {
  if (isActionJob(job)) {
    if (!job.notify) return undefined;
    return { channel: job.notify.channel ?? 'default', ...(job.notify.email === undefined ? {} : { email: job.notify.email }) };
  }
  return { channel: job.config?.notifyChannel ?? 'reports', ...(job.config?.notifyEmail === undefined ? {} : { email: job.config.notifyEmail }) };
}

/** What the job is notified of: its own notifyOn, or the default of its kind (see the module's table). */
export function notifyOnOf(job: Job): ReadonlyArray<'failure' | 'completion'> {
  return job.notifyOn ?? (isActionJob(job) ? [] : ['failure', 'completion']);
}

export interface FailedRunFacts {
  /** The run's key (`runKey`): `<jobId>:<iteration>` or `<jobId>:<requestId>:<index>`. */
  key: string;
  /** How people call the run: "run 3", "triggered run", "backfilled run 2". */
  label: string;
  attempts: number;
  error: { name: string; message: string };
  /** True when this failure ended the job FAILED (a live run under the abort policy). */
  endsJob: boolean;
}

/**
 * The notices one failed run owes: one for the run when `notifyOn` has `failure`, one for the job when the
 * failure ended it. Each carries a key of its own, so a subscriber can drop a repeat.
 * @example failureNotices(job, { key: 'ping:2', label: 'run 3', attempts: 5, error: { name: 'TransientError', message: 'answered 503' }, endsJob: true }).map((n) => n.subject)
 * // ['Run 3 of job ping failed', 'Job ping FAILED']
 */
export function failureNotices(job: Job, run: FailedRunFacts): Notification[] {
  const target = notifyTargetOf(job);
  if (!target) return [];
  const notices: Notification[] = [];
  const reason = `${run.error.name}: ${run.error.message}`;
  const base = { channel: target.channel, ...(target.email === undefined ? {} : { email: target.email }), jobId: job.id };
  if (notifyOnOf(job).includes('failure')) {
    const label = run.label.charAt(0).toUpperCase() + run.label.slice(1);
    notices.push({
      ...base,
      idempotencyKey: `${run.key}:run-failed`,
      subject: `${label} of job ${job.id} failed`,
      text: `${label} of job ${job.id} failed after ${run.attempts} attempt${run.attempts === 1 ? '' : 's'}: ${reason}`,
    });
  }
  if (run.endsJob) {
    notices.push({
      ...base,
      idempotencyKey: `${job.id}:job-failed`,
      subject: `Job ${job.id} FAILED`,
      text: `Job ${job.id} FAILED: ${run.label} failed and its failure policy is abort. Reason: ${reason}`,
    });
  }
  return notices;
}

/**
 * The notice an action job owes when it ends COMPLETED, if `notifyOn` has `completion` (a workflow's is its
 * report, sent by the report step). Its key lets a subscriber drop the repeat a retried Finish may send.
 * @example completionNotice(job, { completedRuns: 3, failedRuns: 1 })?.subject // 'Job ping COMPLETED'
 */
export function completionNotice(job: Job, progress: { completedRuns?: number; failedRuns?: number } | undefined): Notification | undefined {
  const target = notifyTargetOf(job);
  if (!isActionJob(job) || !target || !notifyOnOf(job).includes('completion')) return undefined;
  const done = progress?.completedRuns ?? 0;
  const failed = progress?.failedRuns ?? 0;
  return {
    channel: target.channel,
    ...(target.email === undefined ? {} : { email: target.email }),
    jobId: job.id,
    idempotencyKey: `${job.id}:job-completed`,
    subject: `Job ${job.id} COMPLETED`,
    text: `Job ${job.id} COMPLETED: ${done} run${done === 1 ? '' : 's'} succeeded, ${failed} failed.`,
  };
}
