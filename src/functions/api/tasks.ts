/**
 * `/tasks`: the seeds' own routes, served beside `/jobs` by the same handlers. Seed 000 (the 7-day
 * workflow) and seed 001 (the polling scheduler) both call their API `/tasks` and read their own field
 * names; each `/tasks` handler here calls the `/jobs` handler (one validation, one store, one execution
 * path) and reshapes its answer with a pure view. An error answer of `/jobs` passes through untouched, so
 * bad input gets the same 4xx naming the field as the client wrote it (`run_at`, `payload.url`).
 *
 * Where the seeds disagree, both are answered:
 * - ids: every task carries seed 000's `taskId` and seed 001's `task_id` (and the product's `jobId`);
 * - `GET /tasks/{id}`: seed 000's fields at the top level, seed 001's object under `task`;
 * - `status`: a task is spelled in the vocabulary of the seed its kind comes from — an action job (seed
 *   001's `{ action, payload, run_at }`) in seed 001's lower case (`scheduled`), a workflow in seed 000's
 *   (`DAY_3_COMPLETE`); `task.status` is always seed 001's (SEED_001_STATUS) and `jobStatus` always the
 *   product's.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { bodyShape } from '../../lib/job-input';
import { isActionJob } from '../../lib/fanout';
import type { Action, Frequency, Job } from '../../lib/job';
import type { RouteKey } from './router';
import type { jobDetailView, jobSummaryView } from './views';

/** What a route handler gets: the same structure app.ts hands the `/jobs` handlers. */
export interface TaskRequest {
  event: APIGatewayProxyEvent;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

export type TaskRouteKey = Extract<RouteKey, `${string} /tasks${string}`>;
export type JobRouteKey = Exclude<RouteKey, TaskRouteKey>;
type Handler<R extends TaskRequest> = (request: R) => Promise<APIGatewayProxyResult>;

/** The `/jobs` handlers the `/tasks` ones wrap. */
export type JobRouteHandlers<R extends TaskRequest = TaskRequest> = Record<
  'POST /jobs' | 'GET /jobs' | 'DELETE /jobs' | 'GET /jobs/{id}' | 'DELETE /jobs/{id}',
  Handler<R>
>;
export type TaskRouteHandlers<R extends TaskRequest = TaskRequest> = Record<TaskRouteKey, Handler<R>>;

/** `GET /jobs`'s entry and `GET /jobs/{id}`'s answer, as they come back over JSON. */
export type JobSummary = ReturnType<typeof jobSummaryView>;
export type JobDetail = ReturnType<typeof jobDetailView>;

/** Seed 001's four statuses, and the two product states seed 001 has no word for (pause, stop). */
export type Seed001Status = 'scheduled' | 'running' | 'completed' | 'failed' | 'paused' | 'cancelled';

/**
 * The product's statuses in seed 001's words. A workflow between its days is `running` (its execution is
 * alive and has work done); PAUSED and CANCELLED, which seed 001 cannot reach (its DELETE removes the
 * task), keep their own names in lower case.
 */
export const SEED_001_STATUS: Readonly<Record<string, Seed001Status>> = {
  SCHEDULED: 'scheduled',
  INITIALIZED: 'scheduled',
  RUNNING: 'running',
  // DAY_N_COMPLETE as well: see seed001Status.
  REPORT_GENERATED: 'running',
  NOTIFICATION_SENT: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  PAUSED: 'paused',
  CANCELLED: 'cancelled',
};

/**
 * A product status in seed 001's lower-case vocabulary.
 * @example seed001Status('SCHEDULED') // 'scheduled'
 * @example seed001Status('DAY_3_COMPLETE') // 'running'
 */
export function seed001Status(status: string): Seed001Status {
  if (/^DAY_[0-9]+_COMPLETE$/.test(status)) return 'running';
  // A status this table does not know yet must not vanish: lower case keeps it readable.
  return SEED_001_STATUS[status] ?? (status.toLowerCase() as Seed001Status);
}

/** `action`: a job that calls something (seed 001's task); `workflow`: seed 000's report workflow. */
export type TaskKind = 'action' | 'workflow';

export function kindOfJob(job: Pick<Job, 'action' | 'actions'>): TaskKind {
  return isActionJob(job) ? 'action' : 'workflow';
}

/**
 * The kind a POST body creates (the body `/jobs` accepted): seed 001's task shape, or any job with an action.
 * @example kindOfBody({ config: { reportType: 'weekly' } }) // 'workflow'
 */
export function kindOfBody(body: unknown): TaskKind {
  if (bodyShape(body) === 'task') return 'action';
  const { action, actions } = typeof body === 'object' && body !== null ? (body as { action?: unknown; actions?: unknown }) : {};
  return (action === undefined || action === null) && (actions === undefined || actions === null) ? 'workflow' : 'action';
}

/** `status` as a task of this kind spells it (see the module comment). */
export function taskStatus(status: string, kind: TaskKind): string {
  return kind === 'action' ? seed001Status(status) : status;
}

/** Seed 001's `payload`, back from the job's action: a webhook's body is seed 001's `data`. */
export function payloadOf(action: Action) {
  if (action.type === 'webhook') {
    return { url: action.url, method: action.method, ...(action.headers ? { headers: action.headers } : {}), ...(action.body === undefined ? {} : { data: action.body }) };
  }
  if (action.type === 'message') return { message: action.text, ...(action.channel ? { channel: action.channel } : {}) };
  // A target (sqs, sns, lambda, …) has no seed 001 form: its fields as the job has them.
  const { type: _type, ...fields } = action;
  return fields;
}

/** Seed 001's `recurrence` for the frequencies it can say; null for a one-off or any other schedule. */
export function recurrenceOf(job: Pick<Job, 'frequency' | 'scheduleExpression'>): 'daily' | 'weekly' | 'monthly' | null {
  const frequency: Frequency | undefined = job.frequency;
  if (job.scheduleExpression !== undefined || frequency === undefined) return null;
  const units = Object.entries(frequency).filter(([, count]) => count !== undefined);
  if (units.length !== 1 || units[0]?.[1] !== 1) return null;
  return ({ days: 'daily', weeks: 'weekly', months: 'monthly' } as const)[units[0][0] as 'days' | 'weeks' | 'months'] ?? null;
}

/**
 * Seed 001's task object (`GET /tasks/{id}` → `task`): its fields, its lower-case status. `run_at` is the
 * run the task waits for, or, once it has none left, the time it was scheduled for.
 */
export function seed001TaskView(summary: JobSummary) {
  const { job } = summary;
  return {
    task_id: summary.jobId,
    taskId: summary.jobId,
    action: job.action?.type ?? null,
    payload: job.action ? payloadOf(job.action) : null,
    run_at: summary.nextRunAt ?? job.startDateTime,
    recurrence: recurrenceOf(job),
    status: seed001Status(summary.status),
    jobStatus: summary.status,
    created_at: summary.createdAt,
    updated_at: summary.updatedAt,
    ...(job.config === undefined ? {} : { config: job.config }),
  };
}

/**
 * A task in `GET /tasks`: seed 000's entry (`taskId`, `status`, `currentDay`, `progress`, `config`,
 * `startTime`) and seed 001's (`task_id`, `action`, `payload`, `run_at`, `created_at`, `updated_at`) in one
 * object; `status` spelled by the task's kind.
 * @example taskEntryView(summaryOfAWebhookJob).status // 'scheduled'
 */
export function taskEntryView(summary: JobSummary) {
  const kind = kindOfJob(summary.job);
  return {
    ...seed001TaskView(summary),
    jobId: summary.jobId,
    status: taskStatus(summary.status, kind),
    currentDay: summary.currentDay,
    progress: summary.progress,
    config: summary.job.config ?? null,
    startTime: summary.job.startDateTime,
    nextRunAt: summary.nextRunAt,
    finishedAt: summary.finishedAt,
    ...(summary.reason === undefined ? {} : { reason: summary.reason }),
    ...(summary.pausedAt === undefined ? {} : { pausedAt: summary.pausedAt, pauseNote: summary.pauseNote ?? null }),
  };
}

/** Seed 000's report names its task `taskId`; the product's names it `jobId`. Both are kept. */
function withTaskId(report: unknown): unknown {
  if (typeof report !== 'object' || report === null || Array.isArray(report)) return report;
  const { jobId } = report as { jobId?: unknown };
  return typeof jobId === 'string' ? { taskId: jobId, ...report } : report;
}

/**
 * `GET /tasks/{id}`: everything `GET /jobs/{id}` shows, seed 000's fields at the top level (each step with
 * its `completedAt`, the `finalReport` with its `taskId`), and seed 001's task object under `task`.
 */
export function taskDetailView(detail: JobDetail) {
  const entry = taskEntryView(detail);
  return {
    ...detail,
    ...entry,
    progress: {
      ...detail.progress,
      steps: detail.progress.steps.map((step) => ({ ...step, completedAt: step.state === 'SUCCEEDED' ? step.finishedAt : null })),
    },
    ...(detail.finalReport === undefined ? {} : { finalReport: withTaskId(detail.finalReport) }),
    task: seed001TaskView(detail),
  };
}

/** `POST /jobs`'s answer. */
export interface JobCreated {
  jobId: string;
  status: string;
  executionArn: string | null;
  nextRunAt: string | null;
}

/**
 * `POST /tasks`: seed 000's `{ taskId, status, message }` and seed 001's `{ message, task_id }`.
 * @example taskCreatedView({ jobId: 'TASK-1', status: 'INITIALIZED', executionArn: null, nextRunAt: null }, 'workflow')
 * // { taskId: 'TASK-1', task_id: 'TASK-1', status: 'INITIALIZED', message: 'Task started successfully', … }
 */
export function taskCreatedView(created: JobCreated, kind: TaskKind) {
  return {
    taskId: created.jobId,
    task_id: created.jobId,
    status: taskStatus(created.status, kind),
    // Each seed's own sentence: seed 000 starts a workflow, seed 001 schedules a task.
    message: kind === 'workflow' ? 'Task started successfully' : 'Task scheduled successfully',
    jobId: created.jobId,
    jobStatus: created.status,
    executionArn: created.executionArn,
    nextRunAt: created.nextRunAt,
  };
}

/** `GET /tasks`: `{ tasks, count }` (seed 000; seed 001 reads `tasks`), and the cursor of the next page. */
export function tasksListView(page: { jobs: JobSummary[]; count: number; cursor: string | null }) {
  return { tasks: page.jobs.map(taskEntryView), count: page.count, cursor: page.cursor };
}

/** `DELETE /tasks` (seed 000): `{ message, deletedCount }`. */
export function tasksDeletedView(deleted: { deletedCount: number }) {
  return { message: 'All tasks deleted successfully', deletedCount: deleted.deletedCount };
}

/**
 * `DELETE /tasks/{id}` (seed 001): `{ message }`. The task is stopped and kept as CANCELLED (its runs are
 * history), where seed 001 removed it; `jobStatus` says which status it ended in.
 */
export function taskDeletedView(deleted: { jobId: string; status: string }) {
  return { message: 'Task deleted successfully', taskId: deleted.jobId, task_id: deleted.jobId, jobStatus: deleted.status };
}

/** The body a request carried, as the `/jobs` handler read it (which already refused anything else). */
function requestBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  try {
    return JSON.parse(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A successful `/jobs` answer reshaped; an error passes through as `/jobs` gave it. The body is JSON the
 * `/jobs` handler built one call earlier from the view type `T`, hence the cast.
 */
function reshape<T>(result: APIGatewayProxyResult, view: (body: T) => unknown): APIGatewayProxyResult {
  if (result.statusCode < 200 || result.statusCode >= 300) return result;
  return { ...result, body: JSON.stringify(view(JSON.parse(result.body) as T)) };
}

/** Seed clients expect the whole list: without a `limit`, a page holds the most `/jobs` allows. */
const TASKS_PAGE = '100';

/**
 * The `/tasks` routes over the `/jobs` handlers: the same validation, store and executions, answering in
 * the seeds' shapes.
 * @example
 * const table = { ...jobRoutes, ...taskRoutes(jobRoutes) };
 * await table['GET /tasks/{id}'](request) // { taskId, task_id, status, currentDay, progress, task: { … } }
 */
export function taskRoutes<R extends TaskRequest>(jobs: JobRouteHandlers<R>): TaskRouteHandlers<R> {
  return {
    'POST /tasks': async (request) =>
      reshape<JobCreated>(await jobs['POST /jobs'](request), (created) => taskCreatedView(created, kindOfBody(requestBody(request.event)))),
    'GET /tasks': async (request) => {
      const query = { ...request.query, limit: request.query.limit ?? TASKS_PAGE };
      return reshape(await jobs['GET /jobs']({ ...request, query }), tasksListView);
    },
    'DELETE /tasks': async (request) => reshape(await jobs['DELETE /jobs'](request), tasksDeletedView),
    'GET /tasks/{id}': async (request) => reshape(await jobs['GET /jobs/{id}'](request), taskDetailView),
    'DELETE /tasks/{id}': async (request) => reshape(await jobs['DELETE /jobs/{id}'](request), taskDeletedView),
  };
}
