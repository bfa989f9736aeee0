/**
 * The deployed ASL on aws-local-stepfunctions for integration tests: one execution with the real
 * calculator and a task handler of the test's choosing; waits and retry intervals 0 ms, all else as
 * deployed.
 */
import { handler as calculator } from '../../src/functions/calculator/handler';
import { bindTaskStates, localDefinition, StateMachine, type EventLog, type LocalHandler } from '../../src/local/engine';
import { loadDefinition } from '../../src/statemachines';

export type StateEvent = Extract<EventLog, { type: 'StateEntered' }>;

export { calculator };

/**
 * Run one execution of the deployed ASL on aws-local-stepfunctions with the given task handler (and the
 * real calculator). Waits and retry intervals are 0 ms; everything else is as deployed.
 */
export async function runOnEngine(input: unknown, executionName: string, task: LocalHandler) {
  const asl = loadDefinition();
  const machine = new StateMachine(localDefinition() as never);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: bindTaskStates(asl, { calculator: calculator as LocalHandler, task }),
      waitTimeOverrides: { WaitUntil: 0, WaitForActions: 0 },
      retryIntervalOverrides: { RunStep: 0, RecordFailure: 0, Finish: 0, Calculate: 0, FanOut: 0, RunAction: 0, RecordActionFailure: 0, SettleFanOut: 0 },
    },
    context: { Execution: { Id: `arn:aws:states:local:000000000000:execution:scheduler:${executionName}`, Name: executionName } },
  });
  const events: EventLog[] = [];
  for await (const event of execution.eventLogs) events.push(event);
  const result = await execution.result.then(
    (output) => ({ ok: true as const, output }),
    (error: Error) => ({ ok: false as const, error }),
  );
  return { events, result };
}

export function entered(events: EventLog[], state: string): StateEvent[] {
  return events.filter((e): e is StateEvent => e.type === 'StateEntered' && e.state.name === state);
}

export function retried(events: EventLog[], state: string): EventLog[] {
  return events.filter((e) => e.type === 'StateRetried' && (e as { state?: { name?: string } }).state?.name === state);
}

