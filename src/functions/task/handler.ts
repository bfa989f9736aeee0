/**
 * task Lambda: runs one run's step (`op: "run"`), records a caught failure (`op: "fail"`) or closes the
 * job (`op: "finish"`); for a trigger or backfill execution, runs one of its runs (`op: "extra"`) or records
 * its caught failure (`op: "extraFail"`). Parses its own input, calls src/lib/runner.ts, returns what the ASL expects.
 */
import { z } from 'zod';
import { now } from '../../common/clock';
import { logger } from '../../common/logger';
import { CursorSchema, JobSchema, parseOrThrow } from '../../lib/job';
import { executeRun, finishJob, recordFailure, type RunnerDeps } from '../../lib/runner';
import { executeExtraRun, recordExtraFailure } from '../../lib/extra-runner';
import { MAX_BACKFILL_RUNS, REQUEST_ID_PATTERN } from '../../lib/extra-runs';
import { extraRunStore, jobStore } from '../../adapters/store';
import { createNotifier } from '../../adapters/notifier';
import { failureSinkFromEnv } from '../../adapters/failure-sink';
import { netGuardFromEnv } from '../../adapters/guarded-http';
import { createSteps } from '../../steps/registry';

const ScheduleSchema = z.object({
  iteration: z.number().int().nonnegative(),
  runAt: z.string().nullable(),
  phase: z.enum(['collection', 'processing', 'report', 'action']),
  isLast: z.boolean(),
  done: z.boolean(),
  totalRuns: z.number().int().positive().nullable(),
  plannedAt: z.string().optional(),
  skipped: z
    .object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative(), count: z.number().int().positive(), reason: z.enum(['missed', 'overlap']) })
    .optional(),
});

const Common = {
  job: JobSchema,
  schedule: ScheduleSchema,
  cursor: CursorSchema.default({ iteration: 0 }),
  executionArn: z.string().optional(),
};

const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/** `$.extra` of a trigger or backfill execution (src/lib/extra-runs.ts ExtraCursor). */
const ExtraCursorSchema = z.object({
  requestId: z.string().regex(REQUEST_ID_PATTERN, 'must be a request id such as trigger-20261124T101500123Z-3fa9c2'),
  kind: z.enum(['trigger', 'backfill']),
  index: z.number().int().nonnegative(),
  runCount: z.number().int().positive().max(MAX_BACKFILL_RUNS),
  firstIteration: z.number().int().nonnegative().optional(),
  beforeIteration: z.number().int().nonnegative().optional(),
  lastResult: z.json().optional(),
  done: z.boolean().optional(),
});
const ExtraCommon = { job: JobSchema, extra: ExtraCursorSchema, executionArn: z.string().optional() };

const TaskEventSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('run'), ...Common }),
  z.object({ op: z.literal('fail'), ...Common, error: CaughtErrorSchema }),
  z.object({ op: z.literal('finish'), ...Common }),
  z.object({ op: z.literal('extra'), ...ExtraCommon }),
  z.object({ op: z.literal('extraFail'), ...ExtraCommon, error: CaughtErrorSchema }),
]);
export type TaskEvent = z.input<typeof TaskEventSchema>;

/**
 * A task handler over the given dependencies, built on first use (a handler that fails validation never
 * needs a store). The local runtime builds one over its own store; Lambda uses `handler` below.
 */
export function createTaskHandler(makeDeps: () => RunnerDeps) {
  let deps: RunnerDeps | undefined;
  return async function taskHandler(event: unknown) {
    // `op` defaults to run so a mock with only { job, schedule } invokes a step.
    const withOp = event && typeof event === 'object' && !('op' in event) ? { ...event, op: 'run' } : event;
    const input = parseOrThrow(TaskEventSchema, withOp);
    deps ??= makeDeps();
    if (input.op === 'extra' || input.op === 'extraFail') {
      const log = { jobId: input.job.id, requestId: input.extra.requestId, index: input.extra.index, op: input.op };
      logger.info('task', log);
      return input.op === 'extra' ? executeExtraRun(deps, input) : recordExtraFailure(deps, input);
    }
    const log = { jobId: input.job.id, iteration: input.schedule.iteration, phase: input.schedule.phase, op: input.op };
    logger.info('task', log);
    switch (input.op) {
      case 'run':
        return executeRun(deps, input);
      case 'fail':
        logger.warn('run failed', { ...log, error: input.error });
        return recordFailure(deps, input);
      case 'finish':
        return finishJob(deps, input.job);
    }
  };
}

/** A real wait, for the job's own retry backoff (at most a minute: RetrySchema's caps). */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Lambda entry point: the DynamoDB store from TABLE_NAME (and DYNAMODB_ENDPOINT off AWS), the webhook
 * guard with WEBHOOK_ALLOW_HOSTS as its allow-list, failure destinations (FAILURE_FILE_DIR for `file`).
 */
export const handler = createTaskHandler(() => {
  const guard = netGuardFromEnv(process.env);
  return {
    store: jobStore(),
    extras: extraRunStore(),
    steps: createSteps({ guard }),
    notifier: createNotifier(process.env),
    now,
    sleep,
    failures: failureSinkFromEnv(process.env, guard),
  };
});
