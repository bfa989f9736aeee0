/**
 * The deployed stack: three functions, the state machine from src/statemachines/scheduler.asl.json, one
 * DynamoDB table, an SNS topic for notifications, a REST API, and IAM scoped to those resources.
 * `sls package` builds it offline; `sls deploy` ships it.
 */
import type { AWS } from '@serverless/typescript';
import { jobTableProperties } from './src/adapters/table';
import { ROUTES } from './src/functions/api/routes';
import { withResources } from './src/statemachines';

const STATE_MACHINE_NAME = '${self:service}-${sls:stage}-scheduler';
/** arn:<partition>:states:<region>:<account>:<kind>:<name>, built with Join: v3 would try to resolve Fn::Sub's ${} itself. */
function statesArn(kind: 'stateMachine' | 'execution', suffix = '') {
  return {
    'Fn::Join': [
      ':',
      ['arn', { Ref: 'AWS::Partition' }, 'states', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, kind, STATE_MACHINE_NAME + suffix],
    ],
  };
}
/**
 * Failure destinations (a job's `failureDestination`) the task may publish or send to: SNS topics and SQS
 * queues whose name starts with `<service>-<stage>-` in this account and region — never any topic or queue.
 */
const FAILURE_DESTINATION_PREFIX = '${self:service}-${sls:stage}-';
function failureDestinationArn(service: 'sns' | 'sqs') {
  return {
    'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, service, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, `${FAILURE_DESTINATION_PREFIX}*`]],
  };
}
const stateMachineArn = statesArn('stateMachine');
const executionsArn = statesArn('execution', ':*');
/**
 * `sls invoke local` resolves environment values itself and knows only plain strings (a Ref would need
 * CloudFormation, i.e. AWS). When invoking locally the functions therefore take the local runtime's
 * endpoints (its defaults, or the shell's TABLE_NAME / DYNAMODB_ENDPOINT / SFN_ENDPOINT).
 */
const invokingLocally = process.argv.includes('invoke') && process.argv.includes('local');
const localEnvironment = {
  TABLE_NAME: '${env:TABLE_NAME, "step-scheduler-jobs"}',
  DYNAMODB_ENDPOINT: '${env:DYNAMODB_ENDPOINT, "http://127.0.0.1:8000"}',
  SFN_ENDPOINT: '${env:SFN_ENDPOINT, "http://127.0.0.1:8083"}',
  STATE_MACHINE_ARN: '${env:STATE_MACHINE_ARN, "arn:aws:states:us-east-1:000000000000:stateMachine:step-scheduler-local-scheduler"}',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_SERVICE_NAME: 'step-scheduler',
  WEBHOOK_ALLOW_HOSTS: '${env:WEBHOOK_ALLOW_HOSTS, ""}',
};

const tableArn = { 'Fn::GetAtt': ['JobsTable', 'Arn'] };
const indexArn = { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }, 'index', '*']] };

/** @serverless/typescript does not know the serverless-step-functions section. */
type Configuration = AWS & {
  stepFunctions: {
    validate?: boolean;
    stateMachines: Record<string, { id?: string; name?: string; type?: 'STANDARD' | 'EXPRESS'; definition: Record<string, unknown> }>;
  };
};

const serverlessConfiguration: Configuration = {
  service: 'step-scheduler',
  frameworkVersion: '3',
  plugins: ['serverless-esbuild', 'serverless-step-functions'],
  provider: {
    name: 'aws',
    // Node 20 on Lambda is past end of life. v3's schema predates nodejs22.x (it warns, then deploys it).
    runtime: 'nodejs22.x' as AWS['provider']['runtime'],
    architecture: 'arm64',
    region: '${opt:region, "us-east-1"}' as AWS['provider']['region'],
    stage: '${opt:stage, "dev"}',
    memorySize: 256,
    timeout: 30,
    logRetentionInDays: 30,
    apiGateway: { apiKeys: ['${self:service}-${sls:stage}-key'] },
    environment: invokingLocally
      ? localEnvironment
      : {
      TABLE_NAME: { Ref: 'JobsTable' },
      NOTIFY_TOPIC_ARN: { Ref: 'NotificationsTopic' },
      STATE_MACHINE_ARN: stateMachineArn,
      POWERTOOLS_SERVICE_NAME: 'step-scheduler',
      NODE_OPTIONS: '--enable-source-maps',
      API_TOKEN: '${env:API_TOKEN, ""}',
      // Exceptions to the webhook guard (host names and CIDRs); empty: public addresses only.
      WEBHOOK_ALLOW_HOSTS: '${env:WEBHOOK_ALLOW_HOSTS, ""}',
    },
    iam: {
      role: {
        statements: [
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:Query',
              'dynamodb:Scan',
              'dynamodb:BatchWriteItem',
            ],
            Resource: [tableArn, indexArn],
          },
          { Effect: 'Allow', Action: ['sns:Publish'], Resource: [{ Ref: 'NotificationsTopic' }, failureDestinationArn('sns')] },
          { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [failureDestinationArn('sqs')] },
          { Effect: 'Allow', Action: ['states:StartExecution', 'states:ListExecutions'], Resource: [stateMachineArn] },
          {
            Effect: 'Allow',
            Action: ['states:StopExecution', 'states:DescribeExecution', 'states:GetExecutionHistory'],
            Resource: [executionsArn],
          },
        ],
      },
    },
  },
  functions: {
    calculator: { handler: 'src/functions/calculator/handler.handler', description: 'Computes the next run of a job' },
    task: { handler: 'src/functions/task/handler.handler', description: 'Runs one run of a job and records it', timeout: 120 },
    api: {
      handler: 'src/functions/api/handler.handler',
      description: 'HTTP API: start, list, inspect and stop jobs',
      events: ROUTES.map((route) => ({
        http: { method: route.method.toLowerCase(), path: route.path, private: route.private, cors: true },
      })),
    },
  },
  stepFunctions: {
    validate: true,
    stateMachines: {
      scheduler: {
        id: 'SchedulerStateMachine',
        name: STATE_MACHINE_NAME,
        type: 'STANDARD',
        // Its own ARN as Fn::Sub (not a Ref: that would be circular), which also lets serverless-step-functions
        // scope the ContinueAsNew permission to this state machine alone.
        definition: withResources((fn) => ({ 'Fn::GetAtt': [fn, 'Arn'] }), {
          'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`,
        }),
      },
    },
  },
  resources: {
    Resources: {
      JobsTable: { Type: 'AWS::DynamoDB::Table', Properties: { ...jobTableProperties } },
      NotificationsTopic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'step-scheduler notifications' } },
    },
    Outputs: {
      StateMachineArn: { Value: { Ref: 'SchedulerStateMachine' } },
      JobsTableName: { Value: { Ref: 'JobsTable' } },
    },
  },
  package: { individually: true },
  custom: {
    esbuild: {
      bundle: true,
      minify: false,
      sourcemap: true,
      target: 'node22',
      platform: 'node',
      // Bundle the SDK too: the runtime's copy is whatever version AWS ships that week.
      exclude: [],
      concurrency: 2,
      // The dashboard, built from src/dashboard while the api is bundled and embedded in its handler, which
      // serves it at GET / (src/functions/api/dashboard-assets.ts): no build step of its own. A path, as
      // serverless copies this configuration and plugin objects would lose their functions; serverless has
      // registered ts-node to read this file, so the module can be TypeScript.
      plugins: 'src/dashboard/build.ts',
    },
  },
};

module.exports = serverlessConfiguration;
