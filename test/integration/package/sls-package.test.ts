/**
 * `sls package` builds the whole CloudFormation template offline, with no AWS credentials: this test runs
 * it once and checks the stack a `sls deploy` would create.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import validator from 'asl-validator';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
type Template = { Resources: Record<string, Resource> };

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');
let outDir: string;
let template: Template;
let artifacts: string[];

function ofType(type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function statements(): Array<{ Effect: string; Action: string | string[]; Resource: unknown }> {
  return ofType('AWS::IAM::Role').flatMap(([, role]) =>
    ((role.Properties.Policies as Array<{ PolicyDocument: { Statement: never[] } }>) ?? []).flatMap((p) => p.PolicyDocument.Statement),
  );
}

/**
 * One file out of a zip, with zlib alone: the central directory gives its name, size and local header, the
 * local header where its data starts (stored or deflated, as serverless writes them).
 */
function unzipEntry(zip: Buffer, name: string): Buffer | undefined {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip: no end of central directory');
  let at = zip.readUInt32LE(end + 16);
  for (let entry = zip.readUInt16LE(end + 10); entry > 0; entry--) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return undefined;
}

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'sls-package-'));
  // No credentials and no network: packaging must not need either.
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  await run(path.join(root, 'node_modules/.bin/sls'), ['package', '--package', outDir], { cwd: root, env, timeout: 170_000 });
  template = JSON.parse(await readFile(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  artifacts = await readdir(outDir);
}, 180_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('sls package', () => {
  it('packages the three functions on a current Node runtime, each as its own bundle', () => {
    const functions = ofType('AWS::Lambda::Function').map(([, f]) => f.Properties);

    expect(functions.map((f) => f.Handler).sort()).toEqual([
      'src/functions/api/handler.handler',
      'src/functions/calculator/handler.handler',
      'src/functions/task/handler.handler',
    ]);
    for (const f of functions) expect(f.Runtime).toBe('nodejs22.x');
    expect(artifacts.filter((file) => file.endsWith('.zip')).sort()).toEqual(['api.zip', 'calculator.zip', 'task.zip']);
  });

  it('defines the state machine from the ASL file with the Lambda ARNs substituted, and it validates', () => {
    const [[, machine] = ['', undefined as never]] = ofType('AWS::StepFunctions::StateMachine');
    const body = machine.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] } | string;
    const text = typeof body === 'string' ? body : body['Fn::Sub'][0];
    // Fn::Sub placeholders stand for the ARNs; give them one so the definition can be parsed and validated.
    const definition = JSON.parse(text.replace(/\$\{[^}]+\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:f'));

    expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['Calculate', 'WaitUntil', 'RunStep', 'RecordFailure', 'Finish']));
    expect(validator(definition).isValid).toBe(true);
    expect(text).not.toContain('${calculator}');
    expect(text).not.toContain('${task}');
  });

  it('creates the jobs table with the status-index GSI and TTL', () => {
    const [[, table] = ['', undefined as never]] = ofType('AWS::DynamoDB::Table');
    const gsis = table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string }> }>;

    expect(gsis.map((g) => g.IndexName)).toEqual(['status-index']);
    expect(gsis[0]?.KeySchema.map((k) => k.AttributeName)).toEqual(['status', 'nextRunAt']);
    expect(table.Properties.TimeToLiveSpecification).toMatchObject({ Enabled: true });
  });

  it('exposes the API routes through API Gateway', () => {
    const methods = ofType('AWS::ApiGateway::Method').map(([, m]) => m.Properties.HttpMethod);

    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
    expect(ofType('AWS::ApiGateway::ApiKey')).toHaveLength(1);
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
      return actions.some((a) => /^(dynamodb|lambda|states|sns|sqs):/.test(a));
    });

    expect(scoped.length).toBeGreaterThan(0);
    for (const statement of scoped) {
      const resources = ([] as unknown[]).concat(statement.Resource);
      expect(resources).not.toContain('*');
      expect(JSON.stringify(resources)).not.toMatch(/"arn:aws:(dynamodb|lambda|states|sns|sqs):\*/);
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

  it('lets the state machine start executions of itself only (ContinueAsNew), not of any state machine', () => {
    const starts = statements().filter((s) => ([] as string[]).concat(s.Action).includes('states:StartExecution'));
    const machineStarts = starts.filter((s) => JSON.stringify(s.Resource).includes(':stateMachine:'));

    expect(machineStarts.length).toBeGreaterThan(0);
    for (const statement of starts) expect(JSON.stringify(statement.Resource)).toContain('step-scheduler-dev-scheduler');
  });

  it('lets the state machine invoke only the calculator and task functions', () => {
    const invoke = statements().filter((s) => ([] as string[]).concat(s.Action).includes('lambda:InvokeFunction'));
    const targets = JSON.stringify(invoke.map((s) => s.Resource));

    expect(invoke.length).toBeGreaterThan(0);
    expect(targets).toContain('CalculatorLambdaFunction');
    expect(targets).toContain('TaskLambdaFunction');
    expect(targets).not.toContain('ApiLambdaFunction');
  });
});
