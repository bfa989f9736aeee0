/**
 * The one module that loads aws-local-stepfunctions. Version 3 calls Promise.withResolvers (Node 22+);
 * on Node 20 every Task would fail with a TypeError that a States.ALL Catch silently swallows, so the
 * polyfill is installed here, before the engine is used.
 */
import './promise-with-resolvers';
import { StateMachine as EngineStateMachine, type RunOptions } from 'aws-local-stepfunctions';
import { taskFunctions, withResources } from '../statemachines';

export type { RunOptions };

type Definition = ConstructorParameters<typeof EngineStateMachine>[0];
type MachineOptions = ConstructorParameters<typeof EngineStateMachine>[1];
/** Definitions (with their validation options) that passed validation in this process. */
const validated = new Set<string>();

/**
 * The engine's StateMachine, validating each distinct definition once per process. The engine runs
 * asl-validator in every constructor — ~180 ms on this 2-core machine — and the local runtime builds one
 * machine per execution, which capped it at about five execution starts a second; a definition that
 * passed once is built with `noValidate` after that. An invalid one still throws every time.
 * @example new StateMachine(localDefinition()) // validated; the next `new StateMachine(localDefinition())` is not
 */
export class StateMachine extends EngineStateMachine {
  constructor(definition: Definition, options?: MachineOptions) {
    const key = JSON.stringify([definition, options?.validationOptions ?? null]);
    const known = validated.has(key);
    super(definition, known ? { ...options, validationOptions: { ...options?.validationOptions, noValidate: true } } : options);
    validated.add(key);
  }
}

type Execution = ReturnType<StateMachine['run']>;
/** The engine's event log entry (StateEntered, StateExited, StateRetried, StateCaught, …); not exported by name. */
export type EventLog = Execution['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** A Lambda handler as the engine calls it: JSON in, JSON out, errors thrown with their `name`. */
export type LocalHandler = (input: unknown) => Promise<unknown>;

/** The local state machine's ARN: what `$$.StateMachine.Id` and ContinueAsNew's target are locally. */
export const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:step-scheduler-local-scheduler';

/** Where the local definition says each function lives; the engine never calls it (Tasks run in process). */
export const localFunctionArn = (fn: string) => `arn:aws:lambda:us-east-1:000000000000:function:step-scheduler-local-${fn}`;

/**
 * The ASL with local ARNs in place of its `${fn}` tokens, as serverless.ts puts real ones, so the
 * engine's own validator (which checks ARNs) accepts it. Task states keep their names, which is what
 * the handlers are bound by.
 */
export function localDefinition(): Record<string, unknown> {
  return withResources(localFunctionArn, LOCAL_STATE_MACHINE_ARN);
}

/**
 * Bind every Task state of a definition to the handler of the function its `${fn}` token names.
 * @example bindTaskStates(asl, { calculator: calc.handler, task: task.handler }) // { Calculate: …, RunStep: …, … }
 */
export function bindTaskStates(
  asl: { States: Record<string, unknown> },
  handlers: Record<string, LocalHandler>,
): LocalHandlers {
  const bound: LocalHandlers = {};
  for (const [state, fn] of Object.entries(taskFunctions(asl))) {
    const handler = handlers[fn];
    if (!handler) throw new Error(`no local handler for function "${fn}" (Task state ${state})`);
    // The engine types handler I/O as its JSONValue; ours are JSON by contract (the ASL passes JSON).
    bound[state] = handler as unknown as LocalHandlers[string];
  }
  return bound;
}
