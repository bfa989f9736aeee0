/**
 * calculator Lambda: `{ job, cursor?, executionStartedAt? }` → the run at that cursor (time, phase,
 * whether the job is done), the runs it passes over when their time is gone, and, when the execution has
 * run long enough, where to hand over. The date math is pure (src/lib); the handler only adds "now",
 * which decides which runs were missed.
 */
import * as z from '../../lib/zod';
import { now as clockNow } from '../../common/clock';
import { handoverFor } from '../../lib/continue-as-new';
import { CursorSchema, JobSchema, parseOrThrow, type Schedule } from '../../lib/job';
import { nextRun, scheduleAt } from '../../lib/schedule';
import { ExtraCursorSchema, isRequestCursor, requestSchedule } from '../../lib/extra-runs';

/** Extra fields are allowed: the state carries the calculator's input beside other things. */
const CalculatorEventSchema = z.object({
  job: JobSchema,
  /** The live schedule's cursor, or a trigger or backfill request's (src/lib/extra-runs.ts). */
  cursor: z.optional(z.union([ExtraCursorSchema, CursorSchema])),
  /** `$$.Execution.StartTime`: how long this execution has been going decides a hand-over. */
  executionStartedAt: z.optional(z.string()),
});

/**
 * A calculator over a clock. `now` returning undefined means time is not real (the local runtime with
 * waits skipped): no run is ever late there, so none is treated as missed.
 */
export function createCalculatorHandler(now: () => Date | undefined) {
  return async function calculator(event: unknown): Promise<Schedule> {
    const { job, cursor = { iteration: 0 }, executionStartedAt } = parseOrThrow(CalculatorEventSchema, event);
    const at = now();
    // A request's runs are all due: no catch-up, no hand-over (at most MAX_BACKFILL_RUNS fit one execution).
    if (isRequestCursor(cursor)) return requestSchedule(job, cursor, at ?? clockNow());
    // A run begun before a restart and never settled runs now, whatever its age: catch-up is for runs never begun.
    const schedule = at === undefined || cursor.resumeStarted ? nextRun(job, cursor) : scheduleAt(job, cursor, at.getTime());
    const handover = handoverFor(job, cursor, schedule, executionStartedAt);
    return handover ? { ...schedule, handover } : schedule;
  };
}

export const handler = createCalculatorHandler(clockNow);
