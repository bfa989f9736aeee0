/**
 * Outbound HTTP for webhooks, http(s) data sources and failure-destination URLs, behind the webhook guard
 * (rules in src/lib/net-guard.ts).
 *
 * The check and the connection use the same addresses: requests go through node:http / node:https with a
 * custom `lookup` that resolves the host, refuses it when any address is not public, and hands the socket
 * only the addresses it checked — so a name that resolves to a public address at submit time and to
 * 169.254.169.254 at call time (DNS rebinding) is still refused. Node 20's global fetch has no such hook,
 * which is why this is not fetch. Redirects are never followed (a 3xx comes back as a response).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { optionalEnv } from '../common/config';
import { BlockedDestinationError, PermanentError, TransientError } from '../lib/errors';
import {
  EMPTY_ALLOW_LIST,
  isAllowedHost,
  literalRefusal,
  normalizeHost,
  parseAllowList,
  resolvedRefusal,
  type AllowList,
  type UrlGuard,
} from '../lib/net-guard';

/** Every address a host name resolves to, as dns.lookup({ all: true }) gives them. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Resolver failures that mean "this name has no address (now)", not "the resolver is broken". */
const UNRESOLVED_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_AGAIN', 'ESERVFAIL', 'ETIMEOUT', 'ETIMEDOUT']);

export interface NetGuardOptions {
  allowList?: AllowList;
  /** Name resolution; the system resolver by default (tests give names of their own). */
  resolve?: Resolver;
  /** How long a submit-time check waits for DNS before leaving the decision to call time. */
  checkTimeoutMs?: number;
}

/**
 * The webhook guard with its allow-list and resolver: `check(url)` for submit time, `lookup` for call
 * time (a node:net lookup function that only ever yields checked addresses).
 * @example await new NetGuard({ allowList: parseAllowList('127.0.0.1') }).check('http://127.0.0.1:9000/hook') // passes
 */
export class NetGuard implements UrlGuard {
  readonly allowList: AllowList;
  private readonly resolve: Resolver;
  private readonly checkTimeoutMs: number;

  constructor(options: NetGuardOptions = {}) {
    this.allowList = options.allowList ?? EMPTY_ALLOW_LIST;
    this.resolve = options.resolve ?? systemResolver;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 3_000;
  }

  /**
   * Refuse a URL whose scheme is not http(s) or whose host is, or now resolves to, a non-public address.
   * A name that does not resolve at all passes: DNS may not have it yet, and the call-time check, which
   * is the one that decides, runs again on every call.
   */
  async check(url: string): Promise<void> {
    const literal = literalRefusal(url, this.allowList);
    if (literal === undefined) return;
    if (literal !== 'resolve') throw new BlockedDestinationError(literal);
    const hostname = new URL(url).hostname;
    let timer: NodeJS.Timeout | undefined;
    const addresses = await Promise.race([
      this.resolve(normalizeHost(hostname)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== undefined && UNRESOLVED_CODES.has(error.code)) return [];
        throw error;
      }),
      new Promise<[]>((resolve) => {
        timer = setTimeout(() => resolve([]), this.checkTimeoutMs);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    const refusal = resolvedRefusal(hostname, addresses.map((a) => a.address), this.allowList);
    if (refusal) throw new BlockedDestinationError(refusal);
  }

  /** Call-time refusal of the scheme or an IP-literal host (a literal is connected to without a lookup). */
  refuseLiteral(url: URL): string | undefined {
    const literal = literalRefusal(url.href, this.allowList);
    return literal === 'resolve' ? undefined : literal;
  }

  /** node:net's lookup contract, answering only with addresses that passed the guard. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const reply = callback as (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
    this.resolve(hostname).then(
      (found) => {
        const wanted = options.family as number | string | undefined;
        const family = wanted === 4 || wanted === 'IPv4' ? 4 : wanted === 6 || wanted === 'IPv6' ? 6 : undefined;
        const addresses = family === undefined ? found : found.filter((a) => a.family === family);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          reply(error, options.all ? [] : '');
          return;
        }
        if (!isAllowedHost(hostname, this.allowList)) {
          const refusal = resolvedRefusal(hostname, found.map((a) => a.address), this.allowList);
          if (refusal) {
            reply(new BlockedDestinationError(refusal), options.all ? [] : '');
            return;
          }
        }
        if (options.all) reply(null, addresses);
        else reply(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => reply(error, options.all ? [] : ''),
    );
  };
}

/** The guard with no exceptions: public addresses only. The default wherever none is given. */
export const PUBLIC_ONLY = new NetGuard();

/**
 * The guard a Lambda uses: WEBHOOK_ALLOW_HOSTS (comma-separated host names and CIDRs) as its allow-list.
 * Throws ConfigurationError naming an entry it cannot read.
 * @example netGuardFromEnv({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32,localhost' })
 */
export function netGuardFromEnv(env: NodeJS.ProcessEnv = process.env): NetGuard {
  const spec = optionalEnv('WEBHOOK_ALLOW_HOSTS', env);
  return spec === undefined ? PUBLIC_ONLY : new NetGuard({ allowList: parseAllowList(spec) });
}

export interface CappedResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body was longer than the cap and was cut there. */
  truncated: boolean;
}

export interface GuardedRequestInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string;
}

export interface GuardedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** What is being called, for messages: "data source https://…", "webhook POST https://…". */
  what: string;
  /** Default: PUBLIC_ONLY. */
  guard?: NetGuard;
}

/**
 * A URL with user:password means HTTP Basic authentication: the credentials move into the Authorization
 * header (unless one is configured) and out of the address.
 */
function withBasicAuth(url: URL, headers: Headers): void {
  if (url.username === '' && url.password === '') return;
  if (!headers.has('authorization')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  }
  url.username = '';
  url.password = '';
}

function responseHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const one of ([] as Array<string | undefined>).concat(value)) {
      if (one === undefined) continue;
      try {
        headers.append(name, one);
      } catch {
        // A value Headers cannot hold is of no use to the caller (it reads status, location, type).
      }
    }
  }
  return headers;
}

/** The body as the server meant it: gzip, deflate and br are decoded (the cap applies to decoded bytes). */
function decoded(response: http.IncomingMessage): Readable {
  switch ((response.headers['content-encoding'] ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return response.pipe(zlib.createGunzip());
    case 'deflate':
      return response.pipe(zlib.createInflate());
    case 'br':
      return response.pipe(zlib.createBrotliDecompress());
    default:
      return response;
  }
}

/** A socket or resolver failure's code; happy-eyeballs failures carry theirs on the inner errors. */
function networkCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: Array<{ code?: unknown }> } | undefined;
  if (typeof e?.code === 'string') return e.code;
  const inner = e?.errors?.find((x) => typeof x.code === 'string')?.code;
  return typeof inner === 'string' ? inner : undefined;
}

/** Codes node:http throws while building a request it cannot send: the configuration is at fault. */
function isRequestBuildError(error: unknown): boolean {
  const code = networkCode(error);
  return code !== undefined && /^ERR_(INVALID|HTTP_INVALID|UNESCAPED)/.test(code);
}

/**
 * An HTTP call behind the webhook guard, with a deadline over headers and body, a cap on the body read,
 * and no redirects followed. Refused destinations throw BlockedDestinationError (permanent); timeouts and
 * network failures throw TransientError; a request that cannot be built throws PermanentError. The caller
 * judges the status code.
 * @example const res = await guardedFetch('https://example.com/data.json', {}, { timeoutMs: 5000, maxBytes: 65536, what: 'data source' })
 */
export async function guardedFetch(url: string, init: GuardedRequestInit, options: GuardedFetchOptions): Promise<CappedResponse> {
  const { what, timeoutMs, maxBytes } = options;
  const guard = options.guard ?? PUBLIC_ONLY;
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new PermanentError(`${what} cannot be called: the address is not a valid URL`, { cause: error });
  }
  const refusal = guard.refuseLiteral(target);
  if (refusal) throw new BlockedDestinationError(`${what} refused: ${refusal}`);

  const headers = new Headers(init.headers);
  withBasicAuth(target, headers);
  if (!headers.has('user-agent')) headers.set('user-agent', 'step-scheduler');
  if (!headers.has('accept-encoding')) headers.set('accept-encoding', 'gzip, deflate, br');
  const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
  if (body !== undefined) headers.set('content-length', String(body.length));
  const outgoing: Record<string, string> = {};
  headers.forEach((value, name) => {
    outgoing[name] = value;
  });

  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<CappedResponse>((resolve, reject) => {
      const client = target.protocol === 'https:' ? https : http;
      const request = client.request({
        protocol: target.protocol,
        hostname: normalizeHost(target.hostname),
        port: target.port === '' ? undefined : Number(target.port),
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers: outgoing,
        // No pooled sockets: each call resolves, checks and connects afresh.
        agent: false,
        lookup: guard.lookup,
      });
      timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('error', reject);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const stream = decoded(response);
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          if (size + chunk.length > maxBytes) {
            chunks.push(chunk.subarray(0, maxBytes - size));
            size = maxBytes;
            // The rest is not wanted: stop the download rather than buffer it.
            stream.removeAllListeners('data');
            request.destroy();
            resolve({ status, headers: responseHeaders(response.headers), body: Buffer.concat(chunks, size), truncated: true });
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        stream.on('end', () => resolve({ status, headers: responseHeaders(response.headers), body: Buffer.concat(chunks, size), truncated: false }));
        stream.on('error', reject);
        response.on('error', reject);
        // A connection closed before the body ended (reset, or destroyed by the deadline) settles it too.
        response.on('close', () => {
          if (!response.complete) reject(Object.assign(new Error('the response was cut off'), { code: 'ECONNRESET' }));
        });
      });
      request.end(body);
    });
  } catch (error) {
    if (timedOut) throw new TransientError(`${what} did not answer within ${timeoutMs} ms`, { cause: error });
    if (error instanceof BlockedDestinationError) throw new BlockedDestinationError(`${what} refused: ${error.message}`, { cause: error });
    if (isRequestBuildError(error)) throw new PermanentError(`${what} cannot be called: ${(error as Error).message}`, { cause: error });
    throw new TransientError(`${what} could not be reached (${networkCode(error) ?? (error as Error).message})`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
