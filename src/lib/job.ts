/**
 * The job model: one zod schema per input, and the TypeScript types inferred from them, so the shape is
 * written once. Every Lambda parses its own input with these (Step Functions never passes API Gateway's
 * validation), and every failure becomes a ValidationError naming the field and the rule.
 */
import * as z from './zod';
import { ValidationError, type FieldIssue } from './errors';
import { nthCronRun } from './cron';
import { ActionSchema, boundedJson, type Action, HttpUrlSchema, NOTIFY_EVENTS, NotifySchema } from './actions';
import { parseScheduleExpression } from './schedule-expression';
import { isActionJob, MAX_FANOUT_ACTIONS } from './fanout';

export { isActionJob } from './fanout';

// The actions a job runs (webhook, message, EventBridge Scheduler's targets) and who hears of its failures.
export * from './actions';

/** Execution names allow 80 characters; the id is the execution name (and its ContinueAsNew prefix). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export const FREQUENCY_UNITS = ['years', 'quarters', 'months', 'weeks', 'days', 'hours', 'minutes'] as const;
export type FrequencyUnit = (typeof FREQUENCY_UNITS)[number];

/** Seed 002 accepts singular and plural names; both map to the plural. */
const SINGULAR: Record<string, FrequencyUnit> = {
  year: 'years',
  quarter: 'quarters',
  month: 'months',
  week: 'weeks',
  day: 'days',
  hour: 'hours',
  minute: 'minutes',
};


/** A frequency unit's largest value, also for the sum of its singular and plural forms. */
const MAX_UNIT = 1_000_000;
const count = z.number().check(z.int('must be a whole number'), z.nonnegative('must be 0 or more'), z.maximum(MAX_UNIT, `must be at most ${MAX_UNIT}`));

const frequencyShape = Object.fromEntries(
  [...FREQUENCY_UNITS, ...Object.keys(SINGULAR)].map((unit) => [unit, z.optional(count)]),
) as Record<FrequencyUnit | keyof typeof SINGULAR, z.ZodMiniOptional<typeof count>>;

/**
 * An issue raised inside a transform, as classic zod's `ctx.addIssue` raises it (mini's transform context has
 * the payload's issues but no addIssue).
 */
function addTransformIssue(ctx: z.core.ParsePayload, issue: { code: 'custom'; path?: PropertyKey[]; message: string }): void {
  ctx.issues.push({ ...issue, input: ctx.value });
}

const frequencyObject = z.strictObject(frequencyShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown unit ${issue.keys.map((k) => `"${k}"`).join(', ')}; use ${FREQUENCY_UNITS.join(', ')} (or singular)`
      : 'must be an object of units such as { "days": 1 }',
});

export const FrequencySchema = z.pipe(
  frequencyObject,
  z.transform((raw: z.output<typeof frequencyObject>, ctx) => {
    const normal: Partial<Record<FrequencyUnit, number>> = {};
    for (const [unit, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      const plural = SINGULAR[unit] ?? (unit as FrequencyUnit);
      normal[plural] = (normal[plural] ?? 0) + value;
    }
    // The parsed job is parsed again by every Lambda it reaches: a sum past the limit would pass here and
    // fail there, after the job was accepted.
    for (const [unit, value] of Object.entries(normal)) {
      if (value > MAX_UNIT) {
        const singular = Object.keys(SINGULAR).find((key) => SINGULAR[key] === unit);
        addTransformIssue(ctx, { code: 'custom', path: [unit], message: `${unit} and ${singular} add up to ${value}; together they must be at most ${MAX_UNIT}` });
      }
    }
    if (Object.values(normal).some((value) => value > MAX_UNIT)) return z.NEVER;
    // An unknown unit was already reported; "no unit above zero" would only repeat it less clearly.
    const unknownUnit = ctx.issues.some((issue) => issue.code === 'unrecognized_keys');
    if (!unknownUnit && !Object.values(normal).some((v) => v > 0)) {
      addTransformIssue(ctx, { code: 'custom', message: 'at least one unit must be above zero' });
      return z.NEVER;
    }
    return normal;
  }),
);
export type Frequency = z.output<typeof FrequencySchema>;

/** An ISO-8601 date-time that says where it is: an offset or `Z` is required, so no run time is ambiguous. */
export const DateTimeSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time with an offset or Z, such as 2024-12-04T10:00:00Z',
});

/**
 * Zones already found valid: every Lambda parses its job on every invocation, and building a DateTimeFormat
 * to ask is the costly part of parsing. Only valid names are kept, so the set stays within the IANA list.
 */
const knownZones = new Set<string>();

export function isValidTimeZone(name: string): boolean {
  if (knownZones.has(name)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return false;
  }
  knownZones.add(name);
  return true;
}

export const TimeZoneSchema = z.string().check(z.refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' }));


/**
 * Per-job retry of a run that failed transiently, inside the ASL's static Retry (the outer net: at most
 * 5 attempts in all). The task waits `intervalSeconds × backoffRate^(attempt-2)` before attempt 2 and
 * later, and gives up (a permanent failure) once `maxAttempts` attempts have failed.
 */
export const RETRY_CAPS = { maxAttempts: 5, intervalSeconds: 60, backoffRate: 4 } as const;
export const RetrySchema = z.strictObject({
  maxAttempts: z._default(
    z.number().check(z.int('must be a whole number'), z.minimum(1, 'must be at least 1'), z.maximum(RETRY_CAPS.maxAttempts, `must be at most ${RETRY_CAPS.maxAttempts} (the ASL's Retry allows no more)`)),
    RETRY_CAPS.maxAttempts,
  ),
  intervalSeconds: z._default(z.number().check(z.minimum(0, 'must be 0 or more'), z.maximum(RETRY_CAPS.intervalSeconds, `must be at most ${RETRY_CAPS.intervalSeconds}`)), 0),
  backoffRate: z._default(z.number().check(z.minimum(1, 'must be at least 1'), z.maximum(RETRY_CAPS.backoffRate, `must be at most ${RETRY_CAPS.backoffRate}`)), 2),
});
export type RetrySettings = z.output<typeof RetrySchema>;

/** arn:<partition>:<service>:<region>:<account>:<name>, the service named: an SQS ARN is no topic. */
const awsArn = (service: 'sns' | 'sqs') => new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_.-]{1,256}$`);
/**
 * Where failed runs are reported, once each (EventBridge Scheduler's dead-letter queue): an SNS topic or
 * SQS queue ARN on AWS; an outbox file or a URL on the embedded runtime.
 */
export const FailureDestinationSchema = z.union(
  [
    z.strictObject({ type: z.literal('sns'), arn: z.string().check(z.regex(awsArn('sns'), 'must be an SNS topic ARN')) }),
    z.strictObject({ type: z.literal('sqs'), arn: z.string().check(z.regex(awsArn('sqs'), 'must be an SQS queue ARN')) }),
    z.strictObject({ type: z.literal('file'), path: z.string().check(z.minLength(1), z.maxLength(1024), z.regex(/^[^\0]+$/, 'must be a file path')) }),
    z.strictObject({ type: z.literal('url'), url: HttpUrlSchema }),
  ],
  { error: 'must be { "type": "sns"|"sqs", "arn" } or { "type": "file", "path" } or { "type": "url", "url" }' },
);
export type FailureDestination = z.output<typeof FailureDestinationSchema>;

/** The seed-000 workflow configuration. */
export const WorkflowConfigSchema = z.strictObject({
  reportType: z._default(z.enum(['daily', 'weekly', 'monthly']), 'weekly'),
  /** http(s) URL or file:// URL of a JSON array or NDJSON, or `sample:<name>` for a generated data set. */
  dataSource: z._default(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(2048)), 'sample:analytics'),
  notifyEmail: z.optional(z.email('must be an email address')),
  notifyChannel: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});
export type WorkflowConfig = z.output<typeof WorkflowConfigSchema>;

/** A whole number in [min, max], with the messages every such job field gives. */
const wholeNumber = (min: number, max: number, maxMessage = `must be at most ${max}`) =>
  z.number().check(z.int('must be a whole number'), z.minimum(min, min === 0 ? 'must be 0 or more' : `must be at least ${min}`), z.maximum(max, maxMessage));

export const JobSchema = z
  .strictObject({
    id: z.string().check(z.regex(JOB_ID_PATTERN, 'must be 1-80 characters of A-Z, a-z, 0-9, _ and -')),
    startDateTime: DateTimeSchema,
    endDateTime: z.optional(DateTimeSchema),
    frequency: z.optional(FrequencySchema),
    timeZone: z._default(TimeZoneSchema, 'UTC'),
    action: z.optional(ActionSchema),
    /** Fan-out: these actions run in parallel within each run (src/lib/fanout.ts), instead of one `action`. */
    actions: z.optional(
      z
        .array(ActionSchema)
        .check(
          z.minLength(1, 'must hold at least one action'),
          z.maxLength(MAX_FANOUT_ACTIONS, `at most ${MAX_FANOUT_ACTIONS} actions in one run (a Map state runs up to 40 at once)`),
        ),
    ),
    /** Fan-out: how many of `actions` run at once. Default 10 (src/lib/fanout.ts DEFAULT_MAX_CONCURRENCY). */
    maxConcurrency: z.optional(wholeNumber(1, MAX_FANOUT_ACTIONS)),
    /** Fan-out: the run still succeeds with this many failed actions (Map's ToleratedFailureCount). Default 0. */
    toleratedFailureCount: z.optional(wholeNumber(0, MAX_FANOUT_ACTIONS)),
    /** Fan-out: the run still succeeds while at most this share of actions failed (Map's ToleratedFailurePercentage). */
    toleratedFailurePercentage: z.optional(z.number().check(z.minimum(0, 'must be 0 or more'), z.maximum(100, 'must be at most 100'))),
    config: z.optional(WorkflowConfigSchema),
    context: z.optional(boundedJson(1)),
    /** What a failed run does to the job; default continue for action jobs, abort for workflows. */
    onFailure: z.optional(z.enum(['continue', 'abort'])),
    retry: z.optional(RetrySchema),
    failureDestination: z.optional(FailureDestinationSchema),
    /** EventBridge's `cron(…)` or `rate(…)`, instead of `frequency`. */
    scheduleExpression: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    /** At most this many runs (Temporal's remaining actions), alone or with endDateTime. */
    maxRuns: z.optional(wholeNumber(1, 10_000_000)),
    /** A recurring job with neither endDateTime nor maxRuns must say so. */
    forever: z.optional(z.literal(true, { error: 'can only be true' })),
    /** Each run starts at a time spread uniformly in this window after its planned time, the same for a retry. */
    flexibleWindowMinutes: z.optional(wholeNumber(1, 1440, 'must be at most 1440 (a day)')),
    /** What happens to runs whose time passed while nothing ran (downtime, a pause). Default `one`. */
    catchUp: z.optional(z.enum(['skip', 'one', 'all'])),
    /** Missed runs older than this are skipped (recorded as such) whatever catchUp says. Default a day. */
    catchUpWindowMinutes: z.optional(wholeNumber(1, 525_600, 'must be at most 525600 (a year)')),
    /** When a run is still going at the next run's time. Default `skip`. */
    overlap: z.optional(z.enum(['skip', 'bufferOne', 'allow'])),
    /** Finished jobs and their runs expire this many days after they end (DynamoDB TTL). */
    retentionDays: z.optional(wholeNumber(1, 3650)),
    group: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _, . and -'))),
    tags: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z0-9_.:=-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9 and _.:=-'))).check(z.maxLength(20, 'at most 20 tags'))),
    /** An action job's notification target: it hears of the job FAILED (and per notifyOn). */
    notify: z.optional(NotifySchema),
    /** `failure`: each failed run too; `completion`: the job's end. Default: both for workflows, none for action jobs. */
    notifyOn: z.optional(z.array(z.enum(NOTIFY_EVENTS, { error: 'must be "failure" or "completion"' })).check(z.maxLength(2, 'at most 2 entries'))),
  })
  .check(z.superRefine((job, ctx) => {
    if (job.scheduleExpression !== undefined) {
      const parsed = parseScheduleExpression(job.scheduleExpression);
      if ('field' in parsed) ctx.addIssue({ code: 'custom', path: ['scheduleExpression'], message: parsed.message });
      if (job.frequency) ctx.addIssue({ code: 'custom', path: ['scheduleExpression'], message: 'use either frequency or scheduleExpression, not both' });
      // A cron with no occurrence in the job's span would be accepted and never run: refuse it now. This
      // depends on the job alone (never on the clock), so a job accepted once parses again everywhere.
      const start = Date.parse(job.startDateTime);
      if (!('field' in parsed) && parsed.kind === 'cron' && Number.isFinite(start) && isValidTimeZone(job.timeZone)) {
        const first = nthCronRun(parsed.spec, job.timeZone, start, 0);
        const end = job.endDateTime === undefined ? Number.POSITIVE_INFINITY : Date.parse(job.endDateTime);
        if (first === undefined) {
          ctx.addIssue({ code: 'custom', path: ['scheduleExpression'], message: `has no run at or after startDateTime (its years end in ${parsed.spec.years.at(-1)})` });
        } else if (first > end) {
          ctx.addIssue({ code: 'custom', path: ['scheduleExpression'], message: `has no run between startDateTime and endDateTime (its first is ${new Date(first).toISOString()})` });
        }
      }
    }
    const actionJob = isActionJob(job);
    if (job.action && job.actions) {
      ctx.addIssue({ code: 'custom', path: ['actions'], message: 'use either action (one per run) or actions (a fan-out), not both' });
    }
    for (const field of ['maxConcurrency', 'toleratedFailureCount', 'toleratedFailurePercentage'] as const) {
      if (job[field] !== undefined && !job.actions) ctx.addIssue({ code: 'custom', path: [field], message: 'is for a fan-out job (one with actions: [...])' });
    }
    if (job.actions && job.toleratedFailureCount !== undefined && job.toleratedFailureCount >= job.actions.length) {
      ctx.addIssue({ code: 'custom', path: ['toleratedFailureCount'], message: `must be less than the number of actions (${job.actions.length}): a run whose every action failed is not a success` });
    }
    const recurring = job.frequency !== undefined || job.scheduleExpression !== undefined;
    if (recurring && !job.endDateTime && job.maxRuns === undefined && actionJob && !job.forever) {
      ctx.addIssue({ code: 'custom', path: ['endDateTime'], message: 'a recurring job needs endDateTime, maxRuns, or forever: true' });
    }
    if (job.forever && !actionJob) {
      ctx.addIssue({ code: 'custom', path: ['forever'], message: "is for action jobs: a report workflow's last run is its report" });
    }
    if (!recurring && job.maxRuns !== undefined && job.maxRuns !== 1) {
      ctx.addIssue({ code: 'custom', path: ['maxRuns'], message: 'a one-off job (no frequency or scheduleExpression) runs once' });
    }
    if (job.endDateTime && Date.parse(job.endDateTime) <= Date.parse(job.startDateTime)) {
      ctx.addIssue({ code: 'custom', path: ['endDateTime'], message: 'must be after startDateTime' });
    }
    if (recurring && !job.endDateTime && job.maxRuns === undefined && !actionJob) {
      // A workflow's last run is its report; without an end there is no last run and no report.
      ctx.addIssue({
        code: 'custom',
        path: ['endDateTime'],
        message: 'is required for a recurring report workflow (a job without action), or maxRuns',
      });
    }
    if (job.notify && !actionJob) {
      ctx.addIssue({ code: 'custom', path: ['notify'], message: 'is for action jobs; a report workflow takes config.notifyEmail and config.notifyChannel' });
    }
    if (job.notifyOn && actionJob && !job.notify) {
      ctx.addIssue({ code: 'custom', path: ['notifyOn'], message: 'needs notify: { channel?, email? } to say where notifications go' });
    }
    const placed: Array<[Action, Array<string | number>]> = [...(job.action ? [[job.action, ['action']] as [Action, string[]]] : []), ...(job.actions ?? []).map((action, i): [Action, Array<string | number>] => [action, ['actions', i]])];
    for (const [action, path] of placed) {
      if ((action.type === 'sqs' || action.type === 'sns') && action.messageGroupId !== undefined) {
        const name = action.type === 'sqs' ? action.queue : action.topicArn;
        if (!name.endsWith('.fifo')) ctx.addIssue({ code: 'custom', path: [...path, 'messageGroupId'], message: `is for FIFO ${action.type === 'sqs' ? 'queues' : 'topics'} (a name ending in .fifo)` });
      }
    }
    if (actionJob && job.config) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: 'is for report workflows; a job with an action takes none' });
    }
  }));
/** A job after parsing: defaults applied, frequency units normalised to plural. */
export type Job = z.output<typeof JobSchema>;
/** A job as a client writes it. */
export type JobInput = z.input<typeof JobSchema>;

/** Not strict: the state machine adds its own fields (aborted, generation) to the cursor it passes around. */
export const CursorSchema = z.object({
  iteration: z.number().check(z.int(), z.nonnegative('must be 0 or more')),
  /** How many executions came before this one (ContinueAsNew); 0 for the first. */
  generation: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** The iteration this execution started at, to count its runs. */
  firstIteration: z.optional(z.number().check(z.int(), z.nonnegative())),
  /** A summary of the previous run's result, handed to the next run. */
  lastResult: z.optional(z.json()),
  /** Planned time of the previous run, so a cron job's next run is found from there, not from the start. */
  lastRunAt: z.optional(z.string()),
  /** When the previous run finished: runs planned before it were overlapped by it. */
  lastFinishedAt: z.optional(z.string()),
  /** When the previous run began: runs planned before it were missed, not overlapped. */
  lastStartedAt: z.optional(z.string()),
  /** The job's run count, once computed (counting a cron's runs is not free). */
  totalRuns: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
  /** The run at `iteration` was begun before a restart and never settled: it runs now, whatever catch-up says. */
  resumeStarted: z.optional(z.boolean()),
});
export type Cursor = z.output<typeof CursorSchema>;

export const PHASES = ['collection', 'processing', 'report', 'action'] as const;
export type Phase = (typeof PHASES)[number];

/** Runs the calculator passed over (catch-up or overlap policy), for the ledger to record. */
export const SkippedRunsSchema = z.object({
  from: z.number().check(z.int(), z.nonnegative()),
  to: z.number().check(z.int(), z.nonnegative()),
  count: z.number().check(z.int(), z.positive()),
  reason: z.enum(['missed', 'overlap']),
});
export type SkippedRuns = z.output<typeof SkippedRunsSchema>;

/**
 * What the calculator returns: the contract other tools rely on (the task Lambda parses it back with this
 * same schema, since Step Functions passes it on unchecked).
 */
export const ScheduleSchema = z.object({
  iteration: z.number().check(z.int(), z.nonnegative()),
  /** ISO-8601 UTC ending in Z, whole seconds (Step Functions truncates milliseconds); null when done. */
  runAt: z.nullable(z.string()),
  phase: z.enum(PHASES),
  isLast: z.boolean(),
  done: z.boolean(),
  /** Number of runs the job has in all; null when it has no end. */
  totalRuns: z.nullable(z.number().check(z.int(), z.positive())),
  /** With a flexible window: the run's planned time; `runAt` is where in the window it starts. */
  plannedAt: z.optional(z.string()),
  /** Runs passed over before this one (catch-up or overlap policy), for the ledger to record. */
  skipped: z.optional(SkippedRunsSchema),
});
/** Present when this execution should hand the job to a fresh one before waiting (ContinueAsNew). */
export type Schedule = z.output<typeof ScheduleSchema> & { handover?: Handover };

export interface Handover {
  /** The next execution's name: `<jobId>--<generation>` (shortened with a hash past 80 characters). */
  name: string;
  cursor: Cursor;
}

/** Turn zod issues into field issues with dotted paths, prefixed by where the value sat. */
export function toFieldIssues(error: z.core.$ZodError, prefix: string[] = []): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') path.push(...issue.keys.slice(0, 1));
    return { field: path.join('.') || '(input)', message: issue.message };
  });
}

/**
 * Parse with a schema or throw a ValidationError naming every bad field.
 * @example parseOrThrow(JobSchema, { id: 'a b' }) // throws ValidationError "id: must be 1-80 characters…"
 */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, input: unknown, prefix: string[] = []): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error, prefix));
  return result.data;
}

/**
 * Parse a job as submitted by a client, the console or another Lambda.
 * @example parseJob({ id: 'daily', startDateTime: '2024-12-04T10:00:00Z', frequency: { day: 1 }, endDateTime: '2024-12-10T10:00:00Z' })
 */
export function parseJob(input: unknown): Job {
  return parseOrThrow(JobSchema, input);
}

export function kindOf(job: Job): 'action' | 'workflow' {
  return isActionJob(job) ? 'action' : 'workflow';
}

/**
 * When a finished job's items expire (DynamoDB TTL, epoch seconds): `retentionDays` after the later of the
 * moment given and the job's end, so no run of a job with an end expires before the job does. A job
 * without an end (forever) keeps each run `retentionDays` after it finished.
 * @example retentionExpiry({ retentionDays: 30, … }, new Date('2024-12-10T10:00:00Z')) // 1736416800 (2025-01-09T10:00:00Z)
 */
export function retentionExpiry(job: Job, finishedAt: Date): number | undefined {
  if (!job.retentionDays) return undefined;
  const end = job.endDateTime ? Math.max(Date.parse(job.endDateTime), finishedAt.getTime()) : finishedAt.getTime();
  return Math.floor((end + job.retentionDays * 86_400_000) / 1000);
}
