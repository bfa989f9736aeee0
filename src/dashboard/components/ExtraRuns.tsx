/**
 * Runs outside the live schedule: the backfill form (action jobs) and the list of a job's trigger and
 * backfill requests with their runs. These never move the job's progress, cursor or status, so they are
 * shown apart from the live runs, and said to be.
 */
import { useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey, request, toApiError } from '../api';
import { formatDuration, formatInZone, formatLater, instantsInZone, isoToZonedLocal, resultText, zonedToIso } from '../format';
import type { ExtraAnswer, ExtraRequest, ExtraRun, JobDetail } from '../types';
import { ErrorNote, ProgressBar } from './common';

/** `Runs 3–7` (1-based, as the live runs list counts them), `Run 3` for one. */
export function iterationsText(iterations: { first: number; last: number }): string {
  return iterations.first === iterations.last ? `Run ${iterations.first + 1}` : `Runs ${iterations.first + 1}–${iterations.last + 1}`;
}

/** What the API answered to Run now or Backfill, in one sentence. */
export function answerText(answer: ExtraAnswer, zone: string): string {
  const runs = `${answer.runs.total.toLocaleString()} ${answer.runs.total === 1 ? 'run' : 'runs'}`;
  const range =
    answer.kind === 'backfill' && answer.from && answer.to
      ? ` (${answer.iterations ? `${iterationsText(answer.iterations).toLowerCase()}, ` : ''}${formatInZone(answer.from, zone)} to ${formatInZone(answer.to, zone)} ${zone})`
      : '';
  const noted = answer.note ? ` Note: “${answer.note}”.` : '';
  // The request's state as answered goes stale at once (a run takes seconds): said as what was asked, its state is in the list below.
  const said = answer.state === 'RUNNING' ? 'started' : `found, ${answer.state.toLowerCase()}`;
  return `${answer.kind === 'trigger' ? 'Run now' : 'Backfill'}: request ${answer.requestId} ${said}, ${runs}${range} outside the schedule.${noted}`;
}

/** The runtime's clock (`GET /health`): warped on a local runtime, so the browser's would be wrong. */
async function schedulerNow(): Promise<number> {
  try {
    const health = await request<{ now?: string }>('GET', 'health');
    const now = Date.parse(health?.now ?? '');
    if (Number.isFinite(now)) return now;
  } catch {
    // A 503 health answer or no answer: the browser's clock is the best guess left.
  }
  return Date.now();
}

const DAY_MS = 86_400_000;

interface Range {
  from: string;
  to: string;
}

/**
 * `POST /jobs/{id}/backfill` for a past range, read in the job's zone. The API checks the range (in the
 * past, holding a run, at most 1,000 runs) and its message is shown at the input it names. The
 * Idempotency-Key belongs to one range: a retry of the same range sends it again, another range a new one.
 */
export function BackfillForm({ job, onStarted }: { job: JobDetail; onStarted: (answer: ExtraAnswer) => void }) {
  const zone = job.job.timeZone;
  const [open, setOpen] = useState(false);
  const [range, setRange] = useState<Range>({ from: '', to: '' });
  const [now, setNow] = useState<number>();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [outcome, setOutcome] = useState<string>();
  const touched = useRef(false);
  const sending = useRef(false);

  const arm = async () => {
    touched.current = false;
    const fill = (nowMs: number) => {
      const to = Math.floor(nowMs / 1000) * 1000;
      setNow(nowMs);
      if (!touched.current) setRange({ from: isoToZonedLocal(to - DAY_MS, zone), to: isoToZonedLocal(to, zone) });
    };
    setOpen(true);
    setError(undefined);
    setOutcome(undefined);
    setKey(newIdempotencyKey());
    fill(Date.now());
    fill(await schedulerNow());
  };

  const set = (field: keyof Range) => (event: Event) => {
    touched.current = true;
    const value = (event.currentTarget as HTMLInputElement).value;
    setRange((r) => ({ ...r, [field]: value }));
    // Another range is another request: the key of the last one would be refused for it.
    setKey(newIdempotencyKey());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    // Two submits in one tick (a double Enter) would both see `busy` false: the ref sees the first.
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    setError(undefined);
    try {
      const body = { from: zonedToIso(range.from, zone), to: zonedToIso(range.to, zone) };
      const answer = await request<ExtraAnswer>('POST', `jobs/${encodeURIComponent(job.jobId)}/backfill`, body, { 'Idempotency-Key': key });
      setOutcome(answerText(answer, zone));
      setOpen(false);
      onStarted(answer);
    } catch (caught) {
      // The same key stays for a retry of this range: a request the API made before the answer got lost is found, not run twice.
      setError(toApiError(caught));
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const fieldError = (name: keyof Range) => (error?.field === name ? error : undefined);
  const other = error && error.field !== 'from' && error.field !== 'to' ? error : undefined;
  const input = (name: keyof Range, label: string) => {
    const mine = fieldError(name);
    return (
      <div class={`field${mine ? ' has-error' : ''}`} data-field={name}>
        <label for={`bf-${name}`}>
          {label} <span class="muted">({zone})</span>
        </label>
        <input
          id={`bf-${name}`}
          name={name}
          type="datetime-local"
          step={1}
          required
          value={range[name]}
          onInput={set(name)}
          {...(mine ? { 'aria-invalid': true, 'aria-describedby': `err-bf-${name}` } : {})}
        />
        {mine && (
          <p class="field-error" id={`err-bf-${name}`} role="alert">
            {instantsInZone(mine.message, zone)}
          </p>
        )}
      </div>
    );
  };
  const firstRunLater = now !== undefined && Date.parse(job.job.startDateTime) > now;

  return (
    <div class="backfill">
      {open ? (
        <form class="backfill-form" onSubmit={submit} aria-label={`Backfill ${job.jobId}`}>
          <p class="hint">
            Runs the action once for every time the schedule planned from <em>from</em> to <em>to</em>, both included, oldest first (at most 1,000 runs).
            {now !== undefined && (
              <>
                {' '}
                The scheduler's clock read <time dateTime={new Date(now).toISOString()}>{formatInZone(new Date(now).toISOString(), zone, 'long')}</time> when this form opened;{' '}
                <em>to</em> may not be later.
              </>
            )}
            {firstRunLater && ' This job’s first run is still ahead, so no run of it has passed yet.'}
          </p>
          <div class="backfill-range">
            {input('from', 'from')}
            {input('to', 'to')}
          </div>
          <div class="buttons">
            <button type="submit" class="button primary" data-action="backfill-confirm" disabled={busy || !range.from || !range.to}>
              {busy ? 'Starting…' : 'Backfill'}
            </button>
            <button type="button" class="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          <ErrorNote error={other && new ApiError(other.status, other.code, instantsInZone(other.message, zone), other.field)} prefix="Backfill failed" />
        </form>
      ) : (
        <button type="button" class="button" data-action="backfill" onClick={() => void arm()}>
          Backfill a past range…
        </button>
      )}
      {outcome && (
        <p class="ok-note" role="status">
          {outcome}
        </p>
      )}
    </div>
  );
}

function progressOf(request: ExtraRequest) {
  const { total, completed, failed } = request.runs;
  return {
    percentage: total ? Math.floor((completed / total) * 100) : 0,
    completedRuns: completed,
    failedRuns: failed,
    skippedRuns: 0,
    totalRuns: total,
    completedDays: null,
    totalDays: null,
  };
}

function ExtraRunItem({ run, zone }: { run: ExtraRun; zone: string }) {
  const state = run.state.toLowerCase();
  return (
    <li class={`extra-run state-${state}`} data-kind={run.kind} data-index={run.index} data-iteration={run.iteration ?? ''}>
      <div class="run-head">
        <strong>{run.iteration === null ? 'Triggered run' : `Run ${run.iteration + 1}`}</strong>
        <span class="run-action">{run.action}</span>
        <span class={`badge run-state state-${state}`}>{state}</span>
      </div>
      <dl class="run-times">
        {run.kind === 'backfill' && (
          <div>
            <dt>planned</dt>
            <dd>
              <time dateTime={run.plannedAt}>{formatInZone(run.plannedAt, zone, 'long')}</time>
            </dd>
          </div>
        )}
        <div>
          <dt>started</dt>
          <dd>
            <time dateTime={run.startedAt}>{formatInZone(run.startedAt, zone, 'long')}</time>
          </dd>
        </div>
        <div>
          <dt>finished</dt>
          <dd>
            {run.finishedAt ? (
              <>
                <time dateTime={run.finishedAt}>{formatLater(run.finishedAt, run.startedAt, zone)}</time> <span class="muted">(took {formatDuration(run.durationMs)})</span>
              </>
            ) : (
              'running…'
            )}
          </dd>
        </div>
        {run.attempts > 1 && (
          <div>
            <dt>attempts</dt>
            <dd class="text-warn">{run.attempts}</dd>
          </div>
        )}
      </dl>
      {run.error && (
        <p class="run-error">
          <code>{run.error.name}</code> {run.error.message}
        </p>
      )}
      {run.result !== null && <p class="run-result">{resultText(run.result)}</p>}
    </li>
  );
}

/** One request: what was asked, its state and progress, its note, and its runs oldest first. */
function RequestItem({ request: req, runs, zone, highlight }: { request: ExtraRequest; runs: ExtraRun[]; zone: string; highlight: boolean }) {
  const state = req.state.toLowerCase();
  const ran = req.runs.completed + req.runs.failed;
  return (
    <li class={`extra-request state-${state}${highlight ? ' is-new' : ''}`} data-request-id={req.requestId} data-kind={req.kind} data-state={req.state}>
      <div class="run-head request-head">
        <span class={`badge kind-${req.kind}`}>{req.kind}</span>
        <strong>{req.kind === 'trigger' ? 'Run now' : req.iterations ? iterationsText(req.iterations) : 'Backfill'}</strong>
        <span class={`badge run-state state-${state}`}>{state}</span>
        <code class="request-id">{req.requestId}</code>
      </div>
      <dl class="run-times">
        {req.kind === 'backfill' && req.from && req.to && (
          <div>
            <dt>range</dt>
            <dd class="extra-range">
              <time dateTime={req.from}>{formatInZone(req.from, zone)}</time> → <time dateTime={req.to}>{formatInZone(req.to, zone)}</time> <span class="zone">{zone}</span>
            </dd>
          </div>
        )}
        <div>
          <dt>asked</dt>
          <dd>
            <time dateTime={req.requestedAt}>{formatInZone(req.requestedAt, zone, 'long')}</time>
          </dd>
        </div>
        {req.finishedAt && (
          <div>
            <dt>ended</dt>
            <dd>
              <time dateTime={req.finishedAt}>{formatLater(req.finishedAt, req.requestedAt, zone)}</time>
            </dd>
          </div>
        )}
      </dl>
      <ProgressBar progress={progressOf(req)} label={`Progress of ${req.requestId}`} />
      {req.note && (
        <p class="extra-note">
          Note: <q>{req.note}</q>
        </p>
      )}
      {req.reason && <p class="run-error extra-reason">{req.reason}</p>}
      {runs.length > 0 && (
        <ol class="extra-runs" aria-label={`Runs of ${req.requestId}`}>
          {runs.map((run) => (
            <ExtraRunItem key={run.index} run={run} zone={zone} />
          ))}
        </ol>
      )}
      {runs.length < ran && (
        <p class="muted extra-more">
          {(ran - runs.length).toLocaleString()} earlier {ran - runs.length === 1 ? 'run' : 'runs'} of this request not shown: the page lists the newest triggered and backfilled runs.
        </p>
      )}
    </li>
  );
}

/** The job view's requests (newest first) with their runs grouped under them, oldest first. */
export function ExtraRequests({ requests, runs, zone, highlight }: { requests: ExtraRequest[]; runs: ExtraRun[]; zone: string; highlight?: string | undefined }) {
  if (requests.length === 0) return <p class="muted">Nothing triggered or backfilled yet.</p>;
  const byRequest = new Map<string, ExtraRun[]>();
  for (const run of runs) byRequest.set(run.requestId, [...(byRequest.get(run.requestId) ?? []), run]);
  for (const list of byRequest.values()) list.sort((a, b) => a.index - b.index);
  return (
    <ol class="extra-requests" aria-label="Triggered and backfilled requests">
      {requests.map((req) => (
        <RequestItem key={req.requestId} request={req} runs={byRequest.get(req.requestId) ?? []} zone={zone} highlight={req.requestId === highlight} />
      ))}
    </ol>
  );
}
