/**
 * `sls package` builds the whole CloudFormation template offline, with no AWS credentials: this test runs
 * it once and checks the stack a `sls deploy` would create.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import validator from 'asl-validator';
import { startLocalDynamo } from '../../../src/local/dynamo';
import { PSEUDO_PARAMETERS, unresolvedReferences } from './references';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Template = { Resources: Record<string, Resource>; Parameters?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
let outDir: string;
let templateFile: string;
let template: Template;
let artifacts: string[];

function ofType(type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function statements(): Statement[] {
  return ofType('AWS::IAM::Role').flatMap(([id]) => roleStatements(id));
}

function roleStatements(roleId: string): Statement[] {
  const role = template.Resources[roleId];
  return ((role?.Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>) ?? []).flatMap((p) => p.PolicyDocument.Statement);
}

const actionsOf = (list: Statement[]) => list.flatMap((s) => ([] as string[]).concat(s.Action));

/** The function's properties and the logical id of its role (`Role: { Fn::GetAtt: [id, Arn] }`). */
function lambda(name: 'calculator' | 'task' | 'api' | 'events'): { properties: Record<string, unknown>; roleId: string } {
  const found = ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.FunctionName === `step-scheduler-dev-${name}`);
  if (!found) throw new Error(`no function step-scheduler-dev-${name} in the template`);
  const role = found[1].Properties.Role as { 'Fn::GetAtt': [string, string] };
  return { properties: found[1].Properties, roleId: role['Fn::GetAtt'][0] };
}

/** The template with the Comment the ASL once had, to show the checks catch what would not deploy. */
function withUnresolvedComment(): Template {
  const copy = structuredClone(template);
  const [[, machine] = ['', undefined as never]] = Object.entries(copy.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  const sub = (machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
  sub[0] = sub[0].replace(/"Comment":\s*"/, '$&Resources are ${function} tokens. ');
  return copy;
}

/**
 * cfn-lint, AWS's CloudFormation linter: it checks every resource against the CloudFormation resource
 * schemas it ships (property names, types, required properties, allowed values) and the references
 * between them (E1019 is the rule the ASL's Comment once broke). It is a Python tool; this project's
 * machine image carries it (`pip` 3.11, cfn-lint 1.51.0), and PyPI is not reachable to install it.
 */
async function cfnLint(files: string[]): Promise<Array<{ Filename: string; Rule: { Id: string }; Message: string }>> {
  const candidates: Array<[string, string[]]> = [
    ['cfn-lint', ['--format', 'json', ...files]],
    ['python3', ['-m', 'cfnlint', '--format', 'json', ...files]],
  ];
  for (const [command, args] of candidates) {
    try {
      const { stdout } = await run(command, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
      return JSON.parse(stdout || '[]');
    } catch (error) {
      const failed = error as { code?: unknown; stdout?: string };
      // Exit codes 2, 4, 8 (and their sums) mean "found something": the findings are on stdout.
      if (typeof failed.code === 'number' && failed.stdout) return JSON.parse(failed.stdout);
      if (failed.code === 'ENOENT' || typeof failed.code === 'number') continue;
      throw error;
    }
  }
  throw new Error('cfn-lint not found (neither `cfn-lint` nor `python3 -m cfnlint`): install it with `pip install cfn-lint`');
}

/** A zip's central directory: each entry's name, compression method, compressed size and local header. */
function zipEntries(zip: Buffer): Array<{ name: string; method: number; size: number; local: number }> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip: no end of central directory');
  const entries = [];
  let at = zip.readUInt32LE(end + 16);
  for (let entry = zip.readUInt16LE(end + 10); entry > 0; entry--) {
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({ name: zip.toString('utf8', at + 46, at + 46 + nameLength), method: zip.readUInt16LE(at + 10), size: zip.readUInt32LE(at + 20), local: zip.readUInt32LE(at + 42) });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

const zipEntryNames = (zip: Buffer) => zipEntries(zip).map((entry) => entry.name);

/**
 * One file out of a zip, with zlib alone: the central directory gives its name, size and local header, the
 * local header where its data starts (stored or deflated, as serverless writes them).
 */
function unzipEntry(zip: Buffer, name: string): Buffer | undefined {
  const found = zipEntries(zip).find((entry) => entry.name === name);
  if (!found) return undefined;
  const start = found.local + 30 + zip.readUInt16LE(found.local + 26) + zip.readUInt16LE(found.local + 28);
  const data = zip.subarray(start, start + found.size);
  return found.method === 0 ? data : inflateRawSync(data);
}

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'sls-package-'));
  // No credentials and no network: packaging must not need either.
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  await run(path.join(root, 'node_modules/.bin/sls'), ['package', '--package', outDir], { cwd: root, env, timeout: 170_000 });
  templateFile = path.join(outDir, 'cloudformation-template-update-stack.json');
  template = JSON.parse(await readFile(templateFile, 'utf8')) as Template;
  artifacts = await readdir(outDir);
}, 180_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('sls package', () => {
  it('packages the four functions on a current Node runtime, each as its own bundle', () => {
    const functions = ofType('AWS::Lambda::Function').map(([, f]) => f.Properties);

    expect(functions.map((f) => f.Handler).sort()).toEqual([
      'src/functions/api/handler.handler',
      'src/functions/calculator/handler.handler',
      'src/functions/events/handler.handler',
      'src/functions/task/handler.handler',
    ]);
    for (const f of functions) expect(f.Runtime).toBe('nodejs22.x');
    expect(artifacts.filter((file) => file.endsWith('.zip')).sort()).toEqual(['api.zip', 'calculator.zip', 'events.zip', 'task.zip']);
  });

  it('defines the state machine from the ASL file with the Lambda ARNs substituted, and it validates', () => {
    const [[, machine] = ['', undefined as never]] = ofType('AWS::StepFunctions::StateMachine');
    const [text, variables] = (machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
    // Only what CloudFormation itself substitutes: the Sub's own variables and the pseudo parameters. Any
    // other ${…} is left in place, where it breaks the test below (and the deploy).
    const known = new Set([...Object.keys(variables), ...PSEUDO_PARAMETERS]);
    const substituted = text.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) => (known.has(name) ? 'arn:aws:lambda:us-east-1:123456789012:function:f' : whole));
    const definition = JSON.parse(substituted);

    expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['Calculate', 'WaitUntil', 'RunStep', 'RecordFailure', 'Finish']));
    expect(validator(definition).isValid).toBe(true);
    expect(substituted).not.toMatch(/\$\{(?!!)/);
  });

  it('resolves every ${Name} of every Fn::Sub, every Ref, Fn::GetAtt and DependsOn to something in the template', () => {
    expect(unresolvedReferences(template)).toEqual([]);
  });

  it('would name the ASL Comment\'s ${function} as unresolved, and skips ${!Literal}', () => {
    const broken = withUnresolvedComment();
    const problems = unresolvedReferences(broken);

    expect(problems).toEqual([
      'Resources.SchedulerStateMachine.Properties.DefinitionString: Fn::Sub ${function} names no resource, parameter, pseudo parameter or variable of the Sub',
    ]);
    expect(unresolvedReferences({ Resources: { A: { Properties: { X: { 'Fn::Sub': '${!Literal} ${AWS::Region} ${A.Arn}' } } } } })).toEqual([]);
    expect(unresolvedReferences({ Resources: { A: { Properties: { X: { 'Fn::Sub': ['${v}${Missing.Arn}', { v: { Ref: 'Nope' } }] }, Y: { 'Fn::GetAtt': ['Gone', 'Arn'] } } } } })).toEqual([
      'Resources.A.Properties.X: Fn::Sub ${Missing.Arn} names no resource, parameter, pseudo parameter or variable of the Sub',
      'Resources.A.Properties.X.Fn::Sub[1].v: Ref Nope names no resource, parameter or pseudo parameter',
      'Resources.A.Properties.Y: Fn::GetAtt ["Gone","Arn"] names no resource',
    ]);
  });

  it('passes cfn-lint (resource schemas, references), which rejects the old Comment with E1019', async () => {
    const brokenFile = path.join(outDir, 'broken-template.json');
    await writeFile(brokenFile, JSON.stringify(withUnresolvedComment()));
    // One run for both files: cfn-lint's start-up (loading its schemas) is most of its time.
    const findings = await cfnLint([templateFile, brokenFile]);
    const of = (file: string) => findings.filter((f) => path.resolve(f.Filename) === path.resolve(file));

    // W3005: serverless and serverless-step-functions write DependsOn on a role the resource also GetAtt's;
    // redundant, not wrong.
    expect(of(templateFile).filter((f) => f.Rule.Id !== 'W3005').map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
    expect(of(brokenFile).filter((f) => f.Rule.Id === 'E1019').map((f) => f.Message)).toEqual([expect.stringContaining("'function'")]);
  }, 120_000);

  it('creates the jobs table with the status-index GSI and TTL', () => {
    const [[, table] = ['', undefined as never]] = ofType('AWS::DynamoDB::Table');
    const gsis = table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string }> }>;

    expect(gsis.map((g) => g.IndexName)).toEqual(['status-index']);
    expect(gsis[0]?.KeySchema.map((k) => k.AttributeName)).toEqual(['status', 'nextRunAt']);
    expect(table.Properties.TimeToLiveSpecification).toMatchObject({ Enabled: true });
  });

  it('keeps the jobs table when the stack is deleted or the table replaced, with point-in-time recovery on', () => {
    const table = template.Resources.JobsTable!;

    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('logs the state machine at ERROR, without execution data, to a log group of its own, and traces it with X-Ray', () => {
    const [[, machine] = ['', undefined as never]] = ofType('AWS::StepFunctions::StateMachine');
    const logging = machine.Properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }>;
    };
    const groupId = logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const group = template.Resources[groupId]!;
    const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const actions = actionsOf(roleStatements(roleId));

    expect(logging).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
    expect(logging.Destinations).toHaveLength(1);
    expect(group.Type).toBe('AWS::Logs::LogGroup');
    expect(group.Properties).toEqual({ LogGroupName: '/aws/vendedlogs/states/step-scheduler-dev-scheduler', RetentionInDays: 30 });
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    // What Step Functions needs to deliver logs and traces (these actions take no resource but *).
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'xray:PutTraceSegments']));
  });

  it("delivers this state machine's execution status changes (RUNNING, ABORTED, FAILED, TIMED_OUT) to the events function", () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties as { EventPattern: Record<string, unknown>; Targets: Array<{ Arn: unknown }> });
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule?.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['RUNNING', 'ABORTED', 'FAILED', 'TIMED_OUT'] },
    });
    // This state machine only: its own ARN, not any execution in the account.
    expect(JSON.stringify((rule?.EventPattern.detail as { stateMachineArn: unknown }).stateMachineArn)).toContain('step-scheduler-dev-scheduler');
    expect(JSON.stringify(rule?.Targets.map((t) => t.Arn))).toContain('EventsLambdaFunction');
  });

  it('traces every function with X-Ray (Active) and lets its role send the traces', () => {
    for (const name of ['calculator', 'task', 'api', 'events'] as const) {
      const { properties, roleId } = lambda(name);
      expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(actionsOf(roleStatements(roleId))).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    }
  });

  it('gives each function a role of its own that writes to its own log group only', () => {
    const roles = (['calculator', 'task', 'api', 'events'] as const).map((name) => [name, lambda(name).roleId] as const);

    expect(new Set(roles.map(([, roleId]) => roleId)).size).toBe(4);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [name, roleId] of roles) {
      expect(template.Resources[roleId]!.Type).toBe('AWS::IAM::Role');
      const logs = roleStatements(roleId).filter((s) => actionsOf([s]).some((a) => a.startsWith('logs:')));
      expect(actionsOf(logs).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const groups = logs.flatMap((s) => ([] as unknown[]).concat(s.Resource)) as Array<{ 'Fn::GetAtt': [string, string] }>;
      expect(groups).toHaveLength(1);
      const group = template.Resources[groups[0]!['Fn::GetAtt'][0]]!;
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.LogGroupName).toBe(`/aws/lambda/step-scheduler-dev-${name}`);
    }
  });

  it('grants the calculator no DynamoDB, SNS, SQS or Step Functions right: logs and X-Ray only', () => {
    const actions = actionsOf(roleStatements(lambda('calculator').roleId));

    expect(actions.filter((a) => /^(dynamodb|sns|sqs|states|lambda|ssm):/.test(a))).toEqual([]);
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('grants the task and the api exactly the calls their code makes, each on named resources', () => {
    const granted = (name: 'task' | 'api' | 'events') =>
      roleStatements(lambda(name).roleId)
        .filter((s) => actionsOf([s]).some((a) => !/^(logs|xray):/.test(a)))
        .flatMap((s) => actionsOf([s]).map((a) => `${a} ${JSON.stringify(s.Resource)}`));
    const table = JSON.stringify([{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }]);
    const statusIndex = JSON.stringify([{ 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }, 'index', 'status-index']] }]);
    const states = (kind: string, name: string) =>
      JSON.stringify([{ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'states', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, kind, name]] }]);
    const convention = (service: string, resource: string) => ({
      'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, service, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, resource]],
    });
    const destinations = (service: string) => ({
      'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, service, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, 'step-scheduler-dev-*']],
    });

    // events: JobService.followExecution reads and writes job and request items, and calls nothing else.
    expect(granted('events').sort()).toEqual([`dynamodb:GetItem ${table}`, `dynamodb:PutItem ${table}`, `dynamodb:UpdateItem ${table}`].sort());
    // task: src/lib/attempt.ts through the stores and the ledger, the notifier and the failure sink.
    expect(granted('task').sort()).toEqual(
      [
        `dynamodb:GetItem ${table}`,
        `dynamodb:PutItem ${table}`,
        `dynamodb:UpdateItem ${table}`,
        `dynamodb:Query ${table}`,
        `sns:Publish ${JSON.stringify([{ Ref: 'NotificationsTopic' }, destinations('sns')])}`,
        `sqs:SendMessage ${JSON.stringify([destinations('sqs')])}`,
        // Targets (src/adapters/targets), by the same naming convention; the Deny ones are checked below.
        `lambda:InvokeFunction ${JSON.stringify([convention('lambda', 'function:step-scheduler-dev-*')])}`,
        `events:PutEvents ${JSON.stringify([convention('events', 'event-bus/step-scheduler-dev-*')])}`,
        `states:StartExecution ${JSON.stringify([convention('states', 'stateMachine:step-scheduler-dev-*')])}`,
        `lambda:InvokeFunction ${JSON.stringify(['calculator', 'task', 'api'].flatMap((name) => [convention('lambda', `function:step-scheduler-dev-${name}`), convention('lambda', `function:step-scheduler-dev-${name}:*`)]))}`,
        `states:StartExecution ${states('stateMachine', 'step-scheduler-dev-scheduler')}`,
      ].sort(),
    );
    // api: the stores (status-index for listing by status, Scan for listing all and /stats, BatchWriteItem
    // for DELETE) and src/adapters/sfn.ts (StartExecution, StopExecution, ListExecutions as its ping,
    // DescribeExecution and GetExecutionHistory for an execution's history).
    expect(granted('api').sort()).toEqual(
      [
        `dynamodb:GetItem ${table}`,
        `dynamodb:PutItem ${table}`,
        `dynamodb:UpdateItem ${table}`,
        `dynamodb:Query ${table}`,
        `dynamodb:Scan ${table}`,
        `dynamodb:BatchWriteItem ${table}`,
        `dynamodb:Query ${statusIndex}`,
        `states:StartExecution ${states('stateMachine', 'step-scheduler-dev-scheduler')}`,
        `states:ListExecutions ${states('stateMachine', 'step-scheduler-dev-scheduler')}`,
        `states:StopExecution ${states('execution', 'step-scheduler-dev-scheduler:*')}`,
        `states:DescribeExecution ${states('execution', 'step-scheduler-dev-scheduler:*')}`,
        `states:GetExecutionHistory ${states('execution', 'step-scheduler-dev-scheduler:*')}`,
      ].sort(),
    );
  });

  it('answers no CORS preflight with *: no OPTIONS method and no Access-Control header in API Gateway', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, method]) => method.Properties as { HttpMethod: string; Integration?: unknown });
    expect(methods.filter((method) => method.HttpMethod === 'OPTIONS')).toEqual([]);
    expect(JSON.stringify(methods)).not.toContain('Access-Control-Allow-Origin');
  });

  it('exposes the API routes through API Gateway', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod);

    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    expect(ofType('AWS::ApiGateway::ApiKey')).toHaveLength(1);
  });

  it('throttles the API key with a usage plan: the params\' default rate, burst and quota', () => {
    const [[planId, plan] = ['', undefined as never]] = ofType('AWS::ApiGateway::UsagePlan');
    const [[, planKey] = ['', undefined as never]] = ofType('AWS::ApiGateway::UsagePlanKey');
    const [[keyId] = ['']] = ofType('AWS::ApiGateway::ApiKey');

    expect(plan.Properties.Throttle).toEqual({ RateLimit: 25, BurstLimit: 50 });
    expect(plan.Properties.Quota).toEqual({ Limit: 100000, Period: 'DAY' });
    expect(plan.Properties.ApiStages).toEqual([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'dev' }]);
    expect(planKey.Properties).toMatchObject({ KeyId: { Ref: keyId }, UsagePlanId: { Ref: planId }, KeyType: 'API_KEY' });
  });

  it('puts no secret in any function\'s environment: no API_TOKEN, no variable named like a secret', () => {
    const secretLike = /SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|(^|_)(API_?)?KEY($|_)/i;
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(Object.keys(variables)).not.toContain('API_TOKEN');
      // A name that says where a secret is kept (…_PARAMETER, …_ARN) holds no secret itself.
      const leaks = Object.keys(variables).filter((name) => secretLike.test(name) && !/_(PARAMETER|ARN)$/.test(name));
      expect({ id, leaks }).toEqual({ id, leaks: [] });
    }
  });

  it('embeds the dashboard in the api bundle, and its handler serves it', async () => {
    const handler = unzipEntry(await readFile(path.join(outDir, 'api.zip')), 'src/functions/api/handler.js');
    const task = unzipEntry(await readFile(path.join(outDir, 'task.zip')), 'src/functions/task/handler.js');
    expect(handler).toBeDefined();
    expect(handler!.toString('utf8')).toContain('<title>step-scheduler</title>');
    expect(task!.toString('utf8')).not.toContain('<title>step-scheduler</title>');

    // The packaged handler itself, in a Node of its own, asked for the three files as API Gateway would.
    const file = path.join(outDir, 'api-handler.js');
    await writeFile(file, handler!);
    const probe = `
      const { handler } = require(${JSON.stringify(file)});
      (async () => {
        const out = {};
        for (const path of ['/', '/app.js', '/app.css']) {
          const r = await handler({ httpMethod: 'GET', path, headers: {}, requestContext: {} });
          out[path] = { status: r.statusCode, type: r.headers['content-type'], cache: r.headers['cache-control'], bytes: r.body.length, head: r.body.slice(0, 15) };
        }
        process.stdout.write(JSON.stringify(out));
      })();`;
    const env = { ...process.env, TABLE_NAME: 'jobs', STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:s', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'ERROR' };
    const { stdout } = await run(process.execPath, ['-e', probe], { env, timeout: 30_000 });
    const served = JSON.parse(stdout) as Record<string, { status: number; type: string; cache: string; bytes: number; head: string }>;

    expect(served['/']).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache', head: '<!doctype html>' });
    expect(served['/app.js']).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', cache: 'no-cache' });
    expect(served['/app.css']).toMatchObject({ status: 200, type: 'text/css; charset=utf-8', cache: 'no-cache' });
    expect(served['/app.js']!.bytes).toBeGreaterThan(10_000);
  });

  it('packages an SDK that works: the api bundle lists jobs and the calculator bundle schedules, on a real DynamoDB endpoint', async () => {
    // The bundles take the SDK's ES module builds (mainFields in serverless.ts), a different file set from
    // what the tests import: only the packaged files, run in a Node of their own, show those builds work.
    const dynamo = await startLocalDynamo({ tableName: 'jobs' });
    try {
      const files: Record<string, string> = {};
      for (const fn of ['api', 'calculator'] as const) {
        const body = unzipEntry(await readFile(path.join(outDir, `${fn}.zip`)), `src/functions/${fn}/handler.js`);
        files[fn] = path.join(outDir, `${fn}-sdk-handler.js`);
        await writeFile(files[fn], body!);
      }
      const job = { id: 'bundled', startDateTime: '2030-01-01T00:00:00Z', endDateTime: '2030-01-03T00:00:00Z', frequency: { days: 1 } };
      const probe = `
        (async () => {
          const api = require(${JSON.stringify(files.api)}).handler;
          const calculator = require(${JSON.stringify(files.calculator)}).handler;
          const list = await api({ httpMethod: 'GET', path: '/jobs', resource: '/jobs', headers: {}, queryStringParameters: null, requestContext: {} });
          const schedule = await calculator({ job: ${JSON.stringify(job)} });
          // Its module is required on first use (src/functions/api/app.ts): the bundle must still hold it.
          const openapi = await api({ httpMethod: 'GET', path: '/openapi.json', resource: '/openapi.json', headers: {}, queryStringParameters: null, requestContext: {} });
          process.stdout.write(JSON.stringify({ list: { status: list.statusCode, body: JSON.parse(list.body) }, schedule, openapi: { status: openapi.statusCode, version: JSON.parse(openapi.body).openapi } }));
        })().catch((error) => { process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) })); });`;
      const env = {
        PATH: process.env.PATH,
        TABLE_NAME: 'jobs',
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        AWS_ACCESS_KEY_ID: dynamo.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: dynamo.credentials.secretAccessKey,
        AWS_REGION: 'us-east-1',
        STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:s',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      };
      const { stdout } = await run(process.execPath, ['--no-warnings', '-e', probe], { env, timeout: 30_000 });
      const out = JSON.parse(stdout) as { error?: string; list: { status: number; body: { jobs?: unknown[]; count?: number } }; schedule: { iteration: number; runAt: string; phase: string; totalRuns: number }; openapi: { status: number; version: string } };

      expect(out.error).toBeUndefined();
      expect(out.list.status).toBe(200);
      expect(out.list.body).toMatchObject({ jobs: [], count: 0 });
      expect(out.schedule).toMatchObject({ iteration: 0, runAt: '2030-01-01T00:00:00Z', phase: 'collection', totalRuns: 3 });
      expect(out.openapi).toEqual({ status: 200, version: expect.stringMatching(/^3\.1\./) });
    } finally {
      await dynamo.stop();
    }
  });

  it("ships the SDK clients the task needs only for some actions beside its handler, read on first use, and they work", async () => {
    // The targets' clients, the failure destinations' and the notifier's: the task requires each on first use.
    // Every other function loads its clients at import (the api its Step Functions client), so has none apart.
    const split = ['client-eventbridge', 'client-lambda', 'client-sfn', 'client-sns', 'client-sqs'];
    const taskZip = await readFile(path.join(outDir, 'task.zip'));
    expect(zipEntryNames(taskZip).filter((name) => /handler\.client-.*\.js$/.test(name)).sort()).toEqual(split.map((client) => `src/functions/task/handler.${client}.js`));
    for (const other of ['api', 'calculator', 'events']) {
      expect(zipEntryNames(await readFile(path.join(outDir, `${other}.zip`))).filter((name) => /handler\.client-/.test(name))).toEqual([]);
    }

    // The packaged task, unzipped as Lambda would: loading it reads none of them; the SQS one, once
    // required, sends a message to a loopback endpoint speaking SQS's JSON protocol.
    const dir = path.join(outDir, 'task-unzipped');
    for (const name of ['handler.js', 'handler.client-sqs.js']) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, name), unzipEntry(taskZip, `src/functions/task/${name}`)!);
    }
    const received: Array<{ target: string; body: { QueueUrl: string; MessageBody: string } }> = [];
    const sqs = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as { QueueUrl: string; MessageBody: string };
        received.push({ target: String(req.headers['x-amz-target']), body });
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex') }));
      });
    });
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
      const probe = `
        (async () => {
          require(${JSON.stringify(path.join(dir, 'handler.js'))});
          const loadedAtStart = Object.keys(require.cache).filter((file) => file.includes('handler.client-'));
          const { SQSClient, SendMessageCommand } = require(${JSON.stringify(path.join(dir, 'handler.client-sqs.js'))});
          const client = new SQSClient({ region: 'us-east-1', endpoint: ${JSON.stringify(endpoint)}, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
          const sent = await client.send(new SendMessageCommand({ QueueUrl: ${JSON.stringify(`${endpoint}/123456789012/q`)}, MessageBody: 'hello' }));
          process.stdout.write(JSON.stringify({ loadedAtStart, messageId: sent.MessageId }));
        })().catch((error) => { process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) })); });`;
      const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', TABLE_NAME: 'jobs', POWERTOOLS_LOG_LEVEL: 'ERROR' };
      const { stdout } = await run(process.execPath, ['--no-warnings', '-e', probe], { env, timeout: 30_000 });
      const out = JSON.parse(stdout) as { error?: string; loadedAtStart: string[]; messageId: string };

      expect(out.error).toBeUndefined();
      expect(out.loadedAtStart).toEqual([]);
      expect(out.messageId).toBe('m-1');
      expect(received).toEqual([{ target: 'AmazonSQS.SendMessage', body: expect.objectContaining({ MessageBody: 'hello' }) }]);
    } finally {
      sqs.close();
    }
  });

  it('serves GET /, /app.js and /app.css without the API key, and every jobs route with it', () => {
    const resources = Object.fromEntries(ofType('AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties.PathPart as string]));
    const pathOf = (resourceId: unknown) => {
      if (JSON.stringify(resourceId).includes('RootResourceId')) return '/';
      return `/${resources[(resourceId as { Ref: string }).Ref] ?? '?'}`;
    };
    const methods = ofType('AWS::ApiGateway::Method').map(([, m]) => m.Properties);
    const get = (p: string) => methods.find((m) => m.HttpMethod === 'GET' && pathOf(m.ResourceId) === p);

    for (const p of ['/', '/app.js', '/app.css']) {
      expect(get(p)).toBeDefined();
      expect(get(p)!.ApiKeyRequired).toBe(false);
    }
    expect(get('/jobs')!.ApiKeyRequired).toBe(true);
    expect(get('/stats')!.ApiKeyRequired).toBe(true);
  });

  it('grants no wildcard resource for DynamoDB, Lambda, Step Functions, SNS or SQS', () => {
    const scoped = statements().filter((s) => {
      const actions = ([] as string[]).concat(s.Action);
      return actions.some((a) => /^(dynamodb|lambda|states|sns|sqs|events):/.test(a));
    });

    expect(scoped.length).toBeGreaterThan(0);
    for (const statement of scoped) {
      const resources = ([] as unknown[]).concat(statement.Resource);
      expect(resources).not.toContain('*');
      expect(JSON.stringify(resources)).not.toMatch(/"arn:aws:(dynamodb|lambda|states|sns|sqs|events):\*/);
    }
  });

  it('lets the functions publish and send only to topics and queues named step-scheduler-dev-… in their own account and region', () => {
    const messaging = statements().filter((s) => ([] as string[]).concat(s.Action).some((a) => /^(sns|sqs):/.test(a)));
    const actions = messaging.flatMap((s) => ([] as string[]).concat(s.Action));
    const wildcards = messaging.flatMap((s) => ([] as unknown[]).concat(s.Resource)).filter((r) => JSON.stringify(r).includes('*'));

    expect(actions.sort()).toEqual(['sns:Publish', 'sqs:SendMessage']);
    expect(wildcards).toHaveLength(2);
    for (const resource of wildcards) {
      // arn:<partition>:<sns|sqs>:<this region>:<this account>:step-scheduler-dev-* — the * only after the prefix.
      expect(resource).toEqual({
        'Fn::Join': [
          ':',
          ['arn', { Ref: 'AWS::Partition' }, expect.stringMatching(/^(sns|sqs)$/), { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, 'step-scheduler-dev-*'],
        ],
      });
    }
  });

  it('lets the task reach targets only by the naming convention in its own account and region, and denies it the stack\'s own functions and state machine', () => {
    const task = roleStatements(lambda('task').roleId);
    const targetActions = ['lambda:InvokeFunction', 'events:PutEvents', 'states:StartExecution', 'sns:Publish', 'sqs:SendMessage'];
    const allows = task.filter((s) => s.Effect === 'Allow' && actionsOf([s]).some((a) => targetActions.includes(a)));
    const denies = task.filter((s) => s.Effect === 'Deny');
    const arnParts = (resource: unknown) => (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];

    for (const statement of allows) {
      for (const resource of ([] as unknown[]).concat(statement.Resource)) {
        if (JSON.stringify(resource) === JSON.stringify({ Ref: 'NotificationsTopic' })) continue;
        const parts = arnParts(resource);
        // arn:<partition>:<service>:<this region>:<this account>:<kind?>step-scheduler-dev-* — no bare *, no other account.
        expect(parts.slice(0, 2)).toEqual(['arn', { Ref: 'AWS::Partition' }]);
        expect(parts.slice(3, 5)).toEqual([{ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]);
        expect(parts[5]).toMatch(/^(function:|event-bus\/|stateMachine:)?step-scheduler-dev-\*$/);
      }
    }
    expect(actionsOf(allows).sort()).toEqual([...targetActions].sort());
    // A Deny wins over the convention's Allow: the task, api and calculator functions, and the scheduler itself.
    expect(actionsOf(denies).sort()).toEqual(['lambda:InvokeFunction', 'states:StartExecution']);
    const denied = JSON.stringify(denies.map((s) => s.Resource));
    for (const name of ['calculator', 'task', 'api']) {
      expect(denied).toContain(`"function:step-scheduler-dev-${name}"`);
      expect(denied).toContain(`"function:step-scheduler-dev-${name}:*"`);
    }
    expect(denied).toContain('"stateMachine","step-scheduler-dev-scheduler"');
  });

  it('lets the state machine start executions of itself only (ContinueAsNew), not of any state machine', () => {
    const functionRoles = new Set((['calculator', 'task', 'api'] as const).map((name) => lambda(name).roleId));
    const machineRoles = () => ofType('AWS::IAM::Role').filter(([id]) => !functionRoles.has(id)).flatMap(([id]) => roleStatements(id));
    const starts = machineRoles().filter((s) => ([] as string[]).concat(s.Action).includes('states:StartExecution'));
    const machineStarts = starts.filter((s) => JSON.stringify(s.Resource).includes(':stateMachine:'));

    expect(machineStarts.length).toBeGreaterThan(0);
    for (const statement of starts) expect(JSON.stringify(statement.Resource)).toContain('step-scheduler-dev-scheduler');
  });

  it('lets the state machine invoke only the calculator and task functions', () => {
    const functionRoles = new Set((['calculator', 'task', 'api'] as const).map((name) => lambda(name).roleId));
    const invoke = ofType('AWS::IAM::Role').filter(([id]) => !functionRoles.has(id)).flatMap(([id]) => roleStatements(id)).filter((s) => ([] as string[]).concat(s.Action).includes('lambda:InvokeFunction'));
    const targets = JSON.stringify(invoke.map((s) => s.Resource));

    expect(invoke.length).toBeGreaterThan(0);
    expect(targets).toContain('CalculatorLambdaFunction');
    expect(targets).toContain('TaskLambdaFunction');
    expect(targets).not.toContain('ApiLambdaFunction');
  });
});
