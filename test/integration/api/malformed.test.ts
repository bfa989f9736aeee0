/**
 * Malformed requests, table-driven: each gets its 4xx with a JSON error body (naming the field where
 * there is one), and none writes anything — no job item in the table, no execution started.
 */
import { MAX_BODY_BYTES } from '../../../src/functions/api/app';
import { startApi, type ApiUnderTest, type RequestOptions } from './harness';

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
  get('seed 000’s /tasks path', '/tasks', 404, 'ROUTE_NOT_FOUND'),
  { ...get('PUT on /jobs', '/jobs', 405, 'METHOD_NOT_ALLOWED'), method: 'PUT', allow: 'DELETE, GET, POST' },
  { ...post('POST on a job', valid, undefined, { status: 405, code: 'METHOD_NOT_ALLOWED' }), path: '/jobs/daily-report', allow: 'DELETE, GET' },
  { ...get('PATCH on /health', '/health', 405, 'METHOD_NOT_ALLOWED'), method: 'PATCH', allow: 'GET' },
  { ...get('DELETE on /stats', '/stats', 405, 'METHOD_NOT_ALLOWED'), method: 'DELETE', allow: 'GET' },
  // query parameters
  get('limit 0', '/jobs?limit=0', 400, 'VALIDATION_ERROR', 'limit'),
  get('limit 101', '/jobs?limit=101', 400, 'VALIDATION_ERROR', 'limit'),
  get('limit not a number', '/jobs?limit=ten', 400, 'VALIDATION_ERROR', 'limit'),
  get('a negative limit', '/jobs?limit=-1', 400, 'VALIDATION_ERROR', 'limit'),
  get('a fractional limit', '/jobs?limit=1.5', 400, 'VALIDATION_ERROR', 'limit'),
  get('a cursor with bad characters', '/jobs?cursor=%21%21%21', 400, 'VALIDATION_ERROR', 'cursor'),
  get('a cursor it never handed out', `/jobs?cursor=${Buffer.from('{"x":1}').toString('base64url')}`, 400, 'VALIDATION_ERROR', 'cursor'),
  get('a status cursor on the unfiltered listing', `/jobs?cursor=${Buffer.from('{"pk":"JOB#a","sk":"JOB","status":"SCHEDULED","nextRunAt":"x"}').toString('base64url')}`, 400, 'VALIDATION_ERROR', 'cursor'),
  get('an unknown status', '/jobs?status=PAUSED', 400, 'VALIDATION_ERROR', 'status'),
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
];

let t: ApiUnderTest;

beforeAll(async () => {
  t = await startApi({ apiToken: TOKEN });
});

afterAll(async () => {
  await t.stop();
});

describe('a malformed request', () => {
  it('is tried in at least 40 ways', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
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
