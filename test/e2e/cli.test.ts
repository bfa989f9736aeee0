/**
 * The `step-scheduler` command as a user runs it: a separate Node process (bin/step-scheduler.js, the
 * bundled dist/cli.js) against the embedded runtime over loopback. One runtime in real time holds jobs
 * that wait (pause, resume, trigger, backfill, the token); one with waits skipped runs a job to the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import type { AnyJson } from '../support/http';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/step-scheduler.js');
const TOKEN = 'cli-s3cret';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command line in its own process (async: the runtime answering it lives in this one). */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, STEP_SCHEDULER_ENDPOINT: '', STEP_SCHEDULER_TOKEN: '', STEP_SCHEDULER_API_KEY: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let live: Runtime;
let cli: (...args: string[]) => Promise<Result>;

/** The README's example job for the CLI (its "Command-line client" section), written to a file. */
function readmeJob(): AnyJson {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Command-line client\n'));
  return JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!);
}

function writeJob(name: string, job: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(job));
  return file;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  // Real time: a job starting next year waits, so it can be paused, resumed and triggered.
  live = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, apiToken: TOKEN });
  cli = (...args) => run(process.execPath, [BIN, ...args], { STEP_SCHEDULER_ENDPOINT: live.url, STEP_SCHEDULER_TOKEN: TOKEN });
}, 60_000);

afterAll(async () => {
  await live?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('step-scheduler', () => {
  it('runs as `npx step-scheduler` from the repository, with help', async () => {
    // npm_config_yes=false: never fetch a package of that name from the registry, only the project's own bin.
    const help = await run('npx', ['step-scheduler', '--help'], { npm_config_yes: 'false' });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: step-scheduler');
    const jobs = await run(process.execPath, [BIN, 'jobs', '--help']);
    expect(jobs.code).toBe(0);
    for (const name of ['create', 'list', 'get', 'upcoming', 'pause', 'resume', 'trigger', 'backfill', 'stop|delete', 'delete-all', 'history']) expect(jobs.stdout).toContain(name);
  }, 60_000);

  it('exits 2 on usage errors, before any request', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['jobs', 'frobnicate'], /unknown command 'frobnicate'/],
      [['jobs', 'get'], /missing required argument 'id'/],
      [['jobs', 'create'], /required option '-f, --file <path>' not specified/],
      [['jobs', 'create', '--file', path.join(dir, 'none.json')], /cannot read .*none\.json: ENOENT/],
      [['jobs', 'list', '--limit', 'ten'], /--limit.*must be a whole number/],
      [['jobs', 'delete-all'], /add --yes/],
    ];
    writeFileSync(path.join(dir, 'broken.json'), '{ "id": ');
    cases.push([['jobs', 'create', '--file', path.join(dir, 'broken.json')], /broken\.json is not JSON/]);
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
  }, 60_000);

  it('sends the token from --token or STEP_SCHEDULER_TOKEN; without it the API says 401 (exit 1)', async () => {
    const without = await run(process.execPath, [BIN, 'jobs', 'list', '--endpoint', live.url]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/^error: 401 UNAUTHORIZED: /);
    const flag = await run(process.execPath, [BIN, 'jobs', 'list', '--endpoint', live.url, '--token', TOKEN]);
    expect(flag.code).toBe(0);
  }, 60_000);

  it('creates, lists, gets, pauses, resumes and triggers a job', async () => {
    const now = Date.parse((await (await fetch(`${live.url}/health`)).json()).now);
    const job = { ...readmeJob(), startDateTime: iso(now + 365 * 86_400_000) };
    const file = writeJob('hello.json', job);

    const created = await cli('jobs', 'create', '--file', file);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(new RegExp(`^created hello-cli: SCHEDULED, next run ${job.startDateTime.replace('.000Z', '')}`));
    const again = JSON.parse((await cli('jobs', 'create', '--file', file, '--json')).stdout);
    expect(again).toMatchObject({ jobId: 'hello-cli', status: 'SCHEDULED' });

    const list = await cli('jobs', 'list', '--status', 'scheduled', '--group', 'demo', '--tag', 'cli');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^JOB\s+STATUS\s+RUNS\s+NEXT RUN\s+GROUP\s+TAGS$/);
    expect(list.stdout).toMatch(/hello-cli\s+SCHEDULED\s+0\/3\s+\S+\s+demo\s+cli/);
    expect(JSON.parse((await cli('jobs', 'list', '--group', 'other', '--json')).stdout).jobs).toEqual([]);

    const get = await cli('jobs', 'get', 'hello-cli');
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^job:\s+hello-cli$/m);
    expect(get.stdout).toMatch(/^kind:\s+action \(message\)$/m);

    const upcoming = await cli('jobs', 'upcoming', 'hello-cli', '--count', '2');
    expect(upcoming.code).toBe(0);
    expect(upcoming.stdout).toContain('hello-cli: SCHEDULED, 3 run(s) left, times in UTC');
    expect(upcoming.stdout.trim().split('\n')).toHaveLength(4); // the line above, the header, two runs

    const paused = await cli('jobs', 'pause', 'hello-cli', '--note', 'maintenance');
    expect(paused.stdout).toMatch(/^hello-cli: PAUSED since \S+ \(maintenance\)/);
    expect((await cli('jobs', 'list', '--status', 'PAUSED')).stdout).toContain('hello-cli');
    const resumedAgain = await cli('jobs', 'resume', 'hello-cli');
    expect(resumedAgain.code).toBe(0);
    expect(resumedAgain.stdout).toMatch(/^hello-cli: SCHEDULED, execution arn:aws:states:/);
    const notPaused = await cli('jobs', 'resume', 'hello-cli');
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toMatch(/^error: 409 JOB_STATE \(field status\): /);

    const trigger = await cli('jobs', 'trigger', 'hello-cli', '--note', 'now please');
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toMatch(/^trigger \S+ of hello-cli: \w+, 1 run\(s\)/);
    // The triggered run shows in the history once it ran.
    let history: Result | undefined;
    for (let i = 0; i < 100; i++) {
      history = await cli('jobs', 'history', 'hello-cli');
      if (/trigger#0\s+action\s+SUCCEEDED/.test(history.stdout)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(history!.stdout).toMatch(/^ITER\s+KIND\s+PHASE\s+STATE/m);
    expect(history!.stdout).toMatch(/-\s+trigger#0\s+action\s+SUCCEEDED/);

    const stopped = await cli('jobs', 'stop', 'hello-cli');
    expect(stopped.stdout.trim()).toBe('hello-cli: CANCELLED');
  }, 120_000);

  it('backfills a past range, and names `to` when it is in the future (exit 1)', async () => {
    const now = Date.parse((await (await fetch(`${live.url}/health`)).json()).now);
    const start = iso(now - 5.5 * 3_600_000);
    const file = writeJob('hourly.json', { id: 'hourly-cli', startDateTime: start, frequency: { hours: 1 }, maxRuns: 100, catchUp: 'skip', action: { type: 'message', text: 'tick' } });
    expect((await cli('jobs', 'create', '--file', file)).code).toBe(0);
    const to = iso(Date.parse(start) + 2 * 3_600_000);
    const backfill = await cli('jobs', 'backfill', 'hourly-cli', '--from', start, '--to', to);
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(new RegExp(`^backfill \\S+ of hourly-cli ${start.replace('.000Z', '')}\\S* \\.\\. \\S+: \\w+, 3 run\\(s\\)`));
    const future = await cli('jobs', 'backfill', 'hourly-cli', '--from', start, '--to', iso(now + 86_400_000));
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/^error: 400 VALIDATION_ERROR \(field to\): to: must not be in the future/);
  }, 60_000);

  it('exits 1 naming the field of a job the API refuses, and says the same in --json', async () => {
    const file = writeJob('bad.json', { id: 'bad', startDateTime: '2027-01-01T09:00:00Z', endDateTime: '2027-01-09T09:00:00Z', frequency: { fortnights: 1 } });
    const human = await cli('jobs', 'create', '--file', file);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^error: 400 VALIDATION_ERROR \(field frequency\.fortnights\): frequency\.fortnights: unknown unit "fortnights"/);
    const json = await cli('jobs', 'create', '--file', file, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 400, error: { code: 'VALIDATION_ERROR', field: 'frequency.fortnights' } });
    const missing = await cli('jobs', 'get', 'no-such-job');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: 404 JOB_NOT_FOUND: /);
  }, 60_000);

  it('exits 3 when the endpoint does not answer, or answers 5xx', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await run(process.execPath, [BIN, 'jobs', 'list', '--endpoint', `http://127.0.0.1:${port}`]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(`error: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);

    // A server in trouble: the API's own 503 body.
    const failing: Server = createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'temporarily unavailable; try again' } }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const result = await run(process.execPath, [BIN, 'jobs', 'list', '--endpoint', `http://127.0.0.1:${(failing.address() as { port: number }).port}`]);
      expect(result.code).toBe(3);
      expect(result.stderr).toBe('error: 503 UNAVAILABLE: temporarily unavailable; try again\n');
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  }, 60_000);

  it('drives a job from create to completion (waits skipped), shows its runs, and deletes all', async () => {
    const fast = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: 0 });
    const fastCli = (...args: string[]) => run(process.execPath, [BIN, '--endpoint', fast.url, ...args]);
    try {
      const now = Date.parse((await (await fetch(`${fast.url}/health`)).json()).now);
      const file = writeJob('done.json', { ...readmeJob(), id: 'to-the-end', startDateTime: iso(now + 60_000) });
      expect((await fastCli('jobs', 'create', '--file', file)).code).toBe(0);
      let job: AnyJson;
      for (let i = 0; i < 100; i++) {
        job = JSON.parse((await fastCli('jobs', 'get', 'to-the-end', '--json')).stdout);
        if (job.status === 'COMPLETED') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(job.status).toBe('COMPLETED');
      const history = await fastCli('jobs', 'history', 'to-the-end');
      expect(history.code).toBe(0);
      const rows = history.stdout.split('\n').filter((line) => /^\d+\s+live\s+action\s+SUCCEEDED\s/.test(line));
      expect(rows).toHaveLength(3);
      const asJson = JSON.parse((await fastCli('jobs', 'history', 'to-the-end', '--json')).stdout);
      expect(asJson.runs.map((run: AnyJson) => [run.iteration, run.state])).toEqual([[0, 'SUCCEEDED'], [1, 'SUCCEEDED'], [2, 'SUCCEEDED']]);
      const deleted = await fastCli('jobs', 'delete-all', '--yes');
      expect(deleted.stdout.trim()).toBe('deleted 1 job(s)');
    } finally {
      await fast.close();
    }
  }, 120_000);
});
