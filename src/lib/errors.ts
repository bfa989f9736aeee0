/**
 * Error classes of the domain.
 *
 * The `name` of a class that a Lambda throws is a contract with the ASL: `Retry` and `Catch` match on it
 * (see src/statemachines/scheduler.asl.json). Change a name here and the state machine must change too;
 * test/unit/statemachines/asl.test.ts checks that both agree.
 *
 * Every class states its `name` as a string literal rather than taking its constructor's name: a bundler
 * that minifies renames classes (`TransientError` becomes `r`), and the ASL would then retry nothing.
 * test/unit/lib/errors.test.ts checks every class here, and a minified bundle, against that.
 */

export interface ErrorOptions {
  cause?: unknown;
}

/** Base of every error this product throws on purpose. */
export class SchedulerError extends Error {
  override readonly name: string = 'SchedulerError';

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** One problem with one field of an input. `field` is a dotted path such as `frequency.days`. */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Input that breaks a rule. Never retryable: the same input fails the same way.
 * The message names the first field and its rule; `issues` lists them all.
 */
export class ValidationError extends SchedulerError {
  override readonly name: string = 'ValidationError';

  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], options: ErrorOptions = {}) {
    const first = issues[0] ?? { field: '(input)', message: 'invalid input' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${first.field}: ${first.message}${more}`, options);
    this.issues = issues;
  }

  get field(): string {
    return this.issues[0]?.field ?? '(input)';
  }
}

/**
 * A failure that may pass if the same step is tried again later: a timeout, a 5xx, throttling, a reset
 * connection. The ASL retries this name with exponential backoff and full jitter.
 */
export class TransientError extends SchedulerError {
  override readonly name: string = 'TransientError';
}

/**
 * A failure that no retry will fix: a bad data source, an unsupported URL, records that changed under a
 * running job. The ASL does not retry it; the Catch records it as the run's failure.
 */
export class PermanentError extends SchedulerError {
  override readonly name: string = 'PermanentError';
}

/**
 * A call the webhook guard refused: a non-http(s) scheme, or a host that is (or resolves to) a loopback,
 * private, link-local, metadata or other non-public address. Permanent: the same job is refused again.
 */
export class BlockedDestinationError extends PermanentError {
  override readonly name: string = 'BlockedDestinationError';
}

/** The names the ASL matches on. Kept beside the classes so both change together. */
export const RETRYABLE_ERROR_NAME = 'TransientError';
export const PERMANENT_ERROR_NAMES = ['PermanentError', 'ValidationError'] as const;

/** The job is in a final state (stopped, failed, completed), so nothing may move it forward. */
export class JobNotActiveError extends PermanentError {
  override readonly name: string = 'JobNotActiveError';

  constructor(
    readonly jobId: string,
    readonly status: string,
  ) {
    super(`job ${jobId} is ${status}; it does not run any more`);
  }
}

export class JobNotFoundError extends SchedulerError {
  override readonly name: string = 'JobNotFoundError';

  constructor(readonly jobId: string) {
    super(`job ${jobId} does not exist`);
  }
}

/** A different job was already submitted under this id. */
export class JobConflictError extends SchedulerError {
  override readonly name: string = 'JobConflictError';

  constructor(readonly jobId: string) {
    super(`a different job with id ${jobId} already exists`);
  }
}

/** A configuration variable that a function needs is missing or malformed. */
export class ConfigurationError extends SchedulerError {
  override readonly name: string = 'ConfigurationError';
}

/** A second invocation tried to finish a run that another one already recorded. */
export class RunAlreadyFinishedError extends SchedulerError {
  override readonly name: string = 'RunAlreadyFinishedError';

  constructor(
    readonly jobId: string,
    readonly iteration: number,
  ) {
    super(`run ${iteration} of job ${jobId} is already recorded`);
  }
}

/** An operation that the job's current status does not allow (resuming a job that is not paused). */
export class JobStateError extends SchedulerError {
  override readonly name: string = 'JobStateError';

  constructor(
    readonly jobId: string,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}
