/**
 * The local Step Functions endpoint through @aws-sdk/client-sfn, which reads every answer with the service's
 * model: a field under a wrong name is dropped by the SDK and an unknown error name becomes a generic one, so
 * these tests see what a real client sees. The engine and the ASL are real; the Lambda handlers are scripted.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { LOCAL_STATE_MACHINE_ARN, localDefinition } from '../../../src/local/engine';
import type { LocalExecutions } from '../../../src/local/executions';
import { startSfnServer, type SfnServer } from '../../../src/local/sfn-server';
import { scriptedExecutions } from './scripted-executions';

const ARN = LOCAL_STATE_MACHINE_ARN;
const EXECUTION = ARN.replace(':stateMachine:', ':execution:');
const OTHER_MACHINE = ARN.replace(/:stateMachine:.*$/, ':stateMachine:another-machine');

let server: SfnServer;
let executions: LocalExecutions;
let client: SFNClient;
let open: () => void;

beforeAll(async () => {
  // Finished executions run one run; RunStep of a gated one waits until the end of the file.
  const gate = new Promise<void>((resolve) => (open = resolve));
  ({ executions } = scriptedExecutions({ runs: 1 }));
  server = await startSfnServer(executions);
  client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  gated = scriptedExecutions({ runs: 1, gate });
  gatedServer = await startSfnServer(gated.executions);
  gatedClient = new SFNClient({ endpoint: gatedServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

let gated: ReturnType<typeof scriptedExecutions>;
let gatedServer: SfnServer;
let gatedClient: SFNClient;

afterAll(async () => {
  open();
  client.destroy();
  gatedClient.destroy();
  await server.close();
  await gatedServer.close();
  await executions.close();
  await gated.executions.close();
});

/** The error name a call fails with (the SDK's class name is the protocol's `__type`). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

async function startFinished(name: string): Promise<string> {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: ARN, name, input: JSON.stringify({ job: { id: name } }) }));
  await executions.idle();
  return executionArn!;
}

describe('the state machine', () => {
  it('is listed and described with the definition the engine runs', async () => {
    const list = await client.send(new ListStateMachinesCommand({}));
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: ARN }));

    expect(list.stateMachines).toEqual([{ stateMachineArn: ARN, name: 'step-scheduler-local-scheduler', type: 'STANDARD', creationDate: expect.any(Date) }]);
    expect(list.nextToken).toBeUndefined();
    expect(described).toMatchObject({ stateMachineArn: ARN, name: 'step-scheduler-local-scheduler', status: 'ACTIVE', type: 'STANDARD', roleArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) });
    expect(described.creationDate).toEqual(list.stateMachines?.[0]?.creationDate);
    expect(JSON.parse(described.definition!)).toEqual(localDefinition());
  });

  it('answers StateMachineDoesNotExist for a well-formed ARN of another machine and InvalidArn for a malformed one', async () => {
    expect(await failure(client.send(new DescribeStateMachineCommand({ stateMachineArn: OTHER_MACHINE })))).toBe('StateMachineDoesNotExist');
    expect(await failure(client.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:x' })))).toBe('InvalidArn');
    expect(await failure(client.send(new DescribeStateMachineCommand({ stateMachineArn: `${EXECUTION}:x` })))).toBe('InvalidArn');
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: OTHER_MACHINE })))).toBe('StateMachineDoesNotExist');
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: 'scheduler' })))).toBe('InvalidArn');
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: OTHER_MACHINE })))).toBe('StateMachineDoesNotExist');
  });

  it('describes the state machine of an execution', async () => {
    const arn = await startFinished('for-execution');

    const described = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }));

    expect(described).toMatchObject({ stateMachineArn: ARN, name: 'step-scheduler-local-scheduler', updateDate: expect.any(Date) });
    expect(JSON.parse(described.definition!)).toEqual(localDefinition());
    expect(await failure(client.send(new DescribeStateMachineForExecutionCommand({ executionArn: `${EXECUTION}:nope` })))).toBe('ExecutionDoesNotExist');
  });

  it('has no tags and knows no other action', async () => {
    expect((await client.send(new ListTagsForResourceCommand({ resourceArn: ARN }))).tags).toEqual([]);
    expect(await failure(client.send(new CreateStateMachineCommand({ name: 'x', definition: '{}', roleArn: 'arn:aws:iam::000000000000:role/x' })))).toBe(
      'UnknownOperationException',
    );
  });
});

describe('StartExecution', () => {
  it('names an unnamed execution with a UUID and keeps its input as written', async () => {
    const input = '{ "job": { "id": "spaced" } }';

    const started = await client.send(new StartExecutionCommand({ stateMachineArn: ARN, input }));
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    expect(started.executionArn).toMatch(new RegExp(`^${EXECUTION}:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described.input).toBe(input);
    expect(described.inputDetails).toEqual({ included: true });
    await executions.idle();
  });

  it('returns the running execution for the same name and input, and ExecutionAlreadyExists otherwise', async () => {
    const input = JSON.stringify({ job: { id: 'twice' } });
    const first = await gatedClient.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'twice', input }));

    const again = await gatedClient.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'twice', input }));

    expect(again.executionArn).toBe(first.executionArn);
    expect(await failure(gatedClient.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'twice', input: '{}' })))).toBe('ExecutionAlreadyExists');
  });

  it('answers InvalidName and InvalidExecutionInput as the service does', async () => {
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'has space' })))).toBe('InvalidName');
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'x'.repeat(81) })))).toBe('InvalidName');
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: ARN, input: '{not json' })))).toBe('InvalidExecutionInput');
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn: ARN, input: JSON.stringify({ big: 'x'.repeat(256 * 1024) }) })))).toBe(
      'InvalidExecutionInput',
    );
  });
});

describe('DescribeExecution and StopExecution', () => {
  it('tell a malformed ARN (InvalidArn) from an unknown execution (ExecutionDoesNotExist)', async () => {
    expect(await failure(client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })))).toBe('InvalidArn');
    expect(await failure(client.send(new DescribeExecutionCommand({ executionArn: ARN })))).toBe('InvalidArn');
    expect(await failure(client.send(new DescribeExecutionCommand({ executionArn: `${EXECUTION}:nope` })))).toBe('ExecutionDoesNotExist');
    expect(await failure(client.send(new StopExecutionCommand({ executionArn: 'not-an-arn' })))).toBe('InvalidArn');
    expect(await failure(client.send(new StopExecutionCommand({ executionArn: `${EXECUTION}:nope` })))).toBe('ExecutionDoesNotExist');
  });

  it('stops a running execution: ABORTED with its error and cause, its stop date, and one ExecutionAborted', async () => {
    const { executionArn } = await gatedClient.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'to-stop', input: '{"job":{"id":"to-stop"}}' }));

    const stopped = await gatedClient.send(new StopExecutionCommand({ executionArn, error: 'JobCancelled', cause: 'by the console' }));
    const described = await gatedClient.send(new DescribeExecutionCommand({ executionArn }));
    const history = await gatedClient.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));

    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'JobCancelled', cause: 'by the console', stopDate: stopped.stopDate });
    expect(described.output).toBeUndefined();
    expect(history.events).toEqual([expect.objectContaining({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'JobCancelled', cause: 'by the console' } })]);
  });
});

describe('ListExecutions', () => {
  it("lists this machine's executions newest first, by status, a page at a time with tokens that are not shifted by new executions", async () => {
    for (const name of ['list-a', 'list-b', 'list-c', 'list-d']) await startFinished(name);
    await gatedClient.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'list-running', input: '{"job":{"id":"list-running"}}' }));
    const all = executions.list().map((e) => e.executionArn);

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 2, nextToken }));
      pages.push(page.executions!.map((e) => e.executionArn!));
      nextToken = page.nextToken;
      // An execution started between pages is newer than every page: it never shifts the ones to come.
      if (pages.length === 1) await startFinished('list-between');
    } while (nextToken);
    const running = await gatedClient.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'RUNNING' }));
    const succeeded = await client.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' }));

    expect(pages.flat()).toEqual(all);
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(running.executions?.map((e) => e.name)).toContain('list-running');
    expect(running.executions?.every((e) => e.status === 'RUNNING')).toBe(true);
    expect(succeeded.executions?.length).toBe(executions.list('SUCCEEDED').length);
    expect(succeeded.executions?.[0]).toEqual({
      executionArn: expect.any(String),
      stateMachineArn: ARN,
      name: 'list-between',
      status: 'SUCCEEDED',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
    });
  });

  it("answers InvalidToken for a token that is not one of this request's, and ValidationException for a bad filter or page size", async () => {
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 1 }));
    expect(page.nextToken).toEqual(expect.any(String));

    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: ARN, nextToken: 'garbage' })))).toBe('InvalidToken');
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'FAILED', nextToken: page.nextToken })))).toBe('InvalidToken');
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'DONE' as never })))).toBe('ValidationException');
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: ARN, maxResults: 1001 })))).toBe('ValidationException');
  });
});

describe('GetExecutionHistory', () => {
  let arn: string;
  let events: HistoryEvent[];

  beforeAll(async () => {
    arn = await startFinished('history');
    events = (await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }))).events!;
  });

  it("gives each event the service's details: inputs, outputs, the function, the role", () => {
    const byType = (type: string) => events.filter((e) => e.type === type);

    expect(events[0]).toEqual({
      id: 1,
      previousEventId: 0,
      timestamp: expect.any(Date),
      type: 'ExecutionStarted',
      executionStartedEventDetails: { input: '{"job":{"id":"history"}}', inputDetails: { truncated: false }, roleArn: expect.stringMatching(/^arn:aws:iam::/) },
    });
    expect(byType('TaskStateEntered')[0]?.stateEnteredEventDetails).toEqual({ name: 'Calculate', input: expect.any(String), inputDetails: { truncated: false } });
    expect(byType('LambdaFunctionScheduled')[0]?.lambdaFunctionScheduledEventDetails).toEqual({
      resource: 'arn:aws:lambda:us-east-1:000000000000:function:step-scheduler-local-calculator',
      input: expect.stringContaining('"cursor"'),
      inputDetails: { truncated: false },
    });
    expect(byType('LambdaFunctionSucceeded')[0]?.lambdaFunctionSucceededEventDetails).toEqual({ output: expect.stringContaining('"runAt"'), outputDetails: { truncated: false } });
    expect(byType('TaskStateExited')[0]?.stateExitedEventDetails).toEqual({ name: 'Calculate', output: expect.stringContaining('"schedule"'), outputDetails: { truncated: false } });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{"status":"COMPLETED"}', outputDetails: { truncated: false } } });
    expect(events.filter((e) => e.type?.startsWith('Execution')).map((e) => e.type)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
  });

  it('pages forward and in reverse with maxResults and nextToken', async () => {
    const read = async (reverseOrder: boolean) => {
      const ids: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 7, reverseOrder, nextToken }));
        ids.push(...page.events!.map((e) => e.id!));
        nextToken = page.nextToken;
      } while (nextToken);
      return ids;
    };

    expect(await read(false)).toEqual(events.map((e) => e.id));
    expect(await read(true)).toEqual(events.map((e) => e.id).reverse());
    const forward = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 3 }));
    expect(await failure(client.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, nextToken: forward.nextToken })))).toBe('InvalidToken');
  });

  it('leaves inputs and outputs out when includeExecutionData is false', async () => {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000, includeExecutionData: false }));

    expect(page.events).toHaveLength(events.length);
    expect(page.events?.[0]?.executionStartedEventDetails).toEqual({ roleArn: expect.any(String) });
    expect(page.events?.find((e) => e.type === 'TaskStateEntered')?.stateEnteredEventDetails).toEqual({ name: 'Calculate' });
    expect(JSON.stringify(page.events)).not.toMatch(/"(input|output)"/);
  });

  it('answers InvalidArn and ExecutionDoesNotExist as DescribeExecution does', async () => {
    expect(await failure(client.send(new GetExecutionHistoryCommand({ executionArn: 'x' })))).toBe('InvalidArn');
    expect(await failure(client.send(new GetExecutionHistoryCommand({ executionArn: `${EXECUTION}:nope` })))).toBe('ExecutionDoesNotExist');
  });
});

describe('the protocol', () => {
  it('answers a body that is not JSON with SerializationException and an unknown target with UnknownOperationException', async () => {
    const post = (target: string, body: string) =>
      fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' }, body });

    const bad = await post('AWSStepFunctions.DescribeExecution', '{nope');
    const unknown = await post('AWSStepFunctions.StartSyncExecution', '{}');
    const foreign = await post('DynamoDB_20120810.ListTables', '{}');

    expect([bad.status, ((await bad.json()) as { __type: string }).__type]).toEqual([400, 'SerializationException']);
    expect([unknown.status, ((await unknown.json()) as { __type: string }).__type]).toEqual([400, 'UnknownOperationException']);
    expect(((await foreign.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});
