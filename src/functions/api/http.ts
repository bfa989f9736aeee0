/**
 * HTTP responses: the JSON envelope every route answers with, and `toHttpResponse`, the one place where
 * an error becomes a status code. A 5xx never shows internals: its message is "internal error" and the
 * real error goes to the log.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../../common/logger';
import { ExecutionNotFoundError } from '../../lib/executions';
import { JobConflictError, JobNotActiveError, JobNotFoundError, JobStateError, TransientError, ValidationError } from '../../lib/errors';
import { RequestNotActiveError } from '../../lib/extra-runs';
import {
  ForbiddenOriginError,
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors';

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

/**
 * A JSON response.
 * @example json(201, { jobId: 'daily' }) // { statusCode: 201, headers: { 'content-type': 'application/json; …' }, body: '{"jobId":"daily"}' }
 */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  field?: string,
  headers?: Record<string, string>,
): APIGatewayProxyResult {
  const body: ErrorBody = { error: { code, message, ...(field === undefined ? {} : { field }) } };
  return json(statusCode, body, headers);
}

/**
 * Map any thrown value to its response: 4xx for what the request got wrong, 503 for a dependency that
 * asks to be tried again, 500 "internal error" for everything else (logged with its stack).
 * @example toHttpResponse(new JobNotFoundError('daily')).statusCode // 404
 */
export function toHttpResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof ValidationError) return errorResponse(400, 'VALIDATION_ERROR', error.message, error.field);
  if (error instanceof MalformedJsonError) return errorResponse(400, 'MALFORMED_JSON', error.message);
  if (error instanceof UnauthorizedError) {
    return errorResponse(401, 'UNAUTHORIZED', error.message, undefined, { 'www-authenticate': 'Bearer' });
  }
  if (error instanceof ForbiddenOriginError) return errorResponse(403, 'FORBIDDEN_ORIGIN', error.message, 'origin');
  if (error instanceof JobNotFoundError) return errorResponse(404, 'JOB_NOT_FOUND', error.message);
  if (error instanceof RouteNotFoundError) return errorResponse(404, 'ROUTE_NOT_FOUND', error.message);
  if (error instanceof ExecutionNotFoundError) return errorResponse(404, 'EXECUTION_NOT_FOUND', error.message);
  if (error instanceof MethodNotAllowedError) {
    return errorResponse(405, 'METHOD_NOT_ALLOWED', error.message, undefined, { allow: error.allow.join(', ') });
  }
  if (error instanceof JobConflictError) return errorResponse(409, 'JOB_CONFLICT', error.message, 'id');
  if (error instanceof JobNotActiveError) return errorResponse(409, 'JOB_NOT_ACTIVE', error.message);
  // A trigger or backfill request that was cancelled or already ended: nothing more runs for it.
  if (error instanceof RequestNotActiveError) return errorResponse(409, 'REQUEST_NOT_ACTIVE', error.message);
  if (error instanceof JobStateError) return errorResponse(409, 'JOB_STATE', error.message, 'status');
  if (error instanceof PayloadTooLargeError) return errorResponse(413, 'PAYLOAD_TOO_LARGE', error.message);
  if (error instanceof UnsupportedMediaTypeError) return errorResponse(415, 'UNSUPPORTED_MEDIA_TYPE', error.message, 'content-type');
  if (error instanceof TransientError) {
    // A dependency said "try again later" (throttling, a dropped connection): say so, without its words.
    logger.warn('request failed on a transient error', error);
    return errorResponse(503, 'UNAVAILABLE', 'temporarily unavailable; try again', undefined, { 'retry-after': '1' });
  }
  if (error instanceof Error) logger.error('request failed', error);
  else logger.error('request failed', { error: String(error) });
  return errorResponse(500, 'INTERNAL', 'internal error');
}
