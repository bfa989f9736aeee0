import validator from 'asl-validator';
import { PERMANENT_ERROR_NAMES, RETRYABLE_ERROR_NAME, TransientError } from '../../../src/lib/errors';
import { loadDefinition, taskFunctions, withResources } from '../../../src/statemachines';

type State = Record<string, unknown> & { Type: string };
const asl = loadDefinition() as unknown as { StartAt: string; States: Record<string, State> };
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

describe('the scheduler state machine', () => {
  it('passes asl-validator with its function tokens and with ARNs in their place', () => {
    const asTokens = validator(loadDefinition());
    const asArns = validator(withResources((fn) => `arn:aws:lambda:us-east-1:123456789012:function:${fn}`, 'arn:aws:states:us-east-1:123456789012:stateMachine:s'));

    expect(asTokens.errors).toEqual([]);
    expect(asTokens.isValid).toBe(true);
    expect(asArns.isValid).toBe(true);
  });

  it('binds Calculate to the calculator and every other Task to the task function', () => {
    expect(taskFunctions()).toEqual({ Calculate: 'calculator', RunStep: 'task', RecordFailure: 'task', Finish: 'task', FanOut: 'task', RunAction: 'task', RecordActionFailure: 'task', SettleFanOut: 'task' });
  });

  it('runs { job, extra } (a trigger or backfill) through the same loop as the live schedule, its cursor the request\'s', () => {
    const [first] = asl.States.Normalize?.Choices as Array<{ And: Array<{ Variable: string }>; Next: string }>;
    expect(first?.Next).toBe('StartRequest');
    expect(first?.And.map((c) => c.Variable)).toEqual(['$.job', '$.extra']);
    expect(asl.States.StartRequest).toMatchObject({ Type: 'Pass', Parameters: { 'job.$': '$.job', 'cursor.$': '$.extra' }, Next: 'Calculate' });
    // One path for running a step and recording its failure: no state of its own for requests.
    const tasks = Object.entries(asl.States).filter(([, state]) => state.Type === 'Task').map(([name]) => name);
    expect(tasks.sort()).toEqual(['Calculate', 'ContinueAsNew', 'FanOut', 'Finish', 'RecordFailure', 'RunStep', 'SettleFanOut']);
  });

  it('loops Calculate → Due → WaitUntil → RunStep → Calculate, waiting on the calculator’s runAt', () => {
    expect(asl.States.Calculate?.Next).toBe('Due');
    expect(asl.States.Due?.Default).toBe('WaitUntil');
    expect(asl.States.WaitUntil).toMatchObject({ Type: 'Wait', TimestampPath: '$.schedule.runAt', Next: 'RunStep' });
    expect(asl.States.RunStep?.Next).toBe('Calculate');
  });

  it('retries the retryable error class by the name the code throws, with backoff and full jitter', () => {
    const [retrier] = asl.States.RunStep?.Retry as Array<Record<string, unknown>>;

    // The literal, not the class's own name compared with itself: a renamed or minified class must fail here.
    expect(new TransientError('x').name).toBe('TransientError');
    expect(retrier?.ErrorEquals).toEqual([RETRYABLE_ERROR_NAME, ...LAMBDA_TRANSIENT]);
    expect(retrier).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2 });
    expect(retrier?.MaxAttempts).toBeGreaterThan(1);
    expect(retrier?.IntervalSeconds).toBeGreaterThan(0);
  });

  it('never retries a permanent error and catches every failure into RecordFailure', () => {
    const retriers = asl.States.RunStep?.Retry as Array<{ ErrorEquals: string[] }>;
    const catchers = asl.States.RunStep?.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>;

    for (const retrier of retriers) {
      for (const permanent of PERMANENT_ERROR_NAMES) expect(retrier.ErrorEquals).not.toContain(permanent);
      expect(retrier.ErrorEquals).not.toContain('States.ALL');
    }
    // A job stopped, paused or finished elsewhere ends the execution quietly; every other failure is recorded.
    expect(catchers).toEqual([
      { ErrorEquals: ['JobNotActiveError', 'RequestNotActiveError'], ResultPath: '$.stopped', Next: 'Stopped' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ]);
  });

  it('uses only JitterStrategy values Step Functions accepts (asl-validator does not check them)', () => {
    for (const state of Object.values(asl.States)) {
      for (const retrier of (state.Retry as Array<{ JitterStrategy?: string }> | undefined) ?? []) {
        expect(['FULL', 'NONE', undefined]).toContain(retrier.JitterStrategy);
      }
    }
  });

  it('costs four state transitions per run: Calculate, Due, WaitUntil, RunStep', () => {
    const loop: string[] = [];
    let name = 'Calculate';
    while (!loop.includes(name)) {
      loop.push(name);
      const state = asl.States[name]!;
      name = (state.Type === 'Choice' ? state.Default : state.Next) as string;
    }
    expect(loop).toEqual(['Calculate', 'Due', 'WaitUntil', 'RunStep']);
  });

  describe('fan-out inside a run (job.actions)', () => {
    const map = asl.States.RunActions as State & { ItemProcessor: { StartAt: string; States: Record<string, State> } };
    const inner = map.ItemProcessor.States;

    it('waits as any run does, then FanOut → RunActions (an inline Map) → SettleFanOut → Calculate', () => {
      const choices = asl.States.Due?.Choices as Array<{ Variable: string; Next: string }>;
      expect(choices.at(-1)).toEqual({ Variable: '$.job.actions', IsPresent: true, Next: 'WaitForActions' });
      expect(asl.States.WaitForActions).toMatchObject({ Type: 'Wait', TimestampPath: '$.schedule.runAt', Next: 'FanOut' });
      expect(asl.States.FanOut).toMatchObject({ Type: 'Task', ResultPath: '$.fanout', Next: 'RunActions' });
      expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.fanout.items', MaxConcurrencyPath: '$.fanout.maxConcurrency', Next: 'SettleFanOut' });
      expect(map.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'RunAction' });
      expect(asl.States.SettleFanOut).toMatchObject({ Type: 'Task', ResultPath: '$.cursor', Next: 'Calculate' });
    });

    it('uses no Map field the local engine ignores (ToleratedFailure* are Distributed Map only): the rule is SettleFanOut\'s', () => {
      expect(Object.keys(map).filter((key) => key.startsWith('ToleratedFailure'))).toEqual([]);
      expect(map.ItemProcessor).not.toHaveProperty('ProcessorConfig.Mode', 'DISTRIBUTED');
    });

    it('retries each action as RunStep retries a run, and records every failed action instead of failing the Map', () => {
      expect(inner.RunAction?.Retry).toEqual(asl.States.RunStep?.Retry);
      expect(inner.RunAction?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordActionFailure' }]);
      expect(inner.RecordActionFailure).toMatchObject({ Type: 'Task', End: true, Parameters: { op: 'actionFail', 'error.$': '$.error', 'action.$': '$.action' } });
    });

    it('sends a failed fan-out run (and a stopped job) the way RunStep does: RecordFailure, or Stopped', () => {
      for (const name of ['FanOut', 'RunActions', 'SettleFanOut']) expect(asl.States[name]?.Catch).toEqual(asl.States.RunStep?.Catch);
      expect(asl.States.FanOut?.Retry).toEqual(asl.States.RunStep?.Retry);
      expect(asl.States.SettleFanOut?.Retry).toEqual(asl.States.RunStep?.Retry);
    });
  });
});
