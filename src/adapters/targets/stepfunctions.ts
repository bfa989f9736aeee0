/** Step Functions StartExecution target: the run's key is the execution name, so a retry never starts twice. */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { TransientError } from '../../lib/errors';
import type { TargetReceipt, TargetRequest } from '../../lib/targets';
import { toDomainError } from '../aws-errors';

/**
 * Start the execution named after the run. A retried attempt asks again under the same name: while that
 * execution runs with the same input Step Functions answers it again; once it has ended the service
 * refuses with ExecutionAlreadyExists, which here means "this run already started it" (the name holds
 * the job id and the run) and is a success. Other refusals are PermanentErrors, throttling and 5xx
 * TransientErrors.
 * @example await startExecution(client, request) // { executionArn: 'arn:aws:states:…:execution:…:nightly.3', startDate: '…' }
 */
export async function startExecution(client: SFNClient, request: Extract<TargetRequest, { target: 'stepfunctions' }>): Promise<TargetReceipt> {
  const what = `Step Functions StartExecution ${request.executionName} of ${request.stateMachineArn}`;
  try {
    const output = await client.send(new StartExecutionCommand({ stateMachineArn: request.stateMachineArn, name: request.executionName, input: request.input }));
    if (!output.executionArn) throw new TransientError(`${what} returned no executionArn`);
    return { executionArn: output.executionArn, executionName: request.executionName, ...(output.startDate ? { startDate: output.startDate.toISOString() } : {}) };
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      return { executionArn: executionArnOf(request.stateMachineArn, request.executionName), executionName: request.executionName, alreadyStarted: true };
    }
    throw toDomainError(error, what, { refused: 'permanent' });
  }
}

/** arn:…:stateMachine:<name> → arn:…:execution:<name>:<executionName>. */
function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
