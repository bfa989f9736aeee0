/**
 * LocalExecutions on the real engine and the real ASL, with scripted Lambda handlers whose answers choose the
 * path through the ASL (runs, retries, a caught failure, a hand-over, a Lambda that is still running).
 */
import { LOCAL_STATE_MACHINE_ARN } from '../../../src/local/engine';
import { LocalExecutions } from '../../../src/local/executions';
import { WarpClock } from '../../../src/local/warp-clock';
import type { ExecutionStatusChangeEvent } from '../../../src/lib/execution-events';

interface Cursor {
  iteration: number;
  generation: number;
  firstIteration: number;
  aborted?: boolean;
}

export interface Script {
  /** Runs before the job is done. */
  runs: number;
  /** What RunStep throws on each attempt of an iteration, in order; undefined: it succeeds. */
  failures?: (iteration: number) => Array<Error | undefined>;
  /** RecordFailure's answer: abort the job (JobFailed) or go on. */
  abortOnFailure?: boolean;
  /** Hand over to a new generation (ContinueAsNew) when generation 0 reaches this iteration. */
  handoverAt?: number;
  /** RunStep waits for this before it answers (a Lambda still running when the execution is stopped). */
  gate?: Promise<void>;
}

export const named = (name: string, message: string) => Object.assign(new Error(message), { name });

export function scriptedExecutions(script: Script) {
  const clock = new WarpClock(0);
  const statusEvents: ExecutionStatusChangeEvent[] = [];
  const attempts = new Map<number, number>();
  const executions = new LocalExecutions({
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    clock,
    onStatusChange: (event) => void statusEvents.push(event),
    functions: {
      calculator: async (input) => {
        const { job, cursor } = input as { job: { id: string }; cursor: Cursor };
        if (script.handoverAt !== undefined && cursor.generation === 0 && cursor.iteration === script.handoverAt) {
          return { done: false, handover: { name: `${job.id}--1`, cursor: { ...cursor, generation: 1, firstIteration: cursor.iteration } } };
        }
        if (cursor.iteration >= script.runs) return { done: true, runAt: null };
        return { done: false, runAt: clock.now().toISOString(), iteration: cursor.iteration };
      },
      task: async (input) => {
        const { op, cursor } = input as { op: string; cursor: Cursor };
        if (op === 'finish') return { status: 'COMPLETED' };
        if (op === 'fail') return { ...cursor, iteration: cursor.iteration + 1, aborted: script.abortOnFailure === true };
        await script.gate;
        const attempt = attempts.get(cursor.iteration) ?? 0;
        attempts.set(cursor.iteration, attempt + 1);
        const failure = script.failures?.(cursor.iteration)[attempt];
        if (failure) throw failure;
        return { ...cursor, iteration: cursor.iteration + 1 };
      },
    },
  });
  return { executions, statusEvents, clock };
}

