/**
 * The local stand-in for API Gateway: each HTTP request becomes a REST API proxy event for the same api
 * handler the Lambda runs, and its result becomes the HTTP response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES } from '../functions/api/routes';

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
/** Answers requests the API does not (the dashboard's files); returns false to pass. */
export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

/** Far above the API's own 256 KB limit, so the api handler is the one that answers 413 with its JSON. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The API Gateway resource (`/jobs/{id}`) a path falls under, and its path parameters. */
function matchRoute(path: string): { resource: string; pathParameters: Record<string, string> | null } {
  for (const route of ROUTES) {
    const names: string[] = [];
    const source = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${source}$`).exec(path);
    if (!match) continue;
    const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
    return { resource: route.path, pathParameters: names.length ? params : null };
  }
  return { resource: path, pathParameters: null };
}

/** Build the event API Gateway's REST proxy integration would send for this request. */
export function toProxyEvent(req: http.IncomingMessage, body: Buffer): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(', ');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const { resource, pathParameters } = matchRoute(url.pathname);
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: method,
    path: url.pathname,
    resource,
    pathParameters,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? null } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId: `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}

export interface HttpGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpGateway(api: ApiHandler, options: { port?: number; host?: string; staticFiles?: StaticHandler } = {}): Promise<HttpGateway> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        try {
          if (tooLarge) {
            res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'body is over 256 KB' } }));
            return;
          }
          if (options.staticFiles && (await options.staticFiles(req, res))) return;
          const result = await api(toProxyEvent(req, Buffer.concat(chunks)));
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
          for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
          res.writeHead(result.statusCode, headers).end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
        } catch {
          // The api handler maps its own errors; reaching here means the gateway itself failed.
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'internal error' } }));
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
