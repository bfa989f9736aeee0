/**
 * The deployed stack: three functions, each with a role of its own, the state machine from
 * src/statemachines/scheduler.asl.json (logged to its own log group, traced), one DynamoDB table kept when
 * the stack goes, an SNS topic for notifications, and a REST API behind an API key and a usage plan.
 * `sls package` builds it offline; `sls deploy` ships it.
 *
 * Deploy-time settings are serverless params (`--param="name=value"`, defaults in `params.default`):
 * stateMachineLogLevel, apiRateLimit, apiBurstLimit, apiQuotaLimit, apiQuotaPeriod.
 */
import type { AWS } from '@serverless/typescript';
import { STATUS_INDEX, jobTableProperties } from './src/adapters/table';
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
/**
 * Targets (a job's `action` of type lambda, eventbridge, stepfunctions; sns and sqs share the failure
 * destinations' ARNs above): the same convention, resources named `<service>-<stage>-*` in this account and
 * region. arn:<partition>:<service>:<region>:<account>:<resource>.
 */
function conventionArn(service: 'lambda' | 'events' | 'states', resource: string) {
  return { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, service, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, resource]] };
}
/**
 * The convention also covers the stack's own functions (`<service>-<stage>-calculator|task|api`) and its
 * own state machine (`<service>-<stage>-scheduler`): a job must not invoke the task or the api with an input
 * of its choosing, nor start the scheduler behind the API's back. An explicit Deny takes them out (a Deny
 * wins over any Allow), each with its qualifiers (`:*`, versions and aliases).
 */
const OWN_FUNCTIONS = ['calculator', 'task', 'api'];
const ownFunctionArns = OWN_FUNCTIONS.flatMap((name) => [
  conventionArn('lambda', `function:${FAILURE_DESTINATION_PREFIX}${name}`),
  conventionArn('lambda', `function:${FAILURE_DESTINATION_PREFIX}${name}:*`),
]);
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
const statusIndexArn = { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }, 'index', STATUS_INDEX]] };

type Statement = { Effect: 'Allow' | 'Deny'; Action: string[]; Resource: unknown[] };
type FunctionDefinition = NonNullable<AWS['functions']>[string];

/**
 * Every function with the statements of its own role, and nothing else: the role also gets writing to the
 * function's own log group and X-Ray, which every function needs. Each list is what the function's code
 * sends (the adapters' `…Command(` calls it reaches), not what the service could do. Adding a function is
 * one entry here.
 */
const FUNCTIONS: Record<string, { definition: FunctionDefinition; statements: Statement[] }> = {
  // Pure date math: no AWS call at all.
  calculator: {
    definition: { handler: 'src/functions/calculator/handler.handler', description: 'Computes the next run of a job' },
    statements: [],
  },
  // src/lib/attempt.ts through the stores and the run ledger (Get, Put, Update, Query on the table: no index,
  // no Scan, no delete), the notifier (Publish to the topic), the failure sink (a job's failureDestination)
  // and the targets (a job's sqs, sns, lambda, eventbridge or stepfunctions action).
  task: {
    definition: { handler: 'src/functions/task/handler.handler', description: 'Runs one run of a job and records it', timeout: 120 },
    statements: [
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], Resource: [tableArn] },
      { Effect: 'Allow', Action: ['sns:Publish'], Resource: [{ Ref: 'NotificationsTopic' }, failureDestinationArn('sns')] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [failureDestinationArn('sqs')] },
      // Targets (src/adapters/targets): sns and sqs above; Lambda Invoke, EventBridge PutEvents, StartExecution here.
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [conventionArn('lambda', `function:${FAILURE_DESTINATION_PREFIX}*`)] },
      { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [conventionArn('events', `event-bus/${FAILURE_DESTINATION_PREFIX}*`)] },
      { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [conventionArn('states', `stateMachine:${FAILURE_DESTINATION_PREFIX}*`)] },
      { Effect: 'Deny', Action: ['lambda:InvokeFunction'], Resource: ownFunctionArns },
      { Effect: 'Deny', Action: ['states:StartExecution'], Resource: [stateMachineArn] },
    ],
  },
  // src/functions/api/app.ts through the stores (listing by status queries status-index, listing all and
  // GET /stats scan, DELETE removes with BatchWriteItem) and src/adapters/sfn.ts (start, stop, ping).
  api: {
    definition: {
      handler: 'src/functions/api/handler.handler',
      description: 'HTTP API: start, list, inspect and stop jobs',
      // No `cors`: API Gateway would answer every preflight with `*`. The dashboard is served by this same API
      // (same origin); other origins get no CORS headers, as on the local runtime without --allow-origin.
      events: ROUTES.map((route) => ({
        http: { method: route.method.toLowerCase(), path: route.path, private: route.private },
      })),
    },
    statements: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchWriteItem'],
        Resource: [tableArn],
      },
      { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [statusIndexArn] },
      { Effect: 'Allow', Action: ['states:StartExecution', 'states:ListExecutions'], Resource: [stateMachineArn] },
      { Effect: 'Allow', Action: ['states:StopExecution', 'states:DescribeExecution', 'states:GetExecutionHistory'], Resource: [executionsArn] },
    ],
  },
  // The job record follows its executions (JobService.followExecution): Step Functions' own status-change
  // events for this state machine, whoever started or stopped the execution. Reads and writes the job and
  // request items (Get, Put, Update on the table); calls no AWS service besides.
  events: {
    definition: {
      handler: 'src/functions/events/handler.handler',
      description: 'Keeps a job record in step with its executions (console and CLI starts and stops)',
      events: [
        {
          eventBridge: {
            pattern: {
              source: ['aws.states'],
              'detail-type': ['Step Functions Execution Status Change'],
              detail: { status: ['RUNNING', 'ABORTED', 'FAILED', 'TIMED_OUT'], stateMachineArn: [stateMachineArn] },
            },
          },
        },
      ],
    },
    statements: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: [tableArn] }],
  },
};

/** serverless's logical id prefix of a function (`calculator` → `Calculator`, as in CalculatorLogGroup). */
function logicalName(functionName: string): string {
  return (functionName[0] ?? '').toUpperCase() + functionName.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}
const roleId = (functionName: string) => `${logicalName(functionName)}LambdaRole`;

/** The role of one function: its statements, its own log group (serverless creates it), X-Ray. */
function functionRole(functionName: string, statements: Statement[]) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [
        {
          PolicyName: `\${self:service}-\${sls:stage}-${functionName}`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              // The log group's Arn ends in `:*`, which covers its streams.
              { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [`${logicalName(functionName)}LogGroup`, 'Arn'] }] },
              // X-Ray has no resource-level permissions: these two actions take `*` only.
              { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] },
              ...statements,
            ],
          },
        },
      ],
    },
  };
}

/** @serverless/typescript does not know the serverless-step-functions section. */
type Configuration = AWS & {
  stepFunctions: {
    validate?: boolean;
    stateMachines: Record<
      string,
      {
        id?: string;
        name?: string;
        type?: 'STANDARD' | 'EXPRESS';
        definition: Record<string, unknown>;
        loggingConfig?: { level: string; includeExecutionData?: boolean; destinations?: unknown[] };
        tracingConfig?: { enabled: boolean };
      }
    >;
  };
};

const serverlessConfiguration: Configuration = {
  service: 'step-scheduler',
  frameworkVersion: '3',
  // Deploy-time settings; override one with `--param="apiRateLimit=50"`.
  params: {
    default: {
      /** Step Functions execution log level: ALL, ERROR, FATAL or OFF. */
      stateMachineLogLevel: 'ERROR',
      /** Steady requests per second over the API key (API Gateway usage plan throttle). */
      apiRateLimit: 25,
      /** Requests allowed at once above the steady rate. */
      apiBurstLimit: 50,
      /** Requests per quota period. */
      apiQuotaLimit: 100000,
      /** DAY, WEEK or MONTH. */
      apiQuotaPeriod: 'DAY',
    },
  },
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
    // The API key is what protects the API on AWS; the usage plan throttles it (params, see params.default).
    apiGateway: {
      apiKeys: ['${self:service}-${sls:stage}-key'],
      usagePlan: {
        throttle: { rateLimit: '${param:apiRateLimit}' as unknown as number, burstLimit: '${param:apiBurstLimit}' as unknown as number },
        quota: { limit: '${param:apiQuotaLimit}' as unknown as number, period: '${param:apiQuotaPeriod}' as 'DAY' },
      },
    },
    tracing: { lambda: true },
    environment: invokingLocally
      ? localEnvironment
      : {
      TABLE_NAME: { Ref: 'JobsTable' },
      NOTIFY_TOPIC_ARN: { Ref: 'NotificationsTopic' },
      STATE_MACHINE_ARN: stateMachineArn,
      POWERTOOLS_SERVICE_NAME: 'step-scheduler',
      // No --enable-source-maps: Node would parse each function's multi-megabyte map at every cold start
      // (+25-45 ms of module load). The map ships in the zip beside the bundle (sourcemap below), so setting
      // NODE_OPTIONS=--enable-source-maps on a function maps its stack traces to src/*.ts when needed.
      // Exceptions to the webhook guard (host names and CIDRs); empty: public addresses only.
      WEBHOOK_ALLOW_HOSTS: '${env:WEBHOOK_ALLOW_HOSTS, ""}',
    },
  },
  functions: Object.fromEntries(
    Object.entries(FUNCTIONS).map(([name, { definition }]) => [name, { ...definition, role: roleId(name) }]),
  ),
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
        // Execution data stays out of the log: a job may carry webhook headers.
        loggingConfig: {
          level: '${param:stateMachineLogLevel}',
          includeExecutionData: false,
          destinations: [{ 'Fn::GetAtt': ['SchedulerStateMachineLogGroup', 'Arn'] }],
        },
        tracingConfig: { enabled: true },
      },
    },
  },
  resources: {
    Resources: {
      // The jobs outlive the stack: a deleted stack or a replaced table leaves the table, and PITR keeps 35
      // days to restore from. PITR is no CreateTable field, so it is set here, not in jobTableProperties.
      JobsTable: {
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { ...jobTableProperties, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
      },
      // /aws/vendedlogs/: the prefix AWS advises for Step Functions, whose log delivery otherwise grows the
      // account's CloudWatch Logs resource policy with every log group.
      SchedulerStateMachineLogGroup: {
        Type: 'AWS::Logs::LogGroup',
        Properties: { LogGroupName: `/aws/vendedlogs/states/${STATE_MACHINE_NAME}`, RetentionInDays: 30 },
      },
      ...Object.fromEntries(Object.entries(FUNCTIONS).map(([name, { statements }]) => [roleId(name), functionRole(name, statements)])),
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
      // Whitespace and syntax minified, names kept: a cold start reads and parses the whole bundle before it
      // runs a line, and this cuts the bundles by ~30 % and their module load by ~15 % (bench/bundles.ts);
      // a stack trace still names the functions, and the source map gives the lines.
      minifyWhitespace: true,
      minifySyntax: true,
      minifyIdentifiers: false,
      // Linked: handler.js.map in the zip and a sourceMappingURL comment in handler.js, read only when Node runs
      // with --enable-source-maps (off as deployed: NODE_OPTIONS above). Without it a stack trace names the
      // bundle's functions, with line:column positions in the minified file.
      sourcemap: 'linked',
      target: 'node22',
      platform: 'node',
      // ES module builds first: each SDK package's CommonJS build is one file esbuild cannot shake, so every
      // DynamoDB command, paginator and waiter landed in each bundle. From dist-es only the commands used do,
      // which cuts a bare DynamoDB client's bundle by a third and its module load by ~35 % (README,
      // Benchmarks). The output stays CommonJS.
      mainFields: ['module', 'main'],
      // Bundle the SDK too: the runtime's copy is whatever version AWS ships that week.
      exclude: [],
      concurrency: 2,
      // The dashboard, built from src/dashboard while the api is bundled and embedded in its handler, which
      // serves it at GET / (src/functions/api/dashboard-assets.ts): no build step of its own; and the SDK
      // clients only some actions need, each in a file beside the task's handler, read on first use. A path,
      // as serverless copies this configuration and plugin objects would lose their functions; serverless
      // has registered ts-node to read this file, so the module can be TypeScript.
      plugins: 'scripts/esbuild-plugins.ts',
    },
  },
};

module.exports = serverlessConfiguration;
