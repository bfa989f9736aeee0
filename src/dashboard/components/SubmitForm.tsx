/**
 * Submit a job (`POST /jobs`). The page checks nothing itself: the API's ValidationError names the field
 * (`{ error: { field: "timeZone", message } }`), and its message is shown at that field, so the rules live
 * in one place (src/lib/job.ts).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request, toApiError, type ApiError } from '../api';
import { isoToZonedLocal, viewerZone, zonedToIso } from '../format';
import type { Stats } from '../types';
import { ErrorNote } from './common';

type Kind = 'workflow' | 'message' | 'webhook';
const UNITS = ['minutes', 'hours', 'days', 'weeks', 'months', 'quarters', 'years'] as const;

interface Fields {
  kind: Kind;
  id: string;
  timeZone: string;
  start: string;
  end: string;
  every: string;
  unit: (typeof UNITS)[number] | 'once';
  reportType: 'daily' | 'weekly' | 'monthly';
  dataSource: string;
  notifyEmail: string;
  text: string;
  url: string;
  method: string;
  onFailure: '' | 'continue' | 'abort';
}

const DAY_MS = 86_400_000;

function initialFields(nowMs: number): Fields {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').slice(0, 15).replace('T', '-');
  const start = Math.ceil((nowMs + 60_000) / 60_000) * 60_000;
  return {
    kind: 'workflow',
    id: `report-${stamp}`,
    timeZone: viewerZone,
    start: isoToZonedLocal(start, viewerZone),
    end: isoToZonedLocal(start + 6 * DAY_MS, viewerZone),
    every: '1',
    unit: 'days',
    reportType: 'weekly',
    dataSource: 'sample:analytics',
    notifyEmail: '',
    text: 'Hello from step-scheduler',
    url: 'https://example.com/hook',
    method: 'POST',
    onFailure: '',
  };
}

/** The `POST /jobs` body the fields describe. */
export function jobBody(f: Fields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: f.id.trim(),
    startDateTime: zonedToIso(f.start, f.timeZone.trim()),
    timeZone: f.timeZone.trim(),
  };
  if (f.unit !== 'once') {
    body.frequency = { [f.unit]: Number(f.every) };
    if (f.end) body.endDateTime = zonedToIso(f.end, f.timeZone.trim());
  }
  if (f.kind === 'workflow') {
    body.config = { reportType: f.reportType, dataSource: f.dataSource.trim(), ...(f.notifyEmail.trim() ? { notifyEmail: f.notifyEmail.trim() } : {}) };
  } else if (f.kind === 'message') {
    body.action = { type: 'message', text: f.text };
  } else {
    body.action = { type: 'webhook', url: f.url.trim(), method: f.method };
  }
  if (f.onFailure) body.onFailure = f.onFailure;
  return body;
}

/** Which input an API field belongs to: `frequency.days` → frequency, `action.url` → action.url. */
function fieldKey(apiField: string | undefined): string | undefined {
  if (!apiField) return undefined;
  if (apiField.startsWith('frequency')) return 'frequency';
  return apiField;
}

const KNOWN_FIELDS = ['id', 'timeZone', 'startDateTime', 'endDateTime', 'frequency', 'config.reportType', 'config.dataSource', 'config.notifyEmail', 'action.text', 'action.url', 'action.method', 'onFailure'];

function Field({ name, label, error, hint, children }: { name: string; label: string; error: ApiError | undefined; hint?: ComponentChildren; children: ComponentChildren }) {
  const mine = error && fieldKey(error.field) === name ? error : undefined;
  return (
    <div class={`field${mine ? ' has-error' : ''}`} data-field={name}>
      <label for={`f-${name}`}>{label}</label>
      {children}
      {hint && !mine && <p class="hint">{hint}</p>}
      {mine && (
        <p class="field-error" id={`err-${name}`} role="alert">
          {mine.message}
        </p>
      )}
    </div>
  );
}

export function SubmitForm({ onSubmitted }: { onSubmitted: (jobId: string) => void }) {
  const [fields, setFields] = useState<Fields>(() => initialFields(Date.now()));
  // Once the user has typed, the late answer of the clock lookup below must not overwrite their fields.
  const touched = useRef(false);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []), []);

  // The runtime's clock may run faster than the browser's (npm start -- --speed): start from the API's "now".
  useEffect(() => {
    let cancelled = false;
    request<Stats>('GET', 'stats').then(
      (stats) => {
        const now = Date.parse(stats.generatedAt);
        if (!cancelled && !touched.current && Number.isFinite(now)) setFields(initialFields(now));
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const set = <K extends keyof Fields>(key: K) => (event: Event) => {
    touched.current = true;
    const value = (event.currentTarget as HTMLInputElement | HTMLSelectElement).value as Fields[K];
    setFields((f) => ({ ...f, [key]: value }));
  };
  const invalid = (name: string) => (error && fieldKey(error.field) === name ? { 'aria-invalid': true, 'aria-describedby': `err-${name}` } : {});
  const body = jobBody(fields);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await request<{ jobId: string }>('POST', 'jobs', body);
      onSubmitted(answer.jobId);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  const unplaced = error && !KNOWN_FIELDS.includes(fieldKey(error.field) ?? '') ? error : undefined;
  return (
    <form class="card submit-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Submit a job">
      <header class="card-head">
        <h2>New job</h2>
      </header>
      <fieldset class="kinds">
        <legend>What runs</legend>
        {(
          [
            ['workflow', 'Report workflow', 'collect, process, report (seed 000)'],
            ['message', 'Message', 'publish a message every run'],
            ['webhook', 'Webhook', 'call a URL every run'],
          ] as const
        ).map(([value, title, hint]) => (
          <label key={value} class={`kind${fields.kind === value ? ' is-on' : ''}`}>
            <input type="radio" name="kind" value={value} checked={fields.kind === value} onChange={set('kind')} />
            <strong>{title}</strong>
            <span>{hint}</span>
          </label>
        ))}
      </fieldset>
      <div class="form-grid">
        <Field name="id" label="Job id" error={error} hint="A-Z a-z 0-9 _ -, up to 80; it names the execution">
          <input id="f-id" name="id" value={fields.id} onInput={set('id')} autoComplete="off" spellcheck={false} {...invalid('id')} />
        </Field>
        <Field name="timeZone" label="Time zone" error={error} hint="IANA name; days and longer step in this zone">
          <input id="f-timeZone" name="timeZone" list="zones" value={fields.timeZone} onInput={set('timeZone')} autoComplete="off" spellcheck={false} {...invalid('timeZone')} />
          <datalist id="zones">
            {zones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </Field>
        <Field name="startDateTime" label="Start (in the job's zone)" error={error} hint={<code>{String(body.startDateTime)}</code>}>
          <input id="f-startDateTime" name="startDateTime" type="datetime-local" step={1} value={fields.start} onInput={set('start')} {...invalid('startDateTime')} />
        </Field>
        <Field name="frequency" label="Repeats" error={error}>
          <div class="inline">
            <span class="inline-word">every</span>
            <input id="f-frequency" name="every" type="number" min={1} step={1} value={fields.every} disabled={fields.unit === 'once'} onInput={set('every')} aria-label="how many units" {...invalid('frequency')} />
            <select name="unit" value={fields.unit} onChange={set('unit')} aria-label="unit">
              {UNITS.map((unit) => (
                <option key={unit} value={unit}>
                  {unit}
                </option>
              ))}
              <option value="once">— once, no repeat</option>
            </select>
          </div>
        </Field>
        {fields.unit !== 'once' && (
          <Field name="endDateTime" label="End (in the job's zone)" error={error} hint={fields.end ? <code>{String(body.endDateTime)}</code> : 'none: runs until stopped (action jobs only)'}>
            <input id="f-endDateTime" name="endDateTime" type="datetime-local" step={1} value={fields.end} onInput={set('end')} {...invalid('endDateTime')} />
          </Field>
        )}
        {fields.kind === 'workflow' && (
          <>
            <Field name="config.reportType" label="Report type" error={error}>
              <select id="f-config.reportType" name="config.reportType" value={fields.reportType} onChange={set('reportType')}>
                <option value="daily">daily</option>
                <option value="weekly">weekly</option>
                <option value="monthly">monthly</option>
              </select>
            </Field>
            <Field name="config.dataSource" label="Data source" error={error} hint="sample:<name>, http(s):// or file:// JSON / NDJSON">
              <input id="f-config.dataSource" name="config.dataSource" value={fields.dataSource} onInput={set('dataSource')} spellcheck={false} {...invalid('config.dataSource')} />
            </Field>
            <Field name="config.notifyEmail" label="Notify (email, optional)" error={error}>
              <input id="f-config.notifyEmail" name="config.notifyEmail" type="email" value={fields.notifyEmail} onInput={set('notifyEmail')} {...invalid('config.notifyEmail')} />
            </Field>
          </>
        )}
        {fields.kind === 'message' && (
          <Field name="action.text" label="Message" error={error}>
            <input id="f-action.text" name="action.text" value={fields.text} onInput={set('text')} {...invalid('action.text')} />
          </Field>
        )}
        {fields.kind === 'webhook' && (
          <>
            <Field name="action.url" label="URL" error={error}>
              <input id="f-action.url" name="action.url" type="url" value={fields.url} onInput={set('url')} spellcheck={false} {...invalid('action.url')} />
            </Field>
            <Field name="action.method" label="Method" error={error}>
              <select id="f-action.method" name="action.method" value={fields.method} onChange={set('method')}>
                {['POST', 'PUT', 'PATCH', 'GET', 'DELETE'].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </Field>
          </>
        )}
        <Field name="onFailure" label="When a run fails" error={error}>
          <select id="f-onFailure" name="onFailure" value={fields.onFailure} onChange={set('onFailure')}>
            <option value="">default ({fields.kind === 'workflow' ? 'abort' : 'continue'})</option>
            <option value="continue">continue with the next run</option>
            <option value="abort">abort the job</option>
          </select>
        </Field>
      </div>
      {unplaced && <ErrorNote error={unplaced} prefix="The API refused the job" />}
      <details class="body-preview">
        <summary>Request body</summary>
        <pre>{JSON.stringify(body, null, 2)}</pre>
      </details>
      <div class="buttons">
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit job'}
        </button>
        <a class="button" href="#/">
          Cancel
        </a>
      </div>
    </form>
  );
}
