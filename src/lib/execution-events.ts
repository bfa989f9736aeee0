/**
 * The EventBridge event Step Functions sends when a standard execution's status changes ("Step Functions
 * Execution Status Change", source `aws.states`). On AWS a rule delivers it to a handler; the local runtime
 * builds the same event from its engine, so one handler serves both.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { ExtraCursorSchema, type ExtraCursor } from './extra-runs';
import { JobSchema, type Job } from './job';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export type ExecutionEventStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The event's `detail`, as the service documents it: dates in epoch milliseconds, absent values `null`. */
export interface ExecutionStatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionEventStatus;
  startDate: number;
  stopDate: number | null;
  input: string | null;
  output: string | null;
  /** `included: false` when the service left the input out for size (not locally: it is always included). */
  inputDetails: { included: boolean } | null;
  outputDetails: { included: boolean } | null;
  error: string | null;
  cause: string | null;
}

export type ExecutionStatusChangeEvent = EventBridgeEvent<typeof EXECUTION_STATUS_CHANGE, ExecutionStatusChangeDetail> & {
  version: '0';
  source: 'aws.states';
};

/** What an execution tells about itself when its status changes (the shape DescribeExecution gives). */
export interface ExecutionSnapshot {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionEventStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * The status-change event of an execution. Region and account come from the execution's ARN
 * (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`); `id` is the caller's (a UUID on AWS),
 * so this stays pure.
 * @example executionStatusChangeEvent(describe(arn), { id: randomUUID() }).detail.status // 'ABORTED'
 */
export function executionStatusChangeEvent(execution: ExecutionSnapshot, meta: { id: string }): ExecutionStatusChangeEvent {
  const [, , , region = '', account = ''] = execution.executionArn.split(':');
  const at = execution.stopDate ?? execution.startDate;
  return {
    version: '0',
    id: meta.id,
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account,
    // EventBridge stamps whole seconds: 2019-02-26T19:42:21Z.
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      output: execution.output ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

/**
 * The job (and, for a trigger or backfill, the request's cursor) an execution of the scheduler runs, from
 * its input: `{ job, extra }`, `{ job, cursor }`, `{ job }`, or the job itself (a console execution pasting
 * seed 002's example). Undefined for an input that is none of them (another state machine, a broken paste).
 * @example executionInputOf('{"job":{"id":"daily",…}}')?.job.id // 'daily'
 */
export function executionInputOf(input: string | null): { job: Job; extra?: ExtraCursor } | undefined {
  if (input === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const wrapped = 'job' in value;
  const job = JobSchema.safeParse(wrapped ? (value as { job: unknown }).job : value);
  if (!job.success) return undefined;
  if (!wrapped || !('extra' in value)) return { job: job.data };
  const extra = ExtraCursorSchema.safeParse((value as { extra: unknown }).extra);
  return extra.success ? { job: job.data, extra: extra.data } : undefined;
}
