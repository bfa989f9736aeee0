/** The home page: headline figures, status filter and every job with its progress and next run. */
import { useState } from 'preact/hooks';
import { request, toApiError, type ApiError } from '../api';
import { frequencyText } from '../format';
import { usePoll } from '../hooks';
import { FINAL_STATUSES, type JobsPage as Page, type JobSummary, type Stats } from '../types';
import { ErrorNote, ProgressBar, StatusBadge, ZonedTime } from './common';
import { StatsStrip } from './StatsPage';

/** The order statuses are offered in as filters: a job's life from start to end. */
function statusRank(status: string): number {
  const day = /^DAY_(\d+)_COMPLETE$/.exec(status);
  if (day) return 10 + Number(day[1]) / 1e7;
  const order = ['INITIALIZED', 'SCHEDULED', 'RUNNING', 'PAUSED', 'DAY', 'REPORT_GENERATED', 'NOTIFICATION_SENT', 'COMPLETED', 'FAILED', 'CANCELLED'];
  const index = order.indexOf(status);
  return index < 0 ? 50 : index < 4 ? index : index + 10;
}

/**
 * Jobs still going first, soonest next run first; then finished ones, latest first. The API pages in its
 * own order (the status index's run order, or the table's), which reads as random on a dashboard.
 */
function byRelevance(a: JobSummary, b: JobSummary): number {
  const aDone = FINAL_STATUSES.includes(a.status);
  const bDone = FINAL_STATUSES.includes(b.status);
  if (aDone !== bDone) return aDone ? 1 : -1;
  if (!aDone) return (a.nextRunAt ?? '\uffff').localeCompare(b.nextRunAt ?? '\uffff') || a.jobId.localeCompare(b.jobId);
  return (b.finishedAt ?? b.updatedAt).localeCompare(a.finishedAt ?? a.updatedAt) || a.jobId.localeCompare(b.jobId);
}

export function kindText(job: JobSummary['job']): string {
  if (job.action?.type === 'webhook') return `webhook ${job.action.method ?? 'POST'}`;
  if (job.action?.type === 'message') return 'message';
  return `${job.config?.reportType ?? 'weekly'} report workflow`;
}

function StatusFilter({ stats, value, onChange }: { stats: Stats | undefined; value: string; onChange: (status: string) => void }) {
  const counts = stats?.jobs.byStatus ?? {};
  const statuses = Object.keys(counts);
  if (value && !statuses.includes(value)) statuses.push(value);
  statuses.sort((a, b) => statusRank(a) - statusRank(b) || a.localeCompare(b));
  return (
    <div class="filters" role="group" aria-label="Filter jobs by status">
      <button type="button" class={`chip${value === '' ? ' is-on' : ''}`} aria-pressed={value === ''} onClick={() => onChange('')}>
        all <span class="chip-count">{stats?.jobs.total ?? ''}</span>
      </button>
      {statuses.map((status) => (
        <button type="button" key={status} data-status={status} class={`chip${value === status ? ' is-on' : ''}`} aria-pressed={value === status} onClick={() => onChange(value === status ? '' : status)}>
          {status.replace(/_/g, ' ').toLowerCase()} <span class="chip-count">{counts[status] ?? 0}</span>
        </button>
      ))}
    </div>
  );
}

export function JobRow({ job, highlight }: { job: JobSummary; highlight: boolean }) {
  return (
    <li class={`job-row${highlight ? ' is-new' : ''}`} data-job-id={job.jobId}>
      <div class="job-main">
        <a class="job-id" href={`#/jobs/${encodeURIComponent(job.jobId)}`}>
          {job.jobId}
        </a>
        <span class="job-kind">
          {kindText(job.job)} · {frequencyText(job.job.frequency)}
        </span>
      </div>
      <div class="job-status">
        <StatusBadge status={job.status} />
      </div>
      <div class="job-progress">
        <ProgressBar progress={job.progress} label={`Progress of ${job.jobId}`} />
      </div>
      <div class="job-next">
        <span class="label">next run</span>
        <ZonedTime iso={job.nextRunAt} zone={job.job.timeZone} empty={job.finishedAt ? 'none: finished' : 'none'} />
      </div>
    </li>
  );
}

export function JobsPage({ refreshMs, status, onStatus, highlight }: { refreshMs: number; status: string; onStatus: (status: string) => void; highlight?: string }) {
  const query = `jobs?limit=100${status ? `&status=${encodeURIComponent(status)}` : ''}`;
  const jobs = usePoll(() => request<Page>('GET', query), refreshMs, query);
  const stats = usePoll(() => request<Stats>('GET', 'stats'), refreshMs, 'stats');
  // Further pages are fetched on demand and not polled: the first page is what moves.
  const [more, setMore] = useState<{ query: string; jobs: JobSummary[]; cursor: string | null; error?: ApiError }>({ query, jobs: [], cursor: null });
  const extra = more.query === query ? more : { query, jobs: [], cursor: null };
  const nextCursor = extra.jobs.length > 0 ? extra.cursor : (jobs.data?.cursor ?? null);

  const loadMore = async () => {
    if (!nextCursor) return;
    try {
      const page = await request<Page>('GET', `${query}&cursor=${encodeURIComponent(nextCursor)}`);
      setMore({ query, jobs: [...extra.jobs, ...page.jobs], cursor: page.cursor });
    } catch (error) {
      setMore({ ...extra, error: toApiError(error) });
    }
  };

  const list = [...(jobs.data?.jobs ?? []), ...extra.jobs].sort(byRelevance);
  return (
    <div class="page page-jobs">
      <StatsStrip stats={stats.data} />
      <section class="card">
        <header class="card-head">
          <h2>Jobs</h2>
          <a class="button primary" href="#/new">
            New job
          </a>
        </header>
        <StatusFilter stats={stats.data} value={status} onChange={onStatus} />
        <ErrorNote error={jobs.error} prefix="Could not list jobs" />
        {jobs.loading && !jobs.data ? (
          <p class="muted">Loading…</p>
        ) : list.length === 0 ? (
          <p class="empty">
            {status ? `No job is ${status.replace(/_/g, ' ').toLowerCase()}.` : 'No jobs yet.'} <a href="#/new">Submit one</a>.
          </p>
        ) : (
          <ul class="job-list" aria-label="Jobs">
            {list.map((job) => (
              <JobRow key={job.jobId} job={job} highlight={job.jobId === highlight} />
            ))}
          </ul>
        )}
        {nextCursor && (
          <button type="button" class="button" onClick={() => void loadMore()}>
            Load more jobs
          </button>
        )}
        <ErrorNote error={extra.error} />
      </section>
    </div>
  );
}
