/**
 * Reading an API Gateway proxy event: the bearer token, the JSON body, path and query parameters, each
 * refused as a 400 (401, 413, 415) naming what the client sent. No domain here: app.ts hands the parsed
 * values to the job service.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../../lib/errors';
import { JOB_ID_PATTERN } from '../../lib/job';
import { isKnownStatus } from '../../lib/status';
import { headerOf } from './cors';
import { MalformedJsonError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from './errors';

/** The largest body accepted: the Step Functions execution input limit, 256 KB. */
export const MAX_BODY_BYTES = 262_144;

/** A request as a route handler gets it: the event, its path parameters and its query (no prototype). */
export interface Request {
  event: APIGatewayProxyEvent;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

// ---- request parsing ------------------------------------------------------------------------------------

export function invalid(field: string, message: string): ValidationError {
  return new ValidationError([{ field, message }]);
}


/** Compare digests, so neither the token's content nor its length leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function authorize(event: APIGatewayProxyEvent, apiToken: string | undefined): void {
  if (apiToken === undefined) return;
  const authorization = headerOf(event, 'authorization');
  if (authorization === undefined) throw new UnauthorizedError('this route needs an Authorization: Bearer <token> header');
  const token = /^Bearer[ \t]+(\S.*)$/i.exec(authorization.trim())?.[1];
  if (token === undefined || !sameSecret(token, apiToken)) throw new UnauthorizedError('the bearer token is not valid');
}

/**
 * A body must say it is JSON: browsers send text/plain and form bodies to any site without asking first,
 * so accepting those would let any page post jobs.
 */
export function requireJsonContentType(event: APIGatewayProxyEvent): void {
  const contentType = headerOf(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    const got = contentType === undefined ? 'none' : JSON.stringify(contentType.slice(0, 100));
    throw new UnsupportedMediaTypeError(`content-type must be application/json (got ${got})`);
  }
}

/** The body as JSON: base64 decoded when API Gateway says so, at most MAX_BODY_BYTES. */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  if (raw !== '') requireJsonContentType(event);
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(bytes.length, MAX_BODY_BYTES);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new MalformedJsonError('the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedJsonError(`the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A whole-number query parameter in [min, max], or its default when absent. */
export function intParam(query: Request['query'], name: string, range: { min: number; max: number; fallback: number }): number {
  const raw = query[name];
  if (raw === undefined || raw === '') return range.fallback;
  const value = /^[0-9]{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalid(name, `must be a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

/**
 * An opaque cursor as handed out, passed on as sent: the store is the one that checks it (its characters,
 * its length, the key inside), naming `cursor`; withCursorField renames the field for the client.
 */
export function cursorParam(query: Request['query'], name: string): string | undefined {
  const raw = query[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function jobIdParam(params: Request['params']): string {
  const id = params.id ?? '';
  if (!JOB_ID_PATTERN.test(id)) throw invalid('id', 'must be 1-80 characters of A-Z, a-z, 0-9, _ and -');
  return id;
}

/** The Idempotency-Key header of a POST that creates something (a job, a trigger, a backfill), when sent. */
export function idempotencyKeyOf(event: APIGatewayProxyEvent): { idempotencyKey?: string } {
  const key = headerOf(event, 'idempotency-key');
  if (key === undefined) return {};
  if (key.length < 1 || key.length > 255) throw invalid('Idempotency-Key', 'must be 1-255 characters');
  return { idempotencyKey: key };
}

/** `?runsOrder=`: `asc` (oldest first, the default) or `desc` (newest first). */
export function runsOrderParam(query: Request['query']): 'asc' | 'desc' {
  const raw = query.runsOrder?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'asc') return 'asc';
  if (raw === 'desc') return 'desc';
  throw invalid('runsOrder', 'must be asc (oldest first) or desc (newest first)');
}

/** `?status=`: seed 001 writes statuses in lower case (`scheduled`); both spellings mean the same. */
export function statusParam(query: Request['query']): string | undefined {
  const raw = query.status?.trim();
  const status = raw === undefined || raw === '' ? undefined : raw.toUpperCase();
  if (status !== undefined && !isKnownStatus(status)) {
    throw invalid('status', 'must be a job status such as SCHEDULED, RUNNING, DAY_3_COMPLETE, COMPLETED, FAILED or CANCELLED');
  }
  return status;
}

/** `?group=` and `?tag=`, the listing's filters. */
export function filterParams(query: Request['query']): { group?: string; tag?: string } {
  const group = query.group?.trim() || undefined;
  const tag = query.tag?.trim() || undefined;
  if (group !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(group)) throw invalid('group', 'must be 1-64 characters of A-Z, a-z, 0-9, _, . and -');
  if (tag !== undefined && !/^[A-Za-z0-9_.:=-]{1,64}$/.test(tag)) throw invalid('tag', 'must be 1-64 characters of A-Z, a-z, 0-9 and _.:=-');
  return { ...(group === undefined ? {} : { group }), ...(tag === undefined ? {} : { tag }) };
}

/** An optional `{ "note": "…" }` body (pause, trigger): any other field is refused rather than dropped. */
export function noteOf(event: APIGatewayProxyEvent): string | undefined {
  if (!event.body) return undefined;
  const body = readJsonBody(event);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('(body)', 'must be a JSON object such as { "note": "why" }, or empty');
  const unknown = Object.keys(body).find((key) => key !== 'note');
  if (unknown !== undefined) throw invalid(unknown, 'is not a field here; send { "note": "…" } or nothing');
  const { note } = body as { note?: unknown };
  if (note !== undefined && (typeof note !== 'string' || note.length > 500)) throw invalid('note', 'must be a string of at most 500 characters');
  return note;
}

/** The store names its cursor `cursor`; the client may have sent it under another name. */
export async function withCursorField<T>(name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'cursor' && name !== 'cursor') {
      throw new ValidationError(
        error.issues.map((issue) => (issue.field === 'cursor' ? { ...issue, field: name } : issue)),
        { cause: error },
      );
    }
    throw error;
  }
}

