import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ExecutionLimitExceeded, InvalidExecutionInput, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { awsErrorKind, classifyAwsError, dynamoDbUnreachable, toDomainError } from '../../../src/adapters/aws-errors';
import { ConfigurationError, PermanentError, RunAlreadyFinishedError, SchedulerError, TransientError } from '../../../src/lib/errors';

const meta = (httpStatusCode?: number) => ({ $metadata: httpStatusCode === undefined ? {} : { httpStatusCode } });
/** What Node's http client throws when nothing listens, after the SDK's retry middleware added $metadata. */
const refusedConnection = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } });

describe('classifyAwsError on the SDK error classes', () => {
  it.each<[string, string, unknown]>([
    ['DynamoDB ThrottlingException', 'throttling', new ThrottlingException({ message: 'Rate exceeded', ...meta(400) })],
    ['ProvisionedThroughputExceededException', 'throttling', new ProvisionedThroughputExceededException({ message: 'slow down', ...meta(400) })],
    ['RequestLimitExceeded', 'throttling', new RequestLimitExceeded({ message: 'account limit', ...meta(400) })],
    ['SNS ThrottledException (unmodelled)', 'throttling', new SNSServiceException({ name: 'ThrottledException', $fault: 'client', ...meta(400), message: 'x' })],
    ['SFN ThrottlingException (unmodelled)', 'throttling', new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', ...meta(400), message: 'Rate exceeded' })],
    ['TooManyRequestsException', 'throttling', new SFNServiceException({ name: 'TooManyRequestsException', $fault: 'client', ...meta(400), message: 'x' })],
    ['ExecutionLimitExceeded', 'throttling', new ExecutionLimitExceeded({ message: 'too many open executions', ...meta(400) })],
    ['$retryable.throttling under any name', 'throttling', Object.assign(new SFNServiceException({ name: 'SomethingNew', $fault: 'client', ...meta(400), message: 'x' }), { $retryable: { throttling: true } })],
    ['HTTP 429 under any name', 'throttling', new SFNServiceException({ name: 'SomethingNew', $fault: 'client', ...meta(429), message: 'x' })],
    ['TransactionCanceled by a conflict', 'throttling', new TransactionCanceledException({ message: 'x', CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }], ...meta(400) })],
    ['DynamoDB InternalServerError', 'fault', new InternalServerError({ message: 'oops', ...meta(500) })],
    ['any 503', 'fault', new SNSServiceException({ name: 'Whatever', $fault: 'client', ...meta(503), message: 'x' })],
    ['$fault server without a status', 'fault', new SNSServiceException({ name: 'Whatever', $fault: 'server', ...meta(), message: 'x' })],
    ['ServiceUnavailable by name', 'fault', new SNSServiceException({ name: 'ServiceUnavailable', $fault: 'client', ...meta(), message: 'x' })],
    ['ECONNREFUSED', 'network', refusedConnection()],
    ['ECONNRESET without $metadata', 'network', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['EAI_AGAIN as the cause', 'network', new Error('request failed', { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }) })],
    ['TimeoutError', 'network', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' })],
    ['an SDK error with no status and no fault', 'network', Object.assign(new Error('socket closed'), { name: 'Error', $metadata: { attempts: 1 } })],
    ['ConditionalCheckFailedException', 'condition', new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta(400) })],
    ['TransactionCanceled by a condition', 'condition', new TransactionCanceledException({ message: 'x', CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'ConditionalCheckFailed' }], ...meta(400) })],
    ['ResourceNotFoundException', 'refused', new ResourceNotFoundException({ message: 'Requested resource not found', ...meta(400) })],
    ['InvalidExecutionInput with no status', 'refused', new InvalidExecutionInput({ message: 'bad input', ...meta() })],
    ['AccessDenied (403)', 'refused', new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', ...meta(403), message: 'x' })],
    ['TransactionCanceled by a validation error', 'refused', new TransactionCanceledException({ message: 'x', CancellationReasons: [{ Code: 'ValidationError' }], ...meta(400) })],
    ['a TypeError', 'foreign', new TypeError("Cannot read properties of undefined (reading 'Items')")],
    ['a TypeError thrown inside the SDK stack', 'foreign', Object.assign(new TypeError('x is not a function'), { $metadata: { attempts: 1 } })],
    ['an AbortError', 'foreign', Object.assign(new Error('Request aborted'), { name: 'AbortError', $metadata: {} })],
    ['a plain Error', 'foreign', new Error('boom')],
    ['our own TransientError', 'foreign', new TransientError('already translated')],
    ['a string', 'foreign', 'throttled'],
    ['undefined', 'foreign', undefined],
  ])('%s is %s', (_label, kind, error) => {
    expect(awsErrorKind(error)).toBe(kind);
  });

  it('groups the kinds into four classes', () => {
    expect(classifyAwsError(new ThrottlingException({ message: 'x', ...meta(400) }))).toBe('transient');
    expect(classifyAwsError(new InternalServerError({ message: 'x', ...meta(500) }))).toBe('transient');
    expect(classifyAwsError(refusedConnection())).toBe('transient');
    expect(classifyAwsError(new ConditionalCheckFailedException({ message: 'x', ...meta(400) }))).toBe('condition');
    expect(classifyAwsError(new ResourceNotFoundException({ message: 'x', ...meta(400) }))).toBe('refused');
    expect(classifyAwsError(new TypeError('x'))).toBe('unknown');
  });
});

describe('toDomainError', () => {
  it('makes throttling, faults and network failures a TransientError naming the call, with the AWS error as cause', () => {
    const throttled = new ThrottlingException({ message: 'Rate exceeded', ...meta(400) });

    const error = toDomainError(throttled, 'DynamoDB Query', { refused: 'pass' });

    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe('DynamoDB Query failed, try again: ThrottlingException: Rate exceeded');
    expect((error as Error).cause).toBe(throttled);
  });

  it('gives the unreachable advice only when nothing answers (ECONNREFUSED)', () => {
    const refused = toDomainError(refusedConnection(), 'DynamoDB GetItem', { refused: 'pass', unreachable: dynamoDbUnreachable });
    const reset = toDomainError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'DynamoDB GetItem', { refused: 'pass', unreachable: dynamoDbUnreachable });

    expect(refused).toBeInstanceOf(TransientError);
    expect((refused as Error).message).toBe(
      'DynamoDB GetItem failed: nothing answers at the DynamoDB endpoint (Error: connect ECONNREFUSED 127.0.0.1:8000); start the local runtime with `npm start` or set DYNAMODB_ENDPOINT',
    );
    expect((reset as Error).message).toBe('DynamoDB GetItem failed, try again: Error: socket hang up');
  });

  it('turns a refusal into a PermanentError or passes it through, as the caller says', () => {
    const notFound = new ResourceNotFoundException({ message: 'Requested resource not found', ...meta(400) });

    const permanent = toDomainError(notFound, 'SQS send to q', { refused: 'permanent' });
    const passed = toDomainError(notFound, 'DynamoDB Query', { refused: 'pass' });

    expect(permanent).toBeInstanceOf(PermanentError);
    expect((permanent as Error).message).toBe('SQS send to q failed: ResourceNotFoundException: Requested resource not found');
    expect(passed).toBe(notFound);
  });

  it("turns a failed condition into the caller's domain error, or an unexpected-condition error by default", () => {
    const lost = new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta(400) });

    const named = toDomainError(lost, 'DynamoDB UpdateItem', { refused: 'pass', condition: () => new RunAlreadyFinishedError('daily', 3) });
    const unnamed = toDomainError(lost, 'DynamoDB UpdateItem', { refused: 'pass' });

    expect(named).toBeInstanceOf(RunAlreadyFinishedError);
    expect(unnamed).toBeInstanceOf(SchedulerError);
    expect(unnamed).not.toBeInstanceOf(TransientError);
    expect((unnamed as Error).message).toBe('DynamoDB UpdateItem: unexpected failed condition');
  });

  it('passes our own errors and non-AWS errors through untouched', () => {
    const ours = new ConfigurationError('TABLE_NAME is missing');
    const bug = new TypeError('x is not a function');

    expect(toDomainError(ours, 'x', { refused: 'permanent' })).toBe(ours);
    expect(toDomainError(bug, 'x', { refused: 'permanent' })).toBe(bug);
    expect(toDomainError('a string', 'x', { refused: 'permanent' })).toBe('a string');
  });
});

/**
 * The errors as the SDK really builds them from a reply: a loopback server answers like the service
 * would (AWS JSON 1.0, `__type` naming the error), or nothing listens at all.
 */
describe('classifyAwsError on what the SDK makes of a real reply', () => {
  let server: Server;
  let endpoint: string;
  let reply: { status: number; body: object } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  // One attempt: the SDK's own retries would only slow the test; the classification is of the last error.
  const dynamo = () => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const sfn = () => new SFNClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const getItem = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });
  const start = new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m', name: 'x' });

  async function caught(send: () => Promise<unknown>): Promise<unknown> {
    try {
      await send();
    } catch (error) {
      return error;
    }
    throw new Error('the call was expected to fail');
  }

  it.each<[string, string, () => Promise<unknown>, { status: number; body: object }]>([
    ['DynamoDB ProvisionedThroughputExceeded', 'throttling', () => dynamo().send(getItem), { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' } }],
    ['DynamoDB ThrottlingException', 'throttling', () => dynamo().send(getItem), { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate exceeded' } }],
    ['DynamoDB ConditionalCheckFailed', 'condition', () => dynamo().send(getItem), { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' } }],
    ['DynamoDB ResourceNotFound', 'refused', () => dynamo().send(getItem), { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message: 'Requested resource not found' } }],
    ['DynamoDB 500', 'fault', () => dynamo().send(getItem), { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'oops' } }],
    ['Step Functions ThrottlingException (not in its model)', 'throttling', () => sfn().send(start), { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }],
    ['Step Functions ExecutionLimitExceeded', 'throttling', () => sfn().send(start), { status: 400, body: { __type: 'ExecutionLimitExceeded', message: 'too many' } }],
    ['Step Functions AccessDenied', 'refused', () => sfn().send(start), { status: 400, body: { __type: 'AccessDeniedException', message: 'not allowed' } }],
    ['Step Functions 502 with an HTML page', 'fault', () => sfn().send(start), { status: 502, body: {} }],
  ])('%s is %s', async (_label, kind, send, answer) => {
    reply = answer;

    const error = await caught(send);

    expect(awsErrorKind(error)).toBe(kind);
  });

  it('says network when nothing listens at the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const error = await caught(() => new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 }).send(getItem));

    expect(awsErrorKind(error)).toBe('network');
    expect(toDomainError(error, 'DynamoDB GetItem', { refused: 'pass', unreachable: dynamoDbUnreachable })).toBeInstanceOf(TransientError);
  });
});
