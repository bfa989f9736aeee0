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
  /**
   * The ARN an execution named `name` has or will have (a name is unique per state machine), known before it
   * starts: the job item can list its execution in the write that creates it. Optional: without it a job's
   * execution is recorded after its start, in a write of its own.
   * @example executions.arnOf?.('daily') // 'arn:aws:states:eu-west-1:123456789012:execution:scheduler:daily'
   */
  arnOf?(name: string): string;
  /** Stop a running execution. One that does not exist or already ended is not an error. */
  stop(executionArn: string, cause: string): Promise<void>;
  /** Resolves when the service answers; rejects with its error otherwise. */
  ping(): Promise<void>;
}

/**
 * Reading an execution back, for the API's execution history. Apart from ExecutionService so the in-process
 * starter of the local runtime's restart, which never reads, need not answer it.
 */
export interface ExecutionReader {
  /** An execution's status and times (DescribeExecution); ExecutionNotFoundError when there is none. */
  describe(executionArn: string): Promise<ExecutionSummary>;
  /** A page of an execution's events, oldest first (GetExecutionHistory); `cursor` is the service's token. */
  history(executionArn: string, page: { limit: number; cursor?: string }): Promise<{ events: ExecutionEvent[]; cursor?: string }>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** What DescribeExecution says of an execution, without its input and output. */
export interface ExecutionSummary {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate: string | null;
  error: string | null;
  cause: string | null;
}

/**
 * One event of an execution's history, flattened from GetExecutionHistory's per-type details: the state it
 * belongs to (entered and exited events name it), the JSON text of its input or output, an error and cause.
 */
export interface ExecutionEvent {
  id: number;
  previousEventId: number;
  timestamp: string;
  type: string;
  stateName: string | null;
  input: string | null;
  output: string | null;
  error: string | null;
  cause: string | null;
}

/** An execution the service does not know (a stale ARN, another account's): 404 on the API. */
export class ExecutionNotFoundError extends Error {
  readonly code = 'EXECUTION_NOT_FOUND';
  constructor(readonly executionArn: string) {
    super(`execution ${executionArn} does not exist`);
    this.name = 'ExecutionNotFoundError';
  }
}

/**
 * The execution's duration in ms: to its stop, or to `now` while it runs.
 * @example executionDurationMs({ startDate: '2024-12-04T10:00:00Z', stopDate: '2024-12-04T10:00:02Z' }, new Date()) // 2000
 */
export function executionDurationMs(execution: Pick<ExecutionSummary, 'startDate' | 'stopDate'>, now: Date): number {
  return Math.max(0, Date.parse(execution.stopDate ?? now.toISOString()) - Date.parse(execution.startDate));
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
