/**
 * What every bench shares: the row a figure becomes, timing and statistics helpers, the jobs the benches
 * submit, and a small HTTP client for the local runtime's API. Benches are scripts, not tests: nothing
 * here asserts, each bench measures, compares with its reference and says whether its target is met.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../src/lib/stats';

export const ROOT = path.resolve(__dirname, '..');

/** One line of the table: figure | measured | reference | ratio | target | met. */
export interface Row {
  figure: string;
  measured: number;
  unit: string;
  /** What the figure is compared with; null when there is nothing to compare with. */
  reference: { value: number; unit: string; what: string } | null;
  /** measured ÷ reference.value (same unit), null without a reference. */
  ratio: number | null;
  target: string;
  /** null: no target for this figure (informational). */
  met: boolean | null;
  note?: string;
}

export interface FigureResult {
  name: string;
  rows: Row[];
  /** Raw measurements behind the rows, kept in results.json. */
  details: Record<string, unknown>;
  /** Wall time of the bench itself. */
  seconds?: number;
}

export function row(input: Omit<Row, 'ratio'> & { ratio?: number | null }): Row {
  const ratio =
    input.ratio !== undefined
      ? input.ratio
      : input.reference && input.reference.value !== 0
        ? input.measured / input.reference.value
        : null;
  return { ...input, ratio };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (the one GET /stats uses); NaN for no values. */
export function pct(values: readonly number[], p: number): number {
  return percentile(values, p) ?? Number.NaN;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reject after `ms` with a message naming what did not finish, so every bench stops by itself. */
export async function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    date: new Date().toISOString(),
  };
}

// ---- jobs --------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** mocks/job.json: the 7-day report workflow on the generated 7,543-record sample. */
export function sevenDayWorkflow(id: string): Json {
  const job = JSON.parse(readFileSync(path.join(ROOT, 'mocks/job.json'), 'utf8')) as Json;
  return { ...job, id };
}

/** A one-off message job at `start` (a message run publishes through the notifier; in memory: a log line). */
export function oneOffMessage(id: string, start: Date): Json {
  return { id, startDateTime: wholeSecond(start), action: { type: 'message', text: `bench ${id}` } };
}

/** ISO-8601 UTC in whole seconds, rounded up (the calculator rounds a fraction up too). */
export function wholeSecond(date: Date): string {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// ---- the API ---------------------------------------------------------------------------------------------

export interface ApiClient {
  request(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  post(route: string, body: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function apiClient(baseUrl: string): ApiClient {
  const send = (method: string, route: string, body?: unknown) =>
    fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const request = async (method: string, route: string, body?: unknown) => {
    let response: Response | undefined;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await send(method, route, body);
      } catch (error) {
        // A keep-alive socket the server closed as it was reused (ECONNRESET) under a saturated event loop:
        // the benches' requests are idempotent (a job id POSTed again is "exists"), so they are sent again.
        const cause = String(((error as Error).cause as Error | undefined)?.message ?? (error as Error).cause);
        if (attempt >= 3) throw new Error(`${method} ${route}: ${(error as Error).message}: ${cause}`);
      }
    }
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  return {
    request,
    async post(route, body) {
      let { status, json } = await request('POST', route, body);
      // 503 is the API's "temporarily unavailable; try again" (a transient store or Step Functions error on a
      // saturated machine); a bench POST is idempotent, so it does as told, a few times.
      for (let retry = 1; status === 503 && retry <= 3; retry++) {
        await sleep(250 * retry);
        ({ status, json } = await request('POST', route, body));
      }
      if (status >= 300) throw new Error(`POST ${route} answered ${status}: ${JSON.stringify(json)}`);
      return json;
    },
  };
}

/** Benches log at ERROR only: per-run INFO lines would measure the terminal, not the scheduler. */
export function quietLogs(): void {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

/**
 * Counts every command a DynamoDB document client in this process sends, by command name, while
 * `counting` is on: `DynamoDBDocumentClient.prototype.send` is wrapped (for benches only).
 */
export function callCounter(): { counts: Record<string, number>; start(): void; stop(): Record<string, number>; total(counts: Record<string, number>): number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
  const counts: Record<string, number> = {};
  let counting = false;
  const original = DynamoDBDocumentClient.prototype.send;
  // The SDK's send is overloaded (promise and callback forms); the benches use only the promise form.
  DynamoDBDocumentClient.prototype.send = function send(this: unknown, command: { constructor: { name: string } }, ...rest: unknown[]) {
    if (counting) counts[command.constructor.name] = (counts[command.constructor.name] ?? 0) + 1;
    return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof original;
  return {
    counts,
    start() {
      for (const key of Object.keys(counts)) delete counts[key];
      counting = true;
    },
    stop() {
      counting = false;
      return { ...counts };
    },
    total: (c) => Object.values(c).reduce((a, b) => a + b, 0),
  };
}
