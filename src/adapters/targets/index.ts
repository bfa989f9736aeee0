/**
 * The targets on AWS: one client per service and region (built on first use, kept for the container's
 * life), each call in its own module (sqs.ts, sns.ts, lambda.ts, eventbridge.ts, stepfunctions.ts), every
 * error through the one classifier (src/adapters/aws-errors.ts).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TargetRequest, TargetSender } from '../../lib/targets';
import { putEvent } from './eventbridge';
import { invokeLambda } from './lambda';
import { publishSns } from './sns';
import { sendSqs } from './sqs';
import { startExecution } from './stepfunctions';
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
  const sqs = clients.sqs ?? perRegion((region) => new SQSClient({ region }));
  const sns = clients.sns ?? perRegion((region) => new SNSClient({ region }));
  const lambda = clients.lambda ?? perRegion((region) => new LambdaClient({ region }));
  const eventbridge = clients.eventbridge ?? perRegion((region) => new EventBridgeClient({ region }));
  const stepfunctions = clients.stepfunctions ?? perRegion((region) => new SFNClient({ region }));
  return {
    send(request: TargetRequest) {
      switch (request.target) {
        case 'sqs':
          return sendSqs(sqs(request.region), request);
        case 'sns':
          return publishSns(sns(request.region), request);
        case 'lambda':
          return invokeLambda(lambda(request.region), request);
        case 'eventbridge':
          return putEvent(eventbridge(request.region), request);
        case 'stepfunctions':
          return startExecution(stepfunctions(request.region), request);
      }
    },
  };
}
