/**
 * The one AWS error classifier: every adapter that calls an AWS service (DynamoDB, Step Functions, SNS,
 * SQS) asks it what a thrown value is, so "try again later" means the same thing everywhere and becomes
 * the `TransientError` the ASL retries (src/lib/errors.ts).
 *
 * Rules, first match wins (names are the SDK error's `name`; the lists follow the SDK's own retry
 * classification in @smithy/core `retry/service-error-classification`, plus the few this product adds):
 *
 * | kind         | when                                                                                        | class       |
 * |--------------|---------------------------------------------------------------------------------------------|-------------|
 * | `foreign`    | not an AWS error: one of our own `SchedulerError`s, a JS built-in error (`TypeError`, …), an `AbortError`, a non-Error | `unknown` |
 * | `condition`  | `ConditionalCheckFailedException`; `TransactionCanceledException` with a `ConditionalCheckFailed` reason | `condition` |
 * | `throttling` | a name in THROTTLING_NAMES (ThrottlingException, ProvisionedThroughputExceededException, RequestLimitExceeded, TooManyRequestsException, ExecutionLimitExceeded, …) or containing "Throttl"; `$retryable.throttling`; HTTP 429; a `TransactionCanceledException` cancelled by throttling or a conflict | `transient` |
 * | `fault`      | HTTP >= 500; `$fault === 'server'`; a name in FAULT_NAMES (InternalServerError, ServiceUnavailable, …); `$retryable` set | `transient` |
 * | `network`    | `code` (on the error or its causes) in NETWORK_CODES (ECONNRESET, ECONNREFUSED, ETIMEDOUT, EPIPE, EAI_AGAIN, …); name TimeoutError / RequestTimeout; an SDK error (`$metadata`) with no HTTP status and no `$fault` | `transient` |
 * | `refused`    | any other SDK service error: `$fault === 'client'` or HTTP 4xx (AccessDenied, NotFound, ValidationException, …) | `refused`   |
 * | `foreign`    | anything else                                                                                | `unknown`   |
 *
 * What each class becomes is the caller's choice through `toDomainError`: `transient` is always a
 * `TransientError`; `condition` is a domain error the caller names (default: "unexpected failed
 * condition"); `refused` is a `PermanentError` where a refusal is the destination's answer (a failure
 * destination, a notification topic) or passes through as a bug where it is ours (a malformed DynamoDB
 * request must not be retried for a day); `unknown` always passes through untouched.
 */
import { PermanentError, SchedulerError, TransientError } from '../lib/errors';

/** Error names the services use for "slow down". */
const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  // DynamoDB: two transactions touched the same item; the loser may simply try again.
  'TransactionConflictException',
  // Step Functions: too many running executions (the account's open-execution quota); it frees up as they end.
  'ExecutionLimitExceeded',
]);

/** Error names of a failure on the service's side (usually with a 5xx status too). */
const FAULT_NAMES = new Set([
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'InternalError',
  'InternalErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Error names of a request that got no answer in time. */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** Node's codes for a connection that failed or dropped (SDK: NODEJS_TIMEOUT_ and NODEJS_NETWORK_ERROR_CODES). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

/** JavaScript's own error types: a bug in the caller, whatever stack it was thrown through. */
const BUILT_IN_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError']);

/** `TransactionCanceledException` reasons (CancellationReasons[].Code) that a later try may pass. */
const TRANSIENT_CANCELLATIONS = new Set(['TransactionConflict', 'ProvisionedThroughputExceeded', 'ThrottlingError']);

/** What a thrown value is, in detail (see the table above). */
export type AwsErrorKind = 'throttling' | 'fault' | 'network' | 'condition' | 'refused' | 'foreign';

/** What a caller does with it: retry later, turn it into a domain error, decide, or pass it on. */
export type AwsErrorClass = 'transient' | 'condition' | 'refused' | 'unknown';

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: unknown } | undefined;
  $metadata?: { httpStatusCode?: unknown } | undefined;
  CancellationReasons?: Array<{ Code?: unknown } | undefined>;
}

function networkCodeIn(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const { code, cause } = error as SdkErrorShape;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return networkCodeIn(cause, depth + 1);
}

/**
 * What a thrown value is (see the module's table).
 * @example awsErrorKind(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } })) // 'throttling'
 * @example awsErrorKind(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' })) // 'network'
 * @example awsErrorKind(new TypeError('x is undefined')) // 'foreign'
 */
export function awsErrorKind(error: unknown): AwsErrorKind {
  if (!(error instanceof Error) || error instanceof SchedulerError) return 'foreign';
  const e = error as Error & SdkErrorShape;
  if (BUILT_IN_ERRORS.has(e.name) || e.name === 'AbortError') return 'foreign';

  const reasons = (Array.isArray(e.CancellationReasons) ? e.CancellationReasons : []).map((reason) => reason?.Code);
  if (e.name === 'ConditionalCheckFailedException') return 'condition';
  if (e.name === 'TransactionCanceledException') {
    if (reasons.includes('ConditionalCheckFailed')) return 'condition';
    if (reasons.some((code) => typeof code === 'string' && TRANSIENT_CANCELLATIONS.has(code))) return 'throttling';
  }

  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (THROTTLING_NAMES.has(e.name) || /throttl/i.test(e.name) || e.$retryable?.throttling === true || status === 429) return 'throttling';
  if ((status !== undefined && status >= 500) || e.$fault === 'server' || FAULT_NAMES.has(e.name) || e.$retryable !== undefined) return 'fault';
  if (networkCodeIn(e) !== undefined || TIMEOUT_NAMES.has(e.name)) return 'network';
  if (e.$fault === 'client' || (status !== undefined && status >= 400)) return 'refused';
  // The SDK puts $metadata on whatever fails inside its stack; with no status and no fault the request got no answer.
  if (e.$metadata !== undefined && typeof e.$metadata === 'object') return 'network';
  return 'foreign';
}

/**
 * The class of a thrown value: `transient` (throttling, a service fault, a network failure), `condition`
 * (a conditional write lost), `refused` (the service said no for good), `unknown` (not an AWS error).
 * @example classifyAwsError(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' })) // 'transient'
 * @example classifyAwsError(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })) // 'condition'
 * @example classifyAwsError(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } })) // 'refused'
 */
export function classifyAwsError(error: unknown): AwsErrorClass {
  const kind = awsErrorKind(error);
  if (kind === 'throttling' || kind === 'fault' || kind === 'network') return 'transient';
  if (kind === 'foreign') return 'unknown';
  return kind;
}

/** True when a later try of the same call may pass. @example isTransientAwsError(new Error('boom')) // false */
export function isTransientAwsError(error: unknown): boolean {
  return classifyAwsError(error) === 'transient';
}

export interface DomainErrorOptions {
  /**
   * A request the service refused for good: `permanent` makes it a PermanentError (the destination's
   * answer, recorded as the run's failure, not retried); `pass` throws the AWS error itself (our bug).
   */
  refused: 'permanent' | 'pass';
  /** The domain error for a failed condition. Default: a SchedulerError saying the condition was unexpected. */
  condition?: (error: Error) => Error;
  /**
   * The advice when nothing answers at the endpoint (ECONNREFUSED), given the error's own words; off AWS
   * this usually means the local runtime is not running.
   */
  unreachable?: (detail: string) => string;
}

/**
 * The advice for a DynamoDB endpoint where nothing answers, for `unreachable`: off AWS the local runtime
 * is not running (on AWS the regional endpoint always answers).
 * @example dynamoDbUnreachable('Error: connect ECONNREFUSED 127.0.0.1:8000') // 'nothing answers at the DynamoDB endpoint (Error: connect ECONNREFUSED 127.0.0.1:8000); start the local runtime with `npm start` or set DYNAMODB_ENDPOINT'
 */
export function dynamoDbUnreachable(detail: string): string {
  return `nothing answers at the DynamoDB endpoint (${detail}); start the local runtime with \`npm start\` or set DYNAMODB_ENDPOINT`;
}

function detailOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A thrown value in domain terms, by the module's rules. Our own errors and anything that is not an AWS
 * error come back untouched; `what` names the call for the message ("DynamoDB UpdateItem").
 * @example
 * try {
 *   await client.send(new PublishCommand(input));
 * } catch (error) {
 *   throw toDomainError(error, `SNS publish to ${topicArn}`, { refused: 'permanent' });
 * }
 * @example
 * // the DynamoDB store: its own request refused is a bug (not retried), a lost condition is "already recorded"
 * toDomainError(error, 'DynamoDB UpdateItem', {
 *   refused: 'pass',
 *   condition: () => new RunAlreadyFinishedError(jobId, iteration),
 *   unreachable: dynamoDbUnreachable,
 * })
 */
export function toDomainError(error: unknown, what: string, options: DomainErrorOptions): unknown {
  const kind = awsErrorKind(error);
  if (kind === 'foreign') return error;
  const e = error as Error;
  const detail = detailOf(e);
  switch (kind) {
    case 'throttling':
    case 'fault':
      return new TransientError(`${what} failed, try again: ${detail}`, { cause: e });
    case 'network':
      if (options.unreachable !== undefined && networkCodeIn(e) === 'ECONNREFUSED') {
        return new TransientError(`${what} failed: ${options.unreachable(detail)}`, { cause: e });
      }
      return new TransientError(`${what} failed, try again: ${detail}`, { cause: e });
    case 'condition':
      return options.condition?.(e) ?? new SchedulerError(`${what}: unexpected failed condition`, { cause: e });
    case 'refused':
      return options.refused === 'permanent' ? new PermanentError(`${what} failed: ${detail}`, { cause: e }) : e;
  }
}
