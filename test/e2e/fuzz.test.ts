/**
 * Fuzzing the API over real HTTP on the embedded runtime (issue 16): fast-check makes requests of any
 * shape — methods, paths with random segments and percent-encodings (broken ones too), query strings with
 * odd names, content types and origins, and bodies from valid jobs with hostile fields to deep nesting,
 * huge numbers, odd keys and bytes that are no JSON at all. For every request: no 5xx, an answer within
 * 10 s, and for a 4xx nothing written (the job and request items in the table, counted by a Scan on the
 * runtime's own DynamoDB before and after). At the end the runtime still answers GET /health with 200.
 *
 * Bounded and repeatable: a fixed seed (printed on failure, with the failing request) and a fixed number
 * of cases. Jobs it creates start in 2099 on a real-time clock, so no run writes behind its back.
 */
import http from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { startRuntime, type Runtime } from '../../src/local/runtime';

const SEED = 16_2026;
/** Requests of every shape, and requests to POST /jobs with job-like bodies. */
const RUNS = { any: 1500, jobs: 1000 };

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Text as text (so a failing case prints readably), random bytes as a Buffer. */
  body?: string | Buffer;
}

interface Reply {
  status: number;
  text: string;
}

let runtime: Runtime;
let dynamo: DynamoDBClient;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  // Real time: jobs created start in 2099 and wait there, writing no run items while the fuzz goes on.
  runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: 1, staticFiles: async () => false });
  dynamo = new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: 'us-east-1', credentials: runtime.credentials });
});

afterAll(async () => {
  agent.destroy();
  dynamo.destroy();
  await runtime.close();
});

function send(request: Sent): Promise<Reply> {
  const { hostname, port } = new URL(runtime.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, agent, method: request.method, path: request.path, headers: request.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Items only API requests write (jobs and trigger/backfill requests); runs are the executions' own. */
async function requestWrittenItems(): Promise<number> {
  let count = 0;
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: runtime.tableName,
        Select: 'COUNT',
        FilterExpression: 'sk = :job OR begins_with(sk, :request)',
        ExpressionAttributeValues: { ':job': { S: 'JOB' }, ':request': { S: 'REQUEST#' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

// ---- generators ----------------------------------------------------------------------------------------

const IDS = ['fz-a', 'fz-b', 'fz-c'];
/** Printable ASCII a request line may carry as is (no space, `?` or `#`). */
const PATH_CHARS = fc.constantFrom(...'abcXYZ019-_.~!$&\'()*+,;=:@%/'.split(''));

const segment = fc.oneof(
  fc.constantFrom(...IDS, 'jobs', 'upcoming', 'pause', 'resume', 'trigger', 'backfill', 'health', 'stats', 'app.js', '', '.', '..'),
  fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%00', '%2F', '%2e%2e', '%FF%FE', '%u0041', '%%41', '%ED%A0%80'),
  fc.string({ unit: PATH_CHARS, maxLength: 12 }),
  fc.string({ maxLength: 12 }).map((text) => encodeURIComponent(text)),
  fc.integer({ min: 81, max: 300 }).map((n) => 'x'.repeat(n)),
);

const path = fc.oneof(
  fc.constantFrom('/jobs', '/health', '/stats', '/', '/app.js', '/nope'),
  fc.tuple(segment, fc.constantFrom('', '/upcoming', '/pause', '/resume', '/trigger', '/backfill', '/x/y')).map(([id, tail]) => `/jobs/${id}${tail}`),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
);

const queryName = fc.oneof(
  fc.constantFrom('limit', 'cursor', 'status', 'group', 'tag', 'runsLimit', 'runsCursor', 'count'),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', ''),
  fc.string({ unit: PATH_CHARS, maxLength: 8 }),
);
const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '101', '1e3', 'NaN', '9007199254740993', 'SCHEDULED', 'scheduled', '%', '%ZZ', '%C0%AF', ''),
  fc.string({ maxLength: 20 }).map((text) => encodeURIComponent(text)),
  fc.string({ unit: PATH_CHARS, maxLength: 20 }),
  fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
);
const query = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(queryName, queryValue), { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`),
  fc.constantFrom('?', '?&', '?=', '?a', '?==&&', '?%'),
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PUT', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'MKCOL', 'SEARCH') },
);

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json;;',
    'application/jsonx',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json',
    '',
    '*/*',
  ),
  { nil: undefined },
);

const origin = fc.option(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1', 'not a url', 'file://'), { nil: undefined });

const headerValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.:;=,/ "\'\\'.split('')), maxLength: 40 });
const extraHeaders = fc.dictionary(
  fc.constantFrom('authorization', 'idempotency-key', 'x-api-key', 'accept', 'x-forwarded-for', 'content-encoding', 'transfer-encoding-x', '__proto__', 'constructor'),
  headerValue,
  { maxKeys: 3 },
);

/** JSON with deep nesting: `levels` arrays or objects, one inside the other, around a scalar. */
const deepJson = fc.record({ levels: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6000 })), object: fc.boolean() }).map(({ levels, object }) => (object ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}` : `${'['.repeat(levels)}1${']'.repeat(levels)}`));

const hugeNumber = fc.constantFrom('1e400', '-1e400', '1e308', '9007199254740993', '123456789012345678901234567890123456789012', '1e-400', '1e-200', '-0', '0.1e-130', '5e-324', '1.7976931348623157e308');

const oddKeys = fc.dictionary(
  fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'a.b', '$', '#', 'name', 'valueOf'), fc.string({ maxLength: 6 })),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ name: 'Set' }), fc.constant({ prototype: { a: 1 } })),
  { maxKeys: 4 },
);

/** Any JSON value as text, hostile parts spliced in where a number or a value would go. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  deepJson,
  hugeNumber,
  oddKeys.map((value) => JSON.stringify(value)),
  // A "__proto__" key as JSON.parse sees it (an object literal would set the prototype instead).
  fc.jsonValue({ maxDepth: 1 }).map((value) => `{"__proto__":${JSON.stringify(value)},"ok":1}`),
  fc.tuple(oddKeys, hugeNumber).map(([value, number]) => JSON.stringify({ ...value, n: 0 }).replace('"n":0', () => `"n":${number}`)),
);

/** A job body: a valid job (future start) with one field replaced by something hostile. */
const jobBody = fc
  .record({
    // Mostly fresh ids, so hostile values that pass validation reach DynamoDB (201) rather than a 409.
    id: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((n) => `fz-${n}`) }, { weight: 1, arbitrary: fc.constantFrom(...IDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 90 }) }),
    // Mostly the free-form fields, where anything that is JSON may pass validation and must then be stored.
    field: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('context', 'action.body') },
      { weight: 1, arbitrary: fc.constantFrom('frequency', 'config', 'failureDestination', 'retry', 'tags', 'maxRuns', 'startDateTime', 'action', 'scheduleExpression') },
    ),
    value: jsonText,
    shape: fc.constantFrom('action', 'action', 'action', 'workflow', 'task'),
  })
  .map(({ id, field, value, shape }) => {
    const base =
      shape === 'action'
        ? { id, startDateTime: '2099-01-01T00:00:00Z', frequency: { days: 1 }, maxRuns: 3, action: { type: 'webhook', url: 'https://example.com/hook', body: null } }
        : shape === 'workflow'
          ? { id, startDateTime: '2099-01-01T00:00:00Z', endDateTime: '2099-01-07T00:00:00Z', frequency: { days: 1 }, config: { dataSource: 'sample:analytics' } }
          : { action: 'webhook', payload: { url: 'https://example.com/hook' }, run_at: '2099-01-01T00:00:00Z' };
    const marker = '"__FUZZ__"';
    if (field === 'action.body' && shape === 'action') {
      const text = JSON.stringify(base).replace('"body":null', `"body":${marker}`);
      return text.replace(marker, () => value);
    }
    return JSON.stringify({ ...base, [field.split('.')[0]!]: '__FUZZ__' }).replace(marker, () => value);
  });

const body = fc.oneof(
  { weight: 4, arbitrary: jobBody },
  { weight: 3, arbitrary: jsonText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes): string | Buffer => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '{"note":"x"}', '{"from":"2099-01-01T00:00:00Z","to":"2099-01-02T00:00:00Z"}', 'null', '[]', '\uFEFF{}') },
);

const anyRequest: fc.Arbitrary<Sent> = fc
  .record({ method, path, query, contentType, origin, extra: extraHeaders, body: fc.option(body, { nil: undefined }) })
  .map(({ method: m, path: p, query: q, contentType: type, origin: o, extra, body: b }) => ({
    method: m,
    path: `${p}${q}`,
    headers: { ...extra, ...(type === undefined ? {} : { 'content-type': type }), ...(o === undefined ? {} : { origin: o }) },
    ...(b === undefined || m === 'GET' || m === 'HEAD' ? {} : { body: b }),
  }));

const jobRequest: fc.Arbitrary<Sent> = fc
  .record({ body: jobBody, contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentType }), path: fc.constantFrom('/jobs', '/jobs', '/jobs', '/jobs/fz-a/backfill', '/jobs/fz-b/trigger', '/jobs/fz-c/pause') })
  .map(({ body: b, contentType: type, path: p }) => ({
    method: 'POST',
    path: p,
    headers: type === undefined ? {} : ({ 'content-type': type } as Record<string, string>),
    body: b,
  }));

// ---- the property ----------------------------------------------------------------------------------------

function describeRequest(request: Sent): string {
  const bodyText = request.body === undefined ? '' : ` body(${Buffer.byteLength(request.body)} bytes)=${request.body.toString().slice(0, 300)}`;
  return `${request.method} ${request.path} headers=${JSON.stringify(request.headers)}${bodyText}`;
}

/** Checks one request: no 5xx, and a 4xx writes nothing. Throws with the request when it fails. */
async function check(request: Sent): Promise<number> {
  const before = await requestWrittenItems();
  const reply = await send(request);
  const after = await requestWrittenItems();
  if (reply.status >= 500) throw new Error(`${reply.status} for ${describeRequest(request)}: ${reply.text.slice(0, 300)}`);
  if (reply.status >= 400 && after !== before) throw new Error(`${reply.status} but ${after - before} item(s) written for ${describeRequest(request)}`);
  return reply.status;
}

describe('the API under fuzzing', () => {
  const statuses = new Map<number, number>();
  const tally = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  it(`answers ${RUNS.any} requests of any shape without a 5xx, writing nothing for a 4xx`, async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async (request) => {
        tally(await check(request));
      }),
      { seed: SEED, numRuns: RUNS.any, endOnFailure: true },
    );
  }, 120_000);

  it(`answers ${RUNS.jobs} job-like POSTs without a 5xx, writing nothing for a 4xx`, async () => {
    await fc.assert(
      fc.asyncProperty(jobRequest, async (request) => {
        tally(await check(request));
      }),
      { seed: SEED + 1, numRuns: RUNS.jobs, endOnFailure: true },
    );
  }, 120_000);

  it('is still up afterwards, and answered with a spread of statuses', async () => {
    const health = await send({ method: 'GET', path: '/health', headers: {} });

    expect(health.status).toBe(200);
    // The spread, for the README's figures: status → requests.
    console.log(`fuzz statuses (seed ${SEED}): ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    // The generators reach past the first check: successes as well as each kind of refusal.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 201, 204, 400, 404, 405, 415]));
  });
});
