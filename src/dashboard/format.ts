/**
 * Formatting for the page: instants in a given IANA zone (Intl only — date-fns would triple the bundle),
 * durations, money and the conversion between a form's wall-clock time in the job's zone and the
 * ISO-8601-with-offset the API requires.
 */

import cronstrue from 'cronstrue';

/** The viewer's zone, as the browser reports it. */
export const viewerZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const formatters = new Map<string, Intl.DateTimeFormat>();
const THIS_YEAR = new Date().getFullYear();

/** short: `4 Dec, 10:00` (the year added when it is not this one); long: `4 Dec 2024, 10:00:00 UTC`. */
function formatter(timeZone: string, style: 'short' | 'year' | 'long'): Intl.DateTimeFormat {
  const key = `${timeZone}|${style}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(undefined, {
      timeZone,
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      ...(style === 'year' ? { year: 'numeric' } : {}),
      ...(style === 'long' ? { year: 'numeric', second: '2-digit', timeZoneName: 'short' } : {}),
      hourCycle: 'h23',
    });
    formatters.set(key, found);
  }
  return found;
}

/**
 * An instant in a zone: `4 Dec, 10:00` (short; `4 Dec 2027, 10:00` in another year) or
 * `4 Dec 2024, 10:00:00 UTC` (long). A zone the browser does not know falls back to UTC rather than
 * breaking the page.
 */
export function formatInZone(iso: string | null | undefined, timeZone: string, style: 'short' | 'year' | 'long' = 'short'): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const shape = style === 'short' && new Date(ms).getUTCFullYear() !== THIS_YEAR ? 'year' : style;
  try {
    return formatter(timeZone, shape).format(ms);
  } catch {
    return formatter('UTC', shape).format(ms);
  }
}

/**
 * A later instant of the same run (its start after its planned time): only the time of day when both fall
 * on the same date in `timeZone`, the whole long form otherwise.
 */
export function formatLater(iso: string, sameDayAs: string, timeZone: string): string {
  try {
    const date = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (date.format(Date.parse(iso)) !== date.format(Date.parse(sameDayAs))) return formatInZone(iso, timeZone, 'long');
    return new Intl.DateTimeFormat(undefined, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(Date.parse(iso));
  } catch {
    return formatInZone(iso, timeZone, 'long');
  }
}

/** `850 ms`, `12.3 s`, `4 min 12 s`, `1 h 36 min`, `2 d 3 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '−' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  const s = abs / 1000;
  if (s < 60) return `${sign}${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${sign}${min} min ${Math.round(s % 60)} s`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${sign}${h} h ${min % 60} min`;
  return `${sign}${Math.floor(h / 24)} d ${h % 24} h`;
}

/** US dollars with enough digits to tell tiny amounts apart: `$0.00083`, `$1.25`. */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '$0';
  const abs = Math.abs(value);
  const digits = abs >= 1 ? 2 : Math.min(10, Math.max(2, 1 - Math.floor(Math.log10(abs)) + 1));
  return `${value < 0 ? '−' : ''}$${abs.toFixed(digits)}`;
}

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

const UNIT_NAMES: Record<string, [string, string]> = {
  years: ['year', 'years'],
  quarters: ['quarter', 'quarters'],
  months: ['month', 'months'],
  weeks: ['week', 'weeks'],
  days: ['day', 'days'],
  hours: ['hour', 'hours'],
  minutes: ['minute', 'minutes'],
};

/** `every day`, `every 5 minutes`, `every 1 hour 30 minutes`, `once`. */
export function frequencyText(frequency: Partial<Record<string, number>> | undefined): string {
  if (!frequency) return 'once';
  const parts = Object.entries(frequency)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .map(([unit, n]) => {
      const [one, many] = UNIT_NAMES[unit] ?? [unit, unit];
      return n === 1 ? one : `${n} ${many}`;
    });
  if (parts.length === 0) return 'once';
  return `every ${parts.join(' ')}`;
}

/** The zone's offset from UTC at an instant, in minutes (Berlin in winter: 60). */
export function zoneOffsetMinutes(instantMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instantMs);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instantMs / 1000) * 1000) / 60_000);
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z';
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A `datetime-local` value read as wall-clock time in `timeZone`, as ISO-8601 with that zone's offset.
 * A zone the browser does not know is sent as UTC, so the API (not the page) names the bad zone.
 * @example zonedToIso('2024-12-04T10:00', 'Europe/Berlin') // '2024-12-04T10:00:00+01:00'
 */
export function zonedToIso(local: string, timeZone: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local);
  if (!match) return local;
  const [, y, mo, d, h, mi, s = '00'] = match;
  const wall = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  try {
    // The offset at the wall time read as UTC is off by the offset itself near a DST change; the second look corrects it.
    const first = zoneOffsetMinutes(wallMs, timeZone);
    const offset = zoneOffsetMinutes(wallMs - first * 60_000, timeZone);
    return `${wall}${offsetText(offset)}`;
  } catch {
    return `${wall}Z`;
  }
}

/** An instant as a `datetime-local` value (seconds included) in `timeZone`. */
export function isoToZonedLocal(instantMs: number, timeZone: string): string {
  let offset = 0;
  try {
    offset = zoneOffsetMinutes(instantMs, timeZone);
  } catch {
    // An unknown zone: show UTC, which is what zonedToIso sends for it.
  }
  return new Date(Math.floor(instantMs / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
}

/** `45 min`, `1 h 30 min`, `6 h`, `1 day`, `365 days`: the API's minute counts as a reader says them. */
export function minutesText(minutes: number): string {
  if (minutes >= 1440 && minutes % 1440 === 0) return minutes === 1440 ? '1 day' : `${minutes / 1440} days`;
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** A comma- or space-separated list as typed (`billing, nightly team=ops`) as the API's array of tags. */
export function splitTags(text: string): string[] {
  return text.split(/[\s,]+/).filter((tag) => tag !== '');
}

/** Result keys said as a reader would; others are split from camelCase (`recordsProcessed` → `records processed`). */
const RESULT_LABELS: Record<string, string> = {
  statusCode: 'HTTP',
  messageId: 'message',
  latencyMs: 'took',
  durationMs: 'took',
  recordsProcessed: 'records processed',
  records: 'records',
  errors: 'errors',
  checksum: 'checksum',
  channel: 'channel',
  delivered: 'delivered',
};

/** `recordsProcessed` → `records processed`, `HTTPStatus` → `http status`. */
export function keyWords(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

/**
 * The primitive fields of a run's result in words, long strings (checksums) shortened, `…Ms` as durations:
 * `HTTP 200 · took 84 ms`, `records processed 1,508 · errors 7`.
 */
export function resultText(result: unknown): string {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result === null || result === undefined ? '' : String(result);
  return Object.entries(result)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .filter(([k]) => !/At$/.test(k))
    .map(([k, v]) => {
      const label = RESULT_LABELS[k] ?? keyWords(k);
      if (typeof v === 'number') return `${label} ${/Ms$/.test(k) ? formatDuration(v) : v.toLocaleString()}`;
      if (typeof v === 'boolean') return v ? label : `not ${label}`;
      return `${label} ${v.length > 14 ? `${v.slice(0, 12)}…` : v}`;
    })
    .join(' · ');
}

/** A run time as a statistic: under a millisecond is `< 1 ms`, never a bare `0 ms` that reads as "no time". */
export function formatRunTime(ms: number | null | undefined): string {
  if (ms !== null && ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms < 1) return '< 1 ms';
  return formatDuration(ms);
}

/** A count of days as a reader says it: `15.2 days`, `6 h`, `3 min`, `1 day`. */
export function daysText(days: number): string {
  if (!Number.isFinite(days)) return '—';
  if (days < 1) return formatDuration(days * 86_400_000);
  const rounded = days < 10 ? Math.round(days * 10) / 10 : Math.round(days);
  return `${rounded.toLocaleString()} ${rounded === 1 ? 'day' : 'days'}`;
}

/** A percentage without false precision: `836 %`, `12 %`, `4.5 %`, `0.3 %`. */
export function percentText(percent: number): string {
  const abs = Math.abs(percent);
  const digits = abs >= 10 || abs === 0 ? 0 : 1;
  return `${Number(percent.toFixed(digits)).toLocaleString()} %`;
}

/**
 * The ISO-8601 instants in a message (the API's, in UTC) said in `zone`, which is named once after them:
 * `to must not be later than 4 Dec 2024, 11:00:00 (Europe/Berlin)`.
 */
export function instantsInZone(text: string, zone: string): string {
  let found = false;
  const out = text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g, (iso) => {
    if (!Number.isFinite(Date.parse(iso))) return iso;
    found = true;
    return zonedLong(iso, zone);
  });
  return found ? `${out} (times in ${zone})` : out;
}

/** `4 Dec 2024, 10:00:00`: the long form without the zone's short name (the caller names the zone). */
function zonedLong(iso: string, zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(Date.parse(iso));
  } catch {
    return iso;
  }
}

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

/**
 * How far `iso` is from `now`, in the largest unit that fits: `2 min ago`, `in 3 hr`, `yesterday`.
 * @example relativeTime('2026-11-30T10:00:00Z', Date.parse('2026-11-30T10:02:00Z')) // '2 min. ago'
 */
export function relativeTime(iso: string, now: number = serverNow()): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return RELATIVE.format(seconds, 'second');
  if (abs < 2700) return RELATIVE.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400 * 1.5) return RELATIVE.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86_400 * 45) return RELATIVE.format(Math.round(seconds / 86_400), 'day');
  if (abs < 86_400 * 320) return RELATIVE.format(Math.round(seconds / (86_400 * 30.4)), 'month');
  return RELATIVE.format(Math.round(seconds / (86_400 * 365)), 'year');
}

/** An error as one line a reader can take in: a JSON body's `message`/`error` field, else the text itself, shortened. */
export function errorSummary(message: string, max = 160): string {
  let text = message;
  const json = /\{.*\}/s.exec(message)?.[0];
  if (json) {
    try {
      const parsed = JSON.parse(json) as Record<string, unknown>;
      const said = [parsed.message, parsed.error, parsed.detail, parsed.title].find((v) => typeof v === 'string');
      if (typeof said === 'string') text = message.replace(json, `“${said}”`);
    } catch {
      // Not JSON after all: the text as it is.
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The scheduler's clock minus this browser's, from `GET /health` (a local runtime may run warped). */
let clockOffsetMs = 0;

/** Remember the scheduler's `now` as just read, so relative times are on its clock. */
export function noteServerNow(iso: string): void {
  const ms = Date.parse(iso);
  if (Number.isFinite(ms)) clockOffsetMs = ms - Date.now();
}

/** Now on the scheduler's clock, as last heard. */
export function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

/**
 * A schedule expression in words, with the expression after it: EventBridge Scheduler's six-field
 * `cron(min hour dom month dow year)` through cronstrue (its day-of-week counts 1-7 from Sunday, as
 * EventBridge does), `rate(5 minutes)` as `every 5 minutes`. Anything cronstrue cannot read stays as written.
 * @example cronText('cron(0 9 * * ? *)') // 'At 09:00 · cron(0 9 * * ? *)'
 */
export function cronText(expression: string): string {
  const rate = /^rate\((\d+)\s+(\w+)\)$/.exec(expression.trim());
  if (rate) return `every ${rate[1] === '1' ? rate[2]!.replace(/s$/, '') : `${rate[1]} ${rate[2]}`}`;
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return expression;
  try {
    return `${cronstrue.toString(cron[1]!, { use24HourTimeFormat: true, dayOfWeekStartIndexZero: false, throwExceptionOnParseError: true })} · ${expression}`;
  } catch {
    return expression;
  }
}
