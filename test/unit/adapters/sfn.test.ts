import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  InvalidExecutionInput,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createSfnClient, sfnConfig, StepFunctionsExecutions } from '../../../src/adapters/sfn';
import { ConfigurationError, TransientError } from '../../../src/lib/errors';
import { executionArnFor } from '../../../src/lib/executions';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:step-scheduler-dev-scheduler';
const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:step-scheduler-dev-scheduler:daily';
const meta = { $metadata: {} };
/** Step Functions' throttling is not in its model: the SDK builds the service's base exception with the wire name. */
const throttled = () => new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });

const sfn = mockClient(SFNClient);
let executions: StepFunctionsExecutions;

beforeEach(() => {
  sfn.reset();
  executions = new StepFunctionsExecutions(new SFNClient({ region: 'us-east-1' }), STATE_MACHINE_ARN);
});

afterAll(() => sfn.restore());

describe('StepFunctionsExecutions.start', () => {
  it('starts an execution named after the job with the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() });
    const input = { job: { id: 'daily', startDateTime: '2024-12-04T10:00:00Z', timeZone: 'UTC' } };

    const started = await executions.start('daily', input);

    expect(started).toEqual({ executionArn: EXECUTION_ARN });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'daily',
      input: '{"job":{"id":"daily","startDateTime":"2024-12-04T10:00:00Z","timeZone":"UTC"}}',
    });
  });

  it('treats ExecutionAlreadyExists as started, with the ARN that execution has', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', ...meta }));

    const started = await executions.start('daily', { job: {} });

    expect(started).toEqual({ executionArn: EXECUTION_ARN });
  });

  it('passes a refused request on as it is (a bug, not retried)', async () => {
    sfn.on(StartExecutionCommand).rejects(new InvalidExecutionInput({ message: 'bad input', ...meta }));

    await expect(executions.start('daily', { job: {} })).rejects.toBeInstanceOf(InvalidExecutionInput);
  });

  it('throws TransientError naming the execution when Step Functions throttles, with the SDK error as cause', async () => {
    const error = throttled();
    sfn.on(StartExecutionCommand).rejects(error);

    const act = executions.start('daily', { job: {} });

    await expect(act).rejects.toThrow(TransientError);
    await expect(act).rejects.toMatchObject({ message: 'Step Functions StartExecution daily failed, try again: ThrottlingException: Rate exceeded', cause: error });
  });

  it('throws TransientError when the open-execution quota is full or the service fails', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionLimitExceeded({ message: 'too many open executions', $metadata: { httpStatusCode: 400 } }));
    await expect(executions.start('daily', { job: {} })).rejects.toThrow(TransientError);

    sfn.on(StartExecutionCommand).rejects(new SFNServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'oops' }));
    await expect(executions.start('daily', { job: {} })).rejects.toThrow(TransientError);
  });
});

describe('StepFunctionsExecutions.stop', () => {
  it('stops the execution with the cause', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    await executions.stop(EXECUTION_ARN, 'stopped through the API');

    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: EXECUTION_ARN,
      error: 'JobCancelled',
      cause: 'stopped through the API',
    });
  });

  it('ignores an execution that does not exist', async () => {
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', ...meta }));

    await expect(executions.stop(EXECUTION_ARN, 'x')).resolves.toBeUndefined();
  });

  it('ignores an execution that already ended', async () => {
    sfn.on(StopExecutionCommand).rejects(new ValidationException({ message: 'Execution is not running', ...meta }));

    await expect(executions.stop(EXECUTION_ARN, 'x')).resolves.toBeUndefined();
  });

  it('passes any other validation failure on', async () => {
    sfn.on(StopExecutionCommand).rejects(new ValidationException({ message: 'cause is too long', ...meta }));

    await expect(executions.stop(EXECUTION_ARN, 'x')).rejects.toBeInstanceOf(ValidationException);
  });

  it('throws TransientError when Step Functions throttles the stop', async () => {
    sfn.on(StopExecutionCommand).rejects(throttled());

    await expect(executions.stop(EXECUTION_ARN, 'x')).rejects.toThrow(TransientError);
  });
});

describe('StepFunctionsExecutions.ping', () => {
  it('lists one execution of the state machine, the call the deployed role allows', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    await executions.ping();

    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 1 });
  });

  it('throws TransientError when the service does not answer', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } }));

    const act = executions.ping();

    await expect(act).rejects.toThrow(TransientError);
    await expect(act).rejects.toThrow('ECONNREFUSED');
  });
});

describe('sfnConfig', () => {
  it('requires STATE_MACHINE_ARN and names it when it is missing', () => {
    expect(() => sfnConfig({})).toThrow(ConfigurationError);
    expect(() => sfnConfig({ STATE_MACHINE_ARN: ' ' })).toThrow('STATE_MACHINE_ARN');
  });

  it('reads the optional local endpoint', () => {
    expect(sfnConfig({ STATE_MACHINE_ARN, SFN_ENDPOINT: 'http://127.0.0.1:8083' })).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      endpoint: 'http://127.0.0.1:8083',
    });
    expect(sfnConfig({ STATE_MACHINE_ARN })).toEqual({ stateMachineArn: STATE_MACHINE_ARN, endpoint: undefined });
  });

  it('points the client at the configured endpoint', async () => {
    const client = createSfnClient({ endpoint: 'http://127.0.0.1:8083' });

    const endpoint = await client.config.endpoint?.();

    expect(endpoint).toMatchObject({ hostname: '127.0.0.1', port: 8083, protocol: 'http:' });
  });
});

describe('executionArnFor', () => {
  it('derives the execution ARN from the state machine ARN and the name', () => {
    expect(executionArnFor(STATE_MACHINE_ARN, 'daily')).toBe(EXECUTION_ARN);
  });

  it('drops a version or alias suffix and keeps the partition', () => {
    expect(executionArnFor('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m:prod', 'x')).toBe(
      'arn:aws-cn:states:cn-north-1:123456789012:execution:m:x',
    );
  });

  it('refuses something that is not a state machine ARN', () => {
    expect(() => executionArnFor('arn:aws:lambda:us-east-1:123456789012:function:f', 'x')).toThrow(RangeError);
  });
});
