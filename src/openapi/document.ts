/**
 * The OpenAPI 3.1 description of the HTTP API, generated: the paths and methods from ROUTES (routes.ts),
 * every schema from zod (schemas.ts, which composes the API's own request schemas) through zod 4's
 * `z.toJSONSchema`. The operation table is keyed by RouteKey, so a route added to ROUTES without an
 * operation here does not compile, and one removed leaves a key TypeScript refuses.
 *
 * Request schemas are rendered on their input side (`io: 'input'`): what a client may send, defaults
 * marked as `default` rather than required. What JSON Schema cannot say is left out, never guessed: the
 * job's cross-field rules (`superRefine`: endDateTime after startDateTime, a recurring job needs an end,
 * a cron with no run), the IANA zone check, the URL checks (`refine`), and the frequency's sum limit
 * (`transform`). A body the document accepts may still get a 400 naming the field; one it refuses, the
 * API refuses too (test/integration/api/openapi.test.ts).
 */
import * as z from '../lib/zod';
import { version } from '../../package.json';
import { ROUTES } from '../functions/api/routes';
import type { RouteKey } from '../functions/api/router';
import { COMPONENTS, type ComponentName } from './schemas';

type JsonSchema = Record<string, unknown>;

interface QueryParam {
  name: string;
  description: string;
  schema: JsonSchema;
}

interface Operation {
  summary: string;
  operationId: string;
  /** The request body's component; `optional` when the route also takes no body (pause, trigger). */
  body?: { schema: ComponentName; optional?: boolean };
  query?: QueryParam[];
  /** Takes the Idempotency-Key header (trigger, backfill). */
  idempotent?: boolean;
  /** Success answers: status → component, or a media type for the dashboard's files. */
  responses: Record<number, ComponentName | { mediaType: string }>;
  /** Error statuses the route can answer besides 401 (private routes), 404 route and 405 method. */
  errors: number[];
}

const id = { name: 'id', description: 'the job id', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,80}$' } };
const limitParam = (name: string, max: number, fallback: number, what: string): QueryParam => ({
  name,
  description: `${what} (default ${fallback})`,
  schema: { type: 'integer', minimum: 1, maximum: max, default: fallback },
});
const listQuery: QueryParam[] = [
  { name: 'status', description: 'a job status, either case (SCHEDULED, scheduled, DAY_3_COMPLETE, …)', schema: { type: 'string' } },
  { name: 'group', description: 'only jobs of this group', schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
  { name: 'tag', description: 'only jobs with this tag', schema: { type: 'string', pattern: '^[A-Za-z0-9_.:=-]{1,64}$' } },
  limitParam('limit', 100, 20, 'jobs on a page'),
  { name: 'cursor', description: 'the `cursor` of the previous page', schema: { type: 'string' } },
];

const OPERATIONS: Record<RouteKey, Operation> = {
  'GET /': { summary: 'The dashboard page', operationId: 'dashboardPage', responses: { 200: { mediaType: 'text/html' } }, errors: [] },
  'GET /app.js': { summary: "The dashboard's script", operationId: 'dashboardScript', responses: { 200: { mediaType: 'text/javascript' } }, errors: [] },
  'GET /app.css': { summary: "The dashboard's style sheet", operationId: 'dashboardStyle', responses: { 200: { mediaType: 'text/css' } }, errors: [] },
  'GET /openapi.json': { summary: 'This document', operationId: 'openApiDocument', responses: { 200: { mediaType: 'application/json' } }, errors: [] },
  'GET /health': { summary: "The store's and Step Functions' reachability", operationId: 'health', responses: { 200: 'Health', 503: 'Health' }, errors: [] },
  'POST /jobs': {
    summary: "Submit a job (or seed 000's { config }, or seed 001's { action, payload, run_at })",
    operationId: 'createJob',
    body: { schema: 'JobBody' },
    responses: { 201: 'SubmitAnswer', 200: 'SubmitAnswer' },
    errors: [400, 409, 413],
  },
  'GET /jobs': { summary: 'A page of jobs', operationId: 'listJobs', query: listQuery, responses: { 200: 'JobsPage' }, errors: [400] },
  'DELETE /jobs': { summary: 'Stop and delete every job', operationId: 'deleteAllJobs', responses: { 200: 'DeleteAll' }, errors: [] },
  'GET /jobs/{id}': {
    summary: 'A job with a page of its runs',
    operationId: 'getJob',
    query: [
      limitParam('runsLimit', 100, 50, 'runs on the page'),
      { name: 'runsCursor', description: 'the `runsCursor` of the previous page', schema: { type: 'string' } },
      { name: 'runsOrder', description: '`asc` (oldest first, the default) or `desc` (newest first)', schema: { type: 'string', enum: ['asc', 'desc'] } },
    ],
    responses: { 200: 'JobDetail' },
    errors: [400, 404],
  },
  'DELETE /jobs/{id}': { summary: 'Stop a job (status CANCELLED, runs kept)', operationId: 'stopJob', responses: { 200: 'StopAnswer' }, errors: [400, 404] },
  'GET /jobs/{id}/upcoming': {
    summary: "The job's next runs, from the calculator",
    operationId: 'upcomingRuns',
    query: [limitParam('count', 100, 10, 'runs')],
    responses: { 200: 'Upcoming' },
    errors: [400, 404],
  },
  'POST /jobs/{id}/pause': { summary: 'Pause a job', operationId: 'pauseJob', body: { schema: 'NoteBody', optional: true }, responses: { 200: 'PauseAnswer' }, errors: [400, 404, 409] },
  'POST /jobs/{id}/resume': { summary: 'Resume a paused job', operationId: 'resumeJob', responses: { 200: 'ResumeAnswer' }, errors: [400, 404, 409] },
  'POST /jobs/{id}/trigger': {
    summary: 'One extra run now',
    operationId: 'triggerJob',
    body: { schema: 'NoteBody', optional: true },
    idempotent: true,
    responses: { 202: 'RequestAnswer', 200: 'RequestAnswer' },
    errors: [400, 404, 409],
  },
  'POST /jobs/{id}/backfill': {
    summary: 'Run the runs planned in a past range',
    operationId: 'backfillJob',
    body: { schema: 'BackfillBody' },
    idempotent: true,
    responses: { 202: 'RequestAnswer', 200: 'RequestAnswer' },
    errors: [400, 404, 409],
  },
  'GET /stats': { summary: 'Jobs by status, run figures and the cost estimate', operationId: 'stats', responses: { 200: 'Stats' }, errors: [] },
  'GET /jobs/{id}/executions/{generation}/history': {
    summary: "One of a job's executions (0 its first) with a page of its event history, as GetExecutionHistory gives it",
    operationId: 'executionHistory',
    query: [limitParam('limit', 1000, 100, 'events'), { name: 'cursor', description: 'the `cursor` of the previous page', schema: { type: 'string' } }],
    responses: { 200: 'ExecutionHistory' },
    errors: [400, 404],
  },
  'GET /outbox': {
    summary: "What the local runtime's target stand-ins received (sqs, sns, lambda, eventbridge, stepfunctions, notifications); 404 on AWS",
    operationId: 'outbox',
    query: [
      { name: 'target', description: 'sqs, sns, lambda, eventbridge, stepfunctions or notification', schema: { type: 'string' } },
      { name: 'jobId', description: 'only what this job sent', schema: { type: 'string' } },
      limitParam('limit', 1000, 100, 'entries'),
    ],
    responses: { 200: 'Outbox' },
    errors: [400, 404],
  },
  'POST /tasks': { summary: "Seed 000's and seed 001's POST /tasks", operationId: 'createTask', body: { schema: 'JobBody' }, responses: { 201: 'TaskCreated', 200: 'TaskCreated' }, errors: [400, 409, 413] },
  'GET /tasks': { summary: 'A page of tasks, in both seeds’ fields', operationId: 'listTasks', query: listQuery, responses: { 200: 'TasksPage' }, errors: [400] },
  'DELETE /tasks': { summary: "Seed 000's DELETE /tasks", operationId: 'deleteAllTasks', responses: { 200: 'DeleteAll' }, errors: [] },
  'GET /tasks/{id}': { summary: 'A task, seed 000 at the top level and seed 001 under `task`', operationId: 'getTask', responses: { 200: 'TaskDetail' }, errors: [400, 404] },
  'DELETE /tasks/{id}': { summary: "Seed 001's DELETE /tasks/{task_id} (the task is stopped and kept)", operationId: 'deleteTask', responses: { 200: 'TaskDeleted' }, errors: [400, 404] },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'bad JSON, or a broken rule; `error.field` names the field as the client wrote it',
  401: 'the bearer token is missing or wrong (when the API has one)',
  404: 'unknown job, or unknown route',
  405: 'the path exists under another method (`Allow` header)',
  409: 'the job conflicts with one stored, or is not in a state that allows this',
  413: 'the body (or the execution input it becomes) is over 256 KB',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** zod's registry output, made a components object: no `$schema`/`$id`, shared defs lifted to components. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    target: 'draft-2020-12',
    // A part JSON Schema cannot express (none today) becomes {} (anything) rather than an exception.
    unrepresentable: 'any',
    uri: (name) => `#/components/schemas/${name}`,
  });
  // zod puts schemas used in several places but not registered (each z.json()) under `__shared.$defs`,
  // referenced as `…/__shared#/$defs/schemaN`: a reference OpenAPI tools do not follow. Each becomes a
  // component of its own (`Shared_schemaN`).
  const shared = ((schemas.__shared as JsonSchema | undefined)?.$defs ?? {}) as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (name === '__shared') continue;
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
    out[name] = rest;
  }
  for (const [name, schema] of Object.entries(shared)) out[`Shared_${name}`] = schema;
  const text = JSON.stringify(out).replace(/#\/components\/schemas\/__shared#\/\$defs\/([A-Za-z0-9_]+)/g, '#/components/schemas/Shared_$1');
  return JSON.parse(text) as Record<string, JsonSchema>;
}

function operationObject(route: (typeof ROUTES)[number], operation: Operation): JsonSchema {
  const parameters: JsonSchema[] = [];
  if (route.path.includes('{id}')) parameters.push({ name: id.name, in: 'path', required: true, description: id.description, schema: id.schema });
  if (route.path.includes('{generation}')) {
    parameters.push({ name: 'generation', in: 'path', required: true, description: "the execution's position among the job's executions (0 its first)", schema: { type: 'integer', minimum: 0 } });
  }
  for (const query of operation.query ?? []) parameters.push({ name: query.name, in: 'query', required: false, description: query.description, schema: query.schema });
  if (operation.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'a repeat with the same key answers 200 with the first request instead of running again',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(operation.responses)) {
    responses[status] =
      typeof answer === 'string'
        ? { description: answer, content: { 'application/json': { schema: ref(answer) } } }
        : { description: operation.summary, content: { [answer.mediaType]: {} } };
  }
  const errors = [...operation.errors, ...(route.private ? [401] : []), 404, 405];
  for (const status of [...new Set(errors)].sort()) {
    responses[String(status)] = { description: ERROR_TEXT[status] ?? 'error', content: { 'application/json': { schema: ref('Error') } } };
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body
      ? { requestBody: { required: !operation.body.optional, content: { 'application/json': { schema: ref(operation.body.schema) } } } }
      : {}),
    responses,
    // Public routes need nothing; private ones the API key on AWS and the bearer token when one is set.
    security: route.private ? [{ apiKey: [] }, { bearerToken: [] }, { apiKey: [], bearerToken: [] }] : [],
  };
}

export interface OpenApiOptions {
  /** The server the document points at; default a relative `/` (the document is served by the API itself). */
  serverUrl?: string;
}

/**
 * The OpenAPI 3.1 document of every route in ROUTES.
 * @example openApiDocument().paths['/jobs/{id}'].get.operationId // 'getJob'
 */
export function openApiDocument(options: OpenApiOptions = {}) {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTES) {
    const key = `${route.method} ${route.path}` as RouteKey;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationObject(route, OPERATIONS[key]);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'step-scheduler',
      version,
      description:
        'A job scheduler whose clock is an AWS Step Functions state machine. Generated from the zod schemas the API validates with; ' +
        "rules across fields (endDateTime after startDateTime, a recurring job's end) are checked by the API, which answers 400 naming the field.",
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'the stack’s API key (API Gateway), on AWS' },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'when the API is given a token (API_TOKEN, `npm start -- --token T`)' },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

let cached: OpenApiDocument | undefined;
/** The document, built once per process (the api Lambda serves it from here). */
export function servedOpenApiDocument(): OpenApiDocument {
  cached ??= openApiDocument();
  return cached;
}
