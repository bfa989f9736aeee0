/**
 * Templated targets (EventBridge Scheduler's SQS SendMessage, SNS Publish, Lambda Invoke, EventBridge
 * PutEvents, Step Functions StartExecution) as pure data: what one run sends, with the run's
 * Idempotency-Key placed where each service lets a receiver drop a repeat.
 *
 * | target          | where the key travels                                                                 |
 * |-----------------|---------------------------------------------------------------------------------------|
 * | `sqs`           | message attribute `idempotencyKey`; FIFO queues: MessageDeduplicationId               |
 * | `sns`           | message attribute `idempotencyKey`; FIFO topics: MessageDeduplicationId               |
 * | `lambda`        | payload field `idempotencyKey`                                                        |
 * | `eventbridge`   | detail field `idempotencyKey`                                                         |
 * | `stepfunctions` | the execution name (`<jobId>.<iteration>`, sanitized to 80 characters): a second start is refused by the service |
 *
 * The adapters (src/adapters/targets) send these with the AWS SDK; the local runtime's stand-in keeps them
 * in an outbox. Both take the same TargetRequest, so what arrives locally is what AWS would get.
 */
import { shortHash } from './hash';
import type { JsonObject, JsonValue } from './json';
import type { TargetAction, TargetType } from './job';

interface Common {
  /** The run's key (`runKeyOf`), the same for every attempt of the run. */
  idempotencyKey: string;
  jobId: string;
  /** The region the call goes to (the resource's). */
  region: string;
  /** The resource's own name (queue, topic, function, bus, state machine), which IAM's convention checks. */
  name: string;
  /** The ARN or URL as the job names it. */
  resource: string;
}

export type TargetRequest = Common &
  (
    | { target: 'sqs'; queueUrl: string; body: string; attributes: Record<string, string>; fifo: boolean; messageGroupId?: string; messageDeduplicationId?: string }
    | { target: 'sns'; topicArn: string; message: string; subject?: string; attributes: Record<string, string>; fifo: boolean; messageGroupId?: string; messageDeduplicationId?: string }
    | { target: 'lambda'; functionArn: string; payload: JsonObject; invocationType: 'Event' | 'RequestResponse' }
    | { target: 'eventbridge'; eventBusArn: string; source: string; detailType: string; detail: JsonObject }
    | { target: 'stepfunctions'; stateMachineArn: string; executionName: string; input: string }
  );

/** What a target answered, stored as the run's result (small: ids and codes, never a response body). */
export type TargetReceipt = JsonObject;

/** Sends a run's request to its target: the AWS adapters, or the local stand-in. */
export interface TargetSender {
  send(request: TargetRequest): Promise<TargetReceipt>;
}

/** One delivery the local stand-in received (or a notification it saw), as `GET /outbox` lists it. */
export interface OutboxEntry {
  target: TargetType | 'notification';
  jobId?: string;
  idempotencyKey?: string;
  deliveredAt: string;
  request: JsonObject;
  receipt: TargetReceipt;
}

export interface OutboxFilter {
  target?: OutboxEntry['target'];
  jobId?: string;
  limit?: number;
}

/** Reads what the local stand-ins received; absent on AWS, where the targets themselves are the record. */
export interface TargetOutbox {
  list(filter: OutboxFilter): Promise<OutboxEntry[]>;
}

const MAX_NAME = 80;
/** SQS and SNS take deduplication ids of up to 128 characters. */
const MAX_DEDUP_ID = 128;

function shortened(value: string, max: number): string {
  if (value.length <= max) return value;
  const hash = shortHash(value);
  return `${value.slice(0, max - hash.length - 1)}-${hash}`;
}

/**
 * A Step Functions execution name from a run's key: `:` (not allowed in names) becomes `.` (which job ids
 * never hold, so two keys never share a name), any other character outside A-Z a-z 0-9 _ . - becomes `_`,
 * and a name past 80 characters is cut short with 8 hex digits of the key's hash.
 * @example executionNameFor('nightly-etl:41') // 'nightly-etl.41'
 * @example executionNameFor('etl:20261124T101500123Z-trigger-3fa9c2:0') // 'etl.20261124T101500123Z-trigger-3fa9c2.0'
 */
export function executionNameFor(idempotencyKey: string): string {
  const name = idempotencyKey.replace(/:/g, '.').replace(/[^A-Za-z0-9_.-]/g, '_');
  if (name.length <= MAX_NAME) return name;
  const hash = shortHash(idempotencyKey);
  return `${name.slice(0, MAX_NAME - hash.length - 1)}-${hash}`;
}

/** `arn:partition:service:region:account:rest` → its region and the part after the account. */
function arnParts(arn: string): { partition: string; region: string; account: string; rest: string } {
  const [, partition = 'aws', , region = '', account = '', ...rest] = arn.split(':');
  return { partition, region, account, rest: rest.join(':') };
}

/**
 * An SQS queue named by ARN or URL: its URL (what the API takes), region and name.
 * @example sqsQueue('arn:aws:sqs:eu-west-1:123456789012:step-scheduler-dev-orders') // { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/step-scheduler-dev-orders', region: 'eu-west-1', name: 'step-scheduler-dev-orders' }
 */
export function sqsQueue(queue: string): { queueUrl: string; region: string; name: string } {
  if (queue.startsWith('https://')) {
    const url = new URL(queue);
    const region = url.hostname.split('.')[1] ?? '';
    return { queueUrl: queue, region, name: url.pathname.split('/').at(-1) ?? '' };
  }
  const { partition, region, account, rest } = arnParts(queue);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { queueUrl: `https://sqs.${region}.${domain}/${account}/${rest}`, region, name: rest };
}

/** A string is sent as written; any other JSON as its text. */
const textOf = (value: JsonValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * What one run of a target action sends, with its key in place (see the module's table).
 * @example targetRequest({ type: 'lambda', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:step-scheduler-dev-hello', payload: { a: 1 }, invocationType: 'Event' }, { jobId: 'j', idempotencyKey: 'j:3' }).payload // { a: 1, idempotencyKey: 'j:3' }
 */
export function targetRequest(action: TargetAction, run: { jobId: string; idempotencyKey: string }): TargetRequest {
  const { jobId, idempotencyKey } = run;
  const keyAttributes = { idempotencyKey, jobId };
  // What every request starts with after its `target`, in this order: the run's key and the target's address.
  const addressed = (resource: string, region: string, name: string) => ({ idempotencyKey, jobId, resource, region, name });
  switch (action.type) {
    case 'sqs': {
      const queue = sqsQueue(action.queue);
      const fifo = queue.name.endsWith('.fifo');
      return {
        target: 'sqs',
        ...addressed(action.queue, queue.region, queue.name),
        queueUrl: queue.queueUrl,
        body: textOf(action.body),
        attributes: { ...action.attributes, ...keyAttributes },
        fifo,
        ...(fifo ? { messageGroupId: action.messageGroupId ?? jobId, messageDeduplicationId: shortened(idempotencyKey, MAX_DEDUP_ID) } : {}),
      };
    }
    case 'sns': {
      const { region, rest: name } = arnParts(action.topicArn);
      const fifo = name.endsWith('.fifo');
      return {
        target: 'sns',
        ...addressed(action.topicArn, region, name),
        topicArn: action.topicArn,
        message: textOf(action.message),
        ...(action.subject === undefined ? {} : { subject: action.subject }),
        attributes: { ...action.attributes, ...keyAttributes },
        fifo,
        ...(fifo ? { messageGroupId: action.messageGroupId ?? jobId, messageDeduplicationId: shortened(idempotencyKey, MAX_DEDUP_ID) } : {}),
      };
    }
    case 'lambda': {
      const { region, rest } = arnParts(action.functionArn);
      return {
        target: 'lambda',
        ...addressed(action.functionArn, region, rest.split(':')[1] ?? rest),
        functionArn: action.functionArn,
        payload: { ...action.payload, idempotencyKey },
        invocationType: action.invocationType,
      };
    }
    case 'eventbridge': {
      const { region, rest } = arnParts(action.eventBusArn);
      return {
        target: 'eventbridge',
        ...addressed(action.eventBusArn, region, rest.slice('event-bus/'.length)),
        eventBusArn: action.eventBusArn,
        source: action.source,
        detailType: action.detailType,
        detail: { ...action.detail, idempotencyKey },
      };
    }
    case 'stepfunctions': {
      const { region, rest } = arnParts(action.stateMachineArn);
      return {
        target: 'stepfunctions',
        ...addressed(action.stateMachineArn, region, rest.slice('stateMachine:'.length)),
        stateMachineArn: action.stateMachineArn,
        executionName: executionNameFor(idempotencyKey),
        input: JSON.stringify(action.input),
      };
    }
  }
}
