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
