/**
 * One job: overview and controls, the state machine, its runs as a timeline, upcoming runs, runs asked for
 * outside the schedule (Run now, backfill), executions, report.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey, request, toApiError } from '../api';
import { cronText, errorSummary, formatDuration, formatInZone, formatLater, minutesText, resultText, viewerZone } from '../format';
import { usePoll } from '../hooks';
import { FINAL_STATUSES, PAUSED, type Attempt, type ExecutionHistory, type ExtraAnswer, type FinalReport, type JobDetail, type Step, type Upcoming, type UpcomingRun } from '../types';
import { Ago, Card, ErrorNote, JobState, ProgressBar, StatusBadge, ZonedTime } from './common';
import { answerText, BackfillForm, ExtraRequests } from './ExtraRuns';
import { JobLabels, kindText, repeatText } from './JobsPage';
import { Report } from './Report';
import { StateMachine } from './StateMachine';
import { Executions } from './Executions';

const RUNS_PAGE = 50;

/** `status`: the job's status the answer left it in; the note goes once the job moves on from it (no stale confirmations). */
type Outcome = { ok: true; text: string; requestId?: string; status?: string } | { ok: false; error: ApiError; action: string };

/** What `POST /jobs/{id}/pause` answers: shown at once, before the next poll brings the job view's `pausedAt` / `pauseNote`. */
export interface PauseAnswer {
  status?: string;
  pausedAt?: string;
  note?: string;
}

/**
 * Stop, pause (with an optional note), resume and Run now (with an optional note), each showing what the
 * API answered. A paused job offers resume, any other going job pause: the API answers 409 to resuming a
 * job that is not paused. Run now is offered to every job not ended, paused ones too.
 */
function Controls({ job, onChanged, onPaused, onTriggered }: { job: JobDetail; onChanged: () => void; onPaused: (answer: PauseAnswer) => void; onTriggered: (answer: ExtraAnswer) => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirmStop, setConfirmStop] = useState(false);
  const [pausing, setPausing] = useState(false);
  const [note, setNote] = useState('');
  // Run now: the Idempotency-Key is made when the form opens and sent again by every retry of that one
  // submission, so a doubled or retried submit finds the request the first one made instead of running twice.
  const [triggerKey, setTriggerKey] = useState<string | null>(null);
  const [triggerNote, setTriggerNote] = useState('');
  const sending = useRef(false);
  const final = FINAL_STATUSES.includes(job.status);
  const workflow = !job.job.action && !job.job.actions;
  const paused = job.status === PAUSED;
  const path = `jobs/${encodeURIComponent(job.jobId)}`;

  const act = async (action: string, method: 'POST' | 'DELETE', target: string, body?: unknown) => {
    setBusy(action);
    setOutcome(null);
    try {
      const answer = await request<PauseAnswer>(method, target, body);
      const noted = answer?.note ? ` Note: “${answer.note}”.` : '';
      const now = answer?.status ? answer.status.replace(/_/g, ' ').toLowerCase() : 'updated';
      setOutcome({ ok: true, text: `${action}: the job is ${now}.${noted}`, ...(answer?.status ? { status: answer.status } : {}) });
      if (action === 'Pause') {
        onPaused(answer ?? {});
        setPausing(false);
        setNote('');
      }
      onChanged();
    } catch (error) {
      setOutcome({ ok: false, error: toApiError(error), action });
    } finally {
      setBusy(null);
      setConfirmStop(false);
    }
  };

  const pause = (event: Event) => {
    event.preventDefault();
    const text = note.trim();
    void act('Pause', 'POST', `${path}/pause`, text ? { note: text } : undefined);
  };

  const armTrigger = () => {
    setPausing(false);
    setTriggerKey(newIdempotencyKey());
  };

  const trigger = async (event: Event) => {
    event.preventDefault();
    // Two submits in one tick both see `busy` null; the ref sees the first. The key covers what it cannot (a lost answer).
    if (sending.current || triggerKey === null) return;
    sending.current = true;
    setBusy('Run now');
    setOutcome(null);
    try {
      const text = triggerNote.trim();
      const answer = await request<ExtraAnswer>('POST', `${path}/trigger`, text ? { note: text } : undefined, { 'Idempotency-Key': triggerKey });
      setOutcome({ ok: true, text: answerText(answer, job.job.timeZone), requestId: answer.requestId });
      setTriggerKey(null);
      setTriggerNote('');
      onTriggered(answer);
      onChanged();
    } catch (error) {
      // The form stays open with the same key: submitting again retries this very request.
      setOutcome({ ok: false, error: toApiError(error), action: 'Run now' });
    } finally {
      sending.current = false;
      setBusy(null);
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
        {paused ? (
          <button type="button" class="button primary" data-action="resume" disabled={busy !== null} onClick={() => void act('Resume', 'POST', `${path}/resume`)}>
            Resume
          </button>
        ) : (
          !pausing && (
            <button
              type="button"
              class="button"
              data-action="pause"
              disabled={final || busy !== null}
              onClick={() => {
                setTriggerKey(null);
                setPausing(true);
              }}
            >
              Pause…
            </button>
          )
        )}
        {!final && triggerKey === null && (
          <button type="button" class="button" data-action="trigger" disabled={busy !== null} onClick={armTrigger}>
            Run now…
          </button>
        )}
      </div>
      {pausing && !paused && !final && (
        <form class="pause-form" onSubmit={pause} aria-label={`Pause ${job.jobId}`}>
          <input name="pauseNote" value={note} onInput={(e) => setNote(e.currentTarget.value)} maxLength={500} placeholder="note (optional): why, until when" aria-label="Pause note (optional)" />
          <button type="submit" class="button primary" data-action="pause-confirm" disabled={busy !== null}>
            Pause
          </button>
          <button type="button" class="button" onClick={() => setPausing(false)}>
            Cancel
          </button>
        </form>
      )}
      {triggerKey !== null && !final && (
        <form class="pause-form trigger-form" onSubmit={(e) => void trigger(e)} aria-label={`Run ${job.jobId} now`}>
          <input
            name="triggerNote"
            value={triggerNote}
            onInput={(e) => setTriggerNote(e.currentTarget.value)}
            maxLength={500}
            placeholder="note (optional): why now"
            aria-label="Run now note (optional)"
          />
          <button type="submit" class="button primary" data-action="trigger-confirm" disabled={busy !== null}>
            {busy === 'Run now' ? 'Starting…' : 'Run now'}
          </button>
          <button type="button" class="button" onClick={() => setTriggerKey(null)}>
            Cancel
          </button>
          <p class="hint">
            {workflow
              ? 'An interim report over the runs finished so far, now and outside the schedule; the final report stays the last run’s.'
              : `The ${job.job.action?.type ?? 'action'} once, now and outside the schedule.`}{' '}
            The job’s progress, next run and status stay as they are.
          </p>
        </form>
      )}
      {outcome &&
        (outcome.ok ? (
          // A confirmation of a status the job has left (a pause since resumed, a run since finished) would mislead.
          outcome.status !== undefined && outcome.status !== job.status ? null : (
          <p class="ok-note" role="status" {...(outcome.requestId ? { 'data-request-id': outcome.requestId } : {})}>
            {outcome.text}
          </p>
          )
        ) : (
          <ErrorNote error={outcome.error} prefix={`${outcome.action} failed`} />
        ))}
    </div>
  );
}

/** `windowMs`: the job's flexible window; a start inside it is the plan, not lateness. */
function lateness(step: Step, windowMs: number): string {
  const late = Date.parse(step.startedAt) - Date.parse(step.plannedAt);
  if (!Number.isFinite(late)) return '';
  if (Math.abs(late) < 1000) return 'on time';
  if (late > 0 && late <= windowMs + 1000) return `${formatDuration(late)} into its flexible window`;
  return late > 0 ? `${formatDuration(late)} late` : `${formatDuration(-late)} early`;
}

const SKIP_REASONS: Record<string, string> = {
  missed: 'their time passed while nothing ran (downtime or a pause), and the catch-up policy passed them over',
  overlap: 'the run before was still going at their time, and the overlap policy passed them over',
};

/** One SKIPPED item: the range of runs the catch-up or overlap policy passed over, recorded when it did. */
function SkippedRuns({ step, skippedThrough, reason, zone }: { step: Step; skippedThrough: number; reason: string; zone: string }) {
  const count = skippedThrough - step.iteration + 1;
  return (
    <li class="run state-skipped" data-iteration={step.iteration} data-skipped-through={skippedThrough} data-skip-reason={reason}>
      <div class="run-head">
        <strong>{count === 1 ? `Run ${step.iteration + 1}` : `Runs ${step.iteration + 1}–${skippedThrough + 1}`}</strong>
        <span class="run-action">
          {count.toLocaleString()} {count === 1 ? 'run' : 'runs'} not run
        </span>
        <span class="badge run-state state-skipped">skipped: {reason}</span>
      </div>
      <p class="run-skip">{SKIP_REASONS[reason] ?? reason}.</p>
      <dl class="run-times">
        <div>
          <dt>recorded</dt>
          <dd>
            <time dateTime={step.finishedAt ?? step.startedAt}>{formatInZone(step.finishedAt ?? step.startedAt, zone, 'long')}</time>
          </dd>
        </div>
      </dl>
    </li>
  );
}

const ATTEMPT_TEXT: Record<string, string> = { failed: 'failed', succeeded: 'succeeded', running: 'running', unknown: 'ended without a record' };

/** Every attempt of a retried run, as Temporal shows a pending activity's: when, how it ended, why, and the wait before the next. */
function Attempts({ attempts, total, zone }: { attempts: Attempt[]; total: number; zone: string }) {
  const dropped = total - attempts.length;
  return (
    <details class="attempts" open={attempts.some((a) => a.outcome === 'running')}>
      <summary>
        {total} attempts{dropped > 0 ? ` (the first ${dropped} not kept)` : ''}
      </summary>
      <ol class="attempt-list">
        {attempts.map((attempt) => (
          <li key={attempt.attempt} class={`attempt attempt-${attempt.outcome}`} data-attempt={attempt.attempt}>
            <span class="attempt-head">
              <strong>attempt {attempt.attempt}</strong> <span class={`badge state-${attempt.outcome === 'unknown' ? 'skipped' : attempt.outcome}`}>{ATTEMPT_TEXT[attempt.outcome]}</span>{' '}
              <time dateTime={attempt.startedAt}>{formatInZone(attempt.startedAt, zone, 'long')}</time>
              {attempt.endedAt && <span class="muted"> · took {formatDuration(Date.parse(attempt.endedAt) - Date.parse(attempt.startedAt))}</span>}
            </span>
            {attempt.error && (
              <span class="attempt-error">
                <code>{attempt.error.name}</code> {attempt.error.message}
              </span>
            )}
            {attempt.delayMs !== null && <span class="muted attempt-delay">next attempt {formatDuration(attempt.delayMs)} later</span>}
          </li>
        ))}
      </ol>
    </details>
  );
}

function Timeline({ steps, zone, windowMs }: { steps: Step[]; zone: string; windowMs: number }) {
  if (steps.length === 0) return <p class="muted">No run has started yet.</p>;
  return (
    <ol class="timeline" aria-label="Runs">
      {steps.map((step) =>
        step.state === 'SKIPPED' ? (
          <SkippedRuns key={step.iteration} step={step} skippedThrough={step.skippedThrough ?? step.iteration} reason={step.skipReason ?? 'missed'} zone={zone} />
        ) : (
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
                <time dateTime={step.startedAt}>{formatLater(step.startedAt, step.plannedAt, zone)}</time> <span class="muted">({lateness(step, windowMs)})</span>
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
          {step.state === 'STARTED' && step.lastFailure && (
            <p class="run-error run-retrying" data-last-failure={step.lastFailure.attempt}>
              retrying: attempt {step.lastFailure.attempt} failed with <code>{step.lastFailure.error?.name}</code> {step.lastFailure.error?.message}
            </p>
          )}
          {step.attemptHistory.length > 1 && <Attempts attempts={step.attemptHistory} total={step.attempts} zone={zone} />}
          {step.result !== null && <p class="run-result">{resultText(step.result)}</p>}
        </li>
        ),
      )}
    </ol>
  );
}

/** A start inside the flexible window differs from the planned time: both are shown then. */
function UpcomingWhen({ run, zone }: { run: UpcomingRun; zone: string }) {
  const shift = Date.parse(run.runAt) - Date.parse(run.plannedAt);
  return (
    <>
      <time class="run-start" dateTime={run.localTime} title={run.localTime}>
        {formatInZone(run.runAt, zone)}
      </time>
      {Math.abs(shift) >= 1000 && (
        <span class="planned-at" title={`planned ${formatInZone(run.plannedAt, zone, 'long')}; starts ${formatDuration(shift)} into its flexible window`}>
          planned <time dateTime={run.plannedAt}>{formatInZone(run.plannedAt, zone)}</time> <span class="planned-shift">· +{formatDuration(shift)}</span>
        </span>
      )}
    </>
  );
}

/** What the catch-up policy does with `missed` runs whose time has passed. */
function catchUpText(catchUp: string, missed: number): string {
  if (catchUp === 'skip') return missed === 1 ? 'passes it over' : 'passes them over';
  if (missed === 1) return 'runs it';
  return catchUp === 'all' ? 'runs each of them, in order' : 'runs the latest of them';
}

const MISSED_TEXT = "its time has passed while nothing ran (a pause or downtime): the job's catch-up policy decides on it when the job runs again";

function UpcomingRuns({ upcoming, zone }: { upcoming: Upcoming | undefined; zone: string }) {
  if (!upcoming) return <p class="muted">Loading…</p>;
  const passedOver = upcoming.passedOver;
  const passedNote = passedOver && (
    <p class="hint passed-over-note" data-passed-over={passedOver.count}>
      <strong>
        {passedOver.count === 1 ? `Run ${passedOver.from + 1}` : `Runs ${passedOver.from + 1}–${passedOver.to + 1} (${passedOver.count.toLocaleString()})`} will not run:
      </strong>{' '}
      {passedOver.count === 1 ? 'its' : 'their'} time passed while nothing ran, and the catch-up policy <code>{upcoming.settings.catchUp}</code> passes{' '}
      {passedOver.count === 1 ? 'it' : 'them'} over (recorded as skipped).
    </p>
  );
  if (upcoming.runs.length === 0) return passedNote || <p class="muted">No runs ahead.</p>;
  const missed = upcoming.runs.filter((run) => run.missed).length;
  // Runs the catch-up policy passes over are not left to run.
  const left = upcoming.remainingRuns === null ? null : Math.max(upcoming.runs.length, upcoming.remainingRuns - (passedOver?.count ?? 0));
  const catchUp = upcoming.settings.catchUp;
  return (
    <>
      {passedNote}
      <div class="table-wrap">
        <table class="upcoming">
          {left !== null && (
            <caption>
              the next {upcoming.runs.length.toLocaleString()} of {left.toLocaleString()} {left === 1 ? 'run' : 'runs'} left
            </caption>
          )}
          <thead>
            <tr>
              <th scope="col">run</th>
              <th scope="col">phase</th>
              <th scope="col">job's time ({zone})</th>
              <th scope="col">your time ({viewerZone})</th>
            </tr>
          </thead>
          <tbody>
            {upcoming.runs.map((run) => (
              <tr key={run.iteration} class={run.missed ? 'is-missed' : undefined} data-iteration={run.iteration} data-missed={String(run.missed)}>
                <td>
                  {run.iteration + 1}
                  {run.missed && (
                    <>
                      {' '}
                      <span class="badge state-missed" title={MISSED_TEXT}>
                        missed
                      </span>
                    </>
                  )}
                </td>
                <td>{run.phase}</td>
                <td class="upcoming-when">
                  <UpcomingWhen run={run} zone={zone} />
                </td>
                <td>{formatInZone(run.runAt, viewerZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {missed > 0 && (
        <p class="hint missed-note">
          <strong>{missed === 1 ? '1 run' : `${missed} runs`} missed:</strong> {missed === 1 ? 'its' : 'their'} time has passed while nothing ran (a pause or downtime). When the job runs
          again, its catch-up policy <code>{catchUp}</code> {catchUpText(catchUp, missed)}
          {catchUp !== 'skip' && ` if not older than ${minutesText(upcoming.settings.catchUpWindowMinutes)}`}.
        </p>
      )}
    </>
  );
}

const NO_FILTERS = { status: '', group: '', tag: '' };

/**
 * When and why a paused job was paused: from the job view (`pausedAt` / `pauseNote`, so the note is there
 * after a reload too), else from this page's own pause answer until the view catches up.
 */
function pauseOf(job: JobDetail, answer: PauseAnswer | undefined): { at?: string; note?: string } {
  const at = job.pausedAt ?? answer?.pausedAt;
  const note = job.pauseNote ?? answer?.note;
  return { ...(at ? { at } : {}), ...(note ? { note } : {}) };
}

/**
 * Every policy the calculator applies to this job, as the API's view gives them (`settings`, defaults filled
 * in by the server's policiesOf); a setting the job leaves unset is said to be the default.
 */
function SchedulingOptions({ job, settings }: { job: JobDetail['job']; settings: JobDetail['settings'] }) {
  const catchUpText = { skip: 'skip: goes on with the next run to come', one: 'one: runs the latest missed run', all: 'all: runs every missed run, in order' }[settings.catchUp];
  const overlapText = { skip: 'skip: records the overlapped runs skipped', bufferOne: 'bufferOne: runs the latest of them at once', allow: 'allow: runs all of them, one after another' }[settings.overlap];
  const byDefault = (set: boolean) => (set ? null : <span class="muted"> (default)</span>);
  return (
    <dl class="kv">
      <dt>flexible window</dt>
      <dd data-option="flexibleWindowMinutes">
        {settings.flexibleWindowMinutes ? `each run starts within ${minutesText(settings.flexibleWindowMinutes)} after its planned time` : <span class="muted">none: runs start at their planned time</span>}
      </dd>
      <dt>missed runs</dt>
      <dd data-option="catchUp">
        {catchUpText}
        {byDefault(job.catchUp !== undefined)}
      </dd>
      <dt>catch-up window</dt>
      <dd data-option="catchUpWindowMinutes">
        {minutesText(settings.catchUpWindowMinutes)}: missed runs older than this are skipped
        {byDefault(job.catchUpWindowMinutes !== undefined)}
      </dd>
      <dt>overlap</dt>
      <dd data-option="overlap">
        {overlapText}
        {byDefault(job.overlap !== undefined)}
      </dd>
      <dt>retention</dt>
      <dd data-option="retentionDays">
        {settings.retentionDays ? `${settings.retentionDays.toLocaleString()} ${settings.retentionDays === 1 ? 'day' : 'days'} after it ends, then the job and its runs expire` : <span class="muted">kept until deleted</span>}
      </dd>
    </dl>
  );
}

export function JobPage({ id, refreshMs }: { id: string; refreshMs: number }) {
  const path = `jobs/${encodeURIComponent(id)}`;
  // Newest runs first: the first page is what moves, older pages are fetched on demand.
  const detail = usePoll(() => request<JobDetail>('GET', `${path}?runsLimit=${RUNS_PAGE}&runsOrder=desc`), refreshMs, path);
  const upcoming = usePoll(() => request<Upcoming>('GET', `${path}/upcoming?count=5`), refreshMs, `${path}/upcoming`);
  // Older pages of runs are fetched on demand; only the first page is polled.
  const [more, setMore] = useState<{ id: string; steps: Step[]; cursor?: string; error?: ApiError }>({ id, steps: [] });
  const extra: { steps: Step[]; cursor?: string; error?: ApiError } = more.id === id ? more : { steps: [] };
  // The latest pause's answer (time and note), kept for as long as the job stays paused.
  const [pauseAnswer, setPauseAnswer] = useState<PauseAnswer & { id: string }>();
  // The request Run now or Backfill just made, marked in the list.
  const [started, setStarted] = useState<{ id: string; requestId: string }>();
  // The selected execution's history, which the drawing colours by.
  const [history, setHistory] = useState<ExecutionHistory>();

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
      const page = await request<JobDetail & { runsCursor?: string }>('GET', `${path}?runsLimit=${RUNS_PAGE}&runsOrder=desc&runsCursor=${encodeURIComponent(runsCursor)}`);
      setMore({ id, steps: [...extra.steps, ...page.progress.steps], ...(page.runsCursor ? { cursor: page.runsCursor } : {}) });
    } catch (error) {
      setMore({ id, ...extra, error: toApiError(error) });
    }
  };
  const zone = job.job.timeZone;
  const final = FINAL_STATUSES.includes(job.status);
  const steps = [...job.progress.steps, ...extra.steps];
  const report = job.finalReport as FinalReport | undefined;
  const spec = job.job;
  const recurring = spec.frequency !== undefined || spec.scheduleExpression !== undefined;
  const paused = job.status === PAUSED ? pauseOf(job, pauseAnswer?.id === id ? pauseAnswer : undefined) : undefined;

  return (
    <div class="page page-job" data-job-id={job.jobId}>
      <p class="crumbs">
        <a href="#/">← all jobs</a>
      </p>
      <header class="job-head">
        <h1>
          {job.jobId} <JobState status={job.status} outcome={job.outcome} />
        </h1>
        <Controls
          job={job}
          onChanged={detail.refresh}
          onPaused={(answer) => setPauseAnswer({ ...answer, id })}
          onTriggered={(answer) => setStarted({ id, requestId: answer.requestId })}
        />
      </header>
      {paused && (
        <p class="paused-note" role="status">
          <strong>Paused{paused.at ? ` since ${formatInZone(paused.at, viewerZone, 'long')}` : ''}.</strong> Nothing runs until it is resumed; runs whose time passes meanwhile
          follow its catch-up policy (<code>{job.settings.catchUp}</code>) then.
          {paused.note && (
            <>
              {' '}
              Note: <q class="pause-text">{paused.note}</q>
            </>
          )}
        </p>
      )}
      {job.reason && job.status !== 'CANCELLED' && (
        <div class="callout callout-failed" role="alert" data-reason>
          <strong>{job.status === 'FAILED' ? 'The job failed' : 'Why it ended'}:</strong> {errorSummary(job.reason)}
          {job.lastRun?.state === 'FAILED' && <> (run {job.lastRun.index + 1}, <Ago iso={job.lastRun.finishedAt} />)</>}
          {errorSummary(job.reason) !== job.reason && (
            <details>
              <summary>full message</summary>
              <pre class="raw">{job.reason}</pre>
            </details>
          )}
        </div>
      )}
      {job.outcome !== 'failed' && job.lastRun?.state === 'FAILED' && job.lastRun.error && (
        <div class="callout callout-warn" data-last-error>
          <strong>Run {job.lastRun.index + 1} failed</strong> <Ago iso={job.lastRun.finishedAt} />: <code>{job.lastRun.error.name}</code> {errorSummary(job.lastRun.error.message)}
        </div>
      )}
      {job.outcome === 'failed' && job.status === 'COMPLETED' && (
        <div class="callout callout-failed" role="alert" data-all-failed>
          <strong>Every run failed</strong> ({job.progress.failedRuns.toLocaleString()} of {job.progress.failedRuns.toLocaleString()}): the schedule ran out, but nothing it ran succeeded.
          {job.lastRun?.error && (
            <>
              {' '}
              Last error: <code>{job.lastRun.error.name}</code> {errorSummary(job.lastRun.error.message)}
            </>
          )}
        </div>
      )}
      <ErrorNote error={detail.error} prefix="Could not refresh" />
      {report && (
        <Card title="Final report">
          <Report report={report} />
        </Card>
      )}
      <div class="job-grid">
        <div class="col">
          <Card title="Overview">
            <ProgressBar progress={job.progress} label={`Progress of ${job.jobId}`} lastRun={job.lastRun} />
            <dl class="kv">
              <dt>kind</dt>
              <dd>{kindText(spec)}</dd>
              <dt>repeats</dt>
              <dd data-option="repeats">{spec.scheduleExpression ? <span title={spec.scheduleExpression}>{cronText(spec.scheduleExpression)}</span> : repeatText(spec)}</dd>
              <dt>time zone</dt>
              <dd data-option="timeZone">{zone}</dd>
              <dt>next run</dt>
              <dd>
                {paused ? (
                  <span class="muted" data-next-run="paused">
                    none while paused{upcoming.data?.runs[0] ? <>; on resume: run {upcoming.data.runs[0].iteration + 1} (see Upcoming runs)</> : ''}
                  </span>
                ) : (
                  <ZonedTime iso={job.nextRunAt} zone={zone} empty={final ? 'none: the job has ended' : 'none'} />
                )}
              </dd>
              <dt>starts</dt>
              <dd>
                <ZonedTime iso={spec.startDateTime} zone={zone} />
              </dd>
              <dt>ends</dt>
              <dd data-option="ends">
                {spec.endDateTime ? (
                  <ZonedTime iso={spec.endDateTime} zone={zone} />
                ) : (
                  <span class="muted">{!recurring ? 'after its one run' : spec.forever ? 'never: runs until stopped (forever)' : spec.maxRuns !== undefined ? 'at its run limit' : 'never'}</span>
                )}
              </dd>
              {spec.maxRuns !== undefined && (
                <>
                  <dt>run limit</dt>
                  <dd data-option="maxRuns">at most {spec.maxRuns.toLocaleString()} {spec.maxRuns === 1 ? 'run' : 'runs'}</dd>
                </>
              )}
              {spec.config && (
                <>
                  <dt>data source</dt>
                  <dd>
                    <code>{spec.config.dataSource}</code>
                    {spec.config.notifyEmail ? ` → ${spec.config.notifyEmail}` : ''}
                  </dd>
                </>
              )}
              {spec.action?.type === 'webhook' && (
                <>
                  <dt>calls</dt>
                  <dd>
                    <code>{spec.action.url}</code>
                  </dd>
                </>
              )}
              {spec.action?.type === 'message' && (
                <>
                  <dt>sends</dt>
                  <dd>“{spec.action.text}”</dd>
                </>
              )}
              {spec.group && (
                <>
                  <dt>group</dt>
                  <dd data-option="group">
                    <JobLabels group={spec.group} filters={NO_FILTERS} />
                  </dd>
                </>
              )}
              {spec.tags && spec.tags.length > 0 && (
                <>
                  <dt>tags</dt>
                  <dd data-option="tags">
                    <JobLabels tags={spec.tags} filters={NO_FILTERS} />
                  </dd>
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
              {job.reason && job.status === 'CANCELLED' && (
                <>
                  <dt>reason</dt>
                  <dd>{job.reason}</dd>
                </>
              )}
            </dl>
          </Card>
          <Card title="Scheduling options">
            <SchedulingOptions job={spec} settings={job.settings} />
          </Card>
          {!final && (
            <Card title={paused ? 'Upcoming runs, once resumed' : 'Upcoming runs'}>
              <UpcomingRuns upcoming={upcoming.data} zone={zone} />
              <ErrorNote error={upcoming.error} />
            </Card>
          )}
          {(spec.action || spec.actions || !final || job.extraRequests.length > 0) && (
            <Card title="Triggered & backfilled" class="extras">
              <p class="extras-lead">
                Runs asked for by hand, <strong>outside the live schedule</strong>: they are not in the runs below, and do not move the job's progress, next run or status.
              </p>
              <ExtraRequests requests={job.extraRequests} runs={job.extraRuns} zone={zone} highlight={started?.id === id ? started.requestId : undefined} />
              {spec.action || spec.actions ? (
                <BackfillForm
                  job={job}
                  onStarted={(answer) => {
                    setStarted({ id, requestId: answer.requestId });
                    detail.refresh();
                  }}
                />
              ) : (
                <p class="hint backfill-off">
                  No backfill for a report workflow: its collection, processing and report runs build on each other, so past ones cannot be run out of turn. Start a new job
                  over the past range instead{final ? '.' : '; Run now makes an interim report over the runs finished so far.'}
                </p>
              )}
            </Card>
          )}
          <Card title={`Runs, newest first (${steps.length}${job.progress.totalRuns ? ` of ${job.progress.totalRuns.toLocaleString()}` : ''} shown)`}>
            <Timeline steps={steps} zone={zone} windowMs={(spec.flexibleWindowMinutes ?? 0) * 60_000} />
            {runsCursor && (
              <button type="button" class="button" data-action="older-runs" onClick={() => void loadMore()}>
                Older runs
              </button>
            )}
            <ErrorNote error={extra.error} />
          </Card>
        </div>
        <div class="col">
          <Card title="State machine">
            <StateMachine job={{ status: job.status, nextRunAt: job.nextRunAt, steps: job.progress.steps }} history={history} />
          </Card>
          <Card title="Executions">
            <Executions jobId={job.jobId} arns={job.executions} final={final} paused={job.status === PAUSED} refreshMs={refreshMs} onHistory={setHistory} />
          </Card>
          <Card title="Status history">
            <ol class="history">
              {job.statusHistory.map((change, i) => (
                <li key={`${change.status}-${i}`} {...(change.event ? { 'data-event': change.event } : {})}>
                  <StatusBadge status={change.status} /> <time dateTime={change.at}>{formatInZone(change.at, zone, 'long')}</time>{' '}
                  <Ago iso={change.at} />
                  {change.event === 'paused' && <span class="history-event"> paused by hand{change.note ? <>: <q>{change.note}</q></> : ''}</span>}
                  {change.event === 'resumed' && <span class="history-event"> resumed</span>}
                </li>
              ))}
            </ol>
          </Card>
        </div>
      </div>
    </div>
  );
}
