/**
 * A loopback endpoint that answers, in Step Functions' own JSON protocol (`X-Amz-Target:
 * AWSStepFunctions.<Action>`, `application/x-amz-json-1.0`, dates as epoch seconds, errors as `{ __type,
 * message }`), the actions the AWS CLI's `stepfunctions` commands and the console use on a standard state
 * machine, so the api's @aws-sdk/client-sfn code, `aws stepfunctions … --endpoint-url` and any other SDK run
 * unchanged against the local executions. Shapes and error names follow the service's API reference.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../common/logger';
import { refuseUnlessSigned, type LocalCredentials } from './credentials';
import { inProcessHandler, type InProcessHandler } from './in-process';
import { LOCAL_ROLE_ARN, LocalSfnError, type ExecutionInfo, type ExecutionStatus, type HistoryEvent, type LocalExecutions } from './executions';

type Body = Record<string, unknown>;

/** Every action this endpoint answers; any other is UnknownOperationException. */
export const SUPPORTED_ACTIONS = [
  'ListStateMachines',
  'DescribeStateMachine',
  'DescribeStateMachineForExecution',
  'StartExecution',
  'StopExecution',
  'DescribeExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'ListTagsForResource',
  'ListStateMachineVersions',
  'ListStateMachineAliases',
] as const;

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>[:<version or alias>]` */
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]{1,80}(:[^:\s]{1,80})?$/;
/** `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>` */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]{1,80}:[^:\s]{1,80}$/;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** Dates travel as epoch seconds in this protocol. */
const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

class UnknownOperation extends Error {
  readonly code = 'UnknownOperationException';
}

const invalid = (field: string, value: unknown, constraint: string) =>
  new LocalSfnError('ValidationException', `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, value, 'Member must be a string');
  return value;
}

function requiredString(body: Body, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw invalid(field, null, 'Member must not be null');
  return value;
}

function optionalBoolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(field, value, 'Member must be a boolean');
  return value;
}

/** A state machine ARN: malformed → InvalidArn, well-formed but not this one → StateMachineDoesNotExist. */
function stateMachineArn(executions: LocalExecutions, body: Body, field = 'stateMachineArn'): string {
  const arn = requiredString(body, field);
  if (!STATE_MACHINE_ARN.test(arn)) throw new LocalSfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  if (arn !== executions.stateMachineArn) throw new LocalSfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return arn;
}

/** An execution ARN: malformed → InvalidArn; an unknown one is ExecutionDoesNotExist from the executions. */
function executionArn(body: Body): string {
  const arn = requiredString(body, 'executionArn');
  if (!EXECUTION_ARN.test(arn)) throw new LocalSfnError('InvalidArn', `Invalid Arn: '${arn}'`);
  return arn;
}

/**
 * Pagination tokens are opaque to clients: the request they belong to and where the next page starts.
 * A token from another request, or not one of ours, is InvalidToken, as the service answers it.
 */
function readToken(body: Body, scope: string): unknown {
  const token = optionalString(body, 'nextToken');
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { scope?: unknown; at?: unknown };
    if (parsed.scope === scope && parsed.at !== undefined) return parsed.at;
  } catch {
    // not ours: answered below
  }
  throw new LocalSfnError('InvalidToken', `Invalid Token: '${token}'`);
}

const makeToken = (scope: string, at: unknown) => Buffer.from(JSON.stringify({ scope, at })).toString('base64url');

function pageSize(body: Body): number {
  const value = body.maxResults;
  if (value === undefined || value === null || value === 0) return DEFAULT_PAGE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PAGE) {
    throw invalid('maxResults', value, `Member must have value less than or equal to ${MAX_PAGE}`);
  }
  return value;
}

function describeExecution(info: ExecutionInfo) {
  return {
    executionArn: info.executionArn,
    stateMachineArn: info.stateMachineArn,
    name: info.name,
    status: info.status,
    startDate: seconds(info.startDate),
    stopDate: seconds(info.stopDate),
    input: info.input,
    inputDetails: { included: true },
    output: info.output,
    outputDetails: info.output === undefined ? undefined : { included: true },
    error: info.error,
    cause: info.cause,
  };
}

function listItem(info: ExecutionInfo) {
  const { executionArn, stateMachineArn, name, status, startDate, stopDate } = describeExecution(info);
  return { executionArn, stateMachineArn, name, status, startDate, stopDate };
}

/** The `…EventDetails` member of each event type, with the fields the service gives it. */
function eventDetails(event: HistoryEvent, withData: boolean): Record<string, unknown> {
  const input = withData ? { input: event.input, inputDetails: { truncated: false } } : {};
  const output = withData && event.output !== undefined ? { output: event.output, outputDetails: { truncated: false } } : {};
  const failure = { error: event.error, cause: event.cause };
  const integration = { resourceType: event.resourceType, resource: event.resource };
  if (event.type.endsWith('StateEntered')) return { stateEnteredEventDetails: { name: event.stateName, ...input } };
  if (event.type.endsWith('StateExited')) return { stateExitedEventDetails: { name: event.stateName, ...output } };
  switch (event.type) {
    case 'ExecutionStarted':
      return { executionStartedEventDetails: { ...input, roleArn: event.roleArn ?? LOCAL_ROLE_ARN } };
    case 'ExecutionSucceeded':
      return { executionSucceededEventDetails: output };
    case 'ExecutionFailed':
      return { executionFailedEventDetails: failure };
    case 'ExecutionAborted':
      return { executionAbortedEventDetails: failure };
    case 'ExecutionTimedOut':
      return { executionTimedOutEventDetails: failure };
    case 'LambdaFunctionScheduled':
      return { lambdaFunctionScheduledEventDetails: { resource: event.resource, ...input } };
    case 'LambdaFunctionSucceeded':
      return { lambdaFunctionSucceededEventDetails: output };
    case 'LambdaFunctionFailed':
      return { lambdaFunctionFailedEventDetails: failure };
    case 'LambdaFunctionTimedOut':
      return { lambdaFunctionTimedOutEventDetails: failure };
    case 'TaskScheduled':
      return { taskScheduledEventDetails: { ...integration, region: event.region, parameters: event.parameters } };
    case 'TaskStarted':
      return { taskStartedEventDetails: integration };
    case 'TaskSucceeded':
      return { taskSucceededEventDetails: { ...integration, ...output } };
    case 'TaskFailed':
      return { taskFailedEventDetails: { ...integration, ...failure } };
    case 'TaskTimedOut':
      return { taskTimedOutEventDetails: { ...integration, ...failure } };
    default:
      return {};
  }
}

function historyEvent(event: HistoryEvent, withData: boolean) {
  return {
    timestamp: seconds(event.timestamp),
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
    ...eventDetails(event, withData),
  };
}

function describeStateMachine(executions: LocalExecutions) {
  const arn = executions.stateMachineArn;
  return {
    stateMachineArn: arn,
    name: arn.split(':').pop(),
    status: 'ACTIVE',
    definition: executions.definition(),
    roleArn: LOCAL_ROLE_ARN,
    type: 'STANDARD',
    creationDate: seconds(executions.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

/** Newest first, then by ARN: the order the next page's token is a position in. */
const before = (a: ExecutionInfo, at: [number, string]) => a.startDate.getTime() < at[0] || (a.startDate.getTime() === at[0] && a.executionArn < at[1]);

/**
 * One action of the JSON protocol: its answer, or a LocalSfnError named as the service names it.
 * @example handleSfnAction(executions, 'DescribeExecution', { executionArn }) // { status: 'RUNNING', … }
 */
export function handleSfnAction(executions: LocalExecutions, action: string, body: Body): unknown {
  switch (action) {
    case 'ListStateMachines': {
      const start = Number(readToken(body, 'ListStateMachines') ?? 0);
      const all = [describeStateMachine(executions)].map(({ stateMachineArn, name, type, creationDate }) => ({ stateMachineArn, name, type, creationDate }));
      const end = start + pageSize(body);
      return { stateMachines: all.slice(start, end), nextToken: end < all.length ? makeToken('ListStateMachines', end) : undefined };
    }
    case 'DescribeStateMachine':
      stateMachineArn(executions, body);
      return describeStateMachine(executions);
    case 'DescribeStateMachineForExecution': {
      executions.describe(executionArn(body));
      const { stateMachineArn: arn, name, definition, roleArn, creationDate, loggingConfiguration, tracingConfiguration } = describeStateMachine(executions);
      return { stateMachineArn: arn, name, definition, roleArn, updateDate: creationDate, loggingConfiguration, tracingConfiguration };
    }
    case 'StartExecution': {
      stateMachineArn(executions, body);
      const name = optionalString(body, 'name') ?? randomUUID();
      const info = executions.start(name, undefined, optionalString(body, 'input') ?? '{}');
      return { executionArn: info.executionArn, startDate: seconds(info.startDate) };
    }
    case 'StopExecution': {
      const info = executions.stop(executionArn(body), { error: optionalString(body, 'error'), cause: optionalString(body, 'cause') });
      return { stopDate: seconds(info.stopDate) };
    }
    case 'DescribeExecution':
      return describeExecution(executions.describe(executionArn(body)));
    case 'ListExecutions': {
      if (body.stateMachineArn === undefined && body.mapRunArn !== undefined) throw new LocalSfnError('InvalidArn', `Invalid Arn: '${String(body.mapRunArn)}'`);
      const arn = stateMachineArn(executions, body);
      const status = optionalString(body, 'statusFilter') as ExecutionStatus | undefined;
      if (status !== undefined && !STATUSES.includes(status)) throw invalid('statusFilter', status, `Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
      const scope = `ListExecutions ${arn} ${status ?? ''}`;
      const after = readToken(body, scope) as [number, string] | undefined;
      const size = pageSize(body);
      const rest = executions.list(status).filter((e) => !after || before(e, after));
      const items = rest.slice(0, size);
      const last = items.at(-1);
      const nextToken = rest.length > size && last ? makeToken(scope, [last.startDate.getTime(), last.executionArn]) : undefined;
      return { executions: items.map(listItem), nextToken };
    }
    case 'GetExecutionHistory': {
      const arn = executionArn(body);
      const reverse = optionalBoolean(body, 'reverseOrder') === true;
      const withData = optionalBoolean(body, 'includeExecutionData') !== false;
      const events = executions.history(arn);
      const scope = `GetExecutionHistory ${arn} ${reverse}`;
      // The next page starts at an event id, so events written between pages never shift it.
      const from = readToken(body, scope) as number | undefined;
      const ordered = reverse ? events.reverse() : events;
      const rest = from === undefined ? ordered : ordered.filter((e) => (reverse ? e.id <= from : e.id >= from));
      const size = pageSize(body);
      const items = rest.slice(0, size);
      const next = rest[size];
      return { events: items.map((e) => historyEvent(e, withData)), nextToken: next ? makeToken(scope, next.id) : undefined };
    }
    case 'ListTagsForResource': {
      const arn = requiredString(body, 'resourceArn');
      if (STATE_MACHINE_ARN.test(arn)) stateMachineArn(executions, { stateMachineArn: arn });
      else if (!EXECUTION_ARN.test(arn)) throw new LocalSfnError('InvalidArn', `Invalid Arn: '${arn}'`);
      return { tags: [] };
    }
    case 'ListStateMachineVersions':
      stateMachineArn(executions, body);
      return { stateMachineVersions: [] };
    case 'ListStateMachineAliases':
      stateMachineArn(executions, body);
      return { stateMachineAliases: [] };
    default:
      throw new UnknownOperation(`${action || 'An action'} is not supported by the local Step Functions endpoint`);
  }
}

interface Answer {
  status: number;
  payload: unknown;
}

/** A request's answer: the action named by its X-Amz-Target, or the error as the protocol carries it. */
function answer(executions: LocalExecutions, target: string, text: string): Answer {
  try {
    const action = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return { status: 400, payload: { __type: 'SerializationException', message: 'Request body is not valid JSON' } };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, payload: { __type: 'SerializationException', message: 'Request body must be a JSON object' } };
    }
    return { status: 200, payload: handleSfnAction(executions, action, body as Body) };
  } catch (error) {
    if (error instanceof LocalSfnError || error instanceof UnknownOperation) {
      return { status: 400, payload: { __type: error.code, message: error.message } };
    }
    logger.error('local Step Functions endpoint failed', { target, error });
    return { status: 500, payload: { __type: 'InternalFailure', message: 'The local Step Functions endpoint failed; see its log' } };
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: http.ServerResponse, { status, payload }: Answer): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify(payload));
}

/**
 * The local endpoint as an SDK request handler, in process: an SFNClient built with it (createSfnClient's
 * `requestHandler`) serialises and signs every command as always and gets the same answer the loopback
 * server gives (`answer` above), without the socket, Node's HTTP client and server, and a parse of the
 * request on either side. The runtime's API starts its executions through it: the adapter and the JSON
 * protocol stay the ones AWS sees; only the transport is skipped. No key check: unlike the port, nothing
 * outside this process can reach it.
 * @example new StepFunctionsExecutions(createSfnClient({ endpoint, credentials, requestHandler: inProcessSfnHandler(executions) }), arn)
 */
export function inProcessSfnHandler(executions: LocalExecutions): InProcessHandler {
  return inProcessHandler((request) => {
    const { status, payload } = answer(executions, request.headers['x-amz-target'] ?? '', request.body.toString('utf8'));
    return { statusCode: status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() }, body: Buffer.from(JSON.stringify(payload), 'utf8') };
  });
}

export interface SfnServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startSfnServer(executions: LocalExecutions, port = 0, credentials?: LocalCredentials): Promise<SfnServer> {
  const server = http.createServer(async (req, res) => {
    // Only the runtime's own keys (src/local/credentials.ts): any other local process is refused here.
    if (credentials && refuseUnlessSigned(req, res, credentials)) return;
    const text = await readBody(req).catch(() => undefined);
    if (text === undefined) return void res.destroy();
    reply(res, answer(executions, String(req.headers['x-amz-target'] ?? ''), text));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
