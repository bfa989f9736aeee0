/**
 * The HTTP API as a function of its ports: `createApi(deps)` returns an API Gateway proxy handler. The
 * Lambda (handler.ts) builds the deps from the AWS adapters; the local runtime builds the same adapters on
 * loopback endpoints. Nothing here knows which: no SDK, no environment, no `IS_LOCAL`.
 *
 * Every request: match a route (404 / 405), check the bearer token on private routes (401), parse the
 * request into typed values (400 naming the field, 413), call one method of the job service
 * (src/lib/job-service.ts, where every decision and port call lives), render its answer with a view
 * (views.ts), and map any error in one place (http.ts). The table is keyed by RouteKey (routes.ts).
 */
import { randomInt } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { logger } from '../../common/logger';
import { BlockedDestinationError, ValidationError } from '../../lib/errors';
import { JOB_ID_PATTERN, TARGET_TYPES, type Job } from '../../lib/job';
import type { OutboxFilter, TargetOutbox } from '../../lib/targets';
import { bodyShape, jobFromBody, type BodyShape } from '../../lib/job-input';
import { JobService, type JobServicePorts } from '../../lib/job-service';
import { literalUrlGuard, type UrlGuard } from '../../lib/net-guard';
import { buildStats } from '../../lib/stats';
import type { DashboardAsset } from './dashboard-assets';
import type { FilesDir } from '../../adapters/files-dir';
import { fileRefusal } from '../../adapters/files-dir';
import { checkOrigin, finishResponse, headerOf, optionsResponse } from './cors';
import { PayloadTooLargeError, RouteNotFoundError } from './errors';
import { json, toHttpResponse } from './http';
import { allowedMethods, matchRoute, type RouteKey } from './router';
import { MAX_BODY_BYTES, authorize, cursorParam, filterParams, idempotencyKeyOf, intParam, invalid, jobIdParam, noteOf, readJsonBody, runsOrderParam, statusParam, withCursorField, type Request } from './request';
export { MAX_BODY_BYTES } from './request';
import { taskRoutes, type JobRouteKey } from './tasks';
import {
  deleteAllView,
  executionHistoryView,
  jobDetailView,
  jobsPageView,
  outboxView,
  pauseView,
  requestAnswerView,
  resumeView,
  stopView,
  submitView,
  upcomingView,
} from './views';

/** How long a health probe may take before its dependency counts as down. */
export const HEALTH_TIMEOUT_MS = 3_000;

/** The job service's ports (store, extras, executions, runDurations, now) and what the HTTP layer needs besides. */
export interface ApiDeps extends JobServicePorts {
  /** When set, every route but /health needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /**
   * The webhook guard checking, at submit time, every URL a job will make the product call. The Lambda and
   * the local runtime give the resolving one (src/adapters/guarded-http.ts); without one, only schemes and
   * IP-literal hosts are checked here (the call-time check still resolves and refuses).
   */
  urlGuard?: UrlGuard;
  /**
   * The dashboard's files by name (`index.html`, `app.js`, `app.css`), served at `/`, `/app.js`, `/app.css`.
   * The Lambda gets them embedded at package time; without them those paths answer as unknown routes.
   */
  dashboard?: Readonly<Partial<Record<string, DashboardAsset>>>;
  /** The one origin (besides its own) whose pages may call the API (`--allow-origin`); none by default. */
  allowOrigin?: string;
  /** The folder `file:` data sources and `file` failure destinations must be in (`--files-dir`); absent: refused. */
  files?: FilesDir;
  /** The local runtime's target stand-ins, read by `GET /outbox`; absent on AWS (the route answers 404). */
  outbox?: TargetOutbox;
}

/** GET /outbox where no stand-in runs: on AWS the targets themselves hold what was sent. */
class OutboxNotHereError extends RouteNotFoundError {
  constructor(path: string) {
    super(path);
    this.message = 'the outbox is the local runtime\'s stand-in for targets; on AWS read the queue, topic, function, bus or state machine itself';
  }
}

/** `?target=&jobId=&limit=` of GET /outbox. */
function outboxFilter(query: Request['query']): OutboxFilter {
  const target = query.target?.trim() || undefined;
  if (target !== undefined && !(OUTBOX_TARGETS as readonly string[]).includes(target)) throw invalid('target', `must be one of ${OUTBOX_TARGETS.join(', ')}`);
  const jobId = query.jobId?.trim() || undefined;
  if (jobId !== undefined && !JOB_ID_PATTERN.test(jobId)) throw invalid('jobId', 'must be 1-80 characters of A-Z, a-z, 0-9, _ and -');
  const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 100 });
  return { limit, ...(target === undefined ? {} : { target: target as OutboxFilter['target'] }), ...(jobId === undefined ? {} : { jobId }) };
}
const OUTBOX_TARGETS = [...TARGET_TYPES, 'notification'] as const;

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;


// ---- checks the HTTP layer makes before the service -------------------------------------------------------
// Validation of the request, answered as a 400 naming the field the client wrote: the webhook guard (whose
// field names depend on the body's shape: seed 001's `payload.url` or `action.url`) and the size of the
// execution input the body becomes.

/** Every URL a job makes the product call, named by the field the client wrote it in. */
function callTargets(job: Job, shape: BodyShape): Array<{ field: string; url: string }> {
  const targets: Array<{ field: string; url: string }> = [];
  if (job.action?.type === 'webhook') targets.push({ field: shape === 'task' ? 'payload.url' : 'action.url', url: job.action.url });
  if (job.failureDestination?.type === 'url') targets.push({ field: 'failureDestination.url', url: job.failureDestination.url });
  const dataSource = job.config?.dataSource;
  if (dataSource !== undefined && /^https?:/i.test(dataSource)) targets.push({ field: 'config.dataSource', url: dataSource });
  return targets;
}

/** Every file a job would read or write, named by its field: checked against the files folder. */
function fileTargets(job: Job): Array<{ field: string; location: string; what: string }> {
  const targets: Array<{ field: string; location: string; what: string }> = [];
  const dataSource = job.config?.dataSource;
  if (dataSource !== undefined && /^file:/i.test(dataSource)) targets.push({ field: 'config.dataSource', location: dataSource, what: 'data source' });
  if (job.failureDestination?.type === 'file') targets.push({ field: 'failureDestination.path', location: job.failureDestination.path, what: 'failure destination file' });
  return targets;
}

/**
 * Refuse, as a 400 naming the field, a job that would call a loopback, private or metadata address, or
 * touch a file outside the files folder (any file at all when there is none, as on AWS).
 */
async function checkCallTargets(guard: UrlGuard, job: Job, shape: BodyShape, files: FilesDir | undefined): Promise<void> {
  const fileIssues = await Promise.all(
    fileTargets(job).map(async ({ field, location, what }) => {
      const message = await fileRefusal(files, location, what);
      return message === undefined ? undefined : { field, message };
    }),
  );
  const issues = await Promise.all(
    callTargets(job, shape).map(async ({ field, url }) => {
      try {
        await guard.check(url);
        return undefined;
      } catch (error) {
        if (error instanceof BlockedDestinationError) return { field, message: error.message };
        throw error;
      }
    }),
  );
  const refused = [...fileIssues, ...issues].filter((issue) => issue !== undefined);
  if (refused.length > 0) throw new ValidationError(refused);
}

interface Probe {
  reachable: boolean;
  latencyMs: number;
}

async function probe(name: string, check: () => Promise<unknown>): Promise<Probe> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    return { reachable: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    logger.warn('health probe failed', { dependency: name, error: error instanceof Error ? error.message : String(error) });
    return { reachable: false, latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** A number in [0, 1) from the crypto source, for generated job ids. */
function cryptoRandom(): number {
  return randomInt(2 ** 32) / 2 ** 32;
}

/** One of the dashboard's files, with the headers the local runtime also sends. */
function dashboardFile(files: ApiDeps['dashboard'], name: string, path: string): APIGatewayProxyResult {
  const file = files?.[name];
  if (!file) throw new RouteNotFoundError(path);
  return {
    statusCode: 200,
    headers: {
      'content-type': file.contentType,
      // A deploy replaces the files under the same names: the browser must ask again, not keep the old bundle.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // The page's buttons stop jobs with the key it holds: no other site may frame it to steer the clicks.
      'content-security-policy': "frame-ancestors 'none'",
    },
    body: file.body,
  };
}

// ---- routes -----------------------------------------------------------------------------------------------

/** One route: the /tasks routes wrap these for seed 000's paths. */
export type RouteHandler = (request: Request) => Promise<APIGatewayProxyResult>;

function routes(deps: ApiDeps): Record<RouteKey, RouteHandler> {
  const service = new JobService(deps);
  const urlGuard = deps.urlGuard ?? literalUrlGuard();

  const table: Record<JobRouteKey, RouteHandler> = {
    'GET /': async ({ event }) => dashboardFile(deps.dashboard, 'index.html', event.path ?? '/'),
    'GET /app.js': async ({ event }) => dashboardFile(deps.dashboard, 'app.js', event.path ?? '/app.js'),
    'GET /app.css': async ({ event }) => dashboardFile(deps.dashboard, 'app.css', event.path ?? '/app.css'),

    // Required on first use: the document's response schemas are ~10 ms of a cold start that no other route needs.
    'GET /openapi.json': async () => json(200, (require('../../openapi/document') as typeof import('../../openapi/document')).servedOpenApiDocument()),

    'GET /health': async () => {
      const [storeProbe, sfnProbe] = await Promise.all([probe('store', () => service.pingStore()), probe('stepFunctions', () => service.pingExecutions())]);
      const up = storeProbe.reachable && sfnProbe.reachable;
      // `now` is the scheduler's clock: warped on a local runtime, so clients can plan jobs on it.
      return json(up ? 200 : 503, { status: up ? 'ok' : 'unavailable', now: deps.now().toISOString(), store: storeProbe, stepFunctions: sfnProbe });
    },

    'POST /jobs': async ({ event }) => {
      const body = readJsonBody(event);
      const job = jobFromBody(body, { now: deps.now(), random: cryptoRandom });
      await checkCallTargets(urlGuard, job, bodyShape(body), deps.files);
      // Defaults the schema adds make the execution input ({ job }) a little larger than the body: check what is sent.
      const inputBytes = Buffer.byteLength(JSON.stringify({ job }), 'utf8');
      if (inputBytes > MAX_BODY_BYTES) throw new PayloadTooLargeError(inputBytes, MAX_BODY_BYTES);
      // With an Idempotency-Key a repeated POST answers 200 with the first job, though a seed body gets a fresh id.
      const answer = await service.submit(job, idempotencyKeyOf(event));
      return json(answer.outcome === 'created' ? 201 : 200, submitView(answer));
    },

    'GET /jobs': async ({ query }) => {
      const status = statusParam(query);
      const limit = intParam(query, 'limit', { min: 1, max: 100, fallback: 20 });
      const cursor = cursorParam(query, 'cursor');
      const page = await service.list({ limit, ...(status === undefined ? {} : { status }), ...filterParams(query), ...(cursor === undefined ? {} : { cursor }) });
      return json(200, jobsPageView(page));
    },

    'DELETE /jobs': async () => json(200, deleteAllView(await service.deleteAll())),

    'GET /jobs/{id}': async ({ params, query }) => {
      const jobId = jobIdParam(params);
      const limit = intParam(query, 'runsLimit', { min: 1, max: 100, fallback: 50 });
      const cursor = cursorParam(query, 'runsCursor');
      const order = runsOrderParam(query);
      const detail = await withCursorField('runsCursor', () => service.detail(jobId, { limit, order, ...(cursor === undefined ? {} : { cursor }) }));
      return json(200, jobDetailView(detail.record, detail.runs, { requests: detail.requests, runs: detail.extraRuns }, order));
    },

    'GET /jobs/{id}/executions/{generation}/history': async ({ params, query }) => {
      const jobId = jobIdParam(params);
      const generation = /^[0-9]{1,6}$/.test(params.generation ?? '') ? Number(params.generation) : Number.NaN;
      if (!Number.isInteger(generation)) throw invalid('generation', 'must be a whole number: 0 for the job’s first execution');
      const limit = intParam(query, 'limit', { min: 1, max: 1000, fallback: 100 });
      const cursor = cursorParam(query, 'cursor');
      const answer = await service.executionHistory(jobId, generation, { limit, ...(cursor === undefined ? {} : { cursor }) });
      return json(200, executionHistoryView(answer, deps.now()));
    },

    'DELETE /jobs/{id}': async ({ params }) => json(200, stopView(await service.stop(jobIdParam(params)))),

    'POST /jobs/{id}/pause': async ({ params, event }) => {
      const jobId = jobIdParam(params);
      const note = noteOf(event);
      return json(200, pauseView(await service.pause(jobId, note)));
    },

    'POST /jobs/{id}/resume': async ({ params }) => json(200, resumeView(await service.resume(jobIdParam(params)))),

    'POST /jobs/{id}/trigger': async ({ params, event }) => {
      const jobId = jobIdParam(params);
      const note = noteOf(event);
      const answer = await service.trigger(jobId, { ...(note === undefined ? {} : { note }), ...idempotencyKeyOf(event) });
      return json(answer.outcome === 'created' ? 202 : 200, requestAnswerView(jobId, answer));
    },

    'POST /jobs/{id}/backfill': async ({ params, event }) => {
      const jobId = jobIdParam(params);
      const range = readJsonBody(event);
      const answer = await service.backfill(jobId, range, idempotencyKeyOf(event));
      return json(answer.outcome === 'created' ? 202 : 200, requestAnswerView(jobId, answer));
    },

    'GET /jobs/{id}/upcoming': async ({ params, query }) => {
      const jobId = jobIdParam(params);
      const count = intParam(query, 'count', { min: 1, max: 100, fallback: 10 });
      const { record, runs, passedOver } = await service.upcoming(jobId, count);
      return json(200, upcomingView(record, runs, deps.now(), passedOver));
    },

    'GET /stats': async () => json(200, buildStats(await service.statsInputs())),

    'GET /outbox': async ({ event, query }) => {
      if (!deps.outbox) throw new OutboxNotHereError(event.path ?? '/outbox');
      return json(200, outboxView(await deps.outbox.list(outboxFilter(query))));
    },
  };
  // Seed 000's and seed 001's /tasks: the same handlers, answered in each seed's shapes.
  return { ...table, ...taskRoutes(table) };
}

/**
 * The API on the given ports.
 * @example
 * const api = createApi({ store, executions, runDurations, now: () => new Date() });
 * await api({ httpMethod: 'GET', path: '/health', … }) // { statusCode: 200, body: '{"status":"ok",…}' }
 */
export function createApi(deps: ApiDeps): ApiHandler {
  const table = routes(deps);
  const answer = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      // OPTIONS (a CORS preflight among them) carries no credentials: answered before authorization.
      if ((event.httpMethod ?? '').toUpperCase() === 'OPTIONS') {
        return optionsResponse(allowedMethods(event.path ?? '/'), headerOf(event, 'origin'), deps.allowOrigin);
      }
      const match = matchRoute(event.httpMethod ?? '', event.path ?? '/');
      checkOrigin(event, deps.allowOrigin);
      if (match.route.private) authorize(event, deps.apiToken);
      // A parameter given twice (`?tag=a&tag=b`) would otherwise count only by its last value: refused, named.
      for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
        if ((values?.length ?? 0) > 1) throw invalid(name, 'is given more than once; give it once');
      }
      // No prototype: a query name such as `constructor` or `__proto__` is just a name.
      const query: Request['query'] = Object.assign(Object.create(null) as Request['query'], event.queryStringParameters ?? {});
      return await table[match.key]({ event, params: match.params, query });
    } catch (error) {
      return toHttpResponse(error);
    }
  };
  return async (event) => finishResponse(event, await answer(event), deps.allowOrigin);
}
