/**
 * The schemas the OpenAPI document is generated from. Request bodies are the zod schemas the API parses
 * with (src/lib/job.ts, src/lib/job-input.ts), composed here and never rewritten; the few bodies the API
 * checks by hand (a pause or trigger note, a backfill range) get a schema here built from the same parts
 * (DateTimeSchema). Responses have no zod schema in the API (views.ts maps records to plain objects), so
 * the main shapes are described here: loose objects (extra fields allowed) naming the fields a client
 * relies on; test/integration/api/openapi.test.ts validates real answers of the local runtime against them.
 */
import * as z from '../lib/zod';
import { DateTimeSchema, JobSchema, WorkflowConfigSchema } from '../lib/job';
import { MessagePayloadSchema, TaskBodySchema, WebhookPayloadSchema } from '../lib/job-input';

// ---- request bodies --------------------------------------------------------------------------------------

/** Seed 000's body: `{ config }` alone, a 7-day daily report starting now (the id is generated). */
export const WorkflowBodySchema = z.strictObject({ config: WorkflowConfigSchema });

/**
 * Seed 001's body. The API parses `payload` in two steps (a record, then the payload of the action's
 * kind); the document says which payloads exist.
 */
export const TaskBodyDocSchema = z.extend(TaskBodySchema, {
  payload: z.union([WebhookPayloadSchema, MessagePayloadSchema]),
});

/** `POST /jobs` and `POST /tasks`: which of the three the body is, the API decides (bodyShape in job-input.ts). */
export const JobBodySchema = z.union([JobSchema, WorkflowBodySchema, TaskBodyDocSchema]);

/** `POST /jobs/{id}/pause` and `/trigger`: an optional note, or no body at all (noteOf in app.ts). */
export const NoteBodySchema = z.strictObject({ note: z.optional(z.string().check(z.maxLength(500))) });

/** `POST /jobs/{id}/backfill` (planBackfill in src/lib/extra-runs.ts checks the range against the schedule). */
export const BackfillBodySchema = z.strictObject({ from: DateTimeSchema, to: DateTimeSchema });

// ---- responses -------------------------------------------------------------------------------------------

const nullableString = z.nullable(z.string());

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** The field the error is about, as the client wrote it (`run_at`, `payload.url`, `frequency.days`). */
    field: z.optional(z.string()),
  }),
});

export const HealthSchema = z.looseObject({
  status: z.enum(['ok', 'unavailable']),
  now: z.string(),
  store: z.object({ reachable: z.boolean(), latencyMs: z.number() }),
  stepFunctions: z.object({ reachable: z.boolean(), latencyMs: z.number() }),
});

export const SubmitAnswerSchema = z.looseObject({
  jobId: z.string(),
  status: z.string(),
  executionArn: nullableString,
  nextRunAt: nullableString,
});

export const ProgressSchema = z.looseObject({
  percentage: z.number(),
  completedRuns: z.number().check(z.int()),
  failedRuns: z.number().check(z.int()),
  skippedRuns: z.number().check(z.int()),
  totalRuns: z.nullable(z.number().check(z.int())),
  completedDays: z.nullable(z.number().check(z.int())),
  totalDays: z.nullable(z.number().check(z.int())),
});

/** A job as stored: the parsed job (defaults filled in), so any JSON object here. */
const StoredJobSchema = z.looseObject({ id: z.string(), startDateTime: z.string() });

export const JobSummarySchema = z.looseObject({
  jobId: z.string(),
  status: z.string(),
  job: StoredJobSchema,
  currentDay: z.nullable(z.number().check(z.int())),
  progress: ProgressSchema,
  nextRunAt: nullableString,
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: nullableString,
  reason: z.optional(z.string()),
  pausedAt: z.optional(nullableString),
  pauseNote: z.optional(nullableString),
});

export const JobsPageSchema = z.looseObject({
  jobs: z.array(JobSummarySchema),
  count: z.number().check(z.int()),
  cursor: nullableString,
});

export const StepSchema = z.looseObject({
  day: z.number().check(z.int()),
  iteration: z.number().check(z.int()),
  phase: z.string(),
  action: z.string(),
  state: z.string(),
  plannedAt: z.string(),
  startedAt: z.string(),
  finishedAt: nullableString,
  durationMs: z.nullable(z.number()),
  attempts: z.number().check(z.int()),
  result: z.unknown(),
  error: z.unknown(),
  /** A fan-out run's actions (job.actions), each with its own Idempotency-Key and outcome. */
  actions: z.optional(
    z.array(
      z.looseObject({
        index: z.number().check(z.int()),
        key: z.string(),
        type: z.string(),
        state: z.enum(['STARTED', 'SUCCEEDED', 'FAILED']),
        attempts: z.number().check(z.int()),
        result: z.unknown(),
        error: z.unknown(),
        startedAt: z.string(),
        finishedAt: nullableString,
        durationMs: z.nullable(z.number()),
      }),
    ),
  ),
});

export const ExtraRequestSchema = z.looseObject({
  requestId: z.string(),
  kind: z.enum(['trigger', 'backfill']),
  state: z.string(),
  requestedAt: z.string(),
  finishedAt: nullableString,
  from: nullableString,
  to: nullableString,
  iterations: z.nullable(z.object({ first: z.number().check(z.int()), last: z.number().check(z.int()) })),
  note: nullableString,
  runs: z.object({ total: z.number().check(z.int()), completed: z.number().check(z.int()), failed: z.number().check(z.int()) }),
  executionArn: nullableString,
});

export const ScheduleSettingsSchema = z.looseObject({
  timeZone: z.string(),
  startDateTime: z.string(),
  endDateTime: nullableString,
  scheduleExpression: nullableString,
  maxRuns: z.nullable(z.number().check(z.int())),
  forever: z.boolean(),
  catchUp: z.string(),
  overlap: z.string(),
  group: nullableString,
  tags: z.array(z.string()),
});

export const JobDetailSchema = z.extend(JobSummarySchema, {
  settings: ScheduleSettingsSchema,
  progress: z.extend(ProgressSchema, { steps: z.array(StepSchema) }),
  statusHistory: z.array(
    z.looseObject({
      status: z.string(),
      at: z.string(),
      event: z.optional(z.enum(['paused', 'resumed'])).register(z.globalRegistry, { description: 'a pause (status PAUSED, with its note) or a resume (the status the job went back to)' }),
      note: z.optional(z.string()),
    }),
  ),
  executions: z.array(z.string()),
  generation: z.number().check(z.int()),
  finalReport: z.optional(z.unknown()),
  runsCursor: z.optional(z.string()),
  extraRequests: z.array(ExtraRequestSchema),
  extraRuns: z.array(z.looseObject({ requestId: z.string(), kind: z.string(), index: z.number().check(z.int()), state: z.string() })),
});

export const UpcomingSchema = z.looseObject({
  jobId: z.string(),
  timeZone: z.string(),
  status: z.string(),
  paused: z.nullable(z.object({ pausedAt: nullableString, note: nullableString })),
  remainingRuns: z.nullable(z.number().check(z.int())),
  settings: ScheduleSettingsSchema,
  passedOver: z.nullable(z.object({ from: z.number().check(z.int()), to: z.number().check(z.int()), count: z.number().check(z.int()) })).register(z.globalRegistry, {
    description: 'runs whose time passed while nothing ran (a pause, downtime) that the catch-up policy passes over when the job next runs; `runs` starts after them',
  }),
  runs: z.array(
    z.looseObject({ iteration: z.number().check(z.int()), plannedAt: z.string(), runAt: z.string(), localTime: z.string(), phase: z.string(), missed: z.boolean() }),
  ),
});

export const StopAnswerSchema = z.looseObject({ jobId: z.string(), status: z.string() });
export const PauseAnswerSchema = z.looseObject({ jobId: z.string(), status: z.string(), pausedAt: z.optional(z.string()), note: z.optional(z.string()) });
export const ResumeAnswerSchema = z.looseObject({ jobId: z.string(), status: z.string(), executionArn: z.string() });
export const RequestAnswerSchema = z.extend(ExtraRequestSchema, { jobId: z.string(), executionArn: nullableString });
export const DeleteAllSchema = z.looseObject({ message: z.string(), deletedCount: z.number().check(z.int()) });

/** `GET /stats`: counts by status, run figures and the cost estimate (src/lib/stats.ts); described loosely. */
export const StatsSchema = z.looseObject({});

/** `GET /jobs/{id}/executions/{generation}/history`: the execution and a page of its events (GetExecutionHistory). */
export const ExecutionHistorySchema = z.looseObject({
  execution: z.looseObject({ executionArn: z.string(), status: z.string() }),
  events: z.array(z.looseObject({ id: z.number(), type: z.string() })),
});

/** `GET /outbox`: what the local runtime's target stand-ins received, newest last (src/adapters/targets/local.ts). */
export const OutboxSchema = z.object({
  entries: z.array(z.looseObject({ target: z.string(), jobId: z.optional(z.string()), idempotencyKey: z.optional(z.string()) })),
  count: z.number().check(z.int(), z.nonnegative()),
});

// Seed 000's and seed 001's shapes (src/functions/api/tasks.ts).
export const TaskCreatedSchema = z.looseObject({
  taskId: z.string(),
  task_id: z.string(),
  status: z.string(),
  message: z.string(),
  jobId: z.string(),
  jobStatus: z.string(),
  executionArn: nullableString,
  nextRunAt: nullableString,
});
const Seed001TaskSchema = z.looseObject({
  task_id: z.string(),
  action: nullableString,
  payload: z.nullable(z.record(z.string(), z.unknown())),
  run_at: z.string(),
  recurrence: nullableString,
  status: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export const TaskEntrySchema = z.extend(Seed001TaskSchema, { taskId: z.string(), jobId: z.string(), currentDay: z.nullable(z.number().check(z.int())), progress: ProgressSchema, startTime: z.string() });
export const TasksPageSchema = z.looseObject({ tasks: z.array(TaskEntrySchema), count: z.number().check(z.int()), cursor: nullableString });
export const TaskDetailSchema = z.extend(TaskEntrySchema, { task: Seed001TaskSchema });
export const TaskDeletedSchema = z.looseObject({ message: z.string(), taskId: z.string(), task_id: z.string(), jobStatus: z.string() });

/** Every schema of the document by its component name (`#/components/schemas/<name>`). */
export const COMPONENTS = {
  Job: JobSchema,
  WorkflowBody: WorkflowBodySchema,
  TaskBody: TaskBodyDocSchema,
  JobBody: JobBodySchema,
  NoteBody: NoteBodySchema,
  BackfillBody: BackfillBodySchema,
  Error: ErrorBodySchema,
  Health: HealthSchema,
  SubmitAnswer: SubmitAnswerSchema,
  JobSummary: JobSummarySchema,
  JobsPage: JobsPageSchema,
  JobDetail: JobDetailSchema,
  Upcoming: UpcomingSchema,
  StopAnswer: StopAnswerSchema,
  PauseAnswer: PauseAnswerSchema,
  ResumeAnswer: ResumeAnswerSchema,
  RequestAnswer: RequestAnswerSchema,
  DeleteAll: DeleteAllSchema,
  Stats: StatsSchema,
  Outbox: OutboxSchema,
  ExecutionHistory: ExecutionHistorySchema,
  TaskCreated: TaskCreatedSchema,
  TasksPage: TasksPageSchema,
  TaskDetail: TaskDetailSchema,
  TaskDeleted: TaskDeletedSchema,
} as const satisfies Record<string, z.ZodMiniType>;
export type ComponentName = keyof typeof COMPONENTS;
