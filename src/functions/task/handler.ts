/**
 * task Lambda: runs one run of any series (`op: "run"`: the live schedule, a trigger, a backfill), records a
 * caught failure (`op: "fail"`) or ends the series (`op: "finish"`: the job COMPLETED, or the request done);
 * a fan-out run goes through `fanOut`, one `action` (or `actionFail`) per action, and `settleFanOut`.
 * Parses its own input, calls src/lib/attempt.ts, returns what the ASL expects.
 *
 * `op: "extra"` and `op: "extraFail"` are what executions started before the run ledger send (their
 * `{ job, extra }` lane had states of its own); they run through the same attempt and keep their answer's
 * shape, so an execution already under way on AWS when this code is deployed still finishes.
 */
import * as z from '../../lib/zod';
import { now } from '../../common/clock';
import { logger } from '../../common/logger';
import { attemptRun, finishSeries, recordFailure, type AttemptDeps, type SeriesCursor } from '../../lib/attempt';
import { ExtraCursorSchema, requestSchedule } from '../../lib/extra-runs';
import { attemptAction, beginFanOut, recordActionFailure, settleFanOut } from '../../lib/fanout-attempt';
import { CursorSchema, JobSchema, parseOrThrow, ScheduleSchema } from '../../lib/job';
import { dynamoStores } from '../../adapters/store';
import { createNotifier } from '../../adapters/notifier';
import { failureSinkFromEnv } from '../../adapters/failure-sink';
import { netGuardFromEnv } from '../../adapters/guarded-http';
import { createSteps } from '../../steps/registry';

/** A request's cursor first, as it is the narrower shape (a live cursor has no requestId). */
const SeriesCursorSchema = z.union([ExtraCursorSchema, CursorSchema]);
const Common = {
  job: JobSchema,
  schedule: ScheduleSchema,
  cursor: z._default(SeriesCursorSchema, { iteration: 0 }),
  executionArn: z.optional(z.string()),
};
const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });
const ActionIndexSchema = z.number().check(z.int(), z.nonnegative());
const Legacy = { job: JobSchema, extra: ExtraCursorSchema, executionArn: z.optional(z.string()) };

const TaskEventSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('run'), ...Common }),
  z.object({ op: z.literal('fail'), ...Common, error: CaughtErrorSchema }),
  // A fan-out run (src/lib/fanout-attempt.ts): FanOut, each RunAction / RecordActionFailure, SettleFanOut.
  z.object({ op: z.literal('fanOut'), ...Common }),
  z.object({ op: z.literal('action'), ...Common, action: ActionIndexSchema }),
  z.object({ op: z.literal('actionFail'), ...Common, action: ActionIndexSchema, error: CaughtErrorSchema }),
  z.object({ op: z.literal('settleFanOut'), ...Common }),
  z.object({ op: z.literal('finish'), job: JobSchema, cursor: z._default(SeriesCursorSchema, { iteration: 0 }), schedule: z.optional(ScheduleSchema) }),
  z.object({ op: z.literal('extra'), ...Legacy }),
  z.object({ op: z.literal('extraFail'), ...Legacy, error: CaughtErrorSchema }),
]);
export type TaskEvent = z.input<typeof TaskEventSchema>;

/**
 * A task handler over the given dependencies, built on first use (a handler that fails validation never
 * needs a store). The local runtime builds one over its own stores; Lambda uses `handler` below.
 */
export function createTaskHandler(makeDeps: () => AttemptDeps) {
  let deps: AttemptDeps | undefined;
  return async function taskHandler(event: unknown) {
    // `op` defaults to run so a mock with only { job, schedule } invokes a step.
    const withOp = event && typeof event === 'object' && !('op' in event) ? { ...event, op: 'run' } : event;
    const input = parseOrThrow(TaskEventSchema, withOp);
    deps ??= makeDeps();
    if (input.op === 'extra' || input.op === 'extraFail') {
      // An execution of the old ASL: its request's run, computed here as the calculator now does.
      const cursor = input.extra;
      const schedule = requestSchedule(input.job, cursor, deps.now());
      const run = { job: input.job, schedule, cursor, ...(input.executionArn ? { executionArn: input.executionArn } : {}) };
      logger.info('task', { jobId: input.job.id, requestId: cursor.requestId, index: cursor.index, op: input.op });
      const next = (input.op === 'extra' ? await attemptRun(deps, run) : await recordFailure(deps, { ...run, error: input.error })) as SeriesCursor;
      if ('requestId' in next && next.done) await finishSeries(deps, { job: input.job, cursor: next });
      return next;
    }
    if (input.op === 'finish') {
      logger.info('task', { jobId: input.job.id, op: input.op });
      return finishSeries(deps, input);
    }
    logger.info('task', { jobId: input.job.id, iteration: input.schedule.iteration, phase: input.schedule.phase, op: input.op, ...('action' in input ? { action: input.action } : {}) });
    switch (input.op) {
      case 'run':
        return attemptRun(deps, input);
      case 'fail':
        return recordFailure(deps, input);
      case 'fanOut':
        return beginFanOut(deps, input);
      case 'action':
        return attemptAction(deps, input);
      case 'actionFail':
        return recordActionFailure(deps, input);
      case 'settleFanOut':
        return settleFanOut(deps, input);
    }
  };
}

/** A real wait, for the job's own retry backoff (at most a minute: RetrySchema's caps). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Lambda entry point: the DynamoDB stores from TABLE_NAME (and DYNAMODB_ENDPOINT off AWS), the webhook
 * guard with WEBHOOK_ALLOW_HOSTS as its allow-list, failure destinations (FAILURE_FILE_DIR for `file`).
 */
export const handler = createTaskHandler(() => {
  const guard = netGuardFromEnv(process.env);
  return {
    ...dynamoStores(),
    steps: createSteps({ guard }),
    notifier: createNotifier(process.env),
    now,
    sleep,
    failures: failureSinkFromEnv(process.env, guard),
  };
});
