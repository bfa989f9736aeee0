/**
 * A loopback endpoint that answers, in Step Functions' own JSON protocol (`X-Amz-Target:
 * AWSStepFunctions.<Action>`, `application/x-amz-json-1.0`), the actions the product calls, so the api's
 * @aws-sdk/client-sfn code runs unchanged against the local executions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseUnlessSigned, type LocalCredentials } from './credentials';
import { LocalSfnError, type ExecutionInfo, type ExecutionStatus, type HistoryEvent, type LocalExecutions } from './executions';

type Body = Record<string, unknown>;

/** Dates travel as epoch seconds in this protocol. */
const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

function describe(info: ExecutionInfo) {
  return {
    executionArn: info.executionArn,
    stateMachineArn: info.stateMachineArn,
    name: info.name,
    status: info.status,
    startDate: seconds(info.startDate),
    stopDate: seconds(info.stopDate),
    input: info.input,
    output: info.output,
    error: info.error,
    cause: info.cause,
  };
}

function historyEvent(event: HistoryEvent) {
  const base = { id: event.id, previousEventId: event.previousEventId, timestamp: seconds(event.timestamp), type: event.type };
  if (event.type.endsWith('StateEntered')) return { ...base, stateEnteredEventDetails: { name: event.stateName } };
  if (event.type.endsWith('StateExited')) return { ...base, stateExitedEventDetails: { name: event.stateName } };
  if (event.type.endsWith('Failed') || event.type === 'ExecutionAborted') {
    const key = event.type === 'ExecutionAborted' ? 'executionAbortedEventDetails' : event.type === 'ExecutionFailed' ? 'executionFailedEventDetails' : 'lambdaFunctionFailedEventDetails';
    return { ...base, [key]: { error: event.error, cause: event.cause } };
  }
  return base;
}

/** Pages by position; the token is the next index, opaque to clients. */
function page<T>(items: T[], body: Body): { items: T[]; nextToken?: string } {
  const start = typeof body.nextToken === 'string' ? Number.parseInt(body.nextToken, 10) || 0 : 0;
  const size = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 100;
  const slice = items.slice(start, start + size);
  return { items: slice, ...(start + size < items.length ? { nextToken: String(start + size) } : {}) };
}

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new LocalSfnError('InvalidArn', `${field} is required`);
  return value;
}

export function handleSfnAction(executions: LocalExecutions, action: string, body: Body): unknown {
  switch (action) {
    case 'StartExecution': {
      if (body.stateMachineArn !== executions.stateMachineArn) throw new LocalSfnError('InvalidArn', `State machine does not exist: '${String(body.stateMachineArn)}'`);
      const input = typeof body.input === 'string' ? parseInput(body.input) : {};
      const info = executions.start(typeof body.name === 'string' ? body.name : `exec-${Date.now()}`, input);
      return { executionArn: info.executionArn, startDate: seconds(info.startDate) };
    }
    case 'StopExecution': {
      const info = executions.stop(requireString(body, 'executionArn'), {
        error: typeof body.error === 'string' ? body.error : undefined,
        cause: typeof body.cause === 'string' ? body.cause : undefined,
      });
      return { stopDate: seconds(info.stopDate ?? new Date()) };
    }
    case 'DescribeExecution':
      return describe(executions.describe(requireString(body, 'executionArn')));
    case 'ListExecutions': {
      const { items, nextToken } = page(executions.list(body.statusFilter as ExecutionStatus | undefined), body);
      return { executions: items.map((e) => ({ ...describe(e), input: undefined, output: undefined })), nextToken };
    }
    case 'GetExecutionHistory': {
      const events = executions.history(requireString(body, 'executionArn'));
      const { items, nextToken } = page(body.reverseOrder === true ? events.reverse() : events, body);
      return { events: items.map(historyEvent), nextToken };
    }
    default:
      throw Object.assign(new Error(`${action} is not supported by the local runtime`), { code: 'UnknownOperationException' });
  }
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LocalSfnError('InvalidExecutionInput', 'input is not valid JSON');
  }
}

export interface SfnServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startSfnServer(executions: LocalExecutions, port = 0, credentials?: LocalCredentials): Promise<SfnServer> {
  const server = http.createServer((req, res) => {
    // Only the runtime's own keys (src/local/credentials.ts): any other local process is refused here.
    if (credentials && refuseUnlessSigned(req, res, credentials)) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      let status = 200;
      let payload: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        payload = handleSfnAction(executions, action, text ? (JSON.parse(text) as Body) : {});
      } catch (error) {
        const failure = error as { code?: string; name?: string; message?: string };
        status = 400;
        payload = { __type: failure.code ?? failure.name ?? 'InternalFailure', message: failure.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
    });
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
