/**
 * Matches a request against ROUTES (routes.ts, the list serverless.ts deploys): path parameters come from
 * `{name}` segments. A path no route has is RouteNotFoundError; a path some route has under another
 * method is MethodNotAllowedError carrying the methods that are allowed (the `Allow` header). `HEAD` is
 * answered by the `GET` route (the caller drops the body) and `OPTIONS` by `allowedMethods`, here rather
 * than in the local gateway, so the api handler answers them the same on API Gateway and locally.
 */
import { MethodNotAllowedError, RouteNotFoundError } from './errors';
import { ROUTES } from './routes';

export type Route = (typeof ROUTES)[number];
/** `GET /jobs/{id}` and so on: one key per route. */
export type RouteKey = Route extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

export interface RouteMatch {
  route: Route;
  key: RouteKey;
  params: Record<string, string>;
}

/** `/jobs/daily/` → ['', 'jobs', 'daily']: one trailing slash is ignored, empty segments are kept. */
function segments(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Broken percent-encoding: keep it as sent, and let the parameter's own rule reject it.
    return segment;
  }
}

/** A pattern's segment: a literal, or a `{name}` parameter. */
type Part = { literal: string } | { param: string };

/** Each route pattern's segments, parsed once rather than on every request. */
const PATTERN_PARTS = new Map<string, Part[]>(
  ROUTES.map((route) => [
    route.path,
    segments(route.path).map((part): Part => {
      const param = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(part)?.[1];
      return param === undefined ? { literal: part } : { param };
    }),
  ]),
);

function matchPath(pattern: string, got: string[]): Record<string, string> | undefined {
  const want = PATTERN_PARTS.get(pattern);
  if (want === undefined || want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    if ('param' in part) {
      if (actual === '') return undefined;
      params[part.param] = decode(actual);
    } else if (part.literal !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * Every method a path answers, for `Allow`: its routes' methods, `HEAD` where `GET` is, and `OPTIONS`.
 * @example allowedMethods('/health') // ['GET', 'HEAD', 'OPTIONS']
 */
export function allowedMethods(path: string): string[] {
  const methods = new Set<string>();
  const got = segments(path);
  for (const route of ROUTES) if (matchPath(route.path, got) !== undefined) methods.add(route.method);
  if (methods.size === 0) throw new RouteNotFoundError(path);
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
}

/**
 * The route for a method and path; `HEAD` gets the `GET` route.
 * @example matchRoute('GET', '/jobs/daily') // { key: 'GET /jobs/{id}', params: { id: 'daily' }, … }
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const got = segments(path);
  for (const route of ROUTES) {
    const params = matchPath(route.path, got);
    if (params !== undefined && route.method === wanted) return { route, key: `${route.method} ${route.path}` as RouteKey, params };
  }
  throw new MethodNotAllowedError(method, path, allowedMethods(path));
}
