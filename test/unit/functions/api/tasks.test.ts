/**
 * The `/tasks` views over the real `/jobs` views: records go through jobSummaryView / jobDetailView and a
 * JSON round trip, as they do between the two handlers, then into the seed shapes.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { json } from '../../../../src/functions/api/http';
import {
  kindOfBody,
  recurrenceOf,
  seed001Status,
  taskCreatedView,
  taskDeletedView,
  taskDetailView,
  taskEntryView,
  taskRoutes,
  tasksDeletedView,
  tasksListView,
  type JobDetail,
  type JobRouteHandlers,
  type JobSummary,
  type TaskRequest,
} from '../../../../src/functions/api/tasks';
import { jobDetailView, jobSummaryView } from '../../../../src/functions/api/views';
import { jobFromBody } from '../../../../src/lib/job-input';
import type { JobRecord, RunRecord } from '../../../../src/lib/store';

const NOW = new Date(1717236000000); // 2024-06-01T10:00:00Z, seed 001's created_at
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// Seed 001's body (001_*.txt lines 166-174) and seed 000's (000_*.txt lines 275-281).
const seed001Body = {
  action: 'webhook',
  payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } },
  run_at: '2024-06-10T15:00:00Z',
  recurrence: 'daily',
};
/** How seed 001 shows that task while it waits (lower-case status) in a list entry and a detail alike. */
const seed001Scheduled = {
  action: 'webhook',
  run_at: '2024-06-10T15:00:00Z',
  recurrence: 'daily',
  status: 'scheduled',
  jobStatus: 'SCHEDULED',
  created_at: '2024-06-01T10:00:00.000Z',
  updated_at: '2024-06-01T10:00:00.000Z',
};
const seed000Body = { config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' } };

function record(body: unknown, overrides: Partial<JobRecord> = {}): JobRecord {
  const job = jobFromBody(body, { now: NOW, random: () => 0 });
  return {
    jobId: job.id,
    job,
    status: job.action ? 'SCHEDULED' : 'INITIALIZED',
    cursor: -1,
    progress: job.action
      ? { completedRuns: 0, failedRuns: 0, totalRuns: null }
      : { completedRuns: 0, failedRuns: 0, totalRuns: 7 },
    nextRunAt: job.startDateTime,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    executionArns: [],
    metrics: { retries: 0, runDurationMsTotal: 0 },
    ...overrides,
  };
}

const summary = (r: JobRecord): JobSummary => roundTrip(jobSummaryView(r));
const detail = (r: JobRecord, runs: RunRecord[] = []): JobDetail => roundTrip(jobDetailView(r, { items: runs }));

function run(iteration: number, phase: RunRecord['phase'], state: RunRecord['state'], result?: RunRecord['result']): RunRecord {
  const day = Date.parse('2024-12-04T10:00:00Z') + iteration * 86_400_000;
  return {
    jobId: 'TASK-1',
    iteration,
    phase,
    state,
    plannedAt: new Date(day).toISOString(),
    startedAt: new Date(day).toISOString(),
    ...(state === 'STARTED' ? {} : { finishedAt: new Date(day + 1000).toISOString(), durationMs: 1000 }),
    attempts: 1,
    ...(result === undefined ? {} : { result }),
  } as RunRecord;
}

describe('seed001Status', () => {
  it.each([
    ['SCHEDULED', 'scheduled'],
    ['INITIALIZED', 'scheduled'],
    ['RUNNING', 'running'],
    ['DAY_1_COMPLETE', 'running'],
    ['DAY_6_COMPLETE', 'running'],
    ['REPORT_GENERATED', 'running'],
    ['NOTIFICATION_SENT', 'running'],
    ['COMPLETED', 'completed'],
    ['FAILED', 'failed'],
    ['PAUSED', 'paused'],
    ['CANCELLED', 'cancelled'],
  ])('spells %s as %s', (status, expected) => {
    expect(seed001Status(status)).toBe(expected);
  });

  it('keeps a status it has no word for readable, in lower case', () => {
    expect(seed001Status('SOMETHING_NEW')).toBe('something_new');
  });
});

describe('kindOfBody', () => {
  it('tells seed 001 tasks and jobs with an action from workflows', () => {
    expect(kindOfBody(seed001Body)).toBe('action');
    expect(kindOfBody({ id: 'x', startDateTime: '2024-06-10T15:00:00Z', action: { type: 'message', text: 'hi' } })).toBe('action');
    expect(kindOfBody(seed000Body)).toBe('workflow');
    expect(kindOfBody({ id: 'x', startDateTime: '2024-06-10T15:00:00Z', frequency: { days: 1 } })).toBe('workflow');
  });
});

describe('recurrenceOf', () => {
  it('names the frequencies seed 001 can say and nothing else', () => {
    expect(recurrenceOf({ frequency: { days: 1 } })).toBe('daily');
    expect(recurrenceOf({ frequency: { weeks: 1 } })).toBe('weekly');
    expect(recurrenceOf({ frequency: { months: 1 } })).toBe('monthly');
    expect(recurrenceOf({ frequency: { days: 2 } })).toBeNull();
    expect(recurrenceOf({ frequency: { hours: 1 } })).toBeNull();
    expect(recurrenceOf({})).toBeNull();
    expect(recurrenceOf({ scheduleExpression: 'rate(1 day)' })).toBeNull();
  });
});

describe('taskEntryView', () => {
  it('shows a seed 001 task with seed 001 fields and a lower-case status, and seed 000 ids beside them', () => {
    const entry = taskEntryView(summary(record(seed001Body)));

    expect(entry).toMatchObject({
      task_id: 'TASK-1717236000000-aaaa',
      taskId: 'TASK-1717236000000-aaaa',
      jobId: 'TASK-1717236000000-aaaa',
      ...seed001Scheduled,
      payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } },
      currentDay: null,
      config: null,
    });
    expect(entry.progress).toMatchObject({ percentage: 0 });
  });

  it('shows a seed 000 workflow with its own upper-case status, day, progress, config and start', () => {
    const r = record(seed000Body, { status: 'DAY_3_COMPLETE', cursor: 2, progress: { completedRuns: 3, failedRuns: 0, totalRuns: 7 } });
    const entry = taskEntryView(summary(r));

    expect(entry).toMatchObject({
      taskId: r.jobId,
      task_id: r.jobId,
      status: 'DAY_3_COMPLETE',
      jobStatus: 'DAY_3_COMPLETE',
      currentDay: 3,
      progress: { completedDays: 3, totalDays: 7 },
      config: { reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' },
      startTime: r.job.startDateTime,
      action: null,
      payload: null,
    });
  });

  it('gives a finished task its scheduled time as run_at, there being no next run', () => {
    const entry = taskEntryView(summary(record({ ...seed001Body, recurrence: undefined }, { status: 'COMPLETED', nextRunAt: null })));

    expect(entry).toMatchObject({ status: 'completed', run_at: '2024-06-10T15:00:00Z', nextRunAt: null });
  });

  it('turns a message job back into seed 001 payload words', () => {
    const entry = taskEntryView(summary(record({ action: 'message', payload: { message: 'hi', channel: 'ops' }, run_at: '2024-06-10T15:00:00Z' })));

    expect(entry).toMatchObject({ action: 'message', payload: { message: 'hi', channel: 'ops' } });
  });
});

describe('taskDetailView', () => {
  it('answers seed 000 at the top level and seed 001 under task', () => {
    const r = record(seed000Body, { status: 'DAY_2_COMPLETE', cursor: 1, progress: { completedRuns: 2, failedRuns: 0, totalRuns: 7 } });
    const runs = [run(0, 'collection', 'SUCCEEDED', { records: 7543 }), run(1, 'processing', 'SUCCEEDED', { recordsProcessed: 1823, errors: 3 }), run(2, 'processing', 'STARTED')];

    const view = taskDetailView(detail(r, runs));

    expect(view).toMatchObject({ taskId: r.jobId, status: 'DAY_2_COMPLETE', currentDay: 2, progress: { completedDays: 2, totalDays: 7 } });
    expect(view.progress.steps.map((s) => [s.day, s.action, s.result, s.completedAt])).toEqual([
      [1, 'Data Collection', { records: 7543 }, '2024-12-04T10:00:01.000Z'],
      [2, 'Batch Processing', { recordsProcessed: 1823, errors: 3 }, '2024-12-05T10:00:01.000Z'],
      [3, 'Batch Processing', null, null],
    ]);
    expect(view.task).toMatchObject({ task_id: r.jobId, status: 'running', jobStatus: 'DAY_2_COMPLETE', created_at: '2024-06-01T10:00:00.000Z' });
    expect(view).not.toHaveProperty('finalReport');
  });

  it('gives the final report seed 000 reads, with its taskId', () => {
    const report = { jobId: 'TASK-1', reportType: 'weekly', summary: { totalDays: 7 }, dailyBreakdown: [], generatedAt: '2024-12-11T10:00:00.000Z' };
    const view = taskDetailView(detail(record(seed000Body, { status: 'COMPLETED', finalReport: report, nextRunAt: null })));

    expect(view).toMatchObject({ status: 'COMPLETED', finalReport: { ...report, taskId: 'TASK-1' }, task: { status: 'completed' } });
  });

  it('answers a seed 001 task with seed 001 spelling in both places', () => {
    const view = taskDetailView(detail(record(seed001Body)));

    expect(view.status).toBe('scheduled');
    expect(view.jobStatus).toBe('SCHEDULED');
    expect(view.task).toEqual({
      task_id: view.taskId,
      taskId: view.taskId,
      ...seed001Scheduled,
      payload: { url: 'https://example.com/notify', method: 'POST', data: { message: 'Hello, this is your scheduled task!' } },
    });
  });
});

describe('the other answers', () => {
  it('POST: seed 000 { taskId, status, message } and seed 001 { message, task_id }', () => {
    const created = { jobId: 'TASK-1', status: 'INITIALIZED', executionArn: 'arn:x', nextRunAt: '2024-12-04T10:00:01.000Z' };

    expect(taskCreatedView(created, 'workflow')).toMatchObject({ taskId: 'TASK-1', task_id: 'TASK-1', status: 'INITIALIZED', message: 'Task started successfully' });
    expect(taskCreatedView({ ...created, status: 'SCHEDULED' }, 'action')).toMatchObject({
      task_id: 'TASK-1',
      status: 'scheduled',
      jobStatus: 'SCHEDULED',
      message: 'Task scheduled successfully',
    });
  });

  it('lists as { tasks, count } and deletes as { message, deletedCount } and { message }', () => {
    const list = tasksListView({ jobs: [summary(record(seed001Body))], count: 1, cursor: null });

    expect(list).toMatchObject({ count: 1, cursor: null, tasks: [{ status: 'scheduled' }] });
    expect(tasksDeletedView({ deletedCount: 5 })).toEqual({ message: 'All tasks deleted successfully', deletedCount: 5 });
    expect(taskDeletedView({ jobId: 'TASK-1', status: 'CANCELLED' })).toEqual({ message: 'Task deleted successfully', taskId: 'TASK-1', task_id: 'TASK-1', jobStatus: 'CANCELLED' });
  });
});

describe('taskRoutes', () => {
  const event = (body: unknown = null) => ({ body: body === null ? null : JSON.stringify(body), isBase64Encoded: false }) as APIGatewayProxyEvent;
  const calls: Array<{ key: string; request: TaskRequest }> = [];
  const answering = (key: string, result: APIGatewayProxyResult) => async (request: TaskRequest) => {
    calls.push({ key, request });
    return result;
  };
  const error = json(400, { error: { code: 'VALIDATION_ERROR', message: 'run_at: must be an ISO-8601 date-time', field: 'run_at' } });

  beforeEach(() => {
    calls.length = 0;
  });

  it('passes an error from /jobs through untouched', async () => {
    const jobs: JobRouteHandlers = {
      'POST /jobs': answering('POST /jobs', error),
      'GET /jobs': answering('GET /jobs', error),
      'DELETE /jobs': answering('DELETE /jobs', error),
      'GET /jobs/{id}': answering('GET /jobs/{id}', error),
      'DELETE /jobs/{id}': answering('DELETE /jobs/{id}', error),
    };
    const tasks = taskRoutes(jobs);

    for (const key of ['POST /tasks', 'GET /tasks', 'DELETE /tasks', 'GET /tasks/{id}', 'DELETE /tasks/{id}'] as const) {
      expect(await tasks[key]({ event: event({ run_at: 'soon' }), params: { id: 'x' }, query: {} })).toBe(error);
    }
    expect(calls.map((c) => c.key)).toEqual(['POST /jobs', 'GET /jobs', 'DELETE /jobs', 'GET /jobs/{id}', 'DELETE /jobs/{id}']);
  });

  it('asks /jobs for its largest page unless the client chose one, and keeps the status filter', async () => {
    const page = json(200, { jobs: [], count: 0, cursor: null });
    const tasks = taskRoutes({ ...({} as JobRouteHandlers), 'GET /jobs': answering('GET /jobs', page) });

    const answer = await tasks['GET /tasks']({ event: event(), params: {}, query: { status: 'scheduled' } });
    await tasks['GET /tasks']({ event: event(), params: {}, query: { limit: '5' } });

    expect(JSON.parse(answer.body)).toEqual({ tasks: [], count: 0, cursor: null });
    expect(calls.map((c) => c.request.query)).toEqual([{ status: 'scheduled', limit: '100' }, { limit: '5' }]);
  });

  it('reads the kind of a created task from the body the client sent, base64 or not', async () => {
    const created = json(201, { jobId: 'TASK-1', status: 'SCHEDULED', executionArn: 'arn:x', nextRunAt: '2024-06-10T15:00:00Z' });
    const tasks = taskRoutes({ ...({} as JobRouteHandlers), 'POST /jobs': answering('POST /jobs', created) });
    const base64 = { body: Buffer.from(JSON.stringify(seed001Body)).toString('base64'), isBase64Encoded: true } as APIGatewayProxyEvent;

    const answer = await tasks['POST /tasks']({ event: base64, params: {}, query: {} });

    expect(answer.statusCode).toBe(201);
    expect(answer.headers).toEqual(created.headers);
    expect(JSON.parse(answer.body)).toMatchObject({ task_id: 'TASK-1', status: 'scheduled', message: 'Task scheduled successfully' });
  });
});
