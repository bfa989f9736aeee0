/**
 * What the reliability tests share: the real ASL on the local engine with handlers of the test's choosing,
 * a loopback webhook that counts what it receives, and faults injected at the DynamoDB client and the
 * store — the boundaries where a deployed scheduler meets throttling and crashes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { handler as calculator } from '../../../src/functions/calculator/handler';
import { bindTaskStates, localDefinition, StateMachine, type EventLog, type LocalHandler } from '../../../src/local/engine';
import { loadDefinition } from '../../../src/statemachines';

export type StateEvent = Extract<EventLog, { type: 'StateEntered' }>;

export { calculator };

/**
 * Run one execution of the deployed ASL on aws-local-stepfunctions with the given task handler (and the
 * real calculator). Waits and retry intervals are 0 ms; everything else is as deployed.
 */
export async function runOnEngine(input: unknown, executionName: string, task: LocalHandler) {
  const asl = loadDefinition();
  const machine = new StateMachine(localDefinition() as never);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: bindTaskStates(asl, { calculator: calculator as LocalHandler, task }),
      waitTimeOverrides: { WaitUntil: 0 },
      retryIntervalOverrides: { RunStep: 0, RecordFailure: 0, Finish: 0, Calculate: 0 },
    },
    context: { Execution: { Id: `arn:aws:states:local:000000000000:execution:scheduler:${executionName}`, Name: executionName } },
  });
  const events: EventLog[] = [];
  for await (const event of execution.eventLogs) events.push(event);
  const result = await execution.result.then(
    (output) => ({ ok: true as const, output }),
    (error: Error) => ({ ok: false as const, error }),
  );
  return { events, result };
}

export function entered(events: EventLog[], state: string): StateEvent[] {
  return events.filter((e): e is StateEvent => e.type === 'StateEntered' && e.state.name === state);
}

export function retried(events: EventLog[], state: string): EventLog[] {
  return events.filter((e) => e.type === 'StateRetried' && (e as { state?: { name?: string } }).state?.name === state);
}

export interface HookRequest {
  method: string;
  url: string;
  idempotencyKey: string | undefined;
  body: string;
}

export interface HookServer {
  url: string;
  requests: HookRequest[];
  close(): Promise<void>;
}

/** A webhook on 127.0.0.1 answering `status(request)`; it records every request it received. */
export async function startHook(status: (request: HookRequest) => number): Promise<HookServer> {
  const requests: HookRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const request = { method: req.method ?? '', url: req.url ?? '', idempotencyKey: Array.isArray(key) ? key[0] : key, body };
      requests.push(request);
      const code = status(request);
      res.writeHead(code, { 'content-type': 'application/json' }).end(code < 300 ? '{"ok":true}' : '{"error":"try later"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Make every `n`th request of a document client fail as DynamoDB does when it throttles, before the
 * request is sent (so the failed call changed nothing). Returns how many it threw.
 */
export function throttleEveryNth(client: DynamoDBDocumentClient, n: number): { calls: number; throttled: number } {
  const counts = { calls: 0, throttled: 0 };
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = (...args: unknown[]) => {
    counts.calls += 1;
    if (counts.calls % n === 0) {
      counts.throttled += 1;
      return Promise.reject(
        new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: { httpStatusCode: 400 } }),
      );
    }
    return send(...args);
  };
  return counts;
}
