/**
 * Errors of the HTTP layer itself: what a request gets wrong before the domain sees it. Each is turned
 * into a response by `toHttpResponse` (http.ts), the one place that maps errors to status codes.
 */
import { SchedulerError } from '../../lib/errors';

/** No route has this path. */
export class RouteNotFoundError extends SchedulerError {
  override readonly name: string = 'RouteNotFoundError';

  constructor(readonly path: string) {
    super(`no route ${path}`);
  }
}

/** A route has this path, but not for this method. */
export class MethodNotAllowedError extends SchedulerError {
  override readonly name: string = 'MethodNotAllowedError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly allow: readonly string[],
  ) {
    super(`${method} is not allowed on ${path}; use ${allow.join(', ')}`);
  }
}

/** The body is not JSON at all. */
export class MalformedJsonError extends SchedulerError {
  override readonly name: string = 'MalformedJsonError';
}

/** The body is larger than what a Step Functions execution input may hold. */
export class PayloadTooLargeError extends SchedulerError {
  override readonly name: string = 'PayloadTooLargeError';

  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the body is ${bytes} bytes; the limit is ${limit} bytes`);
  }
}

/** A bearer token is required and the request has none, or a wrong one. */
export class UnauthorizedError extends SchedulerError {
  override readonly name: string = 'UnauthorizedError';
}

/** A state-changing request from a browser page on an origin the API does not admit (cors.ts). */
export class ForbiddenOriginError extends SchedulerError {
  override readonly name: string = 'ForbiddenOriginError';
}

/** A body sent as something other than JSON (a form or text/plain post, which browsers send cross-site unasked). */
export class UnsupportedMediaTypeError extends SchedulerError {
  override readonly name: string = 'UnsupportedMediaTypeError';
}
