/**
 * The API's JSON shapes, taken from the functions that produce them (type-only imports: esbuild drops
 * them, so no server code reaches the bundle, and a change to a view breaks the dashboard's type check
 * rather than the page).
 */
import type { executionHistoryView, extraRequestView, jobDetailView, jobSummaryView, upcomingView } from '../functions/api/views';
import type { FinalReport } from '../lib/report';
import type { buildStats } from '../lib/stats';

export type JobSummary = ReturnType<typeof jobSummaryView>;
export type JobDetail = ReturnType<typeof jobDetailView>;
export type Step = JobDetail['progress']['steps'][number];
export type Progress = JobSummary['progress'];
export type LastRun = NonNullable<JobSummary['lastRun']>;
export type Attempt = Step['attemptHistory'][number];
export type ExecutionHistory = ReturnType<typeof executionHistoryView>;
export type ExecutionEvent = ExecutionHistory['events'][number];
export type Upcoming = ReturnType<typeof upcomingView>;
export type UpcomingRun = Upcoming['runs'][number];
/** A trigger or backfill request, and one of its runs: kept apart from the live `progress.steps`. */
export type ExtraRequest = JobDetail['extraRequests'][number];
export type ExtraRun = JobDetail['extraRuns'][number];
/** What `POST /jobs/{id}/trigger` and `/backfill` answer: the request, as the job view lists it. */
export type ExtraAnswer = ReturnType<typeof extraRequestView> & { jobId: string };
export type Stats = ReturnType<typeof buildStats>;
export type { FinalReport };

export interface JobsPage {
  jobs: JobSummary[];
  count: number;
  cursor: string | null;
}

export const FINAL_STATUSES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
/** Not final: resume puts back the status the job had. */
export const PAUSED = 'PAUSED';
