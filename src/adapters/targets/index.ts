/**
 * The targets on AWS: one client per service and region (built on first use, kept for the container's
 * life), each call in its own module (sqs.ts, sns.ts, lambda.ts, eventbridge.ts, stepfunctions.ts), every
 * error through the one classifier (src/adapters/aws-errors.ts).
 *
 * Each target's module, and with it its SDK client, is required on the first run that uses that target:
 * esbuild keeps them all in the task's bundle but evaluates a required module only when it is first
 * required, so a cold start does not load five SDK clients (~640 KB of the bundle) for jobs that use one
 * or none. Types come from `import type`, which emits nothing.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy requires, see above */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TargetRequest, TargetSender } from '../../lib/targets';
import { perRegion } from '../clients';

export interface AwsTargetClients {
  sqs: (region: string) => SQSClient;
  sns: (region: string) => SNSClient;
  lambda: (region: string) => LambdaClient;
  eventbridge: (region: string) => EventBridgeClient;
  stepfunctions: (region: string) => SFNClient;
}

/**
 * The AWS targets; tests pass their own clients (aws-sdk-client-mock).
 * @example await createAwsTargets().send(targetRequest(job.action, { jobId: job.id, idempotencyKey: 'nightly:3' }))
 */
export function createAwsTargets(clients: Partial<AwsTargetClients> = {}): TargetSender {
  const sqs = clients.sqs ?? perRegion((region) => new (require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs')).SQSClient({ region }));
  const sns = clients.sns ?? perRegion((region) => new (require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns')).SNSClient({ region }));
  const lambda = clients.lambda ?? perRegion((region) => new (require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda')).LambdaClient({ region }));
  const eventbridge = clients.eventbridge ?? perRegion((region) => new (require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge')).EventBridgeClient({ region }));
  const stepfunctions = clients.stepfunctions ?? perRegion((region) => new (require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn')).SFNClient({ region }));
  return {
    send(request: TargetRequest) {
      switch (request.target) {
        case 'sqs':
          return (require('./sqs') as typeof import('./sqs')).sendSqs(sqs(request.region), request);
        case 'sns':
          return (require('./sns') as typeof import('./sns')).publishSns(sns(request.region), request);
        case 'lambda':
          return (require('./lambda') as typeof import('./lambda')).invokeLambda(lambda(request.region), request);
        case 'eventbridge':
          return (require('./eventbridge') as typeof import('./eventbridge')).putEvent(eventbridge(request.region), request);
        case 'stepfunctions':
          return (require('./stepfunctions') as typeof import('./stepfunctions')).startExecution(stepfunctions(request.region), request);
      }
    },
  };
}
