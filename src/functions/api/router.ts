/**
 * Matches a request against ROUTES (routes.ts, the list serverless.ts deploys): path parameters come from
 * `{name}` segments. A path no route has is RouteNotFoundError; a path some route has under another
 * method is MethodNotAllowedError carrying the methods that are allowed (the `Allow` header).
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

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = segments(pattern);
  const got = segments(path);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    const name = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(part)?.[1];
    if (name !== undefined) {
      if (actual === '') return undefined;
      params[name] = decode(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * The route for a method and path.
 * @example matchRoute('GET', '/jobs/daily') // { key: 'GET /jobs/{id}', params: { id: 'daily' }, … }
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const allow: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params === undefined) continue;
    if (route.method === method.toUpperCase()) return { route, key: `${route.method} ${route.path}` as RouteKey, params };
    allow.push(route.method);
  }
  if (allow.length > 0) throw new MethodNotAllowedError(method, path, [...new Set(allow)].sort());
  throw new RouteNotFoundError(path);
}
