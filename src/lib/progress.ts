/**
 * What a job's stored counters mean to a reader: the percentage done and seed 000's day counters. The
 * store keeps only counters it can move with arithmetic in one conditional write (src/lib/store.ts
 * RunCounters); everything here is derived on read, so no stored figure can drift from the runs.
 */
import type { JobStatus } from './status';
import type { RunCounters } from './store';

export interface ProgressView extends RunCounters {
  percentage: number;
  skippedRuns: number;
  /** Workflows only (seed 000): a "day" is one run; the day the job is on, days done, days in all. */
  currentDay?: number;
  completedDays?: number;
  totalDays?: number | null;
}

/**
 * round(100 × settled / total) when the total is known; a COMPLETED job is at 100 whatever it counted.
 * @example percentageOf('SCHEDULED', { completedRuns: 1, failedRuns: 1, skippedRuns: 0, totalRuns: 4 }) // 50
 */
export function percentageOf(status: JobStatus, counters: RunCounters): number {
  if (status === 'COMPLETED') return 100;
  const { totalRuns, completedRuns, failedRuns, skippedRuns = 0 } = counters;
  if (!totalRuns) return 0;
  return Math.min(100, Math.round((100 * (completedRuns + failedRuns + skippedRuns)) / totalRuns));
}

/**
 * A job's progress as the API shows it. A workflow's seed-000 day counters come from its counters:
 * run `cursor` is day `cursor + 1`, and a day is done when its run succeeded.
 * @example progressOf({ status: 'DAY_2_COMPLETE', cursor: 1, progress: { completedRuns: 2, failedRuns: 0, totalRuns: 7 } }, true).currentDay // 2
 */
export function progressOf(record: { status: JobStatus; cursor: number; progress: RunCounters }, workflow: boolean): ProgressView {
  const { progress } = record;
  const view: ProgressView = { ...progress, skippedRuns: progress.skippedRuns ?? 0, percentage: percentageOf(record.status, progress) };
  if (workflow) Object.assign(view, { currentDay: record.cursor + 1, completedDays: progress.completedRuns, totalDays: progress.totalRuns });
  return view;
}

/**
 * How a job is doing, in one word a reader can trust. The status says where a job is in its life
 * (COMPLETED: its schedule ran out); the outcome says how its runs went, so a job whose every run failed
 * never reads as a success.
 * - `succeeded`: ended (COMPLETED) with no failed run;
 * - `completed_with_failures`: ended with some runs succeeded and some failed;
 * - `failed`: FAILED (the abort policy stopped it), or ended with runs that all failed;
 * - `cancelled`: stopped by hand;
 * - `paused`: paused, to be resumed;
 * - `in_progress`: still scheduled or running (a failed run shows in `lastRun` and the counters).
 */
export type JobOutcome = 'succeeded' | 'completed_with_failures' | 'failed' | 'cancelled' | 'paused' | 'in_progress';

export const JOB_OUTCOMES: readonly JobOutcome[] = ['succeeded', 'completed_with_failures', 'failed', 'cancelled', 'paused', 'in_progress'];

/**
 * The outcome of a job from its status and counters (see JobOutcome).
 * @example outcomeOf('COMPLETED', { completedRuns: 0, failedRuns: 6, totalRuns: 6 }) // 'failed'
 * @example outcomeOf('COMPLETED', { completedRuns: 5, failedRuns: 1, totalRuns: 6 }) // 'completed_with_failures'
 */
export function outcomeOf(status: JobStatus, counters: Pick<RunCounters, 'completedRuns' | 'failedRuns'>): JobOutcome {
  if (status === 'FAILED') return 'failed';
  if (status === 'CANCELLED') return 'cancelled';
  if (status === 'PAUSED') return 'paused';
  if (status !== 'COMPLETED') return 'in_progress';
  if (counters.failedRuns === 0) return 'succeeded';
  return counters.completedRuns === 0 ? 'failed' : 'completed_with_failures';
}

/**
 * Whether a job needs an operator's eye: it failed, or any of its runs failed (the "needs attention"
 * view lists these first). A cancelled job with failed runs still counts: its failures were never looked into.
 * @example needsAttention('SCHEDULED', { completedRuns: 3, failedRuns: 1, totalRuns: null }) // true
 */
export function needsAttention(status: JobStatus, counters: Pick<RunCounters, 'completedRuns' | 'failedRuns'>): boolean {
  return status === 'FAILED' || counters.failedRuns > 0;
}
