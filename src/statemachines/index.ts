/**
 * The one ASL file, loaded for both worlds. Task resources in the file are `${<function key>}` tokens:
 * serverless.ts replaces each with the function's ARN (Fn::GetAtt), the local runtime binds each Task
 * state to the handler of that function.
 */
import definition from './scheduler.asl.json';

export type AslDefinition = typeof definition;

const TOKEN = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;

/**
 * A deep copy, so callers can change theirs without touching the shared one. Copied through JSON rather
 * than structuredClone: under jest, structuredClone builds objects of another realm, which the engine's
 * plain-object check does not recognise, and it then leaves nested `.$` paths of Parameters unresolved.
 */
export function loadDefinition(): AslDefinition {
  return JSON.parse(JSON.stringify(definition)) as AslDefinition;
}

type StateMap = Record<string, unknown>;

/**
 * Every state of a definition with its name, the states inside a Map's ItemProcessor (RunActions) too: state
 * names are unique across the whole machine, which is what the engine's overrides and the bindings key on.
 */
export function allStates(asl: { States: StateMap }): Array<[string, Record<string, unknown>]> {
  const found: Array<[string, Record<string, unknown>]> = [];
  for (const [name, state] of Object.entries(asl.States) as Array<[string, Record<string, unknown>]>) {
    found.push([name, state]);
    const inner = (state.ItemProcessor ?? state.Iterator) as { States?: StateMap } | undefined;
    if (inner?.States) found.push(...allStates({ States: inner.States }));
  }
  return found;
}

/**
 * Task state name → function key, read from the tokens (inside a Map too).
 * @example taskFunctions() // { Calculate: 'calculator', RunStep: 'task', RecordFailure: 'task', Finish: 'task', FanOut: 'task', … }
 */
export function taskFunctions(asl: { States: StateMap } = definition): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, state] of allStates(asl)) {
    const resource = (state as { Type?: string; Resource?: unknown }).Resource;
    if (typeof resource !== 'string') continue;
    const match = TOKEN.exec(resource);
    if (match?.[1]) result[name] = match[1];
  }
  return result;
}

/** The token that stands for the state machine's own ARN (ContinueAsNew starts the same machine). */
export const SELF_TOKEN = '${self}';

/**
 * The definition with every `${fn}` token replaced by `resolve(fn)` (for serverless.ts, an Fn::GetAtt) and
 * every `${self}` by `self` (the state machine's own ARN; a literal ARN rather than `$$.StateMachine.Id`
 * so the deployed role may start this machine only, not any).
 * @example withResources((fn) => ({ 'Fn::GetAtt': [fn, 'Arn'] }), { 'Fn::Sub': '…:stateMachine:name' })
 */
export function withResources<R, S>(resolve: (functionKey: string) => R, self: S): Record<string, unknown> {
  const asl = loadDefinition() as unknown as { States: Record<string, Record<string, unknown>> };
  const states = new Map(allStates(asl));
  for (const [name, fn] of Object.entries(taskFunctions(asl))) {
    const state = states.get(name);
    if (state) state.Resource = resolve(fn) as unknown;
  }
  for (const state of Object.values(asl.States)) {
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    if (parameters?.StateMachineArn === SELF_TOKEN) parameters.StateMachineArn = self;
  }
  return asl as unknown as Record<string, unknown>;
}
