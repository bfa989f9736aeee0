/**
 * The one module that uses @aws-sdk/client-sfn: the ExecutionService port on Step Functions. On AWS the
 * client talks to the regional endpoint; off AWS `SFN_ENDPOINT` points it at the local runtime's
 * loopback endpoint, which answers the few actions used here (StartExecution, StopExecution,
 * ListExecutions, DescribeExecution, GetExecutionHistory). Nothing else differs.
 *
 * Errors go through the one classifier (aws-errors.ts): throttling (ExecutionLimitExceeded included), a
 * 5xx or no answer become TransientError, which the API answers with 503 and Retry-After; a request Step
 * Functions refuses (InvalidExecutionInput, AccessDenied, …) passes through as the bug it is.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidToken,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { clientOptions, optionalEnv, requireEnv, type EndpointCredentials } from '../common/config';
import { toDomainError } from './aws-errors';
import { ValidationError } from '../lib/errors';
import type { JsonValue } from '../lib/json';
import { ExecutionNotFoundError, executionArnFor, type ExecutionEvent, type ExecutionReader, type ExecutionService, type ExecutionStatus, type ExecutionSummary } from '../lib/executions';

export interface SfnConfig {
  stateMachineArn: string;
  /** Set only off AWS: the local runtime's Step Functions endpoint. */
  endpoint?: string;
}

/**
 * STATE_MACHINE_ARN (required) and SFN_ENDPOINT (optional) from the environment.
 * @example sfnConfig({ STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:scheduler' })
 */
export function sfnConfig(env: NodeJS.ProcessEnv = process.env): SfnConfig {
  return { stateMachineArn: requireEnv('STATE_MACHINE_ARN', env), endpoint: optionalEnv('SFN_ENDPOINT', env) };
}

/**
 * A client for the configured endpoint. `requestHandler` replaces the SDK's HTTP transport: the local
 * runtime hands its own API's requests to its endpoint in process (sfn-server.ts, inProcessSfnHandler).
 * @example createSfnClient({ endpoint: 'http://127.0.0.1:8083' })
 */
export function createSfnClient(config: Pick<SfnConfig, 'endpoint'> & { credentials?: EndpointCredentials; requestHandler?: SFNClientConfig['requestHandler'] }): SFNClient {
  return new SFNClient({ ...clientOptions(config.endpoint, process.env, config.credentials), ...(config.requestHandler ? { requestHandler: config.requestHandler } : {}) });
}

/**
 * StopExecution of an execution that already ended: Step Functions may answer with a ValidationException
 * saying so. That is the outcome a stop wants, so it is not an error; any other ValidationException is.
 */
const ALREADY_ENDED = /not running|already (?:been )?(?:stopped|ended|closed|completed|aborted)|has (?:already )?(?:ended|completed|stopped)/i;

export class StepFunctionsExecutions implements ExecutionService, ExecutionReader {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: JsonValue): Promise<{ executionArn: string }> {
    try {
      const output = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: output.executionArn ?? executionArnFor(this.stateMachineArn, name) };
    } catch (error) {
      // The name is the job id: an execution of that name is this job's (a retried start, or a restart
      // after a crash between the job write and the start), so starting it again is done already.
      if (error instanceof ExecutionAlreadyExists) return { executionArn: executionArnFor(this.stateMachineArn, name) };
      throw toDomainError(error, `Step Functions StartExecution ${name}`, { refused: 'pass' });
    }
  }

  arnOf(name: string): string {
    return executionArnFor(this.stateMachineArn, name);
  }

  async stop(executionArn: string, cause: string): Promise<void> {
    try {
      await this.client.send(new StopExecutionCommand({ executionArn, error: 'JobCancelled', cause }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      if (error instanceof ValidationException && ALREADY_ENDED.test(error.message)) return;
      throw toDomainError(error, `Step Functions StopExecution ${executionArn}`, { refused: 'pass' });
    }
  }

  async describe(executionArn: string): Promise<ExecutionSummary> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        name: out.name ?? executionArn.split(':').at(-1) ?? executionArn,
        status: (out.status ?? 'RUNNING') as ExecutionStatus,
        startDate: (out.startDate ?? new Date(0)).toISOString(),
        stopDate: out.stopDate ? out.stopDate.toISOString() : null,
        error: out.error ?? null,
        cause: out.cause ?? null,
      };
    } catch (error) {
      throw readError(error, 'DescribeExecution', executionArn);
    }
  }

  async history(executionArn: string, page: { limit: number; cursor?: string }): Promise<{ events: ExecutionEvent[]; cursor?: string }> {
    try {
      const out = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: page.limit, includeExecutionData: true, ...(page.cursor ? { nextToken: page.cursor } : {}) }),
      );
      return { events: (out.events ?? []).map(flattenEvent), ...(out.nextToken ? { cursor: out.nextToken } : {}) };
    } catch (error) {
      throw readError(error, 'GetExecutionHistory', executionArn);
    }
  }

  async ping(): Promise<void> {
    // ListExecutions is what the deployed role allows on the state machine itself (see serverless.ts).
    try {
      await this.client.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: 1 }));
    } catch (error) {
      throw toDomainError(error, 'Step Functions ListExecutions', { refused: 'pass' });
    }
  }
}

/**
 * One history event, flattened: every event type carries its data in a member of its own
 * (`stateEnteredEventDetails`, `taskFailedEventDetails`, …); the one present gives name, input, output,
 * error and cause.
 */
export function flattenEvent(event: HistoryEvent): ExecutionEvent {
  const details = Object.entries(event).find(([key, value]) => key.endsWith('EventDetails') && typeof value === 'object' && value !== null)?.[1] as
    | { name?: string; input?: string; output?: string; error?: string; cause?: string }
    | undefined;
  return {
    id: event.id ?? 0,
    previousEventId: event.previousEventId ?? 0,
    timestamp: (event.timestamp ?? new Date(0)).toISOString(),
    type: event.type ?? 'Unknown',
    // Only a state's Entered and Exited events name it; the others belong to the state entered last.
    stateName: (event.type?.endsWith('StateEntered') || event.type?.endsWith('StateExited')) && details?.name ? details.name : null,
    input: details?.input ?? null,
    output: details?.output ?? null,
    error: details?.error ?? null,
    cause: details?.cause ?? null,
  };
}

/** DescribeExecution and GetExecutionHistory answer ExecutionDoesNotExist for an unknown ARN: 404, not 500. */
function readError(error: unknown, what: string, executionArn: string): unknown {
  if (error instanceof ExecutionDoesNotExist) return new ExecutionNotFoundError(executionArn);
  if (error instanceof InvalidToken) return new ValidationError([{ field: 'cursor', message: 'is not a cursor this history handed out; start again without one' }]);
  return toDomainError(error, `Step Functions ${what} ${executionArn}`, { refused: 'pass' });
}

let shared: StepFunctionsExecutions | undefined;

/**
 * The container's ExecutionService, built on first use from STATE_MACHINE_ARN / SFN_ENDPOINT.
 * @example await executionService().start(job.id, { job })
 */
export function executionService(): ExecutionService & ExecutionReader {
  if (!shared) {
    const config = sfnConfig();
    shared = new StepFunctionsExecutions(createSfnClient(config), config.stateMachineArn);
  }
  return shared;
}
