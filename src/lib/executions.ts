/**
 * The Step Functions side of the api, as the domain sees it: start a job's execution, stop one, and tell
 * whether the service answers. One adapter implements it with @aws-sdk/client-sfn (src/adapters/sfn.ts);
 * the local runtime points that same adapter at its loopback endpoint.
 */
import type { JsonValue } from './json';

export interface ExecutionService {
  /**
   * Start an execution named `name` with `input`. Idempotent: when an execution of that name already
   * exists (ExecutionAlreadyExists) it resolves with that execution's ARN instead of failing.
   */
  start(name: string, input: JsonValue): Promise<{ executionArn: string }>;
  /** Stop a running execution. One that does not exist or already ended is not an error. */
  stop(executionArn: string, cause: string): Promise<void>;
  /** Resolves when the service answers; rejects with its error otherwise. */
  ping(): Promise<void>;
}

const STATE_MACHINE_ARN = /^arn:([^:]+):states:([^:]*):([^:]*):stateMachine:([^:]+)(?::[^:]+)?$/;

/**
 * The ARN an execution named `name` of a state machine has: Step Functions derives it, so the ARN of an
 * execution that already exists is known without asking. A version or alias suffix is dropped (an
 * execution ARN names the state machine, not the version).
 * @example executionArnFor('arn:aws:states:us-east-1:123456789012:stateMachine:scheduler', 'daily')
 * // 'arn:aws:states:us-east-1:123456789012:execution:scheduler:daily'
 */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const match = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!match) throw new RangeError(`not a state machine ARN: ${stateMachineArn}`);
  const [, partition, region, account, machine] = match;
  return `arn:${partition}:states:${region}:${account}:execution:${machine}:${name}`;
}
