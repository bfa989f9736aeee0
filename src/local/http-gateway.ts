/**
 * The local stand-in for API Gateway: each HTTP request becomes a REST API proxy event for the same api
 * handler the Lambda runs, and its result becomes the HTTP response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../common/logger';
import { ROUTES } from '../functions/api/routes';

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
/** Answers requests the API does not (the dashboard's files); returns false to pass. */
export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;

/** Far above the API's own 256 KB limit, so the api handler is the one that answers 413 with its JSON. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * A percent-decoded path segment, or the segment as sent when its encoding is broken (`%ZZ`, a lone `%`,
 * an overlong `%C0%AF`): the parameter's own rule then refuses it with a 400 naming it.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** An object for names the client chose: no prototype, so `__proto__` or `toString` is just a key. */
function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Each route's path as a pattern with its parameter names, compiled once rather than on every request. */
const ROUTE_PATTERNS = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { resource: route.path, names, pattern: new RegExp(`^${source}$`) };
});

/** The API Gateway resource (`/jobs/{id}`) a path falls under, and its path parameters. */
function matchRoute(path: string): { resource: string; pathParameters: Record<string, string> | null } {
  for (const { resource, names, pattern } of ROUTE_PATTERNS) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(names.map((name, i) => [name, decodeSegment(match[i + 1] ?? '')]));
    return { resource, pathParameters: names.length ? params : null };
  }
  return { resource: path, pathParameters: null };
}

/** Build the event API Gateway's REST proxy integration would send for this request. */
export function toProxyEvent(req: http.IncomingMessage, body: Buffer, url: URL = requestUrl(req)): APIGatewayProxyEvent {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = dictionary<string>();
  const multiValueHeaders = dictionary<string[]>();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(', ');
    multiValueHeaders[name] = values;
  }
  const query = dictionary<string>();
  const multiQuery = dictionary<string[]>();
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

/**
 * The request's URL, its path taken as sent: `new URL` would read `//host/x` or `http://host/x` (legal
 * request targets) as another host and path. Throws TypeError for a target that is no URL at all.
 */
export function requestUrl(req: http.IncomingMessage): URL {
  const target = req.url ?? '/';
  const url = new URL('http://localhost');
  const queryAt = target.indexOf('?');
  url.pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  if (queryAt !== -1) url.search = target.slice(queryAt);
  return url;
}

function jsonError(res: http.ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify({ error: { code, message } }));
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
            jsonError(res, 413, 'PAYLOAD_TOO_LARGE', 'body is over 256 KB');
            return;
          }
          let url: URL;
          try {
            url = requestUrl(req);
          } catch {
            jsonError(res, 400, 'BAD_REQUEST', 'the request target is not a valid path');
            return;
          }
          if (options.staticFiles && (await options.staticFiles(req, res))) return;
          const result = await api(toProxyEvent(req, Buffer.concat(chunks), url));
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
          for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
          res.writeHead(result.statusCode, headers).end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
        } catch (error) {
          // The api handler maps its own errors; reaching here means the gateway itself failed: a bug, logged.
          if (error instanceof Error) logger.error('gateway failed', error);
          else logger.error('gateway failed', { error: String(error) });
          jsonError(res, 502, 'BAD_GATEWAY', 'internal error');
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
