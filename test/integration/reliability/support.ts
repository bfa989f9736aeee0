/**
 * What the reliability tests share: the real ASL on the local engine with handlers of the test's choosing,
 * a loopback webhook that counts what it receives, and faults injected at the DynamoDB client and the
 * store — the boundaries where a deployed scheduler meets throttling and crashes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';

export { calculator, entered, retried, runOnEngine, type StateEvent } from '../../support/engine';

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
