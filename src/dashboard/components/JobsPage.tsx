/** The home page: headline figures, filters (status, group, tag) and every job with its progress and next run. */
import { useEffect, useState } from 'preact/hooks';
import { request, toApiError, type ApiError } from '../api';
import { formatNumber, frequencyText } from '../format';
import { usePoll } from '../hooks';
import { FINAL_STATUSES, PAUSED, type JobsPage as Page, type JobSummary, type Stats } from '../types';
import { Ago, ErrorNote, JobState, ProgressBar, ZonedTime } from './common';
import { cronText, errorSummary } from '../format';
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
 * Jobs that need attention (failed, or with failed runs) first, latest finished run first; then jobs still
 * going, soonest next run first, paused ones after them (a paused job's next run is long past); then
 * finished ones, latest first. The API pages in its own order (the status index's run order, or the
 * table's), which reads as random on a dashboard.
 */
function byRelevance(a: JobSummary, b: JobSummary): number {
  if (a.needsAttention !== b.needsAttention) return a.needsAttention ? -1 : 1;
  if (a.needsAttention) return (b.lastRun?.finishedAt ?? b.updatedAt).localeCompare(a.lastRun?.finishedAt ?? a.updatedAt) || a.jobId.localeCompare(b.jobId);
  const rank = (job: JobSummary) => (FINAL_STATUSES.includes(job.status) ? 2 : job.status === PAUSED ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (rank(a) < 2) return (a.nextRunAt ?? '\uffff').localeCompare(b.nextRunAt ?? '\uffff') || a.jobId.localeCompare(b.jobId);
  return (b.finishedAt ?? b.updatedAt).localeCompare(a.finishedAt ?? a.updatedAt) || a.jobId.localeCompare(b.jobId);
}

/** What the list is narrowed to; each lives in the hash (`#/?status=…&group=…&tag=…`), '' for none. */
export interface JobFilters {
  status: string;
  group: string;
  tag: string;
  /** '1': only jobs that need attention (failed, or with failed runs), over the pages loaded. */
  attention?: string;
}

/** The hash path of the jobs list under these filters: `/?group=reports&tag=nightly`, or `/` with none. */
export function jobsHash(filters: JobFilters): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'group', 'tag', 'attention'] as const) if (filters[key]) params.set(key, filters[key] ?? '');
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

/** A job's group and tags, each a link to the list narrowed to it (on top of the filters already set). */
export function JobLabels({ group, tags = [], filters }: { group?: string | undefined; tags?: string[] | undefined; filters: JobFilters }) {
  if (!group && tags.length === 0) return null;
  return (
    <span class="job-labels">
      {group && (
        <a class="group-label" href={`#${jobsHash({ ...filters, group })}`} title={`jobs in group ${group}`} data-group={group}>
          {group}
        </a>
      )}
      {tags.map((tag) => (
        <a key={tag} class="tag" href={`#${jobsHash({ ...filters, tag })}`} title={`jobs tagged ${tag}`} data-tag={tag}>
          {tag}
        </a>
      ))}
    </span>
  );
}

export function kindText(job: JobSummary['job']): string {
  if (job.action?.type === 'webhook') return `webhook ${job.action.method ?? 'POST'}`;
  if (job.action?.type === 'message') return 'message';
  // A target (sqs, sns, lambda, eventbridge, stepfunctions) by its type, never mistaken for a workflow.
  if (job.action) return job.action.type;
  if (job.actions) return `fan-out of ${job.actions.length}`;
  return `${job.config?.reportType ?? 'weekly'} report workflow`;
}

/** `every day`, `once`, or the job's own expression in words: `At 09:00 AM (cron(0 9 * * ? *))`. */
export function repeatText(job: JobSummary['job']): string {
  return job.scheduleExpression ? cronText(job.scheduleExpression) : frequencyText(job.frequency);
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

/** Group and tag, typed and applied together on Enter or "Filter", so each keystroke is not a request. */
function LabelFilter({ filters, onChange, known }: { filters: JobFilters; onChange: (filters: JobFilters) => void; known: { groups: string[]; tags: string[] } }) {
  const [group, setGroup] = useState(filters.group);
  const [tag, setTag] = useState(filters.tag);
  // The hash may change under the inputs (a tag clicked in a row, the back button): show what applies.
  useEffect(() => {
    setGroup(filters.group);
    setTag(filters.tag);
  }, [filters.group, filters.tag]);
  const apply = (event: Event) => {
    event.preventDefault();
    onChange({ ...filters, group: group.trim(), tag: tag.trim() });
  };
  return (
    <form class="label-filter" role="search" aria-label="Filter jobs by group and tag" onSubmit={apply}>
      <label>
        <span class="label">group</span>
        <input name="group" list="known-groups" value={group} onInput={(e) => setGroup(e.currentTarget.value)} placeholder="any" autoComplete="off" spellcheck={false} />
      </label>
      <label>
        <span class="label">tag</span>
        <input name="tag" list="known-tags" value={tag} onInput={(e) => setTag(e.currentTarget.value)} placeholder="any" autoComplete="off" spellcheck={false} />
      </label>
      <datalist id="known-groups">
        {known.groups.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <datalist id="known-tags">
        {known.tags.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <button type="submit" class="button">
        Filter
      </button>
      {(filters.group || filters.tag) && (
        <button type="button" class="button" data-action="clear-labels" onClick={() => onChange({ ...filters, group: '', tag: '' })}>
          Clear
        </button>
      )}
    </form>
  );
}

/** The latest run: how it went, when, and its error in one line. */
function LastRunCell({ job }: { job: JobSummary }) {
  const last = job.lastRun;
  if (!last) return <span class="muted">no run yet</span>;
  const failed = last.state === 'FAILED';
  return (
    <span class="last-run" data-last-run={last.state}>
      <span class={failed ? 'text-failed' : 'text-ok'}>
        {failed ? '✕' : '✓'} run {formatNumber(last.index + 1)} {failed ? 'failed' : 'succeeded'}
      </span>{' '}
      <Ago iso={last.finishedAt} />
      {failed && last.error && (
        <span class="last-error" title={`${last.error.name}: ${last.error.message}`}>
          {errorSummary(last.error.message, 90)}
        </span>
      )}
    </span>
  );
}

export function JobRow({ job, highlight, filters }: { job: JobSummary; highlight: boolean; filters: JobFilters }) {
  return (
    <li class={`job-row${highlight ? ' is-new' : ''}${job.needsAttention ? ' needs-attention' : ''}`} data-job-id={job.jobId} data-outcome={job.outcome}>
      <div class="job-main">
        <a class="job-id" href={`#/jobs/${encodeURIComponent(job.jobId)}`}>
          {job.jobId}
        </a>
        <span class="job-kind">
          {kindText(job.job)} · {repeatText(job.job)}
        </span>
        <JobLabels group={job.job.group} tags={job.job.tags} filters={filters} />
      </div>
      <div class="job-status">
        <JobState status={job.status} outcome={job.outcome} />
      </div>
      <div class="job-progress">
        <ProgressBar progress={job.progress} label={`Progress of ${job.jobId}`} lastRun={job.lastRun} />
      </div>
      <div class="job-last">
        <span class="label">last run</span>
        <LastRunCell job={job} />
      </div>
      <div class="job-next">
        <span class="label">next run</span>
        {job.status === PAUSED ? (
          <span class="muted">paused{job.pausedAt ? <> <Ago iso={job.pausedAt} /></> : ''}</span>
        ) : (
          <ZonedTime iso={job.nextRunAt} zone={job.job.timeZone} empty={job.finishedAt ? 'none: finished' : 'none'} />
        )}
      </div>
    </li>
  );
}

/** `filters` narrow the list in the API (`GET /jobs?status=&group=&tag=`), not in the page. */
export function JobsPage({ refreshMs, filters, onFilters, highlight }: { refreshMs: number; filters: JobFilters; onFilters: (filters: JobFilters) => void; highlight?: string }) {
  const { status, group, tag } = filters;
  const params = new URLSearchParams({ limit: '100' });
  if (status) params.set('status', status);
  if (group) params.set('group', group);
  if (tag) params.set('tag', tag);
  const query = `jobs?${params.toString()}`;
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

  const all = [...(jobs.data?.jobs ?? []), ...extra.jobs].sort(byRelevance);
  const attentionCount = all.filter((job) => job.needsAttention).length;
  const list = filters.attention ? all.filter((job) => job.needsAttention) : all;
  const known = {
    groups: [...new Set(list.flatMap((job) => (job.job.group ? [job.job.group] : [])))].sort(),
    tags: [...new Set(list.flatMap((job) => job.job.tags ?? []))].sort(),
  };
  const narrowed = [filters.attention && 'needing attention', status && status.replace(/_/g, ' ').toLowerCase(), group && `in group ${group}`, tag && `tagged ${tag}`].filter(Boolean).join(', ');
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
        <div class="filters-row">
          <button
            type="button"
            class={`chip chip-attention${filters.attention ? ' is-on' : ''}`}
            aria-pressed={Boolean(filters.attention)}
            data-filter="attention"
            onClick={() => onFilters({ ...filters, attention: filters.attention ? '' : '1' })}
            title="Failed jobs and jobs with failed runs, among the jobs loaded"
          >
            needs attention <span class="chip-count">{attentionCount}</span>
          </button>
          <StatusFilter stats={stats.data} value={status} onChange={(next) => onFilters({ ...filters, status: next })} />
        </div>
        <LabelFilter filters={filters} onChange={onFilters} known={known} />
        <ErrorNote error={jobs.error} prefix="Could not list jobs" />
        {jobs.loading && !jobs.data ? (
          <p class="muted">Loading…</p>
        ) : list.length === 0 ? (
          <p class="empty">
            {narrowed ? `No job is ${narrowed}.` : 'No jobs yet.'} <a href="#/new">Submit one</a>.
          </p>
        ) : (
          <ul class="job-list" aria-label="Jobs">
            {list.map((job) => (
              <JobRow key={job.jobId} job={job} highlight={job.jobId === highlight} filters={filters} />
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
