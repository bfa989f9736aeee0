/** A loopback webhook receiver for tests that need a real HTTP endpoint to call. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * A webhook on 127.0.0.1 answering `status(request)`, after `delayMs` when given (a slow receiver); it
 * records every request it received, in the order they arrived.
 */
export async function startHook(status: (request: HookRequest) => number, delayMs = 0): Promise<HookServer> {
  const requests: HookRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const request = { method: req.method ?? '', url: req.url ?? '', idempotencyKey: Array.isArray(key) ? key[0] : key, body };
      requests.push(request);
      const code = status(request);
      const answer = () => res.writeHead(code, { 'content-type': 'application/json' }).end(code < 300 ? '{"ok":true}' : '{"error":"try later"}');
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
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

