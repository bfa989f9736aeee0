/**
 * calculator Lambda: `{ job, cursor?, executionStartedAt? }` → the run at that cursor (time, phase,
 * whether the job is done), the runs it passes over when their time is gone, and, when the execution has
 * run long enough, where to hand over. The date math is pure (src/lib); the handler only adds "now",
 * which decides which runs were missed.
 */
import { z } from 'zod';
import { now as clockNow } from '../../common/clock';
import { handoverFor } from '../../lib/continue-as-new';
import { CursorSchema, JobSchema, parseOrThrow, type Schedule } from '../../lib/job';
import { nextRun, scheduleAt } from '../../lib/schedule';

/** Extra fields are allowed: the state carries the calculator's input beside other things. */
const CalculatorEventSchema = z.object({
  job: JobSchema,
  cursor: CursorSchema.optional(),
  /** `$$.Execution.StartTime`: how long this execution has been going decides a hand-over. */
  executionStartedAt: z.string().optional(),
});

/**
 * A calculator over a clock. `now` returning undefined means time is not real (the local runtime with
 * waits skipped): no run is ever late there, so none is treated as missed.
 */
export function createCalculatorHandler(now: () => Date | undefined) {
  return async function calculator(event: unknown): Promise<Schedule> {
    const { job, cursor = { iteration: 0 }, executionStartedAt } = parseOrThrow(CalculatorEventSchema, event);
    const at = now();
    const schedule = at === undefined ? nextRun(job, cursor) : scheduleAt(job, cursor, at.getTime());
    const handover = handoverFor(job, cursor, schedule, executionStartedAt);
    return handover ? { ...schedule, handover } : schedule;
  };
}

export const handler = createCalculatorHandler(clockNow);
