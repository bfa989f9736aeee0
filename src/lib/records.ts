/**
 * The records a report workflow reads, and everything about them that needs no I/O: where a data source
 * points, how its text parses, which records are valid, the fingerprint that proves the data did not
 * change between collection and processing, and which slice each processing run takes.
 *
 * Records are `unknown` until validated: a data source is outside input, and an invalid record is data
 * to count (a report's `errors`), not a reason to stop the job.
 */
import { createHash } from 'node:crypto';
import { PermanentError } from './errors';
import type { WorkflowConfig } from './job';

/** One record of a data source, once it has passed `validateRecord`. */
export interface DataRecord {
  id: string;
  /** ISO-8601 date-time. */
  timestamp: string;
  value: number;
  category: string;
}

export type ReportType = WorkflowConfig['reportType'];

/**
 * The largest value a monthly report accepts. A monthly report adds a month of values into one figure,
 * so one record above a million is far more likely a unit mistake (cents sent as units) than real data,
 * and would swamp the total. Daily and weekly reports show records closer to their source and keep them.
 */
export const MONTHLY_VALUE_LIMIT = 1_000_000;

/** Anything Date.parse takes is too loose (it reads "1" as the year 2001), so the date part must lead. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * Why a record is invalid for a report type, or undefined when it is valid.
 *
 * Every report type requires: `id` a non-empty string, `timestamp` an ISO-8601 date-time that parses,
 * `value` a finite number >= 0, `category` a non-empty string. `monthly` also requires
 * `value <= MONTHLY_VALUE_LIMIT`.
 * @example validateRecord({ id: 'a', timestamp: '2024-12-04T10:00:00Z', value: -1, category: 'click' }, 'weekly')
 * // 'value must be a finite number >= 0'
 */
export function validateRecord(record: unknown, reportType: ReportType): string | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'record must be an object';
  const { id, timestamp, value, category } = record as Partial<Record<keyof DataRecord, unknown>>;
  if (typeof id !== 'string' || id === '') return 'id must be a non-empty string';
  if (typeof timestamp !== 'string' || !ISO_DATE_TIME.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    return 'timestamp must be an ISO-8601 date-time';
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 'value must be a finite number >= 0';
  if (typeof category !== 'string' || category === '') return 'category must be a non-empty string';
  if (reportType === 'monthly' && value > MONTHLY_VALUE_LIMIT) {
    return `value must be at most ${MONTHLY_VALUE_LIMIT} in a monthly report`;
  }
  return undefined;
}

/** Verdicts of validateRecord already reached, by records array and report type; `null` is valid. */
const verdicts = new WeakMap<readonly unknown[], Map<ReportType, (string | null | undefined)[]>>();

/**
 * validateRecord of `records[index]`, remembered for this array: a data set cached for many runs (and many
 * jobs on the same source) is validated once per record and report type, not once per run. The records
 * must not change while the array is in use — data sets are read-only.
 * @example validateRecordAt(records, 3, 'weekly') === validateRecord(records[3], 'weekly') // true
 */
export function validateRecordAt(records: readonly unknown[], index: number, reportType: ReportType): string | undefined {
  let byType = verdicts.get(records);
  if (!byType) verdicts.set(records, (byType = new Map()));
  let known = byType.get(reportType);
  if (!known) byType.set(reportType, (known = new Array<string | null | undefined>(records.length)));
  const verdict = known[index];
  if (verdict !== undefined) return verdict ?? undefined;
  const reason = validateRecord(records[index], reportType);
  known[index] = reason ?? null;
  return reason;
}

/** JSON with object keys sorted, so a source that only reorders keys keeps its checksum. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A SHA-256 fingerprint of records, in order. Collection stores it; each processing run recomputes it
 * and refuses to go on when the data changed, since its slice would no longer be the one planned.
 * @example checksum([{ id: 'a', value: 1 }]) === checksum([{ value: 1, id: 'a' }]) // true: key order does not count
 */
export function checksum(records: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(canonicalJson(record)).update('\n');
  return hash.digest('hex');
}

/**
 * The half-open index range `[from, to)` that processing run `k` (1-based) of `processingRuns` handles.
 * The runs' ranges are contiguous, cover `0..total` exactly once and differ in size by at most one.
 * @example sliceFor(10, 3, 1) // [0, 3]; then [3, 6] for k = 2 and [6, 10] for k = 3
 */
export function sliceFor(total: number, processingRuns: number, k: number): [number, number] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a whole number >= 0, got ${total}`);
  if (!Number.isInteger(processingRuns) || processingRuns < 1) {
    throw new RangeError(`processingRuns must be a whole number >= 1, got ${processingRuns}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > processingRuns) {
    throw new RangeError(`k must be a whole number from 1 to ${processingRuns}, got ${k}`);
  }
  return [Math.floor(((k - 1) * total) / processingRuns), Math.floor((k * total) / processingRuns)];
}

/**
 * Where JSON.parse gave up, as an offset, or undefined. V8 reports a position for some errors only
 * ("Unexpected token" has none), so this walks the grammar itself; it runs only after a parse failed.
 */
function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const string = () => {
    for (i++; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === '"') return void i++;
      if (c === '\\') i++;
      else if (c < ' ') fail();
    }
    fail();
  };
  const value = (): void => {
    skipSpace();
    const c = text.charAt(i);
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (text.charAt(i) === close) return void i++;
      for (;;) {
        if (close === '}') {
          if (text.charAt(i) !== '"') fail();
          string();
          skipSpace();
          if (text.charAt(i) !== ':') fail();
          i++;
        }
        value();
        skipSpace();
        if (text.charAt(i) === close) return void i++;
        if (text.charAt(i) !== ',') fail();
        i++;
        skipSpace();
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return void (i += word.length);
    numberPattern.lastIndex = i;
    if (!numberPattern.test(text)) fail();
    i = numberPattern.lastIndex;
  };
  try {
    value();
    skipSpace();
    return i < text.length ? i : undefined;
  } catch (offset) {
    // Anything but an offset (a stack overflow on absurd nesting) means: no line to name.
    return typeof offset === 'number' ? offset : undefined;
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function columnOf(text: string, offset: number): number {
  return offset - text.lastIndexOf('\n', offset - 1);
}

/**
 * Parse a data source's text: a JSON array, or NDJSON (one JSON value a line, blank lines ignored).
 * Malformed text is a bad data source, so it throws PermanentError naming the line and column, never
 * quoting the text.
 * @example parseRecords('{"id":"a"}\n\n{"id":"b"}\n') // [{ id: 'a' }, { id: 'b' }]
 */
export function parseRecords(text: string): unknown[] {
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(body) as unknown[];
    } catch {
      // The parser's own message quotes the text; the source may be a file the job should not see into,
      // so only the position is told (and the parser's error is not kept as a cause).
      const offset = jsonErrorOffset(body);
      throw new PermanentError(`not a valid JSON array${offset === undefined ? '' : ` (line ${lineOf(body, offset)}, column ${columnOf(body, offset)})`}`);
    }
  }
  const records: unknown[] = [];
  const lines = body.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      const offset = jsonErrorOffset(line);
      throw new PermanentError(`line ${index + 1} is not valid JSON${offset === undefined ? '' : ` (column ${offset + 1})`}`);
    }
  }
  return records;
}

/**
 * The seeded PRNG behind sample data (mulberry32): a uint32 seed gives the same sequence on every
 * machine, which is what lets collection and a later processing run agree on "the same" sample data.
 * @example const next = mulberry32(42); next() // a number in [0, 1), the same each time for seed 42
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A uint32 seed from a name (32-bit FNV-1a), so `sample:analytics` is the same data set everywhere.
 * @example seedFromName('analytics') === seedFromName('analytics') // true
 */
export function seedFromName(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const SAMPLE_CATEGORIES = ['page_view', 'click', 'search', 'signup', 'purchase'] as const;
/** 2024-12-01T00:00:00Z: sample records start here and are about a minute apart. */
const SAMPLE_EPOCH_MS = 1733011200000;
/** Share of sample records made invalid on purpose, so reports have errors to count. */
const SAMPLE_INVALID_RATE = 0.005;

/** A generated record: a DataRecord, or one with a planted defect (no id, negative value, bad timestamp). */
export type SampleRecord = Partial<DataRecord>;

/**
 * A deterministic sample data set: `count` records, about 0.5 % of them invalid (a missing id, a
 * negative value or an unparsable timestamp). The same name, count and seed always give the same records.
 * @example generateSampleRecords('analytics', 7543, seedFromName('analytics')).length // 7543
 */
export function generateSampleRecords(name: string, count: number, seed: number): SampleRecord[] {
  const next = mulberry32(seed);
  const records: SampleRecord[] = [];
  for (let i = 0; i < count; i++) {
    const record: SampleRecord = {
      id: `${name}-${String(i + 1).padStart(6, '0')}`,
      timestamp: new Date(SAMPLE_EPOCH_MS + i * 60_000 + Math.floor(next() * 60_000)).toISOString(),
      value: Math.round(next() * 100_000) / 100,
      category: SAMPLE_CATEGORIES[Math.floor(next() * SAMPLE_CATEGORIES.length)] ?? 'click',
    };
    if (next() < SAMPLE_INVALID_RATE) {
      const defect = Math.floor(next() * 3);
      if (defect === 0) delete record.id;
      else if (defect === 1) record.value = -(record.value ?? 1) - 1;
      else record.timestamp = 'not-a-timestamp';
    }
    records.push(record);
  }
  return records;
}

/** Where a workflow's `dataSource` points. */
export type DataSourceAddress =
  | { scheme: 'http' | 'https'; url: string }
  | { scheme: 'file'; url: string }
  | { scheme: 'sample'; name: string };

const BARE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Read a `dataSource` string: `http(s)://…`, `file://…`, `sample:<name>`, or a bare name such as seed
 * 000's `"analytics"`, which means `sample:analytics`. Anything else is a configuration error.
 * @example parseDataSource('analytics') // { scheme: 'sample', name: 'analytics' }
 */
export function parseDataSource(dataSource: string): DataSourceAddress {
  if (BARE_NAME.test(dataSource)) return { scheme: 'sample', name: dataSource };
  const sample = /^sample:(.+)$/i.exec(dataSource);
  if (sample?.[1] !== undefined) {
    if (!BARE_NAME.test(sample[1])) {
      throw new PermanentError(`data source ${dataSource}: a sample name is letters, digits, _ and - only`);
    }
    return { scheme: 'sample', name: sample[1] };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(dataSource)?.[1]?.toLowerCase();
  if ((scheme === 'http' || scheme === 'https' || scheme === 'file') && URL.canParse(dataSource)) {
    return { scheme, url: dataSource };
  }
  throw new PermanentError(
    scheme === undefined || scheme === 'http' || scheme === 'https' || scheme === 'file'
      ? `data source ${dataSource} is not a valid address; use http(s)://…, file://…, sample:<name> or a bare name`
      : `data source scheme ${scheme}: is not supported; use http(s)://…, file://…, sample:<name> or a bare name`,
  );
}
