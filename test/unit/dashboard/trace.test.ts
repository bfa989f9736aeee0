/**
 * The drawing's colours come from an execution's history: `traceExecution` over events in the shape the
 * API gives (GetExecutionHistory, flattened), on the real ASL definition.
 */
import definition from '../../../src/statemachines/scheduler.asl.json';
import { END, START, traceExecution, type AslDocument, type TraceEvent } from '../../../src/dashboard/asl-layout';
import { cronText, errorSummary, relativeTime } from '../../../src/dashboard/format';

const asl = definition as unknown as AslDocument;

let id = 0;
const ev = (type: string, stateName: string | null = null, extra: Partial<TraceEvent> = {}): TraceEvent => ({ id: ++id, type, stateName, input: null, output: null, error: null, cause: null, ...extra });

describe('traceExecution', () => {
  it('marks a retried state that exited succeeded, with its failures counted, and the path taken', () => {
    const trace = traceExecution(
      [
        ev('ExecutionStarted'),
        ev('TaskStateEntered', 'RunStep', { input: '{"a":1}' }),
        ev('LambdaFunctionScheduled'),
        ev('LambdaFunctionFailed', null, { error: 'TransientError', cause: '503' }),
        ev('LambdaFunctionScheduled'),
        ev('LambdaFunctionSucceeded'),
        ev('TaskStateExited', 'RunStep', { output: '{"b":2}' }),
        ev('TaskStateEntered', 'Calculate'),
      ],
      asl,
    );

    expect(trace.states.RunStep).toMatchObject({ outcome: 'succeeded', failures: 1, error: 'TransientError', input: '{"a":1}', output: '{"b":2}' });
    expect(trace.states.Calculate?.outcome).toBe('in_progress');
    expect(trace).toMatchObject({ current: 'Calculate', ended: false });
    expect([...trace.path]).toEqual([`${START}>RunStep`, 'RunStep>Calculate']);
  });

  it('marks a failure its Catch took elsewhere as caught, and a Fail state entered as failed', () => {
    const trace = traceExecution(
      [
        ev('TaskStateEntered', 'RunStep'),
        ev('LambdaFunctionFailed', null, { error: 'PermanentError' }),
        ev('TaskStateEntered', 'RecordFailure'),
        ev('TaskStateExited', 'RecordFailure'),
        ev('ChoiceStateEntered', 'AfterFailure'),
        ev('ChoiceStateExited', 'AfterFailure'),
        ev('FailStateEntered', 'JobFailed'),
        ev('ExecutionFailed', null, { error: 'JobFailed' }),
      ],
      asl,
    );

    expect(trace.states.RunStep?.outcome).toBe('caught');
    expect(trace.states.RecordFailure?.outcome).toBe('succeeded');
    expect(trace.states.JobFailed?.outcome).toBe('failed');
    expect(trace).toMatchObject({ current: 'JobFailed', ended: true });
    expect(trace.path.has(`JobFailed>${END}`)).toBe(true);
  });
});

describe('format', () => {
  it('says a cron expression in words, with EventBridge’s day numbering, and keeps what it cannot read', () => {
    expect(cronText('cron(0 9 ? * MON-FRI *)')).toBe('At 09:00, Monday through Friday · cron(0 9 ? * MON-FRI *)');
    // EventBridge counts days of the week 1-7 from Sunday: 2-6 is Monday to Friday.
    expect(cronText('cron(15 10 ? * 2-6 *)')).toMatch(/^At 10:15, Monday through Friday/);
    expect(cronText('rate(5 minutes)')).toBe('every 5 minutes');
    expect(cronText('rate(1 hours)')).toBe('every hour');
    expect(cronText('cron(nonsense)')).toBe('cron(nonsense)');
  });

  it('summarises a receiver’s JSON body by its message, and long text to a line', () => {
    expect(errorSummary('webhook answered 404: {"error":"not_found","message":"no such hook"}')).toBe('webhook answered 404: “no such hook”');
    expect(errorSummary('x'.repeat(300), 20)).toHaveLength(20);
  });

  it('says how long ago an instant was', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    expect(relativeTime('2026-11-30T09:58:00Z', now)).toMatch(/2 min/);
    expect(relativeTime('2026-11-30T13:00:00Z', now)).toMatch(/in 3 h/);
  });
});
