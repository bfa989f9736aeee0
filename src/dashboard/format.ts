/**
 * Formatting for the page: instants in a given IANA zone (Intl only — date-fns would triple the bundle),
 * durations, money and the conversion between a form's wall-clock time in the job's zone and the
 * ISO-8601-with-offset the API requires.
 */

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

/** The primitive fields of a run's result, long strings (checksums) shortened: `messageId local-1e32… · channel default`. */
export function resultText(result: unknown): string {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result === null || result === undefined ? '' : String(result);
  return Object.entries(result)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .filter(([k]) => !/At$/.test(k))
    .map(([k, v]) => `${k} ${typeof v === 'string' && v.length > 14 ? `${v.slice(0, 12)}…` : typeof v === 'number' ? v.toLocaleString() : String(v)}`)
    .join(' · ');
}
