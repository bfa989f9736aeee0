/**
 * calculator Lambda: `{ job, cursor? }` → the run at that cursor (time, phase, whether the job is done).
 * Pure date math from src/lib; no store, no clock, so the same input always gives the same answer.
 */
import { z } from 'zod';
import { CursorSchema, JobSchema, parseOrThrow, type Schedule } from '../../lib/job';
import { nextRun } from '../../lib/schedule';

/** Extra fields are allowed: the state carries the calculator's input beside other things. */
const CalculatorEventSchema = z.object({
  job: JobSchema,
  cursor: CursorSchema.optional(),
});

export async function handler(event: unknown): Promise<Schedule> {
  const { job, cursor } = parseOrThrow(CalculatorEventSchema, event);
  return nextRun(job, cursor);
}
