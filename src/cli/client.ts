/**
 * The HTTP calls of the command-line client, all of them: one method per route it uses, each returning
 * the API's JSON answer or throwing ApiError (a 4xx: what the request got wrong, naming the field as the
 * API does) or UnreachableError (no answer, or a 5xx: the server's side). No formatting here.
 */

/** A JSON answer: each command reads the fields it shows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's answers have many shapes; src/openapi/schemas.ts describes them
export type Json = any;

export interface ClientOptions {
  /** The API's base URL: `http://127.0.0.1:3000` locally, the stage URL (`https://…/dev`) on AWS. */
  endpoint: string;
  /** Sent as `x-api-key` (API Gateway's API key on a deployed stack). */
  apiKey?: string;
  /** Sent as `Authorization: Bearer <token>` (the API's API_TOKEN, `npm start -- --token T`). */
  token?: string;
  /** How long one request may take; default 30 s. */
  timeoutMs?: number;
}

/** The API answered 4xx: `{ error: { code, message, field? } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

/** No answer (refused, timed out, not HTTP), or a 5xx. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

/** The `cause` of a failed fetch (ECONNREFUSED, ENOTFOUND, …) says more than "fetch failed". */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return error.message;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
  }

  /**
   * One request: the parsed JSON answer of a 2xx.
   * @example await new ApiClient({ endpoint: 'http://127.0.0.1:3000' }).call('GET', '/health') // { status: 'ok', … }
   */
  async call(method: string, path: string, options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}): Promise<Json> {
    const url = new URL(this.base + path);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      text = await response.text();
    } catch (error) {
      throw new UnreachableError(`cannot reach ${this.base}: ${networkReason(error)}`);
    }
    let body: Json = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not the API (a proxy's HTML page, another server on the port): say what answered.
      if (response.ok || response.status >= 500) throw new UnreachableError(`${method} ${url.pathname} answered ${response.status} with no JSON (is ${this.base} the scheduler's API?)`, response.status);
    }
    if (response.ok) return body;
    const error = body?.error ?? body ?? {};
    const message = typeof error.message === 'string' ? error.message : `${method} ${url.pathname} answered ${response.status}`;
    if (response.status >= 500) throw new UnreachableError(`${response.status} ${error.code ?? ''}: ${message}`.replace(' :', ':'), response.status);
    throw new ApiError(response.status, typeof error.code === 'string' ? error.code : `HTTP_${response.status}`, message, typeof error.field === 'string' ? error.field : undefined);
  }

  createJob(body: unknown): Promise<Json> {
    return this.call('POST', '/jobs', { body });
  }

  listJobs(query: { status?: string; group?: string; tag?: string; limit?: number; cursor?: string }): Promise<Json> {
    return this.call('GET', '/jobs', { query });
  }

  getJob(id: string, query: { runsLimit?: number; runsCursor?: string } = {}): Promise<Json> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`, { query });
  }

  upcoming(id: string, count?: number): Promise<Json> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}/upcoming`, { query: { count } });
  }

  pause(id: string, note?: string): Promise<Json> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/pause`, note === undefined ? {} : { body: { note } });
  }

  resume(id: string): Promise<Json> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/resume`);
  }

  trigger(id: string, options: { note?: string; idempotencyKey?: string } = {}): Promise<Json> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/trigger`, {
      ...(options.note === undefined ? {} : { body: { note: options.note } }),
      ...(options.idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': options.idempotencyKey } }),
    });
  }

  backfill(id: string, range: { from: string; to: string }, idempotencyKey?: string): Promise<Json> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/backfill`, {
      body: range,
      ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
    });
  }

  stop(id: string): Promise<Json> {
    return this.call('DELETE', `/jobs/${encodeURIComponent(id)}`);
  }

  deleteAll(): Promise<Json> {
    return this.call('DELETE', '/jobs');
  }

  /** Every live run of a job (all pages of `GET /jobs/{id}`'s steps) and its newest extra runs. */
  async history(id: string): Promise<{ job: Json; steps: Json[]; extraRuns: Json[] }> {
    const first = await this.getJob(id, { runsLimit: 100 });
    const steps: Json[] = [...first.progress.steps];
    let cursor: string | undefined = first.runsCursor;
    while (cursor !== undefined) {
      const page = await this.getJob(id, { runsLimit: 100, runsCursor: cursor });
      steps.push(...page.progress.steps);
      cursor = page.runsCursor;
    }
    return { job: first, steps, extraRuns: first.extraRuns ?? [] };
  }
}
