/** Small pieces every page uses: status badge, progress bar, next run in two zones, error notes. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';
import { formatInZone, formatNumber, relativeTime, serverNow, viewerZone } from '../format';
import type { LastRun, Progress } from '../types';

/** Colour families of statuses; DAY_n_COMPLETE and the rest of a running workflow read as "active". */
export function statusTone(status: string): 'done' | 'failed' | 'stopped' | 'running' | 'active' {
  if (status === 'COMPLETED') return 'done';
  if (status === 'FAILED') return 'failed';
  if (status === 'CANCELLED' || status === 'PAUSED') return 'stopped';
  if (status === 'RUNNING') return 'running';
  return 'active';
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge tone-${statusTone(status)}`} data-status={status}>
      {status.replace(/_/g, ' ').toLowerCase()}
    </span>
  );
}

const OUTCOME_TEXT: Record<string, string> = {
  succeeded: 'succeeded',
  completed_with_failures: 'completed with failures',
  failed: 'failed',
  cancelled: 'cancelled',
  paused: 'paused',
  in_progress: 'in progress',
};

/** How the job's runs went (the API's `outcome`): a job whose runs all failed reads `failed`, whatever its status. */
export function OutcomeBadge({ outcome }: { outcome: string }) {
  const tone = outcome === 'succeeded' ? 'done' : outcome === 'failed' ? 'failed' : outcome === 'completed_with_failures' ? 'warn' : outcome === 'in_progress' ? 'active' : 'stopped';
  return (
    <span class={`badge outcome tone-${tone}`} data-outcome={outcome}>
      {OUTCOME_TEXT[outcome] ?? outcome}
    </span>
  );
}

/** A job's status, and its outcome beside it when that says more (a COMPLETED job whose runs failed). */
export function JobState({ status, outcome }: { status: string; outcome: string }) {
  const sayOutcome = outcome === 'failed' || outcome === 'completed_with_failures' || (outcome === 'succeeded' && status !== 'COMPLETED');
  if (outcome === 'failed' && status === 'FAILED') return <StatusBadge status={status} />;
  return (
    <span class="job-state">
      <StatusBadge status={status} />
      {sayOutcome && <OutcomeBadge outcome={outcome} />}
    </span>
  );
}

/**
 * Runs done, failed and skipped as three segments of one bar, so failed runs never paint as progress. A job
 * without an end (forever) has no bar: it shows runs done and how its recent runs went.
 */
export function ProgressBar({ progress, label, lastRun }: { progress: Progress; label: string; lastRun?: LastRun | null }) {
  const total = progress.totalRuns;
  const { completedRuns: done, failedRuns: failed, skippedRuns: skipped } = progress;
  const counts = (
    <span>
      {formatNumber(done)} {total === null ? (done === 1 ? 'run done' : 'runs done') : `of ${formatNumber(total)} runs done`}
      {failed > 0 && <span class="text-failed"> · {formatNumber(failed)} failed</span>}
      {skipped > 0 && <span class="text-skipped"> · {formatNumber(skipped)} skipped</span>}
    </span>
  );
  if (!total) {
    return (
      <div class="progress-block is-open" data-open-ended="true">
        <div class="progress-text">
          {counts}
          {lastRun ? (
            <span class={lastRun.state === 'FAILED' ? 'text-failed' : 'text-ok'}>last run {lastRun.state === 'FAILED' ? 'failed' : 'succeeded'}</span>
          ) : (
            <span>no run yet</span>
          )}
        </div>
      </div>
    );
  }
  const pct = (n: number) => Math.max(0, Math.min(100, (n / total) * 100));
  // The share of runs that succeeded: what "progress" means here. Failed and skipped runs are their own segments.
  const donePct = Math.round(pct(done));
  return (
    <div class="progress-block">
      <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={donePct} aria-valuetext={`${done} of ${total} runs done, ${failed} failed, ${skipped} skipped`}>
        <div class="progress-fill" style={{ width: `${pct(done)}%` }} />
        {failed > 0 && <div class="progress-failed" style={{ width: `${pct(failed)}%` }} />}
        {skipped > 0 && <div class="progress-skipped" style={{ width: `${pct(skipped)}%` }} />}
      </div>
      <div class="progress-text">
        <strong>{donePct} % done</strong>
        {counts}
      </div>
    </div>
  );
}

/** `2 min ago`, `in 3 h`: how far an instant is from now, with the instant itself in the title. */
export function Ago({ iso, now = serverNow() }: { iso: string | null | undefined; now?: number }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={formatInZone(iso, viewerZone, 'long')}>
      {relativeTime(iso, now)}
    </time>
  );
}

/** A time in the job's zone and, beneath, in the viewer's (said once when they are the same zone). */
export function ZonedTime({ iso, zone, empty = '—' }: { iso: string | null | undefined; zone: string; empty?: string }) {
  if (!iso) return <span class="muted">{empty}</span>;
  const jobTime = formatInZone(iso, zone);
  const viewerTime = formatInZone(iso, viewerZone);
  return (
    <span class="zoned">
      <time dateTime={iso} title={iso}>
        {jobTime} <span class="zone">{zone}</span>
      </time>
      {zone === viewerZone ? (
        <span class="zoned-viewer">your zone too</span>
      ) : (
        <span class="zoned-viewer">
          {viewerTime} <span class="zone">your time ({viewerZone})</span>
        </span>
      )}
    </span>
  );
}

export function ErrorNote({ error, prefix }: { error: ApiError | undefined; prefix?: string }) {
  if (!error) return null;
  return (
    <p class="error-note" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {error.status ? `${error.status} ` : ''}
      <code>{error.code}</code> {error.message}
    </p>
  );
}

export function Card({ title, children, class: className = '', actions }: { title: string; children: ComponentChildren; class?: string; actions?: ComponentChildren }) {
  return (
    <section class={`card ${className}`}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}
