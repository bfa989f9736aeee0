/**
 * The AWS target adapters: each sends exactly the command its service takes, with the run's key where the
 * service lets a receiver drop a repeat, and each refusal becomes the domain error the one classifier says
 * (a refusal for good a PermanentError, throttling and 5xx a TransientError).
 */
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsTargets } from '../../../src/adapters/targets';
import { PermanentError, TransientError } from '../../../src/lib/errors';
import { parseJob, type TargetAction } from '../../../src/lib/job';
import { executionNameFor, targetRequest } from '../../../src/lib/targets';

const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const lambdaMock = mockClient(LambdaClient);
const eventsMock = mockClient(EventBridgeClient);
const sfnMock = mockClient(SFNClient);

beforeEach(() => {
  for (const mock of [sqsMock, snsMock, lambdaMock, eventsMock, sfnMock]) mock.reset();
});

/** The action as a job would hold it: parsed by the job schema, defaults applied. */
function actionOf(action: Record<string, unknown>): TargetAction {
  return parseJob({ id: 'nightly', startDateTime: '2026-01-01T00:00:00Z', action }).action as TargetAction;
}

const targets = () =>
  createAwsTargets({
    sqs: () => new SQSClient({ region: 'eu-west-1' }),
    sns: () => new SNSClient({ region: 'eu-west-1' }),
    lambda: () => new LambdaClient({ region: 'eu-west-1' }),
    eventbridge: () => new EventBridgeClient({ region: 'eu-west-1' }),
    stepfunctions: () => new SFNClient({ region: 'eu-west-1' }),
  });

const send = (action: Record<string, unknown>, key = 'nightly:3') => targets().send(targetRequest(actionOf(action), { jobId: 'nightly', idempotencyKey: key }));

function serviceError<E>(Kind: new (options: never) => E, name: string, httpStatusCode: number): E {
  return new Kind({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name} happened` } as never);
}

const keyAttributes = { idempotencyKey: { DataType: 'String', StringValue: 'nightly:3' }, jobId: { DataType: 'String', StringValue: 'nightly' } };

describe('sqs', () => {
  it('sends the body to the queue URL derived from the ARN, the key as a message attribute', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const receipt = await send({ type: 'sqs', queue: 'arn:aws:sqs:eu-west-1:123456789012:step-scheduler-dev-orders', body: { order: 7 }, attributes: { kind: 'nightly' } });

    expect(receipt).toEqual({ messageId: 'm-1' });
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/step-scheduler-dev-orders',
        MessageBody: '{"order":7}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'nightly' }, ...keyAttributes },
      },
    ]);
  });

  it('on a FIFO queue named by URL: the key is the deduplication id, the group the job id unless given', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-2', SequenceNumber: '18' });
    await send({ type: 'sqs', queue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/step-scheduler-dev-orders.fifo', body: 'plain text' });
    await send({ type: 'sqs', queue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/step-scheduler-dev-orders.fifo', body: 'plain text', messageGroupId: 'tenant-9' }, 'nightly:4');

    const inputs = sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/step-scheduler-dev-orders.fifo',
      MessageBody: 'plain text',
      MessageAttributes: keyAttributes,
      MessageGroupId: 'nightly',
      MessageDeduplicationId: 'nightly:3',
    });
    expect(inputs[1]).toMatchObject({ MessageGroupId: 'tenant-9', MessageDeduplicationId: 'nightly:4' });
  });

  it('a missing queue is permanent, throttling and 5xx transient', async () => {
    const action = { type: 'sqs', queue: 'arn:aws:sqs:eu-west-1:123456789012:step-scheduler-dev-orders', body: 'x' };
    sqsMock.on(SendMessageCommand).rejects(serviceError(SQSServiceException, 'QueueDoesNotExist', 400));
    await expect(send(action)).rejects.toThrow(PermanentError);
    sqsMock.on(SendMessageCommand).rejects(serviceError(SQSServiceException, 'RequestThrottled', 400));
    await expect(send(action)).rejects.toThrow(TransientError);
    sqsMock.on(SendMessageCommand).rejects(serviceError(SQSServiceException, 'InternalError', 500));
    await expect(send(action)).rejects.toThrow(TransientError);
  });
});

describe('sns', () => {
  it('publishes the message with subject and attributes, the key as an attribute; FIFO topics dedupe on it', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 's-1' });
    await send({ type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:step-scheduler-dev-alerts', message: 'disk full', subject: 'Nightly', attributes: { level: 'warn' } });
    await send({ type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:step-scheduler-dev-alerts.fifo', message: { a: 1 } });

    const inputs = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      {
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:step-scheduler-dev-alerts',
        Message: 'disk full',
        Subject: 'Nightly',
        MessageAttributes: { level: { DataType: 'String', StringValue: 'warn' }, ...keyAttributes },
      },
      {
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:step-scheduler-dev-alerts.fifo',
        Message: '{"a":1}',
        MessageAttributes: keyAttributes,
        MessageGroupId: 'nightly',
        MessageDeduplicationId: 'nightly:3',
      },
    ]);
  });

  it('a forbidden topic is permanent, throttling transient', async () => {
    const action = { type: 'sns', topicArn: 'arn:aws:sns:eu-west-1:123456789012:step-scheduler-dev-alerts', message: 'x' };
    snsMock.on(PublishCommand).rejects(serviceError(SNSServiceException, 'AuthorizationErrorException', 403));
    await expect(send(action)).rejects.toThrow(PermanentError);
    snsMock.on(PublishCommand).rejects(serviceError(SNSServiceException, 'ThrottledException', 400));
    await expect(send(action)).rejects.toThrow(TransientError);
  });
});

describe('lambda', () => {
  const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:step-scheduler-dev-report:live';

  it('invokes asynchronously by default with the key added to the payload', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    const receipt = await send({ type: 'lambda', functionArn, payload: { region: 'emea' } });

    expect(receipt).toEqual({ statusCode: 202 });
    const [input] = lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect({ ...input, Payload: JSON.parse(Buffer.from(input!.Payload as Uint8Array).toString('utf8')) }).toEqual({
      FunctionName: functionArn,
      InvocationType: 'Event',
      Payload: { region: 'emea', idempotencyKey: 'nightly:3' },
    });
  });

  it('RequestResponse: a function error fails the attempt as transient, with the function\'s words', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorMessage":"boom"}') as never });
    await expect(send({ type: 'lambda', functionArn, invocationType: 'RequestResponse' })).rejects.toThrow(/failed \(Unhandled\): \{"errorMessage":"boom"\}/);
    await expect(send({ type: 'lambda', functionArn, invocationType: 'RequestResponse' })).rejects.toThrow(TransientError);
  });

  it('a missing function is permanent, TooManyRequests transient', async () => {
    lambdaMock.on(InvokeCommand).rejects(serviceError(LambdaServiceException, 'ResourceNotFoundException', 404));
    await expect(send({ type: 'lambda', functionArn })).rejects.toThrow(PermanentError);
    lambdaMock.on(InvokeCommand).rejects(serviceError(LambdaServiceException, 'TooManyRequestsException', 429));
    await expect(send({ type: 'lambda', functionArn })).rejects.toThrow(TransientError);
  });
});

describe('eventbridge', () => {
  const eventBusArn = 'arn:aws:events:eu-west-1:123456789012:event-bus/step-scheduler-dev-bus';

  it('puts one event with the key in its detail', async () => {
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const receipt = await send({ type: 'eventbridge', eventBusArn, source: 'com.example.nightly', detailType: 'Nightly run', detail: { size: 3 } });

    expect(receipt).toEqual({ eventId: 'e-1' });
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      { Entries: [{ EventBusName: eventBusArn, Source: 'com.example.nightly', DetailType: 'Nightly run', Detail: '{"size":3,"idempotencyKey":"nightly:3"}' }] },
    ]);
  });

  it('a failed entry is transient when EventBridge says so, permanent otherwise', async () => {
    const action = { type: 'eventbridge', eventBusArn, source: 'com.example', detailType: 'x' };
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
    await expect(send(action)).rejects.toThrow(TransientError);
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });
    await expect(send(action)).rejects.toThrow(PermanentError);
    eventsMock.on(PutEventsCommand).rejects(serviceError(EventBridgeServiceException, 'InternalException', 500));
    await expect(send(action)).rejects.toThrow(TransientError);
  });
});

describe('stepfunctions', () => {
  const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:step-scheduler-dev-etl';

  it('starts an execution named after the run, with the input as JSON', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `arn:aws:states:eu-west-1:123456789012:execution:step-scheduler-dev-etl:nightly.3`, startDate: new Date('2026-01-01T00:00:01Z') });
    const receipt = await send({ type: 'stepfunctions', stateMachineArn, input: { day: '2026-01-01' } });

    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([{ stateMachineArn, name: 'nightly.3', input: '{"day":"2026-01-01"}' }]);
    expect(receipt).toMatchObject({ executionName: 'nightly.3', startDate: '2026-01-01T00:00:01.000Z' });
  });

  it('a retry whose execution already ran is a success (the name is the run), other refusals permanent', async () => {
    sfnMock.on(StartExecutionCommand).rejects(serviceError(SFNServiceException, 'ExecutionAlreadyExists', 400));
    await expect(send({ type: 'stepfunctions', stateMachineArn })).resolves.toEqual({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:step-scheduler-dev-etl:nightly.3',
      executionName: 'nightly.3',
      alreadyStarted: true,
    });
    sfnMock.on(StartExecutionCommand).rejects(serviceError(SFNServiceException, 'StateMachineDoesNotExist', 400));
    await expect(send({ type: 'stepfunctions', stateMachineArn })).rejects.toThrow(PermanentError);
    sfnMock.on(StartExecutionCommand).rejects(serviceError(SFNServiceException, 'ThrottlingException', 400));
    await expect(send({ type: 'stepfunctions', stateMachineArn })).rejects.toThrow(TransientError);
  });

  it('execution names: the allowed characters, at most 80, distinct for distinct keys', () => {
    const long = `${'j'.repeat(80)}:20261124T101500123Z-trigger-3fa9c2:7`;
    expect(executionNameFor('a:1')).toBe('a.1');
    expect(executionNameFor(long)).toHaveLength(80);
    expect(executionNameFor(long)).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(executionNameFor(long)).not.toBe(executionNameFor(long.replace(/7$/, '8')));
  });
});

describe('the action schemas', () => {
  const job = (action: Record<string, unknown>) => () => parseJob({ id: 'j', startDateTime: '2026-01-01T00:00:00Z', action });

  it('name the field and its rule', () => {
    expect(job({ type: 'sqs', queue: 'orders', body: 'x' })).toThrow(/action\.queue: must be an SQS queue ARN/);
    expect(job({ type: 'sns', topicArn: 'arn:aws:sqs:eu-west-1:123456789012:q', message: 'x' })).toThrow(/action\.topicArn: must be an SNS topic ARN/);
    expect(job({ type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', payload: [1] })).toThrow(/action\.payload: must be a JSON object/);
    expect(job({ type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', invocationType: 'DryRun' })).toThrow(/action\.invocationType/);
    expect(job({ type: 'eventbridge', eventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/b', source: 'aws.ec2', detailType: 'x' })).toThrow(/action\.source: may not start with aws\./);
    expect(job({ type: 'stepfunctions', stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:x' })).toThrow(/action\.stateMachineArn: must be a state machine ARN/);
    expect(job({ type: 'sqs', queue: 'arn:aws:sqs:eu-west-1:123456789012:q', body: 'x', messageGroupId: 'g' })).toThrow(/action\.messageGroupId: is for FIFO queues/);
    expect(job({ type: 'sqs', queue: 'arn:aws:sqs:eu-west-1:123456789012:q', body: 'x', attributes: { idempotencyKey: 'mine' } })).toThrow(/action\.attributes\.idempotencyKey: idempotencyKey and jobId are set by the scheduler/);
    expect(job({ type: 'ftp', url: 'x' })).toThrow(/action\.type: must be .* or a target \{ "type": "sqs" \| "sns" \| "lambda" \| "eventbridge" \| "stepfunctions", \.\.\. \}/);
  });
});
