/**
 * The history and status-change events LocalExecutions writes while the real engine runs the real ASL. The
 * Lambda handlers are scripted (their output decides the path through the ASL); what is checked is what
 * the service would write for that path: one event per step in the service's order and shapes, one
 * terminal event, and one EventBridge event per status transition.
 */
import { LOCAL_STATE_MACHINE_ARN } from '../../../src/local/engine';
import { LocalSfnError, type HistoryEvent } from '../../../src/local/executions';
import { named, scriptedExecutions as setup } from './scripted-executions';

/** Event types, with the state's name on the events the service names it on. */
const outline = (history: HistoryEvent[]) =>
  history.map((e) => (e.type.endsWith('StateEntered') || e.type.endsWith('StateExited') ? `${e.type} ${e.stateName}` : e.type));

const lambda = ['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded'];
const task = (state: string, calls = lambda) => [`TaskStateEntered ${state}`, ...calls, `TaskStateExited ${state}`];
const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

describe('LocalExecutions history', () => {
  it("writes a run's steps as the service does: each state entered and exited with its input and output, each Lambda scheduled, started and succeeded", async () => {
    const { executions } = setup({ runs: 1 });

    const info = executions.start('job-1', { job: { id: 'job-1' } });
    await executions.idle();
    const history = executions.history(info.executionArn);

    expect(outline(history)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered Normalize',
      'ChoiceStateExited Normalize',
      'PassStateEntered StartAtFirstRun',
      'PassStateExited StartAtFirstRun',
      ...task('Calculate'),
      'ChoiceStateEntered Due',
      'ChoiceStateExited Due',
      'WaitStateEntered WaitUntil',
      'WaitStateExited WaitUntil',
      ...task('RunStep'),
      ...task('Calculate'),
      'ChoiceStateEntered Due',
      'ChoiceStateExited Due',
      ...task('Finish'),
      'ExecutionSucceeded',
    ]);
    expect(history.map((e) => [e.id, e.previousEventId])).toEqual(history.map((_, i) => [i + 1, i]));
    expect(history[0]).toMatchObject({ type: 'ExecutionStarted', input: '{"job":{"id":"job-1"}}', roleArn: expect.stringMatching(/^arn:aws:iam::/) });
    // The Lambda's own input is the state's Parameters applied; its output is before ResultPath.
    const runStep = history.findIndex((e) => e.type === 'TaskStateEntered' && e.stateName === 'RunStep');
    const scheduled = history[runStep + 1]!;
    expect(scheduled.resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:step-scheduler-local-task');
    expect(JSON.parse(scheduled.input!)).toMatchObject({ op: 'run', job: { id: 'job-1' }, cursor: { iteration: 0 }, executionArn: info.executionArn });
    expect(JSON.parse(history[runStep + 3]!.output!)).toEqual({ iteration: 1, generation: 0, firstIteration: 0 });
    expect(JSON.parse(history[runStep + 4]!.output!)).toMatchObject({ job: { id: 'job-1' }, cursor: { iteration: 1 } });
    expect(JSON.parse(history.at(-1)!.output!)).toEqual({ status: 'COMPLETED' });
    expect(executions.describe(info.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"status":"COMPLETED"}' });
  });

  it('writes a retried then caught Lambda failure once each, with no Succeeded for it and one Exited, and a Fail state as the one ExecutionFailed', async () => {
    const { executions } = setup({
      runs: 3,
      failures: () => [named('TransientError', 'try again'), named('StepFailed', 'the webhook answered 500')],
      abortOnFailure: true,
    });

    const info = executions.start('job-2', { job: { id: 'job-2' } });
    await executions.idle();
    const history = executions.history(info.executionArn);

    const runStep = history.findIndex((e) => e.type === 'TaskStateEntered' && e.stateName === 'RunStep');
    expect(outline(history).slice(runStep)).toEqual([
      'TaskStateEntered RunStep',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited RunStep',
      ...task('RecordFailure'),
      'ChoiceStateEntered AfterFailure',
      'ChoiceStateExited AfterFailure',
      'FailStateEntered JobFailed',
      'ExecutionFailed',
    ]);
    expect(history.filter((e) => e.type === 'LambdaFunctionFailed').map((e) => [e.error, e.cause])).toEqual([
      ['TransientError', 'try again'],
      ['StepFailed', 'the webhook answered 500'],
    ]);
    // The caught error lands at the Catch's ResultPath in the state's output.
    expect(JSON.parse(history[runStep + 7]!.output!)).toMatchObject({ error: { Error: 'StepFailed' } });
    const failed = executions.describe(info.executionArn);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'JobFailed', cause: expect.stringContaining('failure policy is abort') });
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: 'JobFailed', cause: failed.cause });
  });

  it('ends a stopped execution with one ExecutionAborted, and writes nothing after it when the Lambda still running returns', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { executions, statusEvents } = setup({ runs: 2, gate });
    const info = executions.start('job-3', { job: { id: 'job-3' } });
    while (executions.history(info.executionArn).at(-1)?.type !== 'LambdaFunctionStarted' || executions.history(info.executionArn).length < 15) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    executions.stop(info.executionArn, { error: 'JobCancelled', cause: 'cancelled by the API' });
    const atStop = executions.history(info.executionArn);
    open();
    await executions.idle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const history = executions.history(info.executionArn);

    expect(history).toEqual(atStop);
    expect(history.filter((e) => TERMINAL.has(e.type))).toEqual([expect.objectContaining({ type: 'ExecutionAborted', error: 'JobCancelled', cause: 'cancelled by the API' })]);
    expect(history.at(-1)?.type).toBe('ExecutionAborted');
    expect(executions.describe(info.executionArn)).toMatchObject({ status: 'ABORTED', error: 'JobCancelled' });
    expect(statusEvents.map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
  });

  it("writes ContinueAsNew's states:startExecution as TaskScheduled, TaskStarted and TaskSucceeded, not as a Lambda", async () => {
    const { executions } = setup({ runs: 3, handoverAt: 1 });

    const first = executions.start('job-4', { job: { id: 'job-4' } });
    await executions.idle();
    const history = executions.history(first.executionArn);

    const handover = history.findIndex((e) => e.type === 'TaskStateEntered' && e.stateName === 'ContinueAsNew');
    expect(outline(history).slice(handover)).toEqual([
      'TaskStateEntered ContinueAsNew',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited ContinueAsNew',
      'SucceedStateEntered HandedOver',
      'SucceedStateExited HandedOver',
      'ExecutionSucceeded',
    ]);
    const scheduled = history[handover + 1]!;
    expect(scheduled).toMatchObject({ resourceType: 'states', resource: 'startExecution', region: 'us-east-1' });
    expect(JSON.parse(scheduled.parameters!)).toMatchObject({ StateMachineArn: LOCAL_STATE_MACHINE_ARN, Name: 'job-4--1' });
    const second = `${first.executionArn}--1`;
    expect(JSON.parse(history[handover + 3]!.output!)).toEqual({ ExecutionArn: second, StartDate: expect.any(String) });
    expect(history[handover + 3]).toMatchObject({ resourceType: 'states', resource: 'startExecution' });
    expect(executions.describe(second).status).toBe('SUCCEEDED');
    expect(outline(executions.history(second)).at(-1)).toBe('ExecutionSucceeded');
  });
});

describe('LocalExecutions status-change events', () => {
  it('announces each execution once as RUNNING when it starts and once with its end, in the EventBridge shape', async () => {
    const { executions, statusEvents } = setup({ runs: 3, handoverAt: 1 });

    const first = executions.start('job-5', { job: { id: 'job-5' } });
    const atStart = [...statusEvents];
    await executions.idle();

    expect(atStart.map((e) => e.detail.status)).toEqual(['RUNNING']);
    const second = `${first.executionArn}--1`;
    const byExecution = (arn: string) => statusEvents.filter((e) => e.detail.executionArn === arn).map((e) => e.detail.status);
    expect(byExecution(first.executionArn)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(byExecution(second)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(statusEvents).toHaveLength(4);
    const ended = statusEvents.find((e) => e.detail.executionArn === first.executionArn && e.detail.status === 'SUCCEEDED')!;
    const info = executions.describe(first.executionArn);
    expect(ended).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '000000000000',
      time: info.stopDate!.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'us-east-1',
      resources: [first.executionArn],
      detail: {
        executionArn: first.executionArn,
        stateMachineArn: LOCAL_STATE_MACHINE_ARN,
        name: 'job-5',
        status: 'SUCCEEDED',
        startDate: info.startDate.getTime(),
        stopDate: info.stopDate!.getTime(),
        input: '{"job":{"id":"job-5"}}',
        output: info.output,
        inputDetails: { included: true },
        outputDetails: { included: true },
        error: null,
        cause: null,
      },
    });
    expect(atStart[0]?.detail).toMatchObject({ status: 'RUNNING', stopDate: null, output: null, outputDetails: null });
  });

  it('announces a failure with its error and cause', async () => {
    const { executions, statusEvents } = setup({ runs: 2, failures: () => [named('StepFailed', 'no')], abortOnFailure: true });

    executions.start('job-6', { job: { id: 'job-6' } });
    await executions.idle();

    expect(statusEvents.map((e) => [e.detail.status, e.detail.error])).toEqual([
      ['RUNNING', null],
      ['FAILED', 'JobFailed'],
    ]);
  });

  it('does not announce an execution cut off by a shutdown as ended: on AWS it would go on', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { executions, statusEvents } = setup({ runs: 2, gate });
    const info = executions.start('job-7', { job: { id: 'job-7' } });
    while (executions.history(info.executionArn).at(-1)?.type !== 'LambdaFunctionStarted' || executions.history(info.executionArn).length < 15) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // The gated Lambda is still running: close() waits for it, so only the run's end is awaited first.
    const closed = executions.close();
    await executions.idle();
    open();
    await closed;

    expect(statusEvents.map((e) => e.detail.status)).toEqual(['RUNNING']);
    expect(executions.describe(info.executionArn).status).not.toBe('SUCCEEDED');
    expect(executions.history(info.executionArn).filter((e) => e.type === 'LambdaFunctionSucceeded')).toHaveLength(1);
  });
});

describe('LocalExecutions names', () => {
  it("takes the service's execution names and refuses the others with InvalidName", () => {
    const { executions } = setup({ runs: 0 });

    for (const name of ['job.1', 'job_2-b', 'ä-job', 'x'.repeat(80)]) expect(() => executions.start(name, { job: { id: name } })).not.toThrow();
    for (const name of ['', 'a b', 'a:b', 'a/b', 'a*b', 'a{b', 'x'.repeat(81), 'a\u0007b']) {
      expect(() => executions.start(name, {})).toThrow(expect.objectContaining({ code: 'InvalidName' }) as unknown as LocalSfnError);
    }
    return executions.idle();
  });
});
