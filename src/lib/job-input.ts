/**
 * The three request bodies `POST /jobs` accepts, and how each becomes a Job. Pure: the time and the
 * random source are arguments, so a test pins both.
 *
 * - **job**: the job itself (seed 002's `{ id, startDateTime, endDateTime, frequency, context }` and
 *   everything JobSchema adds).
 * - **workflow** (seed 000): `{ config: { reportType, dataSource, notifyEmail } }` alone — a seven-day
 *   daily report workflow starting now, rounded up to the next whole second.
 * - **task** (seed 001): `{ action: "webhook" | "message", payload, run_at, recurrence? }` — a one-off or
 *   daily / weekly / monthly action.
 *
 * Every failure is a ValidationError naming the field as the client wrote it (`run_at`, `payload.url`),
 * not as the job spells it.
 */
import * as z from './zod';
import { ValidationError, type FieldIssue } from './errors';
import type { JsonValue } from './json';
import { DateTimeSchema, JobSchema, parseOrThrow, toFieldIssues, type Frequency, type Job } from './job';
import { toWaitTimestamp } from './schedule';

export type BodyShape = 'job' | 'workflow' | 'task';

/** Seed 000's workflow: day 1 collection, days 2-6 processing, day 7 report. */
export const WORKFLOW_DAYS = 7;
const DAY_MS = 86_400_000;

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Which body this is. A string `action`, or a `run_at` or `payload` key, is seed 001's task (a job's
 * `action` is an object); `config` and nothing else is seed 000's workflow; anything else is a job.
 * @example bodyShape({ config: { reportType: 'weekly' } }) // 'workflow'
 * @example bodyShape({ action: 'webhook', payload: { url: 'https://example.com' }, run_at: '2024-06-10T15:00:00Z' }) // 'task'
 */
export function bodyShape(body: unknown): BodyShape {
  if (!isPlainObject(body)) return 'job';
  if (typeof body.action === 'string' || 'run_at' in body || 'payload' in body || 'recurrence' in body) return 'task';
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'config') return 'workflow';
  return 'job';
}

/**
 * A job id in seed 000's style: `TASK-<epoch ms>-<4 characters of a-z0-9>`.
 * @example generateJobId(new Date(1733328000000), () => 0) // 'TASK-1733328000000-aaaa' (2024-12-04T16:00:00Z)
 */
export function generateJobId(now: Date, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < 4; i++) {
    suffix += ID_ALPHABET[Math.min(ID_ALPHABET.length - 1, Math.floor(random() * ID_ALPHABET.length))];
  }
  return `TASK-${now.getTime()}-${suffix}`;
}

const RECURRENCE: Record<'daily' | 'weekly' | 'monthly', Frequency> = {
  daily: { days: 1 },
  weekly: { weeks: 1 },
  monthly: { months: 1 },
};

export const TaskBodySchema = z.strictObject({
  action: z.enum(['webhook', 'message'], { error: 'must be "webhook" or "message"' }),
  payload: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
  run_at: DateTimeSchema,
  recurrence: z.nullish(z.enum(['daily', 'weekly', 'monthly'], { error: 'must be "daily", "weekly" or "monthly"' })),
});

export const WebhookPayloadSchema = z.strictObject({
  url: z.string({ error: 'is required: the URL to call' }),
  data: z.optional(z.json()),
  method: z.optional(z.string()),
  headers: z.optional(z.unknown()),
});

export const MessagePayloadSchema = z
  .strictObject({
    message: z.optional(z.string()),
    text: z.optional(z.string()),
    channel: z.optional(z.string()),
  })
  .check(z.superRefine((payload, ctx) => {
    if (payload.message === undefined && payload.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['message'], message: 'is required: the text to send (message or text)' });
    }
    if (payload.message !== undefined && payload.text !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give message or text, not both' });
    }
  }));

/** Where a job field came from in a seed-001 body, so an error names what the client wrote. */
const TASK_FIELDS: [RegExp, string][] = [
  [/^startDateTime(?=$|\.)/, 'run_at'],
  [/^frequency(?=$|\.)/, 'recurrence'],
  [/^action\.body(?=$|\.)/, 'payload.data'],
  [/^action\.text(?=$|\.)/, 'payload.message'],
  [/^action(?=$|\.)/, 'payload'],
];

function renameTaskField(issue: FieldIssue): FieldIssue {
  for (const [pattern, replacement] of TASK_FIELDS) {
    if (pattern.test(issue.field)) return { ...issue, field: issue.field.replace(pattern, replacement) };
  }
  return issue;
}

function parseTask(body: unknown, id: string): Job {
  const task = parseOrThrow(TaskBodySchema, body);
  let action: Record<string, unknown>;
  if (task.action === 'webhook') {
    const payload = parseOrThrow(WebhookPayloadSchema, task.payload, ['payload']);
    // Seed 001 sends with Python's requests, where the method is spelled in any case.
    const method = payload.method?.toUpperCase();
    action = { type: 'webhook', url: payload.url, method, headers: payload.headers, body: payload.data };
  } else {
    const payload = parseOrThrow(MessagePayloadSchema, task.payload, ['payload']);
    action = { type: 'message', text: payload.message ?? payload.text, channel: payload.channel };
  }
  const recurrence = task.recurrence ? RECURRENCE[task.recurrence] : undefined;
  const candidate = {
    id,
    startDateTime: task.run_at,
    // Seed 001's recurring tasks have no end: they run until stopped.
    ...(recurrence ? { frequency: recurrence, forever: true } : {}),
    action: Object.fromEntries(Object.entries(action).filter(([, value]) => value !== undefined)),
  };
  const parsed = JobSchema.safeParse(candidate);
  if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error).map(renameTaskField));
  return parsed.data;
}

function parseWorkflow(body: { config: unknown }, id: string, now: Date): Job {
  const start = Date.parse(toWaitTimestamp(now.getTime()));
  return parseOrThrow(JobSchema, {
    id,
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(start + (WORKFLOW_DAYS - 1) * DAY_MS).toISOString(),
    frequency: { days: 1 },
    timeZone: 'UTC',
    config: body.config,
  });
}

export interface JobFromBodyOptions {
  now: Date;
  /** A number in [0, 1), as Math.random; used for generated ids. */
  random: () => number;
}

/**
 * Turn a `POST /jobs` body into a Job, whichever of the three shapes it has; throws ValidationError
 * naming the first bad field.
 * @example jobFromBody({ config: { reportType: 'weekly' } }, { now: new Date(1733306400500), random: Math.random })
 * // a 7-day workflow from 2024-12-04T10:00:01Z to 2024-12-10T10:00:01Z (2024-12-04T10:00:00.500Z rounded up)
 */
export function jobFromBody(body: unknown, options: JobFromBodyOptions): Job {
  if (!isPlainObject(body)) {
    throw new ValidationError([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  switch (bodyShape(body)) {
    case 'task':
      return parseTask(body, generateJobId(options.now, options.random));
    case 'workflow':
      return parseWorkflow(body as { config: JsonValue }, generateJobId(options.now, options.random), options.now);
    case 'job':
      return parseOrThrow(JobSchema, body);
  }
}
