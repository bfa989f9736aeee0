/**
 * calculator Lambda: `{ job, cursor?, executionStartedAt? }` → the run at that cursor (time, phase,
 * whether the job is done) and, when the execution has run long enough, where to hand over.
 * Pure date math from src/lib; no store, no clock, so the same input always gives the same answer.
 */
import { z } from 'zod';
import { handoverFor } from '../../lib/continue-as-new';
import { CursorSchema, JobSchema, parseOrThrow, type Schedule } from '../../lib/job';
import { nextRun } from '../../lib/schedule';

/** Extra fields are allowed: the state carries the calculator's input beside other things. */
const CalculatorEventSchema = z.object({
  job: JobSchema,
  cursor: CursorSchema.optional(),
  /** `$$.Execution.StartTime`: how long this execution has been going decides a hand-over. */
  executionStartedAt: z.string().optional(),
});

export async function handler(event: unknown): Promise<Schedule> {
  const { job, cursor = { iteration: 0 }, executionStartedAt } = parseOrThrow(CalculatorEventSchema, event);
  const schedule = nextRun(job, cursor);
  const handover = handoverFor(job, cursor, schedule, executionStartedAt);
  return handover ? { ...schedule, handover } : schedule;
}
