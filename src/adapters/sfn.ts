/**
 * The one module that uses @aws-sdk/client-sfn: the ExecutionService port on Step Functions. On AWS the
 * client talks to the regional endpoint; off AWS `SFN_ENDPOINT` points it at the local runtime's
 * loopback endpoint, which answers the few actions used here (StartExecution, StopExecution,
 * ListExecutions). Nothing else differs.
 *
 * Errors go through the one classifier (aws-errors.ts): throttling (ExecutionLimitExceeded included), a
 * 5xx or no answer become TransientError, which the API answers with 503 and Retry-After; a request Step
 * Functions refuses (InvalidExecutionInput, AccessDenied, …) passes through as the bug it is.
 */
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { clientOptions, optionalEnv, requireEnv, type EndpointCredentials } from '../common/config';
import { toDomainError } from './aws-errors';
import type { JsonValue } from '../lib/json';
import { executionArnFor, type ExecutionService } from '../lib/executions';

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

/** A client for the configured endpoint. @example createSfnClient({ endpoint: 'http://127.0.0.1:8083' }) */
export function createSfnClient(config: Pick<SfnConfig, 'endpoint'> & { credentials?: EndpointCredentials }): SFNClient {
  return new SFNClient(clientOptions(config.endpoint, process.env, config.credentials));
}

/**
 * StopExecution of an execution that already ended: Step Functions may answer with a ValidationException
 * saying so. That is the outcome a stop wants, so it is not an error; any other ValidationException is.
 */
const ALREADY_ENDED = /not running|already (?:been )?(?:stopped|ended|closed|completed|aborted)|has (?:already )?(?:ended|completed|stopped)/i;

export class StepFunctionsExecutions implements ExecutionService {
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

  async stop(executionArn: string, cause: string): Promise<void> {
    try {
      await this.client.send(new StopExecutionCommand({ executionArn, error: 'JobCancelled', cause }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      if (error instanceof ValidationException && ALREADY_ENDED.test(error.message)) return;
      throw toDomainError(error, `Step Functions StopExecution ${executionArn}`, { refused: 'pass' });
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

let shared: ExecutionService | undefined;

/**
 * The container's ExecutionService, built on first use from STATE_MACHINE_ARN / SFN_ENDPOINT.
 * @example await executionService().start(job.id, { job })
 */
export function executionService(): ExecutionService {
  if (!shared) {
    const config = sfnConfig();
    shared = new StepFunctionsExecutions(createSfnClient(config), config.stateMachineArn);
  }
  return shared;
}
