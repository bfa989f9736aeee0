/**
 * Job status values and how a finished run moves them. Workflows use the seed-000 set, action jobs the
 * seed-001 set; CANCELLED is how a stop ends either.
 */
import type { Job, Phase } from './job';

export const WORKFLOW_STATUSES = ['INITIALIZED', 'DAY_N_COMPLETE', 'REPORT_GENERATED', 'NOTIFICATION_SENT', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export const ACTION_STATUSES = ['SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

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
  return job.action ? 'SCHEDULED' : 'INITIALIZED';
}

/** Status once run `iteration` (0-based) of `phase` has finished and the job goes on. */
export function statusAfterRun(phase: Phase, iteration: number): JobStatus {
  if (phase === 'action') return 'SCHEDULED';
  if (phase === 'report') return 'NOTIFICATION_SENT';
  return `DAY_${iteration + 1}_COMPLETE`;
}
