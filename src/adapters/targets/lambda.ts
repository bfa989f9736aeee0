/** Lambda Invoke target: the run's key as the payload's `idempotencyKey` field. */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { TransientError } from '../../lib/errors';
import type { TargetReceipt, TargetRequest } from '../../lib/targets';
import { toDomainError } from '../aws-errors';

/**
 * Invoke the function, asynchronously (`Event`, as EventBridge Scheduler does) or waiting for it
 * (`RequestResponse`). A function that throws under RequestResponse fails the attempt as a TransientError,
 * so the job's retry settings decide how often it is tried (Lambda itself retries an async one twice). A
 * function that is missing or forbidden is a PermanentError; throttling (429) and 5xx are TransientErrors.
 * @example await invokeLambda(client, request) // { statusCode: 202 }
 */
export async function invokeLambda(client: LambdaClient, request: Extract<TargetRequest, { target: 'lambda' }>): Promise<TargetReceipt> {
  const what = `Lambda Invoke (${request.invocationType}) ${request.idempotencyKey} of ${request.functionArn}`;
  let output;
  try {
    output = await client.send(
      new InvokeCommand({
        FunctionName: request.functionArn,
        InvocationType: request.invocationType,
        Payload: new TextEncoder().encode(JSON.stringify(request.payload)),
      }),
    );
  } catch (error) {
    throw toDomainError(error, what, { refused: 'permanent' });
  }
  if (output.FunctionError) {
    const detail = output.Payload ? Buffer.from(output.Payload).toString('utf8').slice(0, 500) : '';
    throw new TransientError(`${what}: the function failed (${output.FunctionError}): ${detail}`);
  }
  return { statusCode: output.StatusCode ?? 0, ...(output.ExecutedVersion ? { executedVersion: output.ExecutedVersion } : {}) };
}
