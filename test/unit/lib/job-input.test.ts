import { ValidationError } from '../../../src/lib/errors';
import { bodyShape, generateJobId, jobFromBody, WORKFLOW_DAYS } from '../../../src/lib/job-input';
import { totalRuns } from '../../../src/lib/schedule';

const NOW = new Date(1733306400500); // 2024-12-04T10:00:00.500Z
const options = { now: NOW, random: () => 0 };

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('bodyShape', () => {
  it.each([
    [{ config: { reportType: 'weekly' } }, 'workflow'],
    [{ action: 'webhook', payload: { url: 'https://example.com' }, run_at: '2024-06-10T15:00:00Z' }, 'task'],
    [{ run_at: '2024-06-10T15:00:00Z' }, 'task'],
    [{ id: 'daily', startDateTime: '2024-12-04T10:00:00Z' }, 'job'],
    [{ id: 'a', startDateTime: '2024-12-04T10:00:00Z', action: { type: 'message', text: 'hi' } }, 'job'],
    [{ config: {}, id: 'a' }, 'job'],
  ])('tells %j is a %s body', (body, shape) => {
    expect(bodyShape(body)).toBe(shape);
  });
});

describe('generateJobId', () => {
  it('writes TASK-<epoch ms>-<4 characters> from the clock and the random source', () => {
    const values = [0, 0.5, 0.99, 0.1];
    let i = 0;

    const id = generateJobId(NOW, () => values[i++] ?? 0);

    expect(id).toBe('TASK-1733306400500-as9d');
    expect(id).toMatch(/^TASK-\d{13}-[a-z0-9]{4}$/);
  });

  it('stays inside the alphabet when the random source returns its upper bound', () => {
    expect(generateJobId(NOW, () => 1)).toBe('TASK-1733306400500-9999');
  });
});

describe('jobFromBody with a job body', () => {
  it('parses the job as JobSchema does, applying defaults', () => {
    const body = { id: 'daily', startDateTime: '2024-12-04T10:00:00Z', endDateTime: '2024-12-10T10:00:00Z', frequency: { day: 1 } };

    const job = jobFromBody(body, options);

    expect(job).toEqual({ ...body, frequency: { days: 1 }, timeZone: 'UTC' });
  });

  it('names the bad field of a job', () => {
    expect(fieldOf(() => jobFromBody({ id: 'a b', startDateTime: '2024-12-04T10:00:00Z' }, options))).toBe('id');
    expect(fieldOf(() => jobFromBody({ id: 'a', startDateTime: '2024-12-04T10:00:00Z', frequency: { fortnights: 1 } }, options))).toBe(
      'frequency.fortnights',
    );
  });

  it.each([[null], [[1, 2]], ['text'], [42]])('rejects %j: the body must be a JSON object', (body) => {
    expect(fieldOf(() => jobFromBody(body, options))).toBe('(body)');
  });
});

describe('jobFromBody with a seed-000 body', () => {
  it('makes a 7-day daily report workflow from now, rounded up to the next whole second', () => {
    const job = jobFromBody({ config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' } }, options);

    expect(job).toEqual({
      id: 'TASK-1733306400500-aaaa',
      startDateTime: '2024-12-04T10:00:01.000Z',
      endDateTime: '2024-12-10T10:00:01.000Z',
      frequency: { days: 1 },
      timeZone: 'UTC',
      config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' },
    });
    expect(totalRuns(job)).toBe(WORKFLOW_DAYS);
  });

  it('keeps a start that is already a whole second', () => {
    const job = jobFromBody({ config: {} }, { now: new Date(1733306400000), random: () => 0 }); // 2024-12-04T10:00:00Z

    expect(job.startDateTime).toBe('2024-12-04T10:00:00.000Z');
    expect(job.config).toEqual({ reportType: 'weekly', dataSource: 'sample:analytics' });
  });

  it('names the bad config field', () => {
    expect(fieldOf(() => jobFromBody({ config: { notifyEmail: 'not-an-email' } }, options))).toBe('config.notifyEmail');
    expect(fieldOf(() => jobFromBody({ config: { reportType: 'hourly' } }, options))).toBe('config.reportType');
    expect(fieldOf(() => jobFromBody({ config: 'weekly' }, options))).toBe('config');
  });
});

describe('jobFromBody with a seed-001 body', () => {
  const webhook = {
    action: 'webhook',
    payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } },
    run_at: '2024-06-10T15:00:00Z',
  };

  it('maps a one-off webhook task onto a one-run action job', () => {
    const job = jobFromBody(webhook, options);

    expect(job).toEqual({
      id: 'TASK-1733306400500-aaaa',
      startDateTime: '2024-06-10T15:00:00Z',
      timeZone: 'UTC',
      action: { type: 'webhook', url: 'https://example.com/notify', method: 'POST', body: { message: 'Hello, this is your scheduled task!' } },
    });
    expect(totalRuns(job)).toBe(1);
  });

  it.each([
    ['daily', { days: 1 }],
    ['weekly', { weeks: 1 }],
    ['monthly', { months: 1 }],
  ])('maps recurrence %s onto frequency %j with no end', (recurrence, frequency) => {
    const job = jobFromBody({ ...webhook, recurrence }, options);

    expect(job.frequency).toEqual(frequency);
    expect(job.endDateTime).toBeUndefined();
    expect(totalRuns(job)).toBeNull();
  });

  it('treats recurrence null as a one-off task', () => {
    expect(jobFromBody({ ...webhook, recurrence: null }, options).frequency).toBeUndefined();
  });

  it('keeps the webhook method (in any case) and headers', () => {
    const job = jobFromBody({ ...webhook, payload: { url: 'https://example.com/x', method: 'put', headers: { 'x-key': 'k' } } }, options);

    expect(job.action).toEqual({ type: 'webhook', url: 'https://example.com/x', method: 'PUT', headers: { 'x-key': 'k' } });
  });

  it.each([
    [{ message: 'Backup finished' }, { type: 'message', text: 'Backup finished' }],
    [{ text: 'Backup finished', channel: 'ops' }, { type: 'message', text: 'Backup finished', channel: 'ops' }],
  ])('maps message payload %j onto a message action', (payload, action) => {
    const job = jobFromBody({ action: 'message', payload, run_at: '2024-06-10T15:00:00+02:00' }, options);

    expect(job.action).toEqual(action);
    expect(job.startDateTime).toBe('2024-06-10T15:00:00+02:00');
  });

  it.each([
    ['run_at', { ...webhook, run_at: '2024-06-10 15:00' }],
    ['run_at', { ...webhook, run_at: '2024-06-10T15:00:00' }],
    ['run_at', { action: 'webhook', payload: webhook.payload }],
    ['recurrence', { ...webhook, recurrence: 'hourly' }],
    ['action', { ...webhook, action: 'email' }],
    ['payload', { ...webhook, payload: 'https://example.com' }],
    ['payload.url', { ...webhook, payload: { data: {} } }],
    ['payload.url', { ...webhook, payload: { url: 'ftp://example.com/file' } }],
    ['payload.method', { ...webhook, payload: { url: 'https://example.com', method: 'TRACE' } }],
    ['payload.headers.x-n', { ...webhook, payload: { url: 'https://example.com', headers: { 'x-n': 1 } } }],
    ['payload.extra', { ...webhook, payload: { url: 'https://example.com', extra: true } }],
    ['payload.message', { action: 'message', payload: {}, run_at: '2024-06-10T15:00:00Z' }],
    ['payload.message', { action: 'message', payload: { message: '' }, run_at: '2024-06-10T15:00:00Z' }],
    ['payload.text', { action: 'message', payload: { message: 'a', text: 'b' }, run_at: '2024-06-10T15:00:00Z' }],
    ['priority', { ...webhook, priority: 'high' }],
  ])('names %s when a seed-001 body gets it wrong: %j', (field, body) => {
    expect(fieldOf(() => jobFromBody(body, options))).toBe(field);
  });
});
