/**
 * Malformed requests, table-driven: each gets its 4xx with a JSON error body (naming the field where
 * there is one), and none writes anything — no job item in the table, no execution started.
 */
import { MAX_BODY_BYTES } from '../../../src/functions/api/app';
import { useApi, type RequestOptions } from './harness';

const TOKEN = 'correct-horse-battery-staple';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

const valid = {
  id: 'daily-report',
  startDateTime: '2024-12-05T10:00:00Z',
  endDateTime: '2024-12-07T10:00:00Z',
  frequency: { days: 1 },
};
const task = { action: 'webhook', payload: { url: 'https://example.com/notify' }, run_at: '2024-12-10T15:00:00Z' };

/** A valid job whose JSON is exactly `bytes` long, padded in `context`. */
function jobOfSize(bytes: number): string {
  const empty = JSON.stringify({ ...valid, context: '' });
  return JSON.stringify({ ...valid, context: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
}

/** `{"a":{"a":…1}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

interface Case {
  name: string;
  method: string;
  path: string;
  options?: RequestOptions;
  status: number;
  code: string;
  field?: string;
  allow?: string;
}

const post = (name: string, body: unknown, field: string | undefined, extra: Partial<Case> = {}): Case => ({
  name,
  method: 'POST',
  path: '/jobs',
  options: { body, headers: AUTH },
  status: 400,
  code: 'VALIDATION_ERROR',
  ...(field === undefined ? {} : { field }),
  ...extra,
});

const get = (name: string, path: string, status: number, code: string, field?: string): Case => ({
  name,
  method: 'GET',
  path,
  options: { headers: AUTH },
  status,
  code,
  ...(field === undefined ? {} : { field }),
});

const cases: Case[] = [
  // bodies that are not JSON objects
  post('a body that is not JSON', 'not json', undefined, { code: 'MALFORMED_JSON' }),
  post('a truncated JSON body', '{"id": "a",', undefined, { code: 'MALFORMED_JSON' }),
  post('an empty body', '', undefined, { code: 'MALFORMED_JSON' }),
  post('a blank body', '   \n', undefined, { code: 'MALFORMED_JSON' }),
  post('a base64 body that decodes to no JSON', Buffer.from('{{').toString('base64'), undefined, { code: 'MALFORMED_JSON' }),
  post('JSON null', 'null', '(body)'),
  post('a JSON array', '[1, 2]', '(body)'),
  post('a JSON string', '"a job"', '(body)'),
  post('a JSON number', '42', '(body)'),
  // job bodies
  post('an empty object', {}, 'id'),
  post('an id with spaces', { ...valid, id: 'daily report' }, 'id'),
  post('an id of 81 characters', { ...valid, id: 'x'.repeat(81) }, 'id'),
  post('an id that is a number', { ...valid, id: 42 }, 'id'),
  post('no startDateTime', { ...valid, startDateTime: undefined }, 'startDateTime'),
  post('a startDateTime that is not a date', { ...valid, startDateTime: 'tomorrow' }, 'startDateTime'),
  post('a startDateTime without offset', { ...valid, startDateTime: '2024-12-05T10:00:00' }, 'startDateTime'),
  post('an impossible date', { ...valid, startDateTime: '2024-02-30T10:00:00Z' }, 'startDateTime'),
  post('an end before the start', { ...valid, endDateTime: '2024-12-01T10:00:00Z' }, 'endDateTime'),
  post('an unknown frequency unit', { ...valid, frequency: { fortnights: 1 } }, 'frequency.fortnights'),
  post('a negative frequency', { ...valid, frequency: { days: -1 } }, 'frequency.days'),
  post('a fractional frequency', { ...valid, frequency: { days: 1.5 } }, 'frequency.days'),
  post('a frequency of zero', { ...valid, frequency: { days: 0 } }, 'frequency'),
  post('a frequency as a string', { ...valid, frequency: 'daily' }, 'frequency'),
  post('a bad time zone', { ...valid, timeZone: 'Mars/Olympus_Mons' }, 'timeZone'),
  post('a time zone that is a number', { ...valid, timeZone: 1 }, 'timeZone'),
  post('a recurring workflow without end', { ...valid, endDateTime: undefined }, 'endDateTime'),
  post('an unknown action type', { ...valid, action: { type: 'email', to: 'a@example.com' } }, 'action.type'),
  post('a webhook to a non-http URL', { ...valid, action: { type: 'webhook', url: 'file:///etc/passwd' } }, 'action.url'),
  post('an empty message', { ...valid, action: { type: 'message', text: '' } }, 'action.text'),
  post('an action and a config', { ...valid, action: { type: 'message', text: 'hi' }, config: {} }, 'config'),
  post('an unknown top-level key', { ...valid, priority: 'high' }, 'priority'),
  post('a __proto__ key', `{"__proto__": {"polluted": true}, "id": "a", "startDateTime": "2024-12-05T10:00:00Z"}`, '__proto__'),
  // seed-000 bodies
  post('seed 000 with a bad email', { config: { notifyEmail: 'admin-at-example.com' } }, 'config.notifyEmail'),
  post('seed 000 with an unknown report type', { config: { reportType: 'hourly' } }, 'config.reportType'),
  post('seed 000 with config as a string', { config: 'weekly' }, 'config'),
  // seed-001 bodies
  post('seed 001 with a bad run_at', { ...task, run_at: 'next tuesday' }, 'run_at'),
  post('seed 001 with run_at without offset', { ...task, run_at: '2024-12-10T15:00:00' }, 'run_at'),
  post('seed 001 without run_at', { action: task.action, payload: task.payload }, 'run_at'),
  post('seed 001 with an unknown recurrence', { ...task, recurrence: 'yearly' }, 'recurrence'),
  post('seed 001 with recurrence as a number', { ...task, recurrence: 1 }, 'recurrence'),
  post('seed 001 with an unknown action', { ...task, action: 'email' }, 'action'),
  post('seed 001 webhook without url', { ...task, payload: { data: { a: 1 } } }, 'payload.url'),
  post('seed 001 webhook with a bad method', { ...task, payload: { url: 'https://example.com', method: 'TRACE' } }, 'payload.method'),
  post('seed 001 message without text', { ...task, action: 'message', payload: { channel: 'ops' } }, 'payload.message'),
  // retry, onFailure and failureDestination
  post('retry.maxAttempts of 0', { ...valid, retry: { maxAttempts: 0 } }, 'retry.maxAttempts'),
  post('retry.maxAttempts above the ASL’s 5', { ...valid, retry: { maxAttempts: 6 } }, 'retry.maxAttempts'),
  post('a fractional retry.maxAttempts', { ...valid, retry: { maxAttempts: 2.5 } }, 'retry.maxAttempts'),
  post('a negative retry.intervalSeconds', { ...valid, retry: { intervalSeconds: -1 } }, 'retry.intervalSeconds'),
  post('retry.intervalSeconds above 60', { ...valid, retry: { intervalSeconds: 61 } }, 'retry.intervalSeconds'),
  post('retry.backoffRate below 1', { ...valid, retry: { backoffRate: 0.5 } }, 'retry.backoffRate'),
  post('retry.backoffRate above 4', { ...valid, retry: { backoffRate: 5 } }, 'retry.backoffRate'),
  post('an unknown retry key', { ...valid, retry: { jitter: 'full' } }, 'retry.jitter'),
  post('retry as a number', { ...valid, retry: 3 }, 'retry'),
  post('an unknown onFailure policy', { ...valid, onFailure: 'retry' }, 'onFailure'),
  post('onFailure as a boolean', { ...valid, onFailure: true }, 'onFailure'),
  post('an unknown failureDestination type', { ...valid, failureDestination: { type: 'email', to: 'ops@example.com' } }, 'failureDestination'),
  post('an SNS destination whose ARN has no account', { ...valid, failureDestination: { type: 'sns', arn: 'arn:aws:sns:us-east-1:topic' } }, 'failureDestination.arn'),
  post('an SQS destination without an ARN', { ...valid, failureDestination: { type: 'sqs' } }, 'failureDestination'),
  post('an SQS destination with an SNS ARN', { ...valid, failureDestination: { type: 'sqs', arn: 'arn:aws:sns:us-east-1:123456789012:t' } }, 'failureDestination.arn'),
  post('a file destination with an empty path', { ...valid, failureDestination: { type: 'file', path: '' } }, 'failureDestination.path'),
  post('a url destination that is not http', { ...valid, failureDestination: { type: 'url', url: 'ftp://example.com/failures' } }, 'failureDestination.url'),
  post('a failureDestination as a string', { ...valid, failureDestination: 'arn:aws:sqs:us-east-1:123456789012:q' }, 'failureDestination'),
  post('a failureDestination with an extra key', { ...valid, failureDestination: { type: 'file', path: 'f.ndjson', mode: 'append' } }, 'failureDestination.mode'),
  // the webhook guard, at submit time: literal addresses, names resolving to them, every URL field
  post('a webhook to the metadata address', { ...valid, action: { type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/' } }, 'action.url'),
  post('a webhook to loopback', { ...valid, action: { type: 'webhook', url: 'http://127.0.0.1:8080/hook' } }, 'action.url'),
  post('a webhook to IPv6 loopback', { ...valid, action: { type: 'webhook', url: 'http://[::1]/hook' } }, 'action.url'),
  post('a webhook to an IPv4-mapped private address', { ...valid, action: { type: 'webhook', url: 'http://[::ffff:10.0.0.1]/hook' } }, 'action.url'),
  post('a webhook to a private address', { ...valid, action: { type: 'webhook', url: 'https://10.1.2.3/hook' } }, 'action.url'),
  post('a webhook to carrier-grade NAT', { ...valid, action: { type: 'webhook', url: 'http://100.64.0.1/hook' } }, 'action.url'),
  post('a webhook to the unspecified address', { ...valid, action: { type: 'webhook', url: 'http://0.0.0.0:3000/' } }, 'action.url'),
  post('a webhook to loopback written as a decimal', { ...valid, action: { type: 'webhook', url: 'http://2130706433/' } }, 'action.url'),
  post('a webhook to IPv6 link-local', { ...valid, action: { type: 'webhook', url: 'http://[fe80::1]/' } }, 'action.url'),
  post('a webhook to a name resolving to the metadata address', { ...valid, action: { type: 'webhook', url: 'http://metadata.guard.test/' } }, 'action.url'),
  post('a webhook to a name resolving to a private address', { ...valid, action: { type: 'webhook', url: 'https://intranet.guard.test/hook' } }, 'action.url'),
  post('a webhook to a name with one private address among public ones', { ...valid, action: { type: 'webhook', url: 'https://split.guard.test/hook' } }, 'action.url'),
  post('a webhook to a name resolving to an IPv4-mapped loopback', { ...valid, action: { type: 'webhook', url: 'https://mapped.guard.test/' } }, 'action.url'),
  post('a webhook to a name resolving to an IPv6 unique local address', { ...valid, action: { type: 'webhook', url: 'https://ula.guard.test/' } }, 'action.url'),
  post('a webhook to a name resolving to carrier-grade NAT', { ...valid, action: { type: 'webhook', url: 'https://cgnat.guard.test/' } }, 'action.url'),
  post('a webhook to localhost', { ...valid, action: { type: 'webhook', url: 'http://localhost:3000/hook' } }, 'action.url'),
  post('a failure URL to the metadata address', { ...valid, failureDestination: { type: 'url', url: 'http://169.254.169.254/' } }, 'failureDestination.url'),
  post('a failure URL to a name resolving to a private address', { ...valid, failureDestination: { type: 'url', url: 'http://intranet.guard.test/failures' } }, 'failureDestination.url'),
  post('a workflow reading a private data source', { ...valid, config: { dataSource: 'http://192.168.0.10/data.json' } }, 'config.dataSource'),
  post('seed 000 reading a loopback data source', { config: { reportType: 'weekly', dataSource: 'http://127.0.0.1:9000/data.json' } }, 'config.dataSource'),
  post('seed 001 webhook to the metadata address', { ...task, payload: { url: 'http://169.254.169.254/latest/api/token', method: 'put' } }, 'payload.url'),
  post('seed 001 webhook to localhost', { ...task, payload: { url: 'http://localhost:8080/notify' } }, 'payload.url'),
  // more seed-000 and seed-001 variants
  post('seed 000 with an empty data source', { config: { dataSource: '' } }, 'config.dataSource'),
  post('seed 000 with an unknown config key', { config: { reportType: 'weekly', schedule: 'daily' } }, 'config.schedule'),
  post('seed 000 with config null', { config: null }, 'config'),
  post('seed 000 with config as an array', { config: [{ reportType: 'weekly' }] }, 'config'),
  post('seed 001 with payload as a string', { ...task, payload: 'https://example.com/notify' }, 'payload'),
  post('seed 001 with run_at as a number', { ...task, run_at: 1733842800 }, 'run_at'),
  post('seed 001 with an unknown top-level key', { ...task, priority: 'high' }, 'priority'),
  post('seed 001 webhook with headers as a string', { ...task, payload: { url: 'https://example.com/notify', headers: 'X-Team: ops' } }, 'payload.headers'),
  post('seed 001 message with text as a number', { ...task, action: 'message', payload: { message: 42 } }, 'payload.message'),
  // wrong content shapes
  post('a form-encoded body', 'id=daily-report&startDateTime=2024-12-05T10%3A00%3A00Z', undefined, { code: 'MALFORMED_JSON' }),
  post('a body with a byte-order mark', `\uFEFF${JSON.stringify(valid)}`, undefined, { code: 'MALFORMED_JSON' }),
  post('JSON true', 'true', '(body)'),
  post('an array holding a valid job', [valid], '(body)'),
  post('a webhook without a url', { ...valid, action: { type: 'webhook' } }, 'action.url'),
  post('a webhook method in lower case', { ...valid, action: { type: 'webhook', url: 'https://example.com/hook', method: 'post' } }, 'action.method'),
  post('webhook headers that are not strings', { ...valid, action: { type: 'webhook', url: 'https://example.com/hook', headers: { 'X-Retries': 3 } } }, 'action.headers.X-Retries'),
  post('a message over 10,000 characters', { ...valid, action: { type: 'message', text: 'x'.repeat(10_001) } }, 'action.text'),
  post('a frequency as an array', { ...valid, frequency: [{ days: 1 }] }, 'frequency'),
  // sizes
  post('a body over 256 KB', jobOfSize(MAX_BODY_BYTES + 1), undefined, { status: 413, code: 'PAYLOAD_TOO_LARGE' }),
  {
    ...post('a base64 body over 256 KB once decoded', jobOfSize(MAX_BODY_BYTES + 1), undefined, { status: 413, code: 'PAYLOAD_TOO_LARGE' }),
    options: { body: jobOfSize(MAX_BODY_BYTES + 1), base64: true, headers: AUTH },
  },
  post('a body of exactly 256 KB whose execution input would be larger', jobOfSize(MAX_BODY_BYTES), undefined, {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  }),
  // the token
  { ...post('no token', valid, undefined, { status: 401, code: 'UNAUTHORIZED' }), options: { body: valid } },
  { ...post('a wrong token', valid, undefined, { status: 401, code: 'UNAUTHORIZED' }), options: { body: valid, headers: { Authorization: 'Bearer wrong' } } },
  {
    ...post('a token one character short', valid, undefined, { status: 401, code: 'UNAUTHORIZED' }),
    options: { body: valid, headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}` } },
  },
  {
    ...post('a Basic scheme', valid, undefined, { status: 401, code: 'UNAUTHORIZED' }),
    options: { body: valid, headers: { Authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } },
  },
  { ...post('a Bearer with no token', valid, undefined, { status: 401, code: 'UNAUTHORIZED' }), options: { body: valid, headers: { Authorization: 'Bearer ' } } },
  { ...get('no token on a listing', '/jobs', 401, 'UNAUTHORIZED'), options: {} },
  { ...get('no token on delete-all', '/jobs', 401, 'UNAUTHORIZED'), method: 'DELETE', options: {} },
  // routes and methods
  get('an unknown route', '/nope', 404, 'ROUTE_NOT_FOUND'),
  get('a path too deep', '/jobs/a/upcoming/b', 404, 'ROUTE_NOT_FOUND'),
  // The seeds' /tasks routes exist (tasks.ts) and answer a wrong method as /jobs does.
  { ...get('PUT on the seeds’ /tasks', '/tasks', 405, 'METHOD_NOT_ALLOWED'), method: 'PUT', allow: 'DELETE, GET, HEAD, OPTIONS, POST' },
  { ...get('PUT on /jobs', '/jobs', 405, 'METHOD_NOT_ALLOWED'), method: 'PUT', allow: 'DELETE, GET, HEAD, OPTIONS, POST' },
  { ...post('POST on a job', valid, undefined, { status: 405, code: 'METHOD_NOT_ALLOWED' }), path: '/jobs/daily-report', allow: 'DELETE, GET, HEAD, OPTIONS' },
  { ...get('PATCH on /health', '/health', 405, 'METHOD_NOT_ALLOWED'), method: 'PATCH', allow: 'GET, HEAD, OPTIONS' },
  { ...get('DELETE on /stats', '/stats', 405, 'METHOD_NOT_ALLOWED'), method: 'DELETE', allow: 'GET, HEAD, OPTIONS' },
  // query parameters
  get('limit 0', '/jobs?limit=0', 400, 'VALIDATION_ERROR', 'limit'),
  get('limit 101', '/jobs?limit=101', 400, 'VALIDATION_ERROR', 'limit'),
  get('limit not a number', '/jobs?limit=ten', 400, 'VALIDATION_ERROR', 'limit'),
  get('a negative limit', '/jobs?limit=-1', 400, 'VALIDATION_ERROR', 'limit'),
  get('a fractional limit', '/jobs?limit=1.5', 400, 'VALIDATION_ERROR', 'limit'),
  get('a cursor with bad characters', '/jobs?cursor=%21%21%21', 400, 'VALIDATION_ERROR', 'cursor'),
  get('a cursor it never handed out', `/jobs?cursor=${Buffer.from('{"x":1}').toString('base64url')}`, 400, 'VALIDATION_ERROR', 'cursor'),
  get('a status cursor on the unfiltered listing', `/jobs?cursor=${Buffer.from('{"pk":"JOB#a","sk":"JOB","status":"SCHEDULED","nextRunAt":"x"}').toString('base64url')}`, 400, 'VALIDATION_ERROR', 'cursor'),
  get('an unknown status', '/jobs?status=SLEEPING', 400, 'VALIDATION_ERROR', 'status'),
  get('a status of DAY_0_COMPLETE', '/jobs?status=DAY_0_COMPLETE', 400, 'VALIDATION_ERROR', 'status'),
  get('an id with a space', '/jobs/daily%20report', 400, 'VALIDATION_ERROR', 'id'),
  get('an id with broken percent-encoding', '/jobs/daily%zz', 400, 'VALIDATION_ERROR', 'id'),
  { ...get('deleting an id with a space', '/jobs/daily%20report', 400, 'VALIDATION_ERROR', 'id'), method: 'DELETE' },
  get('runsLimit 0', '/jobs/daily-report?runsLimit=0', 400, 'VALIDATION_ERROR', 'runsLimit'),
  get('a runsCursor with bad characters', '/jobs/daily-report?runsCursor=a.b', 400, 'VALIDATION_ERROR', 'runsCursor'),
  get('upcoming count 0', '/jobs/daily-report/upcoming?count=0', 400, 'VALIDATION_ERROR', 'count'),
  get('upcoming count 101', '/jobs/daily-report/upcoming?count=101', 400, 'VALIDATION_ERROR', 'count'),
  get('upcoming count not a number', '/jobs/daily-report/upcoming?count=many', 400, 'VALIDATION_ERROR', 'count'),
  // missing jobs
  get('a job that does not exist', '/jobs/nope', 404, 'JOB_NOT_FOUND'),
  get('upcoming runs of a job that does not exist', '/jobs/nope/upcoming', 404, 'JOB_NOT_FOUND'),
  { ...get('stopping a job that does not exist', '/jobs/nope', 404, 'JOB_NOT_FOUND'), method: 'DELETE' },
  // trigger and backfill: bad bodies and missing jobs write no request and start nothing
  { ...post('triggering a job that does not exist', undefined, undefined, { status: 404, code: 'JOB_NOT_FOUND' }), path: '/jobs/nope/trigger' },
  { ...post('a trigger body that is not an object', [1], '(body)'), path: '/jobs/daily-report/trigger' },
  { ...post('a trigger with an unknown field', { at: 'now' }, 'at'), path: '/jobs/daily-report/trigger' },
  { ...post('a trigger note that is not a string', { note: 5 }, 'note'), path: '/jobs/daily-report/trigger' },
  { ...post('a trigger body that is not JSON', '{', undefined, { code: 'MALFORMED_JSON' }), path: '/jobs/daily-report/trigger' },
  { ...post('triggering an id with a space', {}, 'id'), path: '/jobs/daily%20report/trigger' },
  { ...post('backfilling a job that does not exist', { from: '2024-12-01T00:00:00Z', to: '2024-12-02T00:00:00Z' }, undefined, { status: 404, code: 'JOB_NOT_FOUND' }), path: '/jobs/nope/backfill' },
  { ...post('a backfill with no body', '', undefined, { code: 'MALFORMED_JSON' }), path: '/jobs/daily-report/backfill' },
  { ...post('a backfill body that is not JSON', 'from=yesterday', undefined, { code: 'MALFORMED_JSON' }), path: '/jobs/daily-report/backfill' },
  { ...post('backfilling an id with a space', { from: '2024-12-01T00:00:00Z', to: '2024-12-02T00:00:00Z' }, 'id'), path: '/jobs/daily%20report/backfill' },
  { ...get('GET on a trigger', '/jobs/daily-report/trigger', 405, 'METHOD_NOT_ALLOWED'), allow: 'OPTIONS, POST' },
  { ...get('GET on a backfill', '/jobs/daily-report/backfill', 405, 'METHOD_NOT_ALLOWED'), allow: 'OPTIONS, POST' },
  // what DynamoDB cannot store, or JavaScript cannot hold, is refused before anything is written
  post('a context nested 40 levels deep', { ...valid, context: nested(40) }, 'context'),
  post('a context nested 100,000 levels deep', JSON.stringify({ ...valid, context: 0 }).replace('"context":0', `"context":${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'context'),
  post('a webhook body nested 31 levels deep', { ...valid, frequency: undefined, endDateTime: undefined, action: { type: 'webhook', url: 'https://example.com/hook', body: nested(31) } }, 'action.body'),
  post('a context number above 2^53', JSON.stringify({ ...valid, context: { n: 0 } }).replace('"n":0', '"n":123456789012345678901234567890'), 'context.n'),
  post('a context number of 1e300', JSON.stringify({ ...valid, context: { n: 0 } }).replace('"n":0', '"n":1e300'), 'context.n'),
  post('a context number too close to 0', JSON.stringify({ ...valid, context: { n: 0 } }).replace('"n":0', '"n":1e-200'), 'context.n'),
  post('a context key __proto__', JSON.stringify({ ...valid, context: { a: 0 } }).replace('"a":0', '"__proto__":{"admin":true}'), 'context.__proto__'),
  // files: none without a files folder (none here, as on AWS)
  post('a file data source', { ...valid, config: { dataSource: 'file:///etc/passwd' } }, 'config.dataSource'),
  post('a file data source that does not exist', { ...valid, config: { dataSource: 'file:///no/such/file.json' } }, 'config.dataSource'),
  post('a file failure destination into the store', { ...valid, failureDestination: { type: 'file', path: 'dynamodb/CURRENT' } }, 'failureDestination.path'),
  // browsers on other sites
  post('a text/plain body', valid, 'content-type', { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', options: { body: valid, headers: { ...AUTH, 'content-type': 'text/plain' } } }),
  post('a form body', 'id=x', 'content-type', { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', options: { body: 'id=x', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' } } }),
  { ...post('a trigger note as text/plain', '{"note":"x"}', 'content-type', { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }), path: '/jobs/daily-report/trigger', options: { body: '{"note":"x"}', headers: { ...AUTH, 'content-type': 'text/plain' } } },
  post('a POST from a page on another site', valid, 'origin', { status: 403, code: 'FORBIDDEN_ORIGIN', options: { body: valid, headers: { ...AUTH, origin: 'https://evil.example', host: '127.0.0.1:3000' } } }),
  { ...post('a pause from a page on another site', undefined, 'origin', { status: 403, code: 'FORBIDDEN_ORIGIN' }), path: '/jobs/daily-report/pause', options: { headers: { ...AUTH, origin: 'https://evil.example', host: '127.0.0.1:3000' } } },
];

const t = useApi({ apiToken: TOKEN });

describe('a malformed request', () => {
  it('is tried in at least 100 ways', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases.map((c) => [c.name, c] as const))('— %s — gets its 4xx with a JSON error, and writes nothing', async (_name, c) => {
    const reply = await t.call(c.method, c.path, c.options);

    expect({ status: reply.status, code: reply.body.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof reply.body.error.message).toBe('string');
    expect(reply.body.error.message).not.toBe('internal error');
    if (c.field !== undefined) expect(reply.body.error.field).toBe(c.field);
    if (c.allow !== undefined) expect(reply.headers.allow).toBe(c.allow);
    expect(await t.items()).toEqual([]);
    expect(t.executions.started).toEqual([]);
    expect(t.executions.stopped).toEqual([]);
  });
});
