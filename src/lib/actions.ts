/**
 * What an action job does on each run: a webhook, a message, or one of EventBridge Scheduler's templated
 * targets (SQS, SNS, Lambda, EventBridge, Step Functions); and who hears about its failures. Part of the
 * job model (src/lib/job.ts re-exports all of it): one zod schema per shape, the types inferred from them.
 */
import * as z from './zod';
import { jsonBoundIssue } from './json-bounds';

/**
 * Free-form JSON that DynamoDB can store and read back the same (src/lib/json-bounds.ts): checked before
 * z.json() walks it, so an absurdly nested value is refused with its depth instead of overflowing the stack.
 * `levelsAbove`: the maps of the stored job item above the field (`job` → `context`: 1).
 */
export const boundedJson = (levelsAbove: number) =>
  z.pipe(
    z.unknown().check(
      z.superRefine((value, ctx) => {
        const issue = jsonBoundIssue(value, levelsAbove);
        if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }),
    ),
    z.json(),
  );

export const HttpUrlSchema = z.string().check(
  z.maxLength(2048, 'must be at most 2048 characters'),
  z.refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), { message: 'must be an http(s) URL' }),
);

export const WebhookActionSchema = z.strictObject({
  type: z.literal('webhook'),
  url: HttpUrlSchema,
  method: z._default(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']), 'POST'),
  headers: z.optional(z.record(z.string(), z.string())),
  // Stored at job → action → body.
  body: z.optional(boundedJson(2)),
});

export const MessageActionSchema = z.strictObject({
  type: z.literal('message'),
  text: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(10_000, 'must be at most 10000 characters')),
  channel: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

// ---- templated targets (EventBridge Scheduler's SendMessage, Publish, Invoke, PutEvents, StartExecution) ----
// Each names its AWS resource by ARN (an SQS queue also by URL), so the region, the account and the name the
// IAM convention checks are all in the job; the run's Idempotency-Key is added by the step, never configured.

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
const PARTITION = 'aws(?:-[a-z]+)*';
const arnPattern = (service: string, resource: string) => new RegExp(`^arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}$`);
/** Queue and topic names: letters, digits, `-`, `_`, a `.fifo` suffix for FIFO ones. */
export const SQS_QUEUE_ARN = arnPattern('sqs', '[A-Za-z0-9_-]{1,75}(?:\\.fifo)?');
export const SQS_QUEUE_URL = new RegExp(`^https://sqs\\.${REGION}\\.amazonaws\\.com(?:\\.cn)?/${ACCOUNT}/[A-Za-z0-9_-]{1,75}(?:\\.fifo)?$`);
export const SNS_TOPIC_ARN = arnPattern('sns', '[A-Za-z0-9_-]{1,251}(?:\\.fifo)?');
export const LAMBDA_FUNCTION_ARN = arnPattern('lambda', 'function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?');
export const EVENT_BUS_ARN = arnPattern('events', 'event-bus/[A-Za-z0-9._/-]{1,256}');
export const STATE_MACHINE_ARN = arnPattern('states', 'stateMachine:[A-Za-z0-9_-]{1,80}');

/** Attributes the scheduler sets on every SQS and SNS target message. */
const RESERVED_ATTRIBUTES = ['idempotencyKey', 'jobId'];
/** SQS and SNS message attribute names, as the services allow them (10 at most, 2 of them ours). */
const AttributesSchema = z.record(z.string(), z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'must be at most 1024 characters'))).check(
  z.superRefine((attributes, ctx) => {
    for (const name of Object.keys(attributes)) {
      const message = !/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,255}$/.test(name)
        ? 'attribute names are 1-256 characters of A-Z, a-z, 0-9, _, - and .'
        : /^(aws\.|amazon\.)/i.test(name) || name.includes('..') || name.endsWith('.')
          ? 'attribute names may not start with AWS. or Amazon., end with . or hold ..'
          : RESERVED_ATTRIBUTES.includes(name)
            ? 'idempotencyKey and jobId are set by the scheduler'
            : undefined;
      if (message !== undefined) ctx.addIssue({ code: 'custom', path: [name], message });
    }
  }),
  z.refine((attributes) => Object.keys(attributes).length <= 8, { message: 'at most 8 attributes (SQS and SNS take 10; idempotencyKey and jobId are the other two)' }),
);
/** FIFO group ids: 1-128 printable ASCII characters. */
const MessageGroupIdSchema = z.string().check(z.regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces'));

export const SqsActionSchema = z.strictObject({
  type: z.literal('sqs'),
  /** Queue ARN or URL. */
  queue: z.string().check(
    z.refine((value) => SQS_QUEUE_ARN.test(value) || SQS_QUEUE_URL.test(value), {
      message: 'must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>) or URL (https://sqs.<region>.amazonaws.com/<account>/<name>)',
    }),
  ),
  /** A string is sent as it is; any other JSON as its JSON text. */
  body: z.json(),
  /** FIFO queues only; default the job id (one job's runs in order). The deduplication id is the run's key. */
  messageGroupId: z.optional(MessageGroupIdSchema),
  attributes: z.optional(AttributesSchema),
});

export const SnsActionSchema = z.strictObject({
  type: z.literal('sns'),
  topicArn: z.string().check(z.regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)')),
  /** A string is sent as it is; any other JSON as its JSON text. */
  message: z.json(),
  subject: z.optional(
    z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(99, 'must be at most 99 characters'), z.regex(/^[\x20-\x7e]+$/, 'must be printable ASCII without line breaks (SNS refuses others)')),
  ),
  attributes: z.optional(AttributesSchema),
  /** FIFO topics only; default the job id. */
  messageGroupId: z.optional(MessageGroupIdSchema),
});

export const LambdaActionSchema = z.strictObject({
  type: z.literal('lambda'),
  functionArn: z.string().check(z.regex(LAMBDA_FUNCTION_ARN, 'must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])')),
  /** A JSON object: the run's key is added to it as `idempotencyKey`. */
  payload: z._default(z.record(z.string(), z.json(), { error: 'must be a JSON object (the run\'s idempotencyKey is added to it)' }), {}),
  /** `Event` (asynchronous, EventBridge Scheduler's way) or `RequestResponse` (waits, and a function error fails the run). */
  invocationType: z._default(z.enum(['Event', 'RequestResponse']), 'Event'),
});

export const EventBridgeActionSchema = z.strictObject({
  type: z.literal('eventbridge'),
  eventBusArn: z.string().check(z.regex(EVENT_BUS_ARN, 'must be an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)')),
  source: z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(256, 'must be at most 256 characters'),
    z.refine((value) => !value.startsWith('aws.'), { message: 'may not start with aws. (EventBridge keeps those for AWS services)' }),
  ),
  detailType: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(128, 'must be at most 128 characters')),
  /** A JSON object: the run's key is added to it as `idempotencyKey`. */
  detail: z._default(z.record(z.string(), z.json(), { error: 'must be a JSON object (the run\'s idempotencyKey is added to it)' }), {}),
});

export const StepFunctionsActionSchema = z.strictObject({
  type: z.literal('stepfunctions'),
  stateMachineArn: z.string().check(z.regex(STATE_MACHINE_ARN, 'must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)')),
  /** The execution's input; its name is made from the run's key, so a retried run never starts twice. */
  input: z._default(z.json(), {}),
});

export const ActionSchema = z.discriminatedUnion(
  'type',
  [WebhookActionSchema, MessageActionSchema, SqsActionSchema, SnsActionSchema, LambdaActionSchema, EventBridgeActionSchema, StepFunctionsActionSchema],
  { error: 'must be { "type": "webhook", "url": ... } or { "type": "message", "text": ... }, or a target { "type": "sqs" | "sns" | "lambda" | "eventbridge" | "stepfunctions", ... }' },
);
export type Action = z.output<typeof ActionSchema>;
export type WebhookAction = z.output<typeof WebhookActionSchema>;
export type MessageAction = z.output<typeof MessageActionSchema>;
export type SqsAction = z.output<typeof SqsActionSchema>;
export type SnsAction = z.output<typeof SnsActionSchema>;
export type LambdaAction = z.output<typeof LambdaActionSchema>;
export type EventBridgeAction = z.output<typeof EventBridgeActionSchema>;
export type StepFunctionsAction = z.output<typeof StepFunctionsActionSchema>;
/** The actions that call an AWS service (src/adapters/targets). */
export type TargetAction = SqsAction | SnsAction | LambdaAction | EventBridgeAction | StepFunctionsAction;
export const TARGET_TYPES = ['sqs', 'sns', 'lambda', 'eventbridge', 'stepfunctions'] as const satisfies ReadonlyArray<TargetAction['type']>;
export type TargetType = (typeof TARGET_TYPES)[number];

/** Who hears about an action job's failures (a workflow has config.notifyEmail / notifyChannel). */
export const NotifySchema = z.strictObject({
  channel: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters'))),
  email: z.optional(z.email('must be an email address')),
});
export type Notify = z.output<typeof NotifySchema>;
export const NOTIFY_EVENTS = ['failure', 'completion'] as const;
