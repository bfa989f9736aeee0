/**
 * Submit a job (`POST /jobs`). The page checks nothing itself: the API's ValidationError names the field
 * (`{ error: { field: "timeZone", message } }`), and its message is shown at that field, so the rules live
 * in one place (src/lib/job.ts).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { request, toApiError, type ApiError } from '../api';
import { isoToZonedLocal, minutesText, splitTags, viewerZone, zonedToIso } from '../format';
// The defaults a job gets when a field is left empty, from the module the server applies them with: the
// form has no job yet to ask the API about. (Pure constants: nothing of the server comes with them.)
import { DEFAULT_POLICIES, policiesOf } from '../../lib/policies';
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
  /** Repeat by `frequency` (every n units) or by an EventBridge `scheduleExpression`: the API takes one, never both. */
  timing: 'frequency' | 'expression';
  every: string;
  unit: (typeof UNITS)[number] | 'once';
  scheduleExpression: string;
  maxRuns: string;
  forever: boolean;
  flexibleWindowMinutes: string;
  catchUp: '' | 'skip' | 'one' | 'all';
  catchUpWindowMinutes: string;
  overlap: '' | 'skip' | 'bufferOne' | 'allow';
  retentionDays: string;
  group: string;
  /** As typed: comma- or space-separated. */
  tags: string;
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
    timing: 'frequency',
    every: '1',
    unit: 'days',
    scheduleExpression: 'cron(0 9 * * ? *)',
    maxRuns: '',
    forever: false,
    flexibleWindowMinutes: '',
    catchUp: '',
    catchUpWindowMinutes: '',
    overlap: '',
    retentionDays: '',
    group: '',
    tags: '',
    reportType: 'weekly',
    dataSource: 'sample:analytics',
    notifyEmail: '',
    text: 'Hello from step-scheduler',
    url: 'https://example.com/hook',
    method: 'POST',
    onFailure: '',
  };
}

function isRecurring(f: Fields): boolean {
  return f.timing === 'expression' || f.unit !== 'once';
}

/** `forever` is for action jobs only; a workflow's last run is its report. */
function offersForever(f: Fields): boolean {
  return isRecurring(f) && f.kind !== 'workflow';
}

/**
 * A number input's value as typed, left for the API to judge (`1.5` is sent and refused as "must be a whole
 * number"); empty means unset. A browser hands over '' for text it cannot read as a number.
 */
function numberOrUndefined(value: string): number | undefined {
  return value.trim() === '' ? undefined : Number(value);
}

/** The scheduling options kept behind the "Scheduling options" disclosure, in the order it shows them. */
const OPTION_FIELDS = ['catchUp', 'catchUpWindowMinutes', 'flexibleWindowMinutes', 'overlap', 'group', 'tags', 'retentionDays'] as const;

/** The `POST /jobs` body the fields describe: only what the user set, so the API's defaults stay the API's. */
export function jobBody(f: Fields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: f.id.trim(),
    startDateTime: zonedToIso(f.start, f.timeZone.trim()),
    timeZone: f.timeZone.trim(),
  };
  if (f.timing === 'expression') body.scheduleExpression = f.scheduleExpression.trim();
  else if (f.unit !== 'once') body.frequency = { [f.unit]: Number(f.every) };
  if (isRecurring(f)) {
    // The end input is disabled while "forever" is ticked: a job that runs until stopped has no end to send.
    if (offersForever(f) && f.forever) body.forever = true;
    else if (f.end) body.endDateTime = zonedToIso(f.end, f.timeZone.trim());
    const maxRuns = numberOrUndefined(f.maxRuns);
    if (maxRuns !== undefined) body.maxRuns = maxRuns;
  }
  if (f.kind === 'workflow') {
    body.config = { reportType: f.reportType, dataSource: f.dataSource.trim(), ...(f.notifyEmail.trim() ? { notifyEmail: f.notifyEmail.trim() } : {}) };
  } else if (f.kind === 'message') {
    body.action = { type: 'message', text: f.text };
  } else {
    body.action = { type: 'webhook', url: f.url.trim(), method: f.method };
  }
  if (f.onFailure) body.onFailure = f.onFailure;
  const flexibleWindowMinutes = numberOrUndefined(f.flexibleWindowMinutes);
  if (flexibleWindowMinutes !== undefined) body.flexibleWindowMinutes = flexibleWindowMinutes;
  if (f.catchUp) body.catchUp = f.catchUp;
  const catchUpWindowMinutes = numberOrUndefined(f.catchUpWindowMinutes);
  if (catchUpWindowMinutes !== undefined) body.catchUpWindowMinutes = catchUpWindowMinutes;
  if (f.overlap) body.overlap = f.overlap;
  const retentionDays = numberOrUndefined(f.retentionDays);
  if (retentionDays !== undefined) body.retentionDays = retentionDays;
  if (f.group.trim()) body.group = f.group.trim();
  const tags = splitTags(f.tags);
  if (tags.length > 0) body.tags = tags;
  return body;
}

/** Which input an API field belongs to: `frequency.days` → frequency, `tags.2` → tags, `action.url` → action.url. */
function fieldKey(apiField: string | undefined): string | undefined {
  if (!apiField) return undefined;
  if (apiField.startsWith('frequency')) return 'frequency';
  if (/^tags(\.|$)/.test(apiField)) return 'tags';
  return apiField;
}

/**
 * The fields that have an input on the form as it stands, so an error naming any other field (or one whose
 * input is hidden for this kind of job) goes to the list under the form instead of vanishing.
 */
function placedFields(f: Fields): string[] {
  return [
    'id',
    'timeZone',
    'startDateTime',
    f.timing === 'expression' ? 'scheduleExpression' : 'frequency',
    ...(isRecurring(f) ? ['endDateTime', 'maxRuns'] : []),
    ...(offersForever(f) ? ['forever'] : []),
    ...(f.kind === 'workflow' ? ['config.reportType', 'config.dataSource', 'config.notifyEmail'] : f.kind === 'message' ? ['action.text'] : ['action.url', 'action.method']),
    'onFailure',
    ...OPTION_FIELDS,
  ];
}

/** `also`: further API fields whose errors belong under this input (the end date and its "forever" box). */
function Field({
  name,
  label,
  error,
  hint,
  also = [],
  children,
}: {
  name: string;
  label: string;
  error: ApiError | undefined;
  hint?: ComponentChildren;
  also?: string[];
  children: ComponentChildren;
}) {
  const key = error ? fieldKey(error.field) : undefined;
  const mine = error && key !== undefined && (key === name || also.includes(key)) ? error : undefined;
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
  const [optionsOpen, setOptionsOpen] = useState(false);
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
  const setForever = (event: Event) => {
    touched.current = true;
    const forever = (event.currentTarget as HTMLInputElement).checked;
    setFields((f) => ({ ...f, forever }));
  };
  /** `owner`: the Field whose error paragraph describes this input, when the input is not its main one. */
  const invalid = (name: string, owner = name) => (error && fieldKey(error.field) === name ? { 'aria-invalid': true, 'aria-describedby': `err-${owner}` } : {});
  const body = jobBody(fields);
  const recurring = isRecurring(fields);
  const forever = offersForever(fields) && fields.forever;
  const optionsSet = OPTION_FIELDS.filter((name) => body[name] !== undefined).length;

  const formRef = useRef<HTMLFormElement>(null);
  // A refused submit: the field the API named is brought into view below the sticky header, which wraps to
  // two rows on a phone (so its height is measured, not assumed), and focused for the keyboard.
  useEffect(() => {
    const input = error?.field ? formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') : null;
    if (!input) return;
    const field = input.closest<HTMLElement>('.field') ?? input;
    const header = document.querySelector<HTMLElement>('.topbar');
    field.style.scrollMarginTop = `${(header?.offsetHeight ?? 0) + 12}px`;
    field.scrollIntoView({ block: 'start' });
    input.focus({ preventScroll: true });
  }, [error, optionsOpen]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await request<{ jobId: string }>('POST', 'jobs', body);
      onSubmitted(answer.jobId);
    } catch (caught) {
      const refused = toApiError(caught);
      setError(refused);
      // An error at an input inside the closed disclosure would be shown where nobody sees it.
      if ((OPTION_FIELDS as readonly string[]).includes(fieldKey(refused.field) ?? '')) setOptionsOpen(true);
    } finally {
      setBusy(false);
    }
  };

  const unplaced = error && !placedFields(fields).includes(fieldKey(error.field) ?? '') ? error : undefined;
  return (
    <form ref={formRef} class="card submit-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Submit a job">
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
        {fields.timing === 'frequency' ? (
          <Field name="frequency" label="Repeats" error={error}>
            <TimingSwitch value={fields.timing} onChange={set('timing')} />
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
        ) : (
          <Field
            name="scheduleExpression"
            label="Repeats"
            error={error}
            hint={
              <>
                <code>cron(min hour day-of-month month day-of-week year)</code> or <code>rate(5 minutes)</code>, in the job's zone; day-of-week 1 is Sunday
              </>
            }
          >
            <TimingSwitch value={fields.timing} onChange={set('timing')} />
            <input
              id="f-scheduleExpression"
              name="scheduleExpression"
              value={fields.scheduleExpression}
              onInput={set('scheduleExpression')}
              placeholder="cron(0 9 * * ? *)"
              autoComplete="off"
              spellcheck={false}
              aria-label="schedule expression"
              {...invalid('scheduleExpression')}
            />
          </Field>
        )}
        {recurring && (
          <Field
            name="endDateTime"
            also={['forever']}
            label="End (in the job's zone)"
            error={error}
            hint={forever ? 'none: runs until stopped' : fields.end ? <code>{String(body.endDateTime)}</code> : fields.kind === 'workflow' ? 'none: set a run limit instead' : 'none: set a run limit or tick “forever”'}
          >
            <input id="f-endDateTime" name="endDateTime" type="datetime-local" step={1} value={fields.end} disabled={forever} onInput={set('end')} {...invalid('endDateTime')} />
            {offersForever(fields) && (
              <label class="check">
                <input id="f-forever" name="forever" type="checkbox" checked={fields.forever} onChange={setForever} {...invalid('forever', 'endDateTime')} />
                forever: no end, runs until stopped
              </label>
            )}
          </Field>
        )}
        {recurring && (
          <Field name="maxRuns" label="At most (runs, optional)" error={error} hint="whole number, 1 or more; with or without an end">
            <input id="f-maxRuns" name="maxRuns" type="number" min={1} step={1} value={fields.maxRuns} onInput={set('maxRuns')} placeholder="no limit" {...invalid('maxRuns')} />
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
            <option value="">default ({policiesOf(fields.kind === 'workflow' ? {} : { action: { type: 'message', text: '' } }).onFailure})</option>
            <option value="continue">continue with the next run</option>
            <option value="abort">abort the job</option>
          </select>
        </Field>
      </div>
      <details class="options" open={optionsOpen} onToggle={(e) => setOptionsOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary>
          Scheduling options <span class="muted">{optionsSet > 0 ? `${optionsSet} set` : 'catch-up, flexible window, overlap, group, tags, retention'}</span>
        </summary>
        <div class="form-grid">
          <Field name="catchUp" label="Runs missed (downtime, a pause)" error={error}>
            <select id="f-catchUp" name="catchUp" value={fields.catchUp} onChange={set('catchUp')} {...invalid('catchUp')}>
              <option value="">default ({DEFAULT_POLICIES.catchUp})</option>
              <option value="skip">skip: go on with the next run to come</option>
              <option value="one">one: run the latest missed run</option>
              <option value="all">all: run every missed run, in order</option>
            </select>
          </Field>
          <Field name="catchUpWindowMinutes" label="Catch-up window (minutes)" error={error} hint={`missed runs older than this are skipped; 1-525600, default ${DEFAULT_POLICIES.catchUpWindowMinutes} (${minutesText(DEFAULT_POLICIES.catchUpWindowMinutes)})`}>
            <input id="f-catchUpWindowMinutes" name="catchUpWindowMinutes" type="number" min={1} max={525_600} step={1} value={fields.catchUpWindowMinutes} onInput={set('catchUpWindowMinutes')} placeholder={String(DEFAULT_POLICIES.catchUpWindowMinutes)} {...invalid('catchUpWindowMinutes')} />
          </Field>
          <Field name="flexibleWindowMinutes" label="Flexible window (minutes)" error={error} hint="each run starts somewhere in this window after its time; 1-1440">
            <input id="f-flexibleWindowMinutes" name="flexibleWindowMinutes" type="number" min={1} max={1440} step={1} value={fields.flexibleWindowMinutes} onInput={set('flexibleWindowMinutes')} placeholder="none: on time" {...invalid('flexibleWindowMinutes')} />
          </Field>
          <Field name="overlap" label="When a run is still going at the next one's time" error={error}>
            <select id="f-overlap" name="overlap" value={fields.overlap} onChange={set('overlap')} {...invalid('overlap')}>
              <option value="">default ({DEFAULT_POLICIES.overlap})</option>
              <option value="skip">skip: record the overlapped runs skipped</option>
              <option value="bufferOne">bufferOne: run the latest of them at once</option>
              <option value="allow">allow: run all of them, one after another</option>
            </select>
          </Field>
          <Field name="group" label="Group" error={error} hint="A-Z a-z 0-9 _ . -, up to 64; the jobs list filters by it">
            <input id="f-group" name="group" value={fields.group} onInput={set('group')} autoComplete="off" spellcheck={false} {...invalid('group')} />
          </Field>
          <Field name="tags" label="Tags" error={error} hint="separated by commas or spaces; up to 20 of A-Z a-z 0-9 _ . : = -">
            <input id="f-tags" name="tags" value={fields.tags} onInput={set('tags')} placeholder="billing, team=ops" autoComplete="off" spellcheck={false} {...invalid('tags')} />
          </Field>
          <Field name="retentionDays" label="Keep for (days after it ends)" error={error} hint="then the job and its runs expire; 1-3650, default forever">
            <input id="f-retentionDays" name="retentionDays" type="number" min={1} max={3650} step={1} value={fields.retentionDays} onInput={set('retentionDays')} placeholder="forever" {...invalid('retentionDays')} />
          </Field>
        </div>
      </details>
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

/** Frequency or expression: two ways to say when a job repeats, of which the API takes one. */
function TimingSwitch({ value, onChange }: { value: Fields['timing']; onChange: (event: Event) => void }) {
  return (
    <div class="segmented" role="radiogroup" aria-label="Repeat by">
      {(
        [
          ['frequency', 'every n units'],
          ['expression', 'cron / rate expression'],
        ] as const
      ).map(([option, text]) => (
        <label key={option} class={value === option ? 'is-on' : ''}>
          <input type="radio" name="timing" value={option} checked={value === option} onChange={onChange} />
          {text}
        </label>
      ))}
    </div>
  );
}
