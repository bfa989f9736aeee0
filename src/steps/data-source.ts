/**
 * Reading a workflow's data source, and the HTTP plumbing the webhook action shares with it: a guarded
 * call with a deadline and a cap on how much of the body is read, whose failures arrive already sorted
 * into TransientError (try again later) and PermanentError (fix the job).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

async function readHttp(url: string, limits: ReadLimits): Promise<string> {
  const what = `data source ${redactUrl(url)}`;
  // One byte past the cap tells "exactly maxBytes" from "more than maxBytes".
  const response = await fetchCapped(
    url,
    { headers: { accept: 'application/json, application/x-ndjson;q=0.9, */*;q=0.1' } },
    { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes + 1, what, ...(limits.guard ? { guard: limits.guard } : {}) },
  );
  // The status only: the answer's text is not the job's to read back through its error.
  if (response.status < 200 || response.status > 299) throw errorForStatus(response.status, what);
  if (response.truncated || response.body.length > limits.maxBytes) {
    throw new PermanentError(`${what} is larger than ${limits.maxBytes} bytes`);
  }
  return response.body.toString('utf8');
}

/** File errors that a retry cannot fix: the path is wrong or not readable. */
const PERMANENT_FILE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

async function readLocalFile(url: string, limits: ReadLimits): Promise<string> {
  const what = `data source ${url}`;
  if (limits.files === undefined) throw new PermanentError(`${what}: ${FILES_OFF}`);
  let handle: FileHandle | undefined;
  try {
    // Inside the files folder, links resolved, before anything about the path is looked at.
    const path = await limits.files.resolve(fileURLToPath(url), 'data source');
    // O_NOFOLLOW: a link put in place after the check is not followed either.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const info = await handle.stat();
    if (!info.isFile()) throw new PermanentError(`${what} is not a file`);
    if (info.size > limits.maxBytes) throw new PermanentError(`${what} is larger than ${limits.maxBytes} bytes`);
    return await handle.readFile({ encoding: 'utf8', signal: AbortSignal.timeout(limits.timeoutMs) });
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ABORT_ERR') throw new TransientError(`${what} was not read within ${limits.timeoutMs} ms`, { cause: error });
    // fileURLToPath throws ERR_INVALID_FILE_URL_* for a file URL with a host or an encoded slash.
    if (code !== undefined && (PERMANENT_FILE_CODES.has(code) || code.startsWith('ERR_INVALID'))) {
      throw new PermanentError(`${what} cannot be read (${code})`, { cause: error });
    }
    throw new TransientError(`${what} cannot be read (${code ?? 'unknown error'})`, { cause: error });
  } finally {
    await handle?.close();
  }
}

/**
 * Read every record of a data source: `http(s)://` (JSON array or NDJSON), `file://` (the same), or
 * `sample:<name>` / a bare name (a generated, deterministic data set of SAMPLE_RECORD_COUNT records).
 * Records come back unvalidated; invalid ones are for the caller to count.
 * @example const records = await readDataSource('sample:analytics') // 7543 records, the same every time
 */
export async function readDataSource(dataSource: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<unknown[]> {
  const address = parseDataSource(dataSource);
  switch (address.scheme) {
    case 'sample':
      return generateSampleRecords(address.name, SAMPLE_RECORD_COUNT, seedFromName(address.name));
    case 'file':
      return parseRecordsOf(`data source ${address.url}`, await readLocalFile(address.url, limits));
    case 'http':
    case 'https':
      return parseRecordsOf(`data source ${redactUrl(address.url)}`, await readHttp(address.url, limits));
  }
}

/** parseRecords names the line; this adds which source it was. */
function parseRecordsOf(what: string, text: string): unknown[] {
  try {
    return parseRecords(text);
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
