/** Small pieces every page uses: status badge, progress bar, next run in two zones, error notes. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';
import { formatInZone, viewerZone } from '../format';
import type { Progress } from '../types';

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

export function ProgressBar({ progress, label }: { progress: Progress; label: string }) {
  const pct = Math.max(0, Math.min(100, progress.percentage));
  const total = progress.totalRuns;
  const failedPct = total ? Math.min(100 - pct, (progress.failedRuns / total) * 100) : 0;
  return (
    <div class="progress-block">
      <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div class="progress-fill" style={{ width: `${pct}%` }} />
        {failedPct > 0 && <div class="progress-failed" style={{ width: `${failedPct}%` }} />}
      </div>
      <div class="progress-text">
        <strong>{pct} %</strong>
        <span>
          {progress.completedRuns.toLocaleString()} of {total === null ? '∞' : total.toLocaleString()} runs
          {progress.failedRuns > 0 && <span class="text-failed"> · {progress.failedRuns} failed</span>}
          {progress.skippedRuns > 0 && <span class="text-skipped"> · {progress.skippedRuns.toLocaleString()} skipped</span>}
        </span>
      </div>
    </div>
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
          {viewerTime} <span class="zone">your time</span>
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
