/**
 * The run of an action job: call a webhook, publish a message, or send to a target (SQS, SNS, Lambda,
 * EventBridge, Step Functions). Every run of an action job is one of these; a recurring job calls the same
 * action each time, told apart by its Idempotency-Key.
 */
import { performance } from 'node:perf_hooks';
import { PermanentError } from '../lib/errors';
import type { NetGuard } from '../adapters/guarded-http';
import type { MessageAction, TargetAction, WebhookAction } from '../lib/job';
import { targetRequest, type TargetSender } from '../lib/targets';
import { createAwsTargets } from '../adapters/targets';
import { runKeyOf, type StepContext, type StepHandler, type StepResult } from '../lib/steps';
import { errorForStatus, fetchCapped, redactUrl, snippet } from './data-source';

export interface ActionOptions {
  /** Deadline for the webhook call, headers and body. */
  timeoutMs: number;
  /** The response is read only this far: its content is not used beyond an error message. */
  maxResponseBytes: number;
  /** The webhook guard and its allow-list; public addresses only by default. */
  guard?: NetGuard;
  /** Where target actions go: the AWS services by default, the local stand-in in the local runtime. */
  targets?: TargetSender;
}

export const DEFAULT_ACTION_OPTIONS: ActionOptions = { timeoutMs: 10_000, maxResponseBytes: 64 * 1024 };

async function callWebhook(action: WebhookAction, context: StepContext, options: ActionOptions): Promise<StepResult> {
  const what = `webhook ${action.method} ${redactUrl(action.url)}`;
  if (action.body !== undefined && action.method === 'GET') {
    throw new PermanentError(`${what}: a GET request cannot carry a body; use POST or drop the body`);
  }
  let headers: Headers;
  try {
    headers = new Headers(action.headers);
  } catch (error) {
    throw new PermanentError(`${what}: headers are not valid HTTP headers (${(error as Error).message})`, { cause: error });
  }
  if (action.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (!headers.has('user-agent')) headers.set('user-agent', 'step-scheduler');
  // Set last so a configured header cannot override it: the receiver uses it to drop a retried delivery.
  headers.set('idempotency-key', runKeyOf(context));

  const started = performance.now();
  const response = await fetchCapped(
    action.url,
    { method: action.method, headers, body: action.body === undefined ? undefined : JSON.stringify(action.body) },
    { timeoutMs: options.timeoutMs, maxBytes: options.maxResponseBytes, what, ...(options.guard ? { guard: options.guard } : {}) },
  );
  const latencyMs = Math.round(performance.now() - started);
  if (response.status >= 300 && response.status <= 399) {
    // Not followed: a redirect would let a webhook reach an address its configuration never named, past
    // the webhook guard's check of the configured one.
    throw new PermanentError(`${what} answered ${response.status} redirecting to ${response.headers.get('location') ?? '(no location)'}; configure the final address`);
  }
  if (response.status < 200 || response.status > 299) throw errorForStatus(response.status, what, snippet(response.body));
  return { result: { statusCode: response.status, latencyMs, responseBytes: response.body.length } };
}

/** How a message names its run: the live run's number, or what kind of extra run it is. */
function runLabel(context: StepContext): string {
  if (context.extra?.kind === 'trigger') return 'triggered run';
  if (context.extra?.kind === 'backfill') return `backfilled run ${context.schedule.iteration + 1}`;
  return `run ${context.schedule.iteration + 1}`;
}

async function sendMessage(action: MessageAction, context: StepContext): Promise<StepResult> {
  const channel = action.channel ?? 'default';
  const { messageId } = await context.notifier.publish({
    channel,
    subject: `Message from job ${context.job.id} (${runLabel(context)})`,
    text: action.text,
  });
  return { result: { messageId, channel } };
}

/** A target action: its request built with the run's key in place (src/lib/targets.ts), sent, timed. */
async function sendToTarget(action: TargetAction, context: StepContext, targets: TargetSender): Promise<StepResult> {
  const request = targetRequest(action, { jobId: context.job.id, idempotencyKey: runKeyOf(context) });
  const started = performance.now();
  const receipt = await targets.send(request);
  return { result: { target: action.type, idempotencyKey: request.idempotencyKey, ...receipt, latencyMs: Math.round(performance.now() - started) } };
}

/**
 * The action step. Webhook result `{ statusCode, latencyMs, responseBytes }`; message result
 * `{ messageId, channel }`; a target's `{ target, idempotencyKey, latencyMs, …receipt }` (messageId,
 * statusCode, eventId or executionArn).
 * @example await createActionStep({ timeoutMs: 2000, maxResponseBytes: 1024 })(context) // { result: { statusCode: 200, latencyMs: 12, responseBytes: 2 } }
 */
export function createActionStep(options: ActionOptions = DEFAULT_ACTION_OPTIONS): StepHandler {
  let targets: TargetSender | undefined;
  return async (context) => {
    // One action of a fan-out run, or the job's one action.
    const action = context.actionIndex === undefined ? context.job.action : context.job.actions?.[context.actionIndex];
    if (!action) throw new PermanentError(context.actionIndex === undefined ? `job ${context.job.id} has no action to run` : `job ${context.job.id} has no actions[${context.actionIndex}]`);
    if (action.type === 'webhook') return callWebhook(action, context, options);
    if (action.type === 'message') return sendMessage(action, context);
    // Made on first use: a webhook-only container never builds the SDK clients.
    targets ??= options.targets ?? createAwsTargets();
    return sendToTarget(action, context, targets);
  };
}

export const actionStep: StepHandler = createActionStep();
