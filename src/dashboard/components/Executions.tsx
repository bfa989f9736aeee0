/**
 * A job's executions, as the Step Functions console shows one: pick an execution (generation 0 is the
 * first; ContinueAsNew adds one), see its status, start, stop and duration, and its event history
 * (`GET /jobs/{id}/executions/{generation}/history`), a failed event's error and cause in its row.
 */
import { useEffect, useState } from 'preact/hooks';
import { request, toApiError, type ApiError } from '../api';
import { formatDuration, formatInZone, viewerZone } from '../format';
import { usePoll } from '../hooks';
import type { ExecutionEvent, ExecutionHistory } from '../types';
import { ErrorNote } from './common';

const PAGE = 1000;

/** The execution statuses, in the badge tones the rest of the page uses. */
const STATUS_TONE: Record<string, string> = { RUNNING: 'running', SUCCEEDED: 'done', FAILED: 'failed', TIMED_OUT: 'failed', ABORTED: 'stopped', PENDING_REDRIVE: 'running' };

/** Events that say something went wrong: their rows are marked. */
export function isFailureEvent(type: string): boolean {
  return /Failed$|TimedOut$|Aborted$/.test(type);
}

/** The state each event belongs to: the service names it on Entered and Exited only; the others follow the last entered. */
export function withStates(events: ExecutionEvent[]): Array<ExecutionEvent & { state: string | null }> {
  let current: string | null = null;
  return events.map((event) => {
    if (event.type.endsWith('StateEntered')) current = event.stateName;
    const state = event.stateName ?? current;
    return { ...event, state };
  });
}

function EventRow({ event, start }: { event: ExecutionEvent & { state: string | null }; start: number }) {
  const failed = isFailureEvent(event.type);
  return (
    <tr class={failed ? 'is-failed' : undefined} data-event-type={event.type}>
      <td class="num">{event.id}</td>
      <td>
        <code>{event.type}</code>
      </td>
      <td>{event.state ?? <span class="muted">—</span>}</td>
      <td class="num" title={event.timestamp}>
        +{formatDuration(Date.parse(event.timestamp) - start)}
      </td>
      <td class="event-detail">
        {event.error && (
          <span class="text-failed">
            <code>{event.error}</code> {event.cause ? event.cause.slice(0, 300) : ''}
          </span>
        )}
        {!event.error && (event.output ?? event.input) && (
          <details>
            <summary>{event.output ? 'output' : 'input'}</summary>
            <pre class="raw">{prettyJson(event.output ?? event.input ?? '')}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}

export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function Executions({
  jobId,
  arns,
  final,
  paused,
  refreshMs,
  onHistory,
}: {
  jobId: string;
  arns: string[];
  final: boolean;
  paused: boolean;
  refreshMs: number;
  onHistory: (history: ExecutionHistory | undefined) => void;
}) {
  const latest = arns.length - 1;
  const [picked, setPicked] = useState<number | null>(null);
  const generation = picked ?? latest;
  const path = `jobs/${encodeURIComponent(jobId)}/executions/${generation}/history?limit=${PAGE}`;
  const [running, setRunning] = useState(true);
  // A finished execution's history no longer changes: it is read once, a running one polled.
  // A long execution's history is large: a running one is read again at most every 10 s.
  const history = usePoll(() => request<ExecutionHistory>('GET', path), generation >= 0 && running && refreshMs > 0 ? Math.max(refreshMs, 10_000) : 0, path);
  const [more, setMore] = useState<{ path: string; events: ExecutionEvent[]; cursor: string | null; error?: ApiError }>({ path, events: [], cursor: null });
  const data = history.data;
  useEffect(() => {
    setRunning(data ? data.execution.status === 'RUNNING' : true);
    onHistory(data);
  }, [data, onHistory]);

  if (arns.length === 0) return <p class="muted">No execution recorded.</p>;
  const extra = more.path === path ? more : { path, events: [], cursor: null };
  const cursor = extra.events.length > 0 ? extra.cursor : (data?.cursor ?? null);
  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await request<ExecutionHistory>('GET', `${path}&cursor=${encodeURIComponent(cursor)}`);
      setMore({ path, events: [...extra.events, ...page.events], cursor: page.cursor });
    } catch (error) {
      setMore({ ...extra, error: toApiError(error) });
    }
  };
  const events = withStates([...(data?.events ?? []), ...extra.events]);
  const execution = data?.execution;
  const start = execution ? Date.parse(execution.startDate) : 0;
  const failures = events.filter((event) => isFailureEvent(event.type)).length;

  return (
    <div class="executions-panel">
      <ol class="executions" aria-label="Executions">
        {arns.map((arn, i) => {
          const name = arn.split(':').at(-1) ?? arn;
          const label = i === latest ? (final ? 'last' : paused ? 'stopped: paused' : 'current') : null;
          return (
            <li key={arn}>
              <button type="button" class={`execution-pick${i === generation ? ' is-on' : ''}`} aria-pressed={i === generation} data-generation={i} onClick={() => setPicked(i)}>
                <span class="gen">generation {i}</span> <strong>{name}</strong>
              </button>
              {label && <span class="badge tone-stopped">{label}</span>}
            </li>
          );
        })}
      </ol>
      {history.error?.code === 'EXECUTION_NOT_FOUND' ? (
        <p class="muted" data-execution-gone>
          Step Functions no longer knows this execution (a local runtime forgets executions when it restarts; on AWS they are kept 90 days after they end).
        </p>
      ) : (
        <ErrorNote error={history.error} prefix={`Could not read execution ${generation}`} />
      )}
      {execution && (
        <div class="execution-detail" data-execution-status={execution.status}>
          <dl class="kv">
            <dt>status</dt>
            <dd>
              <span class={`badge tone-${STATUS_TONE[execution.status] ?? 'active'}`}>{execution.status.toLowerCase().replace('_', ' ')}</span>
              {execution.error && (
                <span class="text-failed">
                  {' '}
                  <code>{execution.error}</code> {execution.cause}
                </span>
              )}
            </dd>
            <dt>started</dt>
            <dd>{formatInZone(execution.startDate, viewerZone, 'long')}</dd>
            <dt>stopped</dt>
            <dd>{execution.stopDate ? formatInZone(execution.stopDate, viewerZone, 'long') : <span class="muted">still running</span>}</dd>
            <dt>duration</dt>
            <dd>{formatDuration(execution.durationMs)}</dd>
            <dt>events</dt>
            <dd>
              {events.length.toLocaleString()}
              {cursor ? '+' : ''}
              {failures > 0 && <span class="text-failed"> · {failures} failed</span>}
            </dd>
          </dl>
          <details class="event-history" open={events.length <= 60}>
            <summary>Event history</summary>
            <div class="table-wrap">
              <table class="events">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">type</th>
                    <th scope="col">state</th>
                    <th scope="col">at</th>
                    <th scope="col">detail</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((event) => (
                    <EventRow key={event.id} event={event} start={start} />
                  ))}
                </tbody>
              </table>
            </div>
            {cursor && (
              <button type="button" class="button" onClick={() => void loadMore()}>
                More events
              </button>
            )}
            <ErrorNote error={extra.error} />
          </details>
          <code class="arn">{execution.executionArn}</code>
        </div>
      )}
    </div>
  );
}
