/**
 * Who may drive the API from a browser. By default only the API's own origin (the dashboard it serves):
 * no `access-control-allow-origin` header, so a page elsewhere can neither read answers nor send a
 * preflighted request, and a state-changing request whose `Origin` is another site is refused outright
 * (a "simple" cross-site POST needs no preflight, so withholding the header alone would not stop it).
 * An operator who needs another origin names it (`npm start -- --allow-origin https://ops.example.com`).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ForbiddenOriginError } from './errors';

/** Request headers a cross-origin caller may send: the API key, the token, JSON, and the idempotency key. */
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-api-key';

/** A header of the event, whatever its case, single or multi-valued. */
export function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values?.[0] !== undefined) return values[0];
  }
  return undefined;
}

/** `https://a.example:8443` of an Origin header, or undefined for `null` and anything unparsable. */
function originOf(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  return url.origin === 'null' ? undefined : url.origin;
}

/** The request comes from a page on the API's own host (the dashboard), judged by Origin against Host. */
function sameOrigin(origin: string, event: APIGatewayProxyEvent): boolean {
  const host = headerOf(event, 'host');
  return host !== undefined && URL.canParse(origin) && new URL(origin).host.toLowerCase() === host.trim().toLowerCase();
}

function allowed(origin: string, allowOrigin: string | undefined): boolean {
  if (allowOrigin === undefined) return false;
  return allowOrigin === '*' || originOf(allowOrigin) === originOf(origin);
}

/**
 * Refuse (403) a state-changing request sent by a browser page on another origin that is not allowed.
 * Requests without an Origin header (curl, SDKs, the local gateway's own tests) are not browsers' and pass.
 * @example checkOrigin({ httpMethod: 'POST', headers: { origin: 'https://evil.example', host: '127.0.0.1:3000' } }, undefined) // throws ForbiddenOriginError
 */
export function checkOrigin(event: APIGatewayProxyEvent, allowOrigin: string | undefined): void {
  const method = (event.httpMethod ?? '').toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
  const origin = headerOf(event, 'origin');
  if (origin === undefined || sameOrigin(origin, event) || allowed(origin, allowOrigin)) return;
  throw new ForbiddenOriginError(`requests from ${originOf(origin) ?? 'an opaque origin'} are not allowed; the runtime admits other origins with --allow-origin`);
}

/**
 * The CORS headers for an answer: `access-control-allow-origin` only when the request's Origin is the
 * one allowed (and `vary: origin`, since the answer depends on it). None by default.
 * @example corsHeaders('https://ops.example.com', 'https://ops.example.com') // { 'access-control-allow-origin': 'https://ops.example.com', vary: 'origin' }
 */
export function corsHeaders(origin: string | undefined, allowOrigin: string | undefined): Record<string, string> {
  if (origin === undefined || !allowed(origin, allowOrigin)) return {};
  return { 'access-control-allow-origin': allowOrigin === '*' ? '*' : (originOf(origin) ?? origin), vary: 'origin' };
}

/**
 * The answer to OPTIONS: 204 with `Allow`, and the preflight headers when the origin is allowed.
 * @example optionsResponse(['GET', 'HEAD', 'OPTIONS'], undefined, undefined).statusCode // 204
 */
export function optionsResponse(methods: readonly string[], origin: string | undefined, allowOrigin: string | undefined): APIGatewayProxyResult {
  const cors = corsHeaders(origin, allowOrigin);
  return {
    statusCode: 204,
    headers: {
      allow: methods.join(', '),
      'cache-control': 'no-store',
      ...cors,
      ...(cors['access-control-allow-origin']
        ? { 'access-control-allow-methods': methods.join(', '), 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' }
        : {}),
    },
    body: '',
  };
}

/** The same answer with the CORS headers this request earns, and without a body for HEAD. */
export function finishResponse(event: APIGatewayProxyEvent, response: APIGatewayProxyResult, allowOrigin: string | undefined): APIGatewayProxyResult {
  const cors = corsHeaders(headerOf(event, 'origin'), allowOrigin);
  const head = (event.httpMethod ?? '').toUpperCase() === 'HEAD';
  if (!head && Object.keys(cors).length === 0) return response;
  return { ...response, headers: { ...response.headers, ...cors }, ...(head ? { body: '' } : {}) };
}
