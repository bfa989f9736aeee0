/**
 * events Lambda: Step Functions' "Execution Status Change" events for the scheduler state machine (an
 * EventBridge rule on AWS; the local runtime delivers the same event from its engine). The job record
 * follows its executions whoever stops them: see JobService.followExecution. Parses its own input.
 */
import * as z from '../../lib/zod';
import { now } from '../../common/clock';
import { logger } from '../../common/logger';
import { EXECUTION_STATUS_CHANGE } from '../../lib/execution-events';
import { JobService } from '../../lib/job-service';
import { parseOrThrow } from '../../lib/job';
import { dynamoStores } from '../../adapters/store';
import { runDurations } from '../../adapters/dynamodb-stats';
import { executionService } from '../../adapters/sfn';

const EventSchema = z.object({
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z._default(z.nullable(z.string()), null),
    stopDate: z._default(z.nullable(z.number()), null),
    error: z._default(z.nullable(z.string()), null),
    cause: z._default(z.nullable(z.string()), null),
  }),
});

/** A handler over a job service built on first use (an event that fails validation needs no store). */
export function createEventsHandler(makeService: () => Pick<JobService, 'followExecution'>) {
  let service: Pick<JobService, 'followExecution'> | undefined;
  return async function eventsHandler(event: unknown): Promise<{ outcome: string }> {
    const { detail } = parseOrThrow(EventSchema, event);
    service ??= makeService();
    const outcome = await service.followExecution(detail);
    logger.info('execution status change', { executionArn: detail.executionArn, status: detail.status, outcome });
    return { outcome };
  };
}

export const handler = createEventsHandler(() => new JobService({ ...dynamoStores(), store: dynamoStores().jobs, extras: dynamoStores().requests, executions: executionService(), runDurations: runDurations(), now }));
