/**
 * The OpenAPI document (src/openapi): exactly the routes of ROUTES, valid OpenAPI 3.1 by an independent
 * validator (@seriousme/openapi-schema-validator, run as its own CLI), the request bodies of the README,
 * the mocks and seeds 000, 001 and 002 valid against its request schemas (ajv, JSON Schema 2020-12), and
 * the real answers of the local runtime valid against its response schemas. docs/openapi.json must be what
 * the schemas give today.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ROUTES } from '../../../src/functions/api/routes';
import { jobFromBody } from '../../../src/lib/job-input';
import { openApiDocument } from '../../../src/openapi/document';
import { startRuntime, type Runtime } from '../../../src/local/runtime';
import { openApiFileText } from '../../../scripts/openapi';
import { callJson, type AnyJson } from '../../support/http';

const ROOT = path.resolve(__dirname, '../../..');
const doc = openApiDocument();

// ---- a validator over the document's components --------------------------------------------------------

const DOC_ID = 'https://step-scheduler.local/openapi.json';
const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
// The document itself is no JSON Schema: only its components are, found by JSON pointer from the refs.
ajv.addKeyword('components');
ajv.addSchema({ $id: DOC_ID, components: doc.components });

function validator(component: string) {
  return ajv.compile({ $ref: `${DOC_ID}#/components/schemas/${component}` });
}

function errorsOf(component: string, value: unknown): string {
  const validate = validator(component);
  return validate(value) ? '' : ajv.errorsText(validate.errors, { separator: '\n' });
}

/** The component a route answers with for a status, from the document itself. */
function responseComponent(method: string, route: string, status: number): string {
  const operation = (doc.paths as AnyJson)[route]?.[method.toLowerCase()];
  const schemaRef: string | undefined = operation?.responses?.[String(status)]?.content?.['application/json']?.schema?.$ref;
  if (schemaRef === undefined) throw new Error(`the document has no JSON answer ${status} for ${method} ${route}`);
  return schemaRef.replace('#/components/schemas/', '');
}

// ---- the document against ROUTES and OpenAPI 3.1 ---------------------------------------------------------

describe('the document', () => {
  it('has exactly the paths and methods of ROUTES', () => {
    const documented = Object.entries(doc.paths).flatMap(([route, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`));
    const routes = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(documented.sort()).toEqual([...routes].sort());
    expect(documented).toHaveLength(23);
  });

  it('asks for the API key or token on private routes only, and names every path parameter', () => {
    for (const route of ROUTES) {
      const operation = (doc.paths as AnyJson)[route.path][route.method.toLowerCase()];
      expect(operation.security.length > 0).toBe(route.private);
      const pathParams = operation.parameters?.filter((parameter: AnyJson) => parameter.in === 'path').map((parameter: AnyJson) => parameter.name) ?? [];
      expect(pathParams).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]));
    }
  });

  it('is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator, which refuses a broken one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
    try {
      const cli = path.join(ROOT, 'node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
      const check = (value: unknown) => {
        const file = path.join(dir, 'doc.json');
        writeFileSync(file, JSON.stringify(value));
        // It exits 1 for an invalid document; its verdict is the JSON it prints either way.
        return JSON.parse(spawnSync(process.execPath, [cli, file], { encoding: 'utf8' }).stdout) as { valid: boolean; errors?: unknown };
      };
      expect(check(doc)).toEqual({ valid: true });
      const broken = structuredClone(doc) as AnyJson;
      broken.paths['/jobs'].get.responses = { 200: { content: {} } }; // a response without its description
      expect(check(broken).valid).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is what docs/openapi.json holds (run `npm run openapi` after changing a schema or a route)', () => {
    expect(readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8')).toBe(openApiFileText());
  });
});

// ---- request bodies ------------------------------------------------------------------------------------

/** The ```json blocks of a README section (from its heading to the next heading of the same level). */
function jsonBlocksOf(heading: string): unknown[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}"`);
  const level = /^#+/.exec(heading)![0];
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]!) as unknown);
}

const readJson = (file: string) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as unknown;

const EXAMPLES: Array<[string, unknown]> = [
  ['mocks/job.json (the README: curl … -d @mocks/job.json)', readJson('mocks/job.json')],
  ['mocks/fanout.json (the README: Fan-out inside a run)', readJson('mocks/fanout.json')],
  ['mocks/api-post-job.json body', JSON.parse((readJson('mocks/api-post-job.json') as { body: string }).body)],
  ['mocks/console-seed002.json (seed 002)', readJson('mocks/console-seed002.json')],
  // 000_4e0bf3cd5dd14a6d.txt lines 121-129 (Step 2: Start a Scheduled Task)
  ['seed 000 POST /tasks', { config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' } }],
  // 001_8f17f264b7a11c91.txt lines 144-153 (Local API Testing, 4. Test with curl)
  ['seed 001 POST /tasks', { action: 'webhook', payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } }, run_at: '2024-06-10T15:00:00Z' }],
  // 001_8f17f264b7a11c91.txt lines 165-174, without its `// Optional` comment
  ['seed 001 API Reference body', { action: 'webhook', payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } }, run_at: '2024-06-10T15:00:00Z', recurrence: 'daily' }],
  ['seed 001 message task', { action: 'message', payload: { message: 'stand-up in 5' }, run_at: '2024-06-10T15:00:00Z', recurrence: null }],
  ...jsonBlocksOf('## Command-line client').map((body, index): [string, unknown] => [`README "Command-line client" json block ${index + 1}`, body]),
  ...jsonBlocksOf('## Fan-out inside a run').map((body, index): [string, unknown] => [`README "Fan-out inside a run" json block ${index + 1}`, body]),
  ...jsonBlocksOf('## OpenAPI').map((body, index): [string, unknown] => [`README "OpenAPI" json block ${index + 1}`, body]),
];

describe('request bodies', () => {
  it('finds the README examples', () => {
    expect(EXAMPLES.filter(([name]) => name.startsWith('README')).length).toBeGreaterThanOrEqual(2);
  });

  it.each(EXAMPLES)('%s: the API takes it, and so does the JobBody schema', (_name, body) => {
    expect(() => jobFromBody(body, { now: new Date('2024-06-01T10:00:00Z'), random: () => 0.5 })).not.toThrow();
    expect(errorsOf('JobBody', body)).toBe('');
  });

  // Bodies refused for their shape: the document refuses them too (rules across fields are the API's alone).
  const refused: Array<[string, unknown]> = [
    ['no id', { startDateTime: '2026-12-01T09:00:00Z', frequency: { days: 1 }, endDateTime: '2026-12-07T09:00:00Z' }],
    ['a start without offset', { id: 'a', startDateTime: '2026-12-01T09:00:00' }],
    ['an unknown field', { id: 'a', startDateTime: '2026-12-01T09:00:00Z', priority: 'high' }],
    ['an unknown unit', { id: 'a', startDateTime: '2026-12-01T09:00:00Z', endDateTime: '2026-12-07T09:00:00Z', frequency: { fortnights: 1 } }],
    ['an action type that does not exist', { id: 'a', startDateTime: '2026-12-01T09:00:00Z', action: { type: 'ftp', url: 'ftp://x' } }],
    ['a retry over the cap', { id: 'a', startDateTime: '2026-12-01T09:00:00Z', retry: { maxAttempts: 6 } }],
    ['a bad id', { id: 'a b', startDateTime: '2026-12-01T09:00:00Z' }],
    ['seed 001 without run_at', { action: 'webhook', payload: { url: 'https://example.com' } }],
    ['seed 001 with an hourly recurrence', { action: 'webhook', payload: { url: 'https://example.com' }, run_at: '2024-06-10T15:00:00Z', recurrence: 'hourly' }],
    ['seed 000 with a yearly report', { config: { reportType: 'yearly' } }],
  ];
  it.each(refused)('%s: refused by the API and by the schema', (_name, body) => {
    expect(() => jobFromBody(body, { now: new Date('2024-06-01T10:00:00Z'), random: () => 0.5 })).toThrow();
    expect(errorsOf('JobBody', body)).not.toBe('');
  });

  it('refuses answers of the wrong shape (the response checks below can fail)', () => {
    expect(errorsOf('JobDetail', { jobId: 1 })).not.toBe('');
    expect(errorsOf('Error', { error: { code: 'X' } })).toContain('message');
    expect(errorsOf('SubmitAnswer', { jobId: 'a', status: 'SCHEDULED', executionArn: null, nextRunAt: 5 })).toContain('nextRunAt');
  });

  it('describes the backfill range and the note', () => {
    expect(errorsOf('BackfillBody', { from: '2026-11-01T00:00:00Z', to: '2026-11-01T05:00:00Z' })).toBe('');
    expect(errorsOf('BackfillBody', { from: '2026-11-01T00:00:00Z' })).not.toBe('');
    expect(errorsOf('NoteBody', { note: 'maintenance' })).toBe('');
    expect(errorsOf('NoteBody', { note: 'x'.repeat(501) })).not.toBe('');
    expect(errorsOf('NoteBody', { reason: 'x' })).not.toBe('');
  });
});

// ---- real answers against the response schemas -----------------------------------------------------------

describe('answers of the local runtime', () => {
  let runtime: Runtime;
  const seen = new Set<string>();

  beforeAll(async () => {
    // Real time: a job starting next year waits, so pause, resume and trigger find it going.
    runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  /** Call a route and check the answer against the document's schema for that route and status. */
  async function call(method: string, route: string, pathname: string, expected: number, body?: unknown): Promise<AnyJson> {
    const answer = await callJson(runtime.url, method, pathname, body);
    expect({ route: `${method} ${route}`, status: answer.status }).toEqual({ route: `${method} ${route}`, status: expected });
    expect(errorsOf(responseComponent(method, route, expected), answer.body)).toBe('');
    seen.add(`${method} ${route}`);
    return answer.body;
  }

  it('validate for every JSON route', async () => {
    const now = Date.parse((await call('GET', '/health', '/health', 200)).now);
    const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
    const future = { id: 'future', startDateTime: iso(now + 365 * 86_400_000), frequency: { days: 1 }, maxRuns: 3, action: { type: 'message', text: 'hi' } };
    await call('POST', '/jobs', '/jobs', 201, future);
    await call('POST', '/jobs', '/jobs', 200, future);
    const past = { id: 'past', startDateTime: iso(now - 5.5 * 3_600_000), frequency: { hours: 1 }, maxRuns: 100, catchUp: 'skip', action: { type: 'message', text: 'hourly' } };
    await call('POST', '/jobs', '/jobs', 201, past);
    await call('POST', '/jobs', '/jobs', 400, { ...future, id: 'bad', frequency: { fortnights: 1 } });
    await call('GET', '/jobs', '/jobs?limit=10', 200);
    await call('GET', '/jobs/{id}', '/jobs/future', 200);
    await call('GET', '/jobs/{id}', '/jobs/nope', 404);
    await call('GET', '/jobs/{id}/upcoming', '/jobs/future/upcoming?count=3', 200);
    await call('GET', '/jobs/{id}/executions/{generation}/history', '/jobs/future/executions/0/history?limit=5', 200);
    await call('POST', '/jobs/{id}/pause', '/jobs/future/pause', 200, { note: 'maintenance' });
    await call('POST', '/jobs/{id}/trigger', '/jobs/future/trigger', 202, { note: 'now' });
    await call('POST', '/jobs/{id}/resume', '/jobs/future/resume', 200);
    await call('POST', '/jobs/{id}/backfill', '/jobs/past/backfill', 202, { from: past.startDateTime, to: iso(Date.parse(past.startDateTime) + 3 * 3_600_000) });
    await call('POST', '/jobs/{id}/backfill', '/jobs/past/backfill', 400, { from: past.startDateTime });
    const detail = await call('GET', '/jobs/{id}', '/jobs/past', 200);
    expect(detail.extraRequests).toHaveLength(1);
    await call('GET', '/stats', '/stats', 200);
    await call('GET', '/outbox', '/outbox?limit=5', 200);
    await call('DELETE', '/jobs/{id}', '/jobs/past', 200);

    const task = await call('POST', '/tasks', '/tasks', 201, { action: 'message', payload: { message: 'hello' }, run_at: iso(now + 365 * 86_400_000) });
    await call('GET', '/tasks', '/tasks', 200);
    await call('GET', '/tasks/{id}', `/tasks/${task.task_id}`, 200);
    await call('DELETE', '/tasks/{id}', `/tasks/${task.task_id}`, 200);
    await call('DELETE', '/tasks', '/tasks', 200);
    await call('DELETE', '/jobs', '/jobs', 200);

    // The JSON routes not reached above would be untested promises.
    const jsonRoutes = ROUTES.filter((route) => !['/', '/app.js', '/app.css', '/openapi.json'].includes(route.path)).map((route) => `${route.method} ${route.path}`);
    expect(jsonRoutes.filter((route) => !seen.has(route))).toEqual([]);
  });

  it('serves the document at GET /openapi.json without a token', async () => {
    const secured = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, apiToken: 's3cret', resume: false });
    try {
      const response = await fetch(`${secured.url}/openapi.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual(JSON.parse(JSON.stringify(doc)));
      expect((await fetch(`${secured.url}/jobs`)).status).toBe(401);
    } finally {
      await secured.close();
    }
  });
});
