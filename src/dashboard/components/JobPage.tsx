/** One job: overview and controls, the state machine, its runs as a timeline, upcoming runs, executions, report. */
import { useState } from 'preact/hooks';
import { ApiError, request, toApiError } from '../api';
import { formatDuration, formatInZone, formatLater, frequencyText, viewerZone } from '../format';
import { usePoll } from '../hooks';
import { FINAL_STATUSES, type FinalReport, type JobDetail, type Step, type Upcoming } from '../types';
import { Card, ErrorNote, ProgressBar, StatusBadge, ZonedTime } from './common';
import { kindText } from './JobsPage';
import { Report } from './Report';
import { StateMachine } from './StateMachine';

const RUNS_PAGE = 50;

type Outcome = { ok: true; text: string } | { ok: false; error: ApiError; action: string };

/**
 * Stop, pause and resume. Pause and resume call `POST /jobs/{id}/pause` and `/resume` as they are: until
 * the API has those routes its 404/405 is shown as it is, rather than the page pretending.
 */
function Controls({ job, onChanged }: { job: JobDetail; onChanged: () => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirmStop, setConfirmStop] = useState(false);
  const final = FINAL_STATUSES.includes(job.status);
  const path = `jobs/${encodeURIComponent(job.jobId)}`;

  const act = async (action: string, method: 'POST' | 'DELETE', target: string) => {
    setBusy(action);
    setOutcome(null);
    try {
      const answer = await request<{ status?: string }>(method, target);
      setOutcome({ ok: true, text: `${action}: the job is now ${answer?.status ?? 'updated'}.` });
      onChanged();
    } catch (error) {
      setOutcome({ ok: false, error: toApiError(error), action });
    } finally {
      setBusy(null);
      setConfirmStop(false);
    }
  };

  return (
    <div class="controls-block">
      <div class="buttons">
        {confirmStop ? (
          <>
            <button type="button" class="button danger" disabled={busy !== null} onClick={() => void act('Stop', 'DELETE', path)}>
              Yes, stop {job.jobId}
            </button>
            <button type="button" class="button" onClick={() => setConfirmStop(false)}>
              Keep it running
            </button>
          </>
        ) : (
          <button type="button" class="button danger" data-action="stop" disabled={final || busy !== null} onClick={() => setConfirmStop(true)}>
            Stop
          </button>
        )}
        <button type="button" class="button" data-action="pause" disabled={final || busy !== null} onClick={() => void act('Pause', 'POST', `${path}/pause`)}>
          Pause
        </button>
        <button type="button" class="button" data-action="resume" disabled={final || busy !== null} onClick={() => void act('Resume', 'POST', `${path}/resume`)}>
          Resume
        </button>
      </div>
      {outcome &&
        (outcome.ok ? (
          <p class="ok-note" role="status">
            {outcome.text}
          </p>
        ) : (
          <ErrorNote error={outcome.error} prefix={`${outcome.action} failed`} />
        ))}
    </div>
  );
}

function lateness(step: Step): string {
  const late = Date.parse(step.startedAt) - Date.parse(step.plannedAt);
  if (!Number.isFinite(late)) return '';
  if (Math.abs(late) < 1000) return 'on time';
  return late > 0 ? `${formatDuration(late)} late` : `${formatDuration(-late)} early`;
}

/** The primitive fields of a run's result, long strings (checksums) shortened. */
function resultText(result: Step['result']): string {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result === null ? '' : String(result);
  return Object.entries(result)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .filter(([k]) => !/At$/.test(k))
    .map(([k, v]) => `${k} ${typeof v === 'string' && v.length > 14 ? `${v.slice(0, 12)}…` : typeof v === 'number' ? v.toLocaleString() : String(v)}`)
    .join(' · ');
}

function Timeline({ steps, zone }: { steps: Step[]; zone: string }) {
  if (steps.length === 0) return <p class="muted">No run has started yet.</p>;
  return (
    <ol class="timeline" aria-label="Runs">
      {steps.map((step) => (
        <li key={step.iteration} class={`run state-${step.state.toLowerCase()}`} data-iteration={step.iteration}>
          <div class="run-head">
            <strong>Run {step.iteration + 1}</strong>
            <span class="run-action">{step.action}</span>
            <span class={`badge run-state state-${step.state.toLowerCase()}`}>{step.state.toLowerCase()}</span>
          </div>
          <dl class="run-times">
            <div>
              <dt>planned</dt>
              <dd>
                <time dateTime={step.plannedAt}>{formatInZone(step.plannedAt, zone, 'long')}</time>
              </dd>
            </div>
            <div>
              <dt>started</dt>
              <dd>
                <time dateTime={step.startedAt}>{formatLater(step.startedAt, step.plannedAt, zone)}</time> <span class="muted">({lateness(step)})</span>
              </dd>
            </div>
            <div>
              <dt>took</dt>
              <dd>{step.finishedAt ? formatDuration(step.durationMs) : 'running…'}</dd>
            </div>
            <div>
              <dt>attempts</dt>
              <dd class={step.attempts > 1 ? 'text-warn' : ''}>{step.attempts}</dd>
            </div>
          </dl>
          {step.error && (
            <p class="run-error">
              <code>{step.error.name}</code> {step.error.message}
            </p>
          )}
          {step.result !== null && <p class="run-result">{resultText(step.result)}</p>}
        </li>
      ))}
    </ol>
  );
}

/** Execution names are `<jobId>` then `<jobId>--<n>` for the n-th generation after ContinueAsNew. */
function Executions({ arns, final }: { arns: string[]; final: boolean }) {
  if (arns.length === 0) return <p class="muted">No execution recorded.</p>;
  return (
    <ol class="executions">
      {arns.map((arn, i) => {
        const name = arn.split(':').at(-1) ?? arn;
        const generation = /--(\d+)$/.exec(name)?.[1] ?? '0';
        const latest = i === arns.length - 1;
        return (
          <li key={arn}>
            <span class="gen">generation {generation}</span> <strong>{name}</strong>
            {latest && <span class="badge tone-active">{final ? 'last' : 'current'}</span>}
            <code class="arn">{arn}</code>
          </li>
        );
      })}
    </ol>
  );
}

function UpcomingRuns({ upcoming, zone }: { upcoming: Upcoming | undefined; zone: string }) {
  if (!upcoming) return <p class="muted">Loading…</p>;
  if (upcoming.runs.length === 0) return <p class="muted">No runs ahead.</p>;
  return (
    <div class="table-wrap">
      <table class="upcoming">
        <thead>
          <tr>
            <th scope="col">run</th>
            <th scope="col">phase</th>
            <th scope="col">job's time ({zone})</th>
            <th scope="col">your time</th>
          </tr>
        </thead>
        <tbody>
          {upcoming.runs.map((run) => (
            <tr key={run.iteration}>
              <td>{run.iteration + 1}</td>
              <td>{run.phase}</td>
              <td>
                <time dateTime={run.localTime} title={run.localTime}>
                  {formatInZone(run.runAt, zone)}
                </time>
              </td>
              <td>{formatInZone(run.runAt, viewerZone)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function JobPage({ id, refreshMs }: { id: string; refreshMs: number }) {
  const path = `jobs/${encodeURIComponent(id)}`;
  const detail = usePoll(() => request<JobDetail>('GET', `${path}?runsLimit=${RUNS_PAGE}`), refreshMs, path);
  const upcoming = usePoll(() => request<Upcoming>('GET', `${path}/upcoming?count=5`), refreshMs, `${path}/upcoming`);
  // Older pages of runs are fetched on demand; only the first page is polled.
  const [more, setMore] = useState<{ id: string; steps: Step[]; cursor?: string; error?: ApiError }>({ id, steps: [] });
  const extra: { steps: Step[]; cursor?: string; error?: ApiError } = more.id === id ? more : { steps: [] };

  const job = detail.data;
  if (!job) {
    return (
      <div class="page">
        <p>
          <a href="#/">← all jobs</a>
        </p>
        {detail.error ? <ErrorNote error={detail.error} prefix={`Could not read job ${id}`} /> : <p class="muted">Loading…</p>}
      </div>
    );
  }
  const runsCursor = extra.steps.length > 0 ? extra.cursor : (job as JobDetail & { runsCursor?: string }).runsCursor;
  const loadMore = async () => {
    if (!runsCursor) return;
    try {
      const page = await request<JobDetail & { runsCursor?: string }>('GET', `${path}?runsLimit=${RUNS_PAGE}&runsCursor=${encodeURIComponent(runsCursor)}`);
      setMore({ id, steps: [...extra.steps, ...page.progress.steps], ...(page.runsCursor ? { cursor: page.runsCursor } : {}) });
    } catch (error) {
      setMore({ id, ...extra, error: toApiError(error) });
    }
  };
  const zone = job.job.timeZone;
  const final = FINAL_STATUSES.includes(job.status);
  const steps = [...job.progress.steps, ...extra.steps];
  const report = job.finalReport as FinalReport | undefined;

  return (
    <div class="page page-job" data-job-id={job.jobId}>
      <p class="crumbs">
        <a href="#/">← all jobs</a>
      </p>
      <header class="job-head">
        <h1>
          {job.jobId} <StatusBadge status={job.status} />
        </h1>
        <Controls job={job} onChanged={detail.refresh} />
      </header>
      <ErrorNote error={detail.error} prefix="Could not refresh" />
      {report && (
        <Card title="Final report">
          <Report report={report} />
        </Card>
      )}
      <div class="job-grid">
        <div class="col">
          <Card title="Overview">
            <ProgressBar progress={job.progress} label={`Progress of ${job.jobId}`} />
            <dl class="kv">
              <dt>kind</dt>
              <dd>
                {kindText(job.job)} · {frequencyText(job.job.frequency)}
              </dd>
              <dt>next run</dt>
              <dd>
                <ZonedTime iso={job.nextRunAt} zone={zone} empty={final ? 'none: the job has ended' : 'none'} />
              </dd>
              <dt>starts</dt>
              <dd>
                <ZonedTime iso={job.job.startDateTime} zone={zone} />
              </dd>
              <dt>ends</dt>
              <dd>{job.job.endDateTime ? <ZonedTime iso={job.job.endDateTime} zone={zone} /> : <span class="muted">{job.job.frequency ? 'never' : 'after its one run'}</span>}</dd>
              {job.job.config && (
                <>
                  <dt>data source</dt>
                  <dd>
                    <code>{job.job.config.dataSource}</code>
                    {job.job.config.notifyEmail ? ` → ${job.job.config.notifyEmail}` : ''}
                  </dd>
                </>
              )}
              {job.job.action?.type === 'webhook' && (
                <>
                  <dt>calls</dt>
                  <dd>
                    <code>{job.job.action.url}</code>
                  </dd>
                </>
              )}
              {job.job.action?.type === 'message' && (
                <>
                  <dt>sends</dt>
                  <dd>“{job.job.action.text}”</dd>
                </>
              )}
              <dt>created</dt>
              <dd>{formatInZone(job.createdAt, viewerZone, 'long')}</dd>
              {job.finishedAt && (
                <>
                  <dt>finished</dt>
                  <dd>{formatInZone(job.finishedAt, viewerZone, 'long')}</dd>
                </>
              )}
              {'reason' in job && job.reason && (
                <>
                  <dt>reason</dt>
                  <dd>{job.reason}</dd>
                </>
              )}
            </dl>
          </Card>
          {!final && (
            <Card title="Upcoming runs">
              <UpcomingRuns upcoming={upcoming.data} zone={zone} />
              <ErrorNote error={upcoming.error} />
            </Card>
          )}
          <Card title={`Runs (${steps.length}${job.progress.totalRuns ? ` of ${job.progress.totalRuns.toLocaleString()}` : ''})`}>
            <Timeline steps={steps} zone={zone} />
            {runsCursor && (
              <button type="button" class="button" onClick={() => void loadMore()}>
                Load {RUNS_PAGE} more runs
              </button>
            )}
            <ErrorNote error={extra.error} />
          </Card>
        </div>
        <div class="col">
          <Card title="State machine">
            <StateMachine job={{ status: job.status, nextRunAt: job.nextRunAt, steps: job.progress.steps }} />
          </Card>
          <Card title="Executions">
            <Executions arns={job.executions} final={final} />
          </Card>
          <Card title="Status history">
            <ol class="history">
              {job.statusHistory.map((change, i) => (
                <li key={`${change.status}-${i}`}>
                  <StatusBadge status={change.status} /> <time dateTime={change.at}>{formatInZone(change.at, zone, 'long')}</time>
                </li>
              ))}
            </ol>
          </Card>
        </div>
      </div>
    </div>
  );
}
