/**
 * Job status values and how a finished run moves them. Workflows use the seed-000 set, action jobs the
 * seed-001 set; CANCELLED is how a stop ends either.
 */
import type { Job, Phase } from './job';
import { isActionJob } from './fanout';

export const WORKFLOW_STATUSES = ['INITIALIZED', 'DAY_N_COMPLETE', 'REPORT_GENERATED', 'NOTIFICATION_SENT', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export const ACTION_STATUSES = ['SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

/** A paused job keeps its place (cursor) and runs nothing until resumed; it is not final. */
export const PAUSED = 'PAUSED';

/** A stored status: one of the sets above, with DAY_N_COMPLETE spelled with its number (DAY_3_COMPLETE). */
export type JobStatus = string;

export const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export function isFinalStatus(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** A status filter a client may pass to `GET /jobs?status=`. */
export function isKnownStatus(status: string): boolean {
  return (
    /^DAY_[1-9][0-9]{0,6}_COMPLETE$/.test(status) ||
    (WORKFLOW_STATUSES as readonly string[]).includes(status) ||
    (ACTION_STATUSES as readonly string[]).includes(status)
  );
}

export function initialStatus(job: Job): JobStatus {
  return isActionJob(job) ? 'SCHEDULED' : 'INITIALIZED';
}

/** Status once run `iteration` (0-based) of `phase` has finished and the job goes on. */
export function statusAfterRun(phase: Phase, iteration: number): JobStatus {
  if (phase === 'action') return 'SCHEDULED';
  if (phase === 'report') return 'NOTIFICATION_SENT';
  return `DAY_${iteration + 1}_COMPLETE`;
}

/**
 * Status once run `iteration` of `phase` failed: FAILED under the abort policy; otherwise an action job
 * waits for its next run and a workflow keeps the status it had (undefined: unchanged).
 * @example statusAfterFailure('action', 'continue') // 'SCHEDULED'
 */
export function statusAfterFailure(phase: Phase, policy: 'abort' | 'continue'): JobStatus | undefined {
  if (policy === 'abort') return 'FAILED';
  return phase === 'action' ? 'SCHEDULED' : undefined;
}

export interface StatusChange {
  status: JobStatus;
  at: string;
  /** A change made by hand: `paused` (status PAUSED, with its note) or `resumed` (the status it went back to). */
  event?: 'paused' | 'resumed';
  note?: string;
}

/** The parts of a job record and its runs the history is derived from. */
interface HistorySource {
  status: JobStatus;
  createdAt: string;
  finishedAt?: string;
  job: Job;
  /** Its pauses and resumes, oldest first (src/lib/store.ts PauseEntry). */
  pauseLog?: ReadonlyArray<{ event: 'paused' | 'resumed'; at: string; note?: string }>;
}
interface RunSource {
  iteration: number;
  phase: Phase;
  state: string;
  finishedAt?: string;
  result?: unknown;
}

/**
 * The job's status sequence, derived from its runs rather than stored (so a job of ten thousand runs
 * keeps a small item): the initial status, seed 000's DAY_N_COMPLETE per finished workflow run,
 * REPORT_GENERATED and NOTIFICATION_SENT from the report run, then the final status. Action jobs, whose
 * status only moves between SCHEDULED and RUNNING, show their first and final statuses. Pauses and resumes
 * (the job's pause log) fall in by time: PAUSED with its note, then the status it went back to.
 * @example statusHistory(sevenDayJob, runs).map((c) => c.status)
 * // ['INITIALIZED', 'DAY_1_COMPLETE', …, 'DAY_6_COMPLETE', 'REPORT_GENERATED', 'NOTIFICATION_SENT', 'COMPLETED']
 */
export function statusHistory(record: HistorySource, runs: readonly RunSource[]): StatusChange[] {
  const changes: StatusChange[] = [{ status: initialStatus(record.job), at: record.createdAt }];
  if (!isActionJob(record.job)) {
    for (const run of [...runs].sort((a, b) => a.iteration - b.iteration)) {
      if (run.state !== 'SUCCEEDED' || !run.finishedAt) continue;
      if (run.phase !== 'report') {
        changes.push({ status: `DAY_${run.iteration + 1}_COMPLETE`, at: run.finishedAt });
        continue;
      }
      const result = (run.result ?? {}) as { reportGeneratedAt?: string; notificationSentAt?: string };
      changes.push({ status: 'REPORT_GENERATED', at: result.reportGeneratedAt ?? run.finishedAt });
      changes.push({ status: 'NOTIFICATION_SENT', at: result.notificationSentAt ?? run.finishedAt });
    }
  }
  withPauses(changes, record.pauseLog ?? []);
  if (isFinalStatus(record.status)) changes.push({ status: record.status, at: record.finishedAt ?? changes.at(-1)!.at });
  return changes;
}

/** Put each pause and resume among the derived changes by time; a resume goes back to the status before its pause. */
function withPauses(changes: StatusChange[], log: NonNullable<HistorySource['pauseLog']>): void {
  if (log.length === 0) return;
  const merged: StatusChange[] = [...changes, ...log.map((entry): StatusChange => ({ status: entry.event === 'paused' ? PAUSED : '', at: entry.at, event: entry.event, ...(entry.note ? { note: entry.note } : {}) }))];
  // Stable: a pause at the same instant as a derived change comes after it.
  merged.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let before = changes[0]!.status;
  for (const change of merged) {
    if (change.event === 'resumed') change.status = before;
    else if (change.event !== 'paused') before = change.status;
  }
  changes.splice(0, changes.length, ...merged);
}
