/**
 * toHttpResponse: the one place an error becomes a status. Every error class of the domain and of the
 * HTTP layer, with its status, code, field and headers; a 5xx never shows the error's own words.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { logger } from '../../../../src/common/logger';
import { MalformedJsonError, MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError, UnauthorizedError } from '../../../../src/functions/api/errors';
import { json, toHttpResponse } from '../../../../src/functions/api/http';
import {
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
} from '../../../../src/lib/errors';
import { RequestNotActiveError } from '../../../../src/lib/extra-runs';

const SECRET = 'arn:aws:dynamodb:us-east-1:123456789012:table/secret-table';

let warn: jest.SpyInstance;
let error: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

function parse(response: ReturnType<typeof toHttpResponse>) {
  return { status: response.statusCode, headers: response.headers ?? {}, body: JSON.parse(response.body) as { error: { code: string; message: string; field?: string } } };
}

describe('toHttpResponse', () => {
  it.each<[string, Error, number, string, string | undefined]>([
    ['ValidationError', new ValidationError([{ field: 'frequency.days', message: 'must be a whole number' }]), 400, 'VALIDATION_ERROR', 'frequency.days'],
    ['MalformedJsonError', new MalformedJsonError('the body is not valid JSON'), 400, 'MALFORMED_JSON', undefined],
    ['UnauthorizedError', new UnauthorizedError('the bearer token is not valid'), 401, 'UNAUTHORIZED', undefined],
    ['JobNotFoundError', new JobNotFoundError('daily'), 404, 'JOB_NOT_FOUND', undefined],
    ['RouteNotFoundError', new RouteNotFoundError('/nope'), 404, 'ROUTE_NOT_FOUND', undefined],
    ['MethodNotAllowedError', new MethodNotAllowedError('PUT', '/jobs', ['GET', 'POST']), 405, 'METHOD_NOT_ALLOWED', undefined],
    ['JobConflictError', new JobConflictError('daily'), 409, 'JOB_CONFLICT', 'id'],
    ['JobNotActiveError', new JobNotActiveError('daily', 'CANCELLED'), 409, 'JOB_NOT_ACTIVE', undefined],
    ['RequestNotActiveError', new RequestNotActiveError('daily', 'trigger-1', 'CANCELLED'), 409, 'REQUEST_NOT_ACTIVE', undefined],
    ['JobStateError', new JobStateError('daily', 'SCHEDULED', 'job daily is SCHEDULED; only a paused job can be resumed'), 409, 'JOB_STATE', 'status'],
    ['PayloadTooLargeError', new PayloadTooLargeError(300_000, 262_144), 413, 'PAYLOAD_TOO_LARGE', undefined],
  ])('answers %s with %i %s, its message and field', (_name, thrown, status, code, field) => {
    const reply = parse(toHttpResponse(thrown));

    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ error: { code, message: thrown.message, ...(field === undefined ? {} : { field }) } });
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('names the methods a path allows in the Allow header of a 405', () => {
    expect(toHttpResponse(new MethodNotAllowedError('PUT', '/jobs', ['GET', 'POST'])).headers).toMatchObject({ allow: 'GET, POST' });
  });

  it('asks for a bearer token in the 401', () => {
    expect(toHttpResponse(new UnauthorizedError('x')).headers).toMatchObject({ 'www-authenticate': 'Bearer' });
  });

  it('answers a TransientError with 503 and Retry-After, without the dependency’s words', () => {
    const reply = parse(toHttpResponse(new TransientError(`DynamoDB Query failed, try again: ThrottlingException on ${SECRET}`)));

    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('1');
    expect(reply.body).toEqual({ error: { code: 'UNAVAILABLE', message: 'temporarily unavailable; try again' } });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it.each<[string, unknown]>([
    ['a PermanentError', new PermanentError(`failed on ${SECRET}`)],
    ['a BlockedDestinationError that reached the API', new BlockedDestinationError(`refused ${SECRET}`)],
    ['a ConfigurationError', new ConfigurationError(`TABLE_NAME ${SECRET}`)],
    ['a RunAlreadyFinishedError', new RunAlreadyFinishedError(SECRET, 3)],
    ['a bare SchedulerError', new SchedulerError(SECRET)],
    ['an AWS error the adapter passed through', new ResourceNotFoundException({ message: `Requested resource not found: ${SECRET}`, $metadata: { httpStatusCode: 400 } })],
    ['a TypeError', new TypeError(`cannot read ${SECRET}`)],
    ['a thrown string', SECRET],
  ])('answers %s with 500 "internal error" and logs it, showing nothing of it', (_label, thrown) => {
    const response = toHttpResponse(thrown);

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(response.body).not.toContain('secret');
    expect(response.headers).not.toHaveProperty('retry-after');
    expect(error).toHaveBeenCalledTimes(1);
  });
});

describe('json', () => {
  it('answers JSON that no cache keeps, with extra headers on top', () => {
    const response = json(201, { jobId: 'daily' }, { location: '/jobs/daily' });

    expect(response).toMatchObject({ statusCode: 201, body: '{"jobId":"daily"}' });
    expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', location: '/jobs/daily' });
  });
});
