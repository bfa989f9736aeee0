/**
 * Error names are a contract with the ASL (Retry and Catch match on them) and with API clients (the
 * log, the Lambda's errorType): each class states its name as a literal, so renaming or minifying the
 * class cannot change it. errors-minified.test.ts checks the same through a minified bundle.
 */
import * as apiErrors from '../../../src/functions/api/errors';
import * as libErrors from '../../../src/lib/errors';
import { RequestNotActiveError } from '../../../src/lib/extra-runs';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const {
  BlockedDestinationError,
  ConfigurationError,
  JobConflictError,
  JobNotActiveError,
  JobNotFoundError,
  JobStateError,
  PermanentError,
  RunAlreadyFinishedError,
  SchedulerError,
  TransientError,
  ValidationError,
  PERMANENT_ERROR_NAMES,
  RETRYABLE_ERROR_NAME,
} = libErrors;
const { ForbiddenOriginError, MalformedJsonError, MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError, UnauthorizedError, UnsupportedMediaTypeError } = apiErrors;

/** One instance of every error class, by the name it must carry. */
const instances: Record<string, Error> = {
  SchedulerError: new SchedulerError('x'),
  ValidationError: new ValidationError([{ field: 'id', message: 'is required' }]),
  TransientError: new TransientError('x'),
  PermanentError: new PermanentError('x'),
  BlockedDestinationError: new BlockedDestinationError('x'),
  JobNotActiveError: new JobNotActiveError('daily', 'CANCELLED'),
  JobNotFoundError: new JobNotFoundError('daily'),
  JobConflictError: new JobConflictError('daily'),
  ConfigurationError: new ConfigurationError('x'),
  RunAlreadyFinishedError: new RunAlreadyFinishedError('daily', 3),
  JobStateError: new JobStateError('daily', 'SCHEDULED', 'x'),
  RouteNotFoundError: new RouteNotFoundError('/nope'),
  MethodNotAllowedError: new MethodNotAllowedError('PUT', '/jobs', ['GET', 'POST']),
  MalformedJsonError: new MalformedJsonError('x'),
  PayloadTooLargeError: new PayloadTooLargeError(300_000, 262_144),
  UnauthorizedError: new UnauthorizedError('x'),
  ForbiddenOriginError: new ForbiddenOriginError('x'),
  UnsupportedMediaTypeError: new UnsupportedMediaTypeError('x'),
  RequestNotActiveError: new RequestNotActiveError('daily', 'trigger-1', 'CANCELLED'),
};

function errorClassesOf(module: Record<string, unknown>): string[] {
  return Object.entries(module)
    .filter(([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error)
    .map(([key]) => key);
}

describe('error names', () => {
  it.each(Object.entries(instances))('%s carries its name as a literal', (name, error) => {
    expect(error.name).toBe(name);
    expect(String(error)).toBe(`${name}: ${error.message}`);
  });

  it('names every error class the modules export (a new class must be added above)', () => {
    const exported = [...errorClassesOf(libErrors), ...errorClassesOf(apiErrors), 'RequestNotActiveError'];

    expect(new Set(exported)).toEqual(new Set(Object.keys(instances)));
  });

  it('keeps a subclass its own name, not its parent’s', () => {
    const blocked = new BlockedDestinationError('x');

    expect(blocked).toBeInstanceOf(PermanentError);
    expect(blocked.name).toBe('BlockedDestinationError');
    expect(new PermanentError('x').name).toBe('PermanentError');
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('socket hang up');

    expect(new TransientError('x', { cause }).cause).toBe(cause);
    expect('cause' in new TransientError('x')).toBe(false);
  });
});

describe('the names the ASL matches on', () => {
  const asl = readFileSync(path.join(__dirname, '../../../src/statemachines/scheduler.asl.json'), 'utf8');

  it('are the literal class names, and the ASL spells them the same way', () => {
    expect(RETRYABLE_ERROR_NAME).toBe('TransientError');
    expect(PERMANENT_ERROR_NAMES).toEqual(['PermanentError', 'ValidationError']);
    expect(asl).toContain(`"${RETRYABLE_ERROR_NAME}"`);
  });

  it('are what a thrown error of each class is called', () => {
    expect(new TransientError('x').name).toBe(RETRYABLE_ERROR_NAME);
    expect([new PermanentError('x').name, new ValidationError([]).name]).toEqual([...PERMANENT_ERROR_NAMES]);
  });
});
