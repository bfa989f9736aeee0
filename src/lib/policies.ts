/**
 * Every policy a job runs under, its defaults filled in, in one place. The calculator (schedule.ts), the
 * runner (what a failure does), the API's views and, through those views, the dashboard read a job's
 * policies from `policiesOf`; none of them writes a default of its own.
 *
 * Pure and import-free at run time (type imports, and src/lib/fanout.ts which is import-free itself), so
 * the dashboard's browser bundle may import the constants too.
 */
import type { Job, RetrySettings } from './job';
import { isActionJob } from './fanout';

export type CatchUpPolicy = 'skip' | 'one' | 'all';
export type OverlapPolicy = 'skip' | 'bufferOne' | 'allow';
export type FailurePolicy = 'continue' | 'abort';

/** Missed runs older than this (a day) are skipped whatever `catchUp` says. */
export const DEFAULT_CATCH_UP_WINDOW_MINUTES = 1440;

/**
 * The defaults that do not depend on the kind of job. (`onFailure`'s does: see policiesOf.) `timeZone`'s
 * is also the schema's default, which fills it in at parse time; it is here for the records and views of
 * a job stored before the field had a default.
 */
export const DEFAULT_POLICIES = {
  timeZone: 'UTC',
  catchUp: 'one',
  catchUpWindowMinutes: DEFAULT_CATCH_UP_WINDOW_MINUTES,
  overlap: 'skip',
} as const satisfies { timeZone: string; catchUp: CatchUpPolicy; catchUpWindowMinutes: number; overlap: OverlapPolicy };

export interface JobPolicies {
  timeZone: string;
  /** What a failed run does to the job: continue for action jobs, abort for report workflows. */
  onFailure: FailurePolicy;
  /**
   * The job's own retry of a transient failure (delays and its limit on attempts); null: none of its
   * own, only the ASL's static Retry. A `retry` object's missing fields get the schema's defaults.
   */
  retry: RetrySettings | null;
  /** Runs whose time passed while nothing ran (downtime, a pause). */
  catchUp: CatchUpPolicy;
  catchUpWindowMinutes: number;
  /** Runs whose time came while the previous run was still going. */
  overlap: OverlapPolicy;
  /** null: every run starts at its planned time. */
  flexibleWindowMinutes: number | null;
  /** null: a finished job is kept until deleted. */
  retentionDays: number | null;
}

/** The fields a job's policies come from. Partial `timeZone`: a job as a client wrote it may lack one. */
export type PolicyFields = Pick<Job, 'action' | 'onFailure' | 'retry' | 'catchUp' | 'catchUpWindowMinutes' | 'overlap' | 'flexibleWindowMinutes' | 'retentionDays'> &
  Partial<Pick<Job, 'timeZone'>>;

/**
 * The policies `job` runs under, each default filled in.
 * @example policiesOf({ action: { type: 'message', text: 'hi' } }).onFailure // 'continue'
 * @example policiesOf({}).onFailure // 'abort' (a report workflow: its later runs need the earlier ones)
 * @example policiesOf({ catchUp: 'all' }) // { catchUp: 'all', catchUpWindowMinutes: 1440, overlap: 'skip', … }
 */
export function policiesOf(job: PolicyFields): JobPolicies {
  return {
    timeZone: job.timeZone ?? DEFAULT_POLICIES.timeZone,
    // A workflow's later runs build on the earlier ones, so a failure ends it; an action's runs stand alone.
    onFailure: job.onFailure ?? (isActionJob(job) ? 'continue' : 'abort'),
    retry: job.retry ?? null,
    catchUp: job.catchUp ?? DEFAULT_POLICIES.catchUp,
    catchUpWindowMinutes: job.catchUpWindowMinutes ?? DEFAULT_POLICIES.catchUpWindowMinutes,
    overlap: job.overlap ?? DEFAULT_POLICIES.overlap,
    flexibleWindowMinutes: job.flexibleWindowMinutes ?? null,
    retentionDays: job.retentionDays ?? null,
  };
}
