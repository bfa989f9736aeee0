/**
 * The page's only way to the API: same origin, paths relative to the page (the page is served at the API's
 * root: `/` locally, `/<stage>/` on API Gateway), the API key and bearer token the user typed (kept in
 * localStorage) on every call, and every failure as an ApiError carrying the API's own
 * `{ error: { code, message, field } }`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Credentials {
  /** API Gateway's key (`x-api-key`); not needed on loopback. */
  apiKey: string;
  /** The API_TOKEN bearer token, when the API was given one. */
  token: string;
}

const CREDENTIALS_KEY = 'step-scheduler:credentials';

export function readCredentials(): Credentials {
  try {
    const stored = JSON.parse(localStorage.getItem(CREDENTIALS_KEY) ?? '{}') as Partial<Credentials>;
    return { apiKey: stored.apiKey ?? '', token: stored.token ?? '' };
  } catch {
    return { apiKey: '', token: '' };
  }
}

export function writeCredentials(credentials: Credentials): void {
  localStorage.setItem(CREDENTIALS_KEY, JSON.stringify(credentials));
}

type AuthListener = (error: ApiError) => void;
const authListeners = new Set<AuthListener>();

/** Called on every 401/403, so the page can ask for the key or token wherever the call came from. */
export function onAuthProblem(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

interface ErrorEnvelope {
  error?: { code?: string; message?: string; field?: string };
  /** API Gateway's own refusals (missing API key) are `{ "message": "Forbidden" }`. */
  message?: string;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'CLIENT', error instanceof Error ? error.message : String(error));
}

/** `extra`: further headers of this call (an `Idempotency-Key`). */
export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, extra: Record<string, string> = {}): Promise<T> {
  const { apiKey, token } = readCredentials();
  const headers: Record<string, string> = { ...extra, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (apiKey) headers['x-api-key'] = apiKey;
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(new URL(path, new URL('./', location.href)), {
      method,
      headers,
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `the API did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const envelope = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ErrorEnvelope;
    const error = new ApiError(
      response.status,
      envelope.error?.code ?? (response.status === 403 ? 'FORBIDDEN' : `HTTP_${response.status}`),
      envelope.error?.message ?? envelope.message ?? (text.slice(0, 200) || response.statusText),
      envelope.error?.field,
    );
    if (response.status === 401 || response.status === 403) authListeners.forEach((listener) => listener(error));
    throw error;
  }
  return parsed as T;
}

/**
 * A fresh random `Idempotency-Key`: the same key sent again finds the request the first call made, so a
 * retried or doubled submission runs once. randomUUID needs a secure context (https, loopback); elsewhere
 * the same 122 random bits come from getRandomValues.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
