/**
 * Reading a workflow's data source, and the HTTP plumbing the webhook action shares with it: a guarded
 * call with a deadline and a cap on how much of the body is read, whose failures arrive already sorted
 * into TransientError (try again later) and PermanentError (fix the job).
 */
import { constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FILES_OFF, type FilesDir } from '../adapters/files-dir';
import { guardedFetch, type CappedResponse, type GuardedRequestInit, type NetGuard } from '../adapters/guarded-http';
import { PermanentError, TransientError } from '../lib/errors';
import { WorkflowConfigSchema, type Job, type WorkflowConfig } from '../lib/job';
import { generateSampleRecords, parseDataSource, parseRecords, seedFromName } from '../lib/records';

export interface ReadLimits {
  /** Deadline for the whole read, headers and body. */
  timeoutMs: number;
  /** Larger sources are refused: the whole source is held in a Lambda's memory. */
  maxBytes: number;
  /** Who an http(s) source may be: the webhook guard and its allow-list (public addresses only by default). */
  guard?: NetGuard;
  /** The one folder `file:` sources may be read from (--files-dir); absent: they are refused. */
  files?: FilesDir;
}

/** A Lambda has room for 10 MiB of JSON next to its parsed form; seed 000's 7,543 records are ~0.8 MiB. */
export const DEFAULT_READ_LIMITS: ReadLimits = { timeoutMs: 10_000, maxBytes: 10 * 1024 * 1024 };

/** Seed 000's collection found 7,543 records; a sample data set has as many. */
export const SAMPLE_RECORD_COUNT = 7543;

/**
 * An http(s) address fit for an error message or a log: no user:password and no query string (tokens
 * live there). Other addresses come back as they are.
 * @example redactUrl('https://u:p@example.com/data.json?token=s3cret') // 'https://example.com/data.json'
 */
export function redactUrl(url: string): string {
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) return url;
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export type { CappedResponse } from '../adapters/guarded-http';

export interface FetchCappedOptions {
  timeoutMs: number;
  maxBytes: number;
  /** What is being called, for messages: "data source https://…", "webhook https://…". */
  what: string;
  /** The webhook guard and its allow-list; public addresses only by default. */
  guard?: NetGuard;
}

/**
 * An HTTP call behind the webhook guard (src/adapters/guarded-http.ts): a deadline over headers and body,
 * a cap on the body read, no redirects followed (a redirect comes back as its 3xx response), Basic
 * authentication from user:password in the address. Refused addresses throw BlockedDestinationError,
 * timeouts and network failures TransientError, a request that cannot be built PermanentError; the
 * caller judges the status code.
 * @example const res = await fetchCapped('https://example.com/data.json', {}, { timeoutMs: 5000, maxBytes: 65536, what: 'data source' })
 */
export async function fetchCapped(url: string, init: GuardedRequestInit, options: FetchCappedOptions): Promise<CappedResponse> {
  return guardedFetch(url, init, options);
}

/**
 * The error a non-2xx status means: 429 and 5xx may pass later, any other answer will not.
 * @example errorForStatus(503, 'webhook https://x') // TransientError 'webhook https://x answered 503'
 */
export function errorForStatus(status: number, what: string, detail = ''): TransientError | PermanentError {
  const message = `${what} answered ${status}${detail ? `: ${detail}` : ''}`;
  return status === 429 || status >= 500 ? new TransientError(message) : new PermanentError(message);
}

/**
 * Up to 200 characters of a body on one line, for an error message a person can act on.
 * @example snippet(Buffer.from('{"error":\n "no such hook"}')) // '{"error": "no such hook"}'
 */
export function snippet(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, 200)).replace(/\s+/g, ' ').trim();
  return body.length > 200 ? `${text}…` : text;
}

/** A validator a server gave with its data (ETag, else Last-Modified), to ask next time whether it changed. */
type HttpValidator = { etag: string } | { lastModified: string };

/** The body, or `not-modified` when the server confirmed (304) that `validator` still holds. */
async function readHttp(url: string, limits: ReadLimits, validator?: HttpValidator): Promise<{ body: Buffer; validator?: HttpValidator } | 'not-modified'> {
  const what = `data source ${redactUrl(url)}`;
  const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson;q=0.9, */*;q=0.1' };
  if (validator && 'etag' in validator) headers['if-none-match'] = validator.etag;
  else if (validator) headers['if-modified-since'] = validator.lastModified;
  // One byte past the cap tells "exactly maxBytes" from "more than maxBytes".
  const response = await fetchCapped(
    url,
    { headers },
    { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes + 1, what, ...(limits.guard ? { guard: limits.guard } : {}) },
  );
  if (response.status === 304 && validator) return 'not-modified';
  // The status only: the answer's text is not the job's to read back through its error.
  if (response.status < 200 || response.status > 299) throw errorForStatus(response.status, what);
  if (response.truncated || response.body.length > limits.maxBytes) {
    throw new PermanentError(`${what} is larger than ${limits.maxBytes} bytes`);
  }
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  // A weak ETag (W/"…") only promises equivalent content, not the same bytes: it is no proof of the fingerprint.
  const next: HttpValidator | undefined = etag && !etag.startsWith('W/') ? { etag } : lastModified ? { lastModified } : undefined;
  return { body: response.body, ...(next ? { validator: next } : {}) };
}

/** File errors that a retry cannot fix: the path is wrong or not readable. */
const PERMANENT_FILE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/**
 * A file's identity without reading it: the same inode, size, modification and change times mean the
 * same bytes (a writer that keeps all four is one that sets them back on purpose). The path must be inside
 * the files folder, links resolved, before anything about it is looked at.
 */
async function fileIdentity(url: string, limits: ReadLimits): Promise<{ path: string; identity: string }> {
  return fileErrors(url, limits, async () => {
    if (limits.files === undefined) throw new PermanentError(`data source ${url}: ${FILES_OFF}`);
    const path = await limits.files.resolve(fileURLToPath(url), 'data source');
    const info = await stat(path);
    if (!info.isFile()) throw new PermanentError(`data source ${url} is not a file`);
    if (info.size > limits.maxBytes) throw new PermanentError(`data source ${url} is larger than ${limits.maxBytes} bytes`);
    return { path, identity: `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}` };
  });
}

async function readLocalFile(url: string, limits: ReadLimits, path: string): Promise<Buffer> {
  return fileErrors(url, limits, async () => {
    // O_NOFOLLOW: a link put in place after the check is not followed either.
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const body = await handle.readFile({ signal: AbortSignal.timeout(limits.timeoutMs) });
      // Grown since it was looked at: the limit holds for what is read, not only for what stat said.
      if (body.length > limits.maxBytes) throw new PermanentError(`data source ${url} is larger than ${limits.maxBytes} bytes`);
      return body;
    } finally {
      await handle.close();
    }
  });
}

/** A file operation's errors sorted: a wrong or unreadable path is permanent, anything else transient. */
async function fileErrors<T>(url: string, limits: ReadLimits, operation: () => Promise<T>): Promise<T> {
  const what = `data source ${url}`;
  try {
    return await operation();
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ABORT_ERR') throw new TransientError(`${what} was not read within ${limits.timeoutMs} ms`, { cause: error });
    // fileURLToPath throws ERR_INVALID_FILE_URL_* for a file URL with a host or an encoded slash.
    if (code !== undefined && (PERMANENT_FILE_CODES.has(code) || code.startsWith('ERR_INVALID'))) {
      throw new PermanentError(`${what} cannot be read (${code})`, { cause: error });
    }
    throw new TransientError(`${what} cannot be read (${code ?? 'unknown error'})`, { cause: error });
  }
}

/**
 * Read every record of a data source: `http(s)://` (JSON array or NDJSON), `file://` (the same), or
 * `sample:<name>` / a bare name (a generated, deterministic data set of SAMPLE_RECORD_COUNT records).
 * Records come back unvalidated; invalid ones are for the caller to count.
 * @example const records = await readDataSource('sample:analytics') // 7543 records, the same every time
 */
export async function readDataSource(dataSource: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<readonly unknown[]> {
  return (await readDataSet(dataSource, limits)).records;
}

/**
 * A data source's records with the fingerprint that proves, between collection and processing, that they
 * are the same data. Records are shared with other readers of the same source in this process: read-only.
 */
export interface DataSet {
  readonly records: readonly unknown[];
  /**
   * `sha256:<hex>` of the raw bytes read (file, http), or `sample-v1:<name>:<seed>:<count>` for a generated
   * sample (the generator is deterministic, so its inputs are its data's identity). Any change of the bytes
   * changes it, whitespace and key order included.
   */
  readonly fingerprint: string;
}

/**
 * The data sets read in this process, by data source, with what proves each is still current: a sample is
 * always (its identity is its name), a file while its inode, size and times are unchanged, an http source
 * while the server answers 304 to its ETag or Last-Modified (without either, nothing is kept). A Lambda
 * container keeps it between invocations, so the runs of a workflow parse and hash a source once, not once
 * a run; a few recent sources only, since each holds its records in memory.
 */
const cache = new Map<string, { identity?: string; validator?: HttpValidator; set: DataSet }>();
const CACHED_SOURCES = 4;

function remember(dataSource: string, entry: { identity?: string; validator?: HttpValidator; set: DataSet }): DataSet {
  cache.delete(dataSource);
  cache.set(dataSource, entry);
  for (const oldest of cache.keys()) {
    if (cache.size <= CACHED_SOURCES) break;
    cache.delete(oldest);
  }
  return entry.set;
}

/** Forget every cached data set (tests that rewrite a source within one clock tick). */
export function clearDataSetCache(): void {
  cache.clear();
}

function rawFingerprint(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/**
 * Read a data source (see readDataSource) with its fingerprint, from this process's cache while the
 * source's cheap identity (see `cache`) says it has not changed.
 * @example const { records, fingerprint } = await readDataSet('file:///data/events.ndjson') // fingerprint 'sha256:…'
 */
export async function readDataSet(dataSource: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<DataSet> {
  const address = parseDataSource(dataSource);
  const cached = cache.get(dataSource);
  switch (address.scheme) {
    case 'sample': {
      const seed = seedFromName(address.name);
      const identity = `${address.name}:${seed}:${SAMPLE_RECORD_COUNT}`;
      if (cached?.identity === identity) return cached.set;
      const records = generateSampleRecords(address.name, SAMPLE_RECORD_COUNT, seed);
      return remember(dataSource, { identity, set: { records, fingerprint: `sample-v1:${identity}` } });
    }
    case 'file': {
      const { path, identity } = await fileIdentity(address.url, limits);
      if (cached?.identity === identity) return cached.set;
      const body = await readLocalFile(address.url, limits, path);
      const set = { records: parseRecordsOf(`data source ${address.url}`, body), fingerprint: rawFingerprint(body) };
      return remember(dataSource, { identity, set });
    }
    case 'http':
    case 'https': {
      const read = await readHttp(address.url, limits, cached?.validator);
      if (read === 'not-modified' && cached) return cached.set;
      if (read === 'not-modified') throw new TransientError(`data source ${redactUrl(address.url)} answered 304 to a request that was not conditional`);
      const set = { records: parseRecordsOf(`data source ${redactUrl(address.url)}`, read.body), fingerprint: rawFingerprint(read.body) };
      if (read.validator) return remember(dataSource, { validator: read.validator, set });
      cache.delete(dataSource);
      return set;
    }
  }
}

/** parseRecords names the line; this adds which source it was. */
function parseRecordsOf(what: string, body: Buffer): unknown[] {
  try {
    return parseRecords(body.toString('utf8'));
  } catch (error) {
    if (error instanceof PermanentError) throw new PermanentError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * A workflow's configuration with its defaults: a job submitted without `config` still has a report
 * type and a data source, taken from the schema so the defaults are written once.
 * @example workflowConfigOf({ ...job, config: undefined }).dataSource // 'sample:analytics'
 */
export function workflowConfigOf(job: Job): WorkflowConfig {
  return job.config ?? WorkflowConfigSchema.parse({});
}
