/**
 * Kill the runtime with SIGKILL in the middle of a 7-day job and start it again on the same data folder:
 * the job finishes with exactly 7 runs recorded, none twice, and one notification sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
let dataDir: string;
const children: ChildProcess[] = [];

/** Start `npm start`'s program on free ports, a day a second; resolves with its API URL and its output. */
async function startCli(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'src/local/cli.ts', '--port', '0', '--sfn-port', '0', '--dynamo-port', '0', '--data-dir', dataDir, '--speed', '86400'],
    { cwd: root, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /HTTP API \+ dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1] && /resumed/.test(output)) return { child, url: match[1], output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`runtime did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJob(url: string, id: string): Promise<any> {
  const response = await fetch(`${url}/jobs/${id}?runsLimit=100`);
  // The job view's fields are asserted one by one below.
  return (await response.json()) as any;
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'step-scheduler-restart-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

it('resumes a job killed with SIGKILL mid-way without running a finished run twice', async () => {
  const first = await startCli();
  // Dated on the runtime's own warped clock (a day a second), a day ahead; if the machine is slow enough
  // for a run to be late, catchUp 'all' still runs it rather than skipping it.
  const { now } = (await (await fetch(`${first.url}/health`)).json()) as { now: string };
  const start = new Date(Math.ceil(Date.parse(now) / 1000) * 1000 + 86_400_000);
  const created = await fetch(`${first.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'killed-mid-way',
      startDateTime: start.toISOString(),
      endDateTime: new Date(start.getTime() + 6 * 86_400_000).toISOString(),
      frequency: { days: 1 },
      catchUp: 'all',
      catchUpWindowMinutes: 10_080,
      config: { dataSource: 'sample:analytics' },
    }),
  });
  expect(created.status).toBe(201);
  const { jobId } = (await created.json()) as { jobId: string };
  await until(async () => (await getJob(first.url, jobId)).progress?.completedRuns >= 3, 30_000, 'three runs');

  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  const second = await startCli();
  await until(async () => (await getJob(second.url, jobId)).status === 'COMPLETED', 40_000, 'completion');
  const job = await getJob(second.url, jobId);
  const outbox = (await readFile(path.join(dataDir, 'outbox.ndjson'), 'utf8')).trim().split('\n');
  second.child.kill('SIGTERM');

  expect(second.output()).toMatch(new RegExp(`resumed\\s+1 unfinished job\\(s\\): ${jobId}`));
  expect(job.progress).toMatchObject({ completedRuns: 7, failedRuns: 0, percentage: 100 });
  expect(job.progress.steps.map((s: { iteration: number; state: string }) => [s.iteration, s.state])).toEqual(
    [0, 1, 2, 3, 4, 5, 6].map((i) => [i, 'SUCCEEDED']),
  );
  expect(job.executions.length).toBeGreaterThanOrEqual(2);
  expect(job.finalReport.summary.totalDays).toBe(7);
  expect(outbox).toHaveLength(1);
}, 120_000);
