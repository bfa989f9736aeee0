/**
 * The AWS CLI v2 (Debian's `awscli`, /usr/bin/aws) against the local runtime's Step Functions endpoint, as a
 * console or CLI user would drive it: list and describe the state machine, start seed 002's example shape
 * as console input, watch it succeed, read its history, stop another execution, and the service's errors.
 * The CLI parses every answer with the service's own model (botocore), so a shape it cannot read fails here.
 *
 * The CLI is required, not optional: without /usr/bin/aws v2 every test here fails (`npm test`'s pretest
 * and `.ci/run` install it). `aws` on PATH may be another (a v1 shim), so the path is explicit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime, type Runtime } from '../../src/local/runtime';

const AWS = '/usr/bin/aws';
const MINUTE = 60_000;
/** Warped seconds per real second: a minute a second, so a three-minute job takes seconds. */
const SPEED = 60;

let runtime: Runtime;
let home: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One CLI call against the local endpoint, with the keys the runtime printed and no shared config or pager. */
function aws(...args: string[]): Promise<Run> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    // The runtime's own keys: its endpoints refuse any other caller (src/local/credentials.ts).
    AWS_ACCESS_KEY_ID: runtime.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: runtime.credentials.secretAccessKey,
    AWS_CONFIG_FILE: path.join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const all = ['stepfunctions', ...args, '--endpoint-url', runtime.sfnEndpoint, '--region', 'us-east-1', '--output', 'json'];
  return new Promise((resolve) => {
    execFile(AWS, all, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CLI call that must succeed with JSON the CLI printed (so it parsed the endpoint's answer). */
async function awsJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const run = await aws(...args);
  if (run.code !== 0) throw new Error(`aws stepfunctions ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`aws stepfunctions ${args[0]} printed no JSON: ${run.stdout} ${run.stderr}`);
  }
}

/** A CLI call that must fail with the service's error code (the CLI exits 254 for a service error, 255 otherwise). */
async function awsError(...args: string[]): Promise<{ code: number; error: string }> {
  const run = await aws(...args);
  const error = /An error occurred \(([A-Za-z.]+)\)/.exec(run.stderr)?.[1] ?? `(none) ${run.stderr}`;
  return { code: run.code, error };
}

interface HistoryEvent {
  id: number;
  type: string;
  timestamp: string;
  [details: string]: unknown;
}

const TERMINAL = ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'];
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'aws-cli-test-'));
  const version = await new Promise<string>((resolve) =>
    execFile(AWS, ['--version'], (error, stdout) => resolve(error ? `missing: ${error.message}` : stdout)),
  );
  if (!/^aws-cli\/2\./.test(version)) {
    throw new Error(`${AWS} is not the AWS CLI v2 (${version.trim()}): sudo apt-get install -y awscli (npm test's pretest and .ci/run do this)`);
  }
  runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: SPEED, staticFiles: async () => false });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('aws stepfunctions against the local endpoint', () => {
  it('lists and describes the state machine, runs a console job to success, reads its history, stops another, and answers errors as the service does', async () => {
    // Seed 002's example as console input: the job itself, a few minutes of every-minute runs starting shortly.
    const start = runtime.clock.now().getTime() + 2 * MINUTE;
    const job = { id: 'cli-console-job', startDateTime: iso(start), endDateTime: iso(start + 3 * MINUTE), frequency: { minute: 1 }, context: { name: 'Curtis' } };
    const input = JSON.stringify(job);
    // Far enough ahead to be still waiting when stopped.
    const later = runtime.clock.now().getTime() + 60 * MINUTE;
    const longJob = { id: 'cli-stopped-job', startDateTime: iso(later), endDateTime: iso(later + 24 * 60 * MINUTE), frequency: { hours: 1 } };
    const arn = runtime.stateMachineArn;
    const unknownMachine = arn.replace(/:stateMachine:.*$/, ':stateMachine:no-such-machine');

    const [machines, machine, started, toStop, malformed, unknown, noMachine] = await Promise.all([
      awsJson<{ stateMachines: Array<{ stateMachineArn: string; name: string; type: string; creationDate: string }> }>('list-state-machines'),
      awsJson<{ stateMachineArn: string; status: string; type: string; definition: string; roleArn: string; creationDate: string }>(
        'describe-state-machine',
        '--state-machine-arn',
        arn,
      ),
      awsJson<{ executionArn: string; startDate: string }>('start-execution', '--state-machine-arn', arn, '--input', input),
      awsJson<{ executionArn: string }>('start-execution', '--state-machine-arn', arn, '--name', 'cli-stop-me', '--input', JSON.stringify(longJob)),
      awsError('describe-execution', '--execution-arn', 'not-an-arn'),
      awsError('describe-execution', '--execution-arn', `${arn.replace(':stateMachine:', ':execution:')}:no-such-execution`),
      awsError('start-execution', '--state-machine-arn', unknownMachine, '--input', input),
    ]);

    expect(machines.stateMachines).toEqual([{ stateMachineArn: arn, name: arn.split(':').pop(), type: 'STANDARD', creationDate: expect.any(String) }]);
    expect(machine).toMatchObject({ stateMachineArn: arn, status: 'ACTIVE', type: 'STANDARD', roleArn: expect.stringMatching(/^arn:aws:iam::/) });
    expect(Number.isNaN(Date.parse(machine.creationDate))).toBe(false);
    const definition = JSON.parse(machine.definition) as { StartAt: string; States: Record<string, unknown> };
    expect(definition.StartAt).toBe('Normalize');
    expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['Calculate', 'WaitUntil', 'RunStep', 'RecordFailure', 'Finish', 'ContinueAsNew']));
    // Unnamed: a UUID, as the service names it.
    expect(started.executionArn).toMatch(new RegExp(`^${arn.replace(':stateMachine:', ':execution:')}:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    expect(malformed).toEqual({ code: 254, error: 'InvalidArn' });
    expect(unknown).toEqual({ code: 254, error: 'ExecutionDoesNotExist' });
    expect(noMachine).toEqual({ code: 254, error: 'StateMachineDoesNotExist' });

    // A job started from the CLI is in the API as soon as its execution starts, an hour before its first run.
    const jobView = async (id: string) => (await (await fetch(`${runtime.url}/jobs/${id}`)).json()) as { status: string; nextRunAt: string | null; executions: string[]; reason?: string; progress: { completedRuns: number } };
    const registered = await jobView(longJob.id);
    expect(registered).toMatchObject({ status: 'INITIALIZED', executions: [toStop.executionArn], progress: { completedRuns: 0 } });
    // Its first run, rounded up to the second as a Wait state takes it.
    expect(registered.nextRunAt).toBe(new Date(Math.ceil(later / 1000) * 1000).toISOString().replace('.000Z', 'Z'));

    // Watch the console job until it ends, and stop the other one meanwhile.
    const [stopped] = await Promise.all([
      awsJson<{ stopDate: string }>('stop-execution', '--execution-arn', toStop.executionArn, '--error', 'Operator', '--cause', 'stopped from the CLI'),
    ]);
    expect(Number.isNaN(Date.parse(stopped.stopDate))).toBe(false);
    // The job record follows its execution, stopped outside the API: CANCELLED with the cause, no next run.
    let settled = await jobView(longJob.id);
    for (let i = 0; settled.status !== 'CANCELLED' && i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      settled = await jobView(longJob.id);
    }
    expect(settled).toMatchObject({ status: 'CANCELLED', nextRunAt: null });
    expect(settled.reason).toContain('stopped from the CLI');
    let described = await awsJson<{ status: string; input: string; output?: string; stopDate?: string }>('describe-execution', '--execution-arn', started.executionArn);
    for (let i = 0; described.status === 'RUNNING' && i < 30; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      described = await awsJson('describe-execution', '--execution-arn', started.executionArn);
    }
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.input)).toEqual(job);
    expect(JSON.parse(described.output ?? 'null')).toMatchObject({ jobId: job.id, status: 'COMPLETED' });

    const [history, firstPage, lastTwo, succeeded, aborted, abortedView, abortedHistory, forExecution] = await Promise.all([
      awsJson<{ events: HistoryEvent[] }>('get-execution-history', '--execution-arn', started.executionArn),
      awsJson<{ events: HistoryEvent[]; NextToken?: string }>('get-execution-history', '--execution-arn', started.executionArn, '--max-items', '5'),
      awsJson<{ events: HistoryEvent[]; nextToken?: string }>(
        'get-execution-history',
        '--execution-arn',
        started.executionArn,
        '--reverse-order',
        '--no-paginate',
        '--max-results',
        '2',
        '--no-include-execution-data',
      ),
      awsJson<{ executions: Array<{ executionArn: string; status: string }> }>('list-executions', '--state-machine-arn', arn, '--status-filter', 'SUCCEEDED'),
      awsJson<{ executions: Array<{ executionArn: string; status: string }> }>('list-executions', '--state-machine-arn', arn, '--status-filter', 'ABORTED'),
      awsJson<{ status: string; error?: string; cause?: string }>('describe-execution', '--execution-arn', toStop.executionArn),
      awsJson<{ events: HistoryEvent[] }>('get-execution-history', '--execution-arn', toStop.executionArn),
      awsJson<{ stateMachineArn: string; definition: string }>('describe-state-machine-for-execution', '--execution-arn', started.executionArn),
    ]);

    const events = history.events;
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'ExecutionStarted')).toHaveLength(1);
    expect(JSON.parse((events[0]?.executionStartedEventDetails as { input: string }).input)).toEqual(job);
    expect(events.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(['ExecutionSucceeded']);
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(JSON.parse((events.at(-1)?.executionSucceededEventDetails as { output: string }).output)).toMatchObject({ jobId: job.id, status: 'COMPLETED' });
    // Each Lambda call of Calculate and RunStep: Scheduled (its function and input), Started, Succeeded (its output).
    const entered = (name: string) => events.filter((e) => e.type === 'TaskStateEntered' && (e.stateEnteredEventDetails as { name: string }).name === name);
    const scheduled = events.filter((e) => e.type === 'LambdaFunctionScheduled');
    expect(entered('Calculate').length).toBeGreaterThanOrEqual(2);
    expect(entered('RunStep').length).toBeGreaterThanOrEqual(1);
    expect(scheduled).toHaveLength(events.filter((e) => e.type === 'LambdaFunctionSucceeded').length);
    expect(scheduled.length).toBe(events.filter((e) => e.type === 'TaskStateEntered').length);
    for (const event of scheduled) {
      const details = event.lambdaFunctionScheduledEventDetails as { resource: string; input: string };
      expect(details.resource).toMatch(/^arn:aws:lambda:/);
      expect(JSON.parse(details.input)).toMatchObject({ job });
    }
    const runStepInputs = scheduled.map((e) => JSON.parse((e.lambdaFunctionScheduledEventDetails as { input: string }).input) as { op?: string }).filter((i) => i.op === 'run');
    expect(runStepInputs).toHaveLength(entered('RunStep').length);

    // Paging: the CLI's own token (--max-items / --starting-token), and the service's (--no-paginate, --max-results).
    expect(firstPage.events).toEqual(events.slice(0, 5));
    expect(firstPage.NextToken).toEqual(expect.any(String));
    const secondPage = await awsJson<{ events: HistoryEvent[] }>(
      'get-execution-history',
      '--execution-arn',
      started.executionArn,
      '--max-items',
      '5',
      '--starting-token',
      firstPage.NextToken!,
    );
    expect(secondPage.events).toEqual(events.slice(5, 10));
    expect(lastTwo.events.map((e) => e.id)).toEqual([events.length, events.length - 1]);
    expect(lastTwo.events[0]?.executionSucceededEventDetails).toEqual({});
    expect(lastTwo.nextToken).toEqual(expect.any(String));

    expect(succeeded.executions.map((e) => e.executionArn)).toEqual([started.executionArn]);
    expect(aborted.executions.map((e) => e.executionArn)).toEqual([toStop.executionArn]);
    expect(abortedView).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped from the CLI' });
    const abortedEvents = abortedHistory.events;
    expect(abortedEvents.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(['ExecutionAborted']);
    expect(abortedEvents.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'stopped from the CLI' } });
    expect(forExecution.stateMachineArn).toBe(arn);
    expect(JSON.parse(forExecution.definition)).toEqual(definition);
  }, 240_000);
});
