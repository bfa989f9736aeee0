/**
 * The seeds' own curl lines, as written, against `/tasks`: each command below is copied verbatim from its
 * seed README (file and line cited) and run by the real `curl` through bash, with only the endpoint
 * (`${API_ENDPOINT}`, `http://localhost:3000`) pointed at the test's server and `${TASK_ID}` set to the id
 * the POST returned. The answers must have the fields, types and values the READMEs show.
 *
 * Seed 000 runs on the whole local runtime (real HTTP, the ASL engine at speed 0, dynalite), so its task
 * goes from INITIALIZED to COMPLETED with its final report. Seed 001's task is due on 2024-06-10, a date
 * the runtime's clock (real time, only ever moving forward) has passed: its lines run on the api harness
 * behind the same local HTTP gateway, with the clock at the seed's own `created_at` (2024-06-01T10:00:00Z)
 * and Step Functions recorded rather than run, so the task is `scheduled` when listed, as the README shows.
 *
 * Without a `curl` on the PATH (a slim image), or with SEED_CURL=fetch, each command is read by a small
 * shell-words parser and sent with fetch instead; both ways answer the same assertions.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHttpGateway, type HttpGateway } from '../../../src/local/http-gateway';
import { startRuntime, type Runtime } from '../../../src/local/runtime';
import { callJson, until, type AnyJson } from '../../support/http';
import { startApi, type ApiUnderTest } from './harness';

// ---- the seeds' lines, verbatim -----------------------------------------------------------------------------

const SEED_000 = {
  // 000_4e0bf3cd5dd14a6d.txt lines 121-129 (Step 2: Start a Scheduled Task)
  start: `curl -X POST \${API_ENDPOINT}/tasks \\
  -H "Content-Type: application/json" \\
  -d '{
    "config": {
      "reportType": "weekly",
      "dataSource": "analytics",
      "notifyEmail": "admin@example.com"
    }
  }'`,
  // 000_4e0bf3cd5dd14a6d.txt line 148 (Step 3: Check Task Status)
  status: 'curl ${API_ENDPOINT}/tasks/${TASK_ID}',
  // 000_4e0bf3cd5dd14a6d.txt line 196 (Step 4: List All Tasks)
  list: 'curl ${API_ENDPOINT}/tasks',
  // 000_4e0bf3cd5dd14a6d.txt line 240 (Step 7: View Final Report)
  report: 'curl ${API_ENDPOINT}/tasks/${TASK_ID}',
  // 000_4e0bf3cd5dd14a6d.txt line 336 "DELETE /tasks" (API Reference; the README gives no curl line for it).
  deleteAll: 'curl -X DELETE ${API_ENDPOINT}/tasks',
};

const SEED_001 = {
  // 001_8f17f264b7a11c91.txt lines 144-153 (Local API Testing, 4. Test with curl)
  schedule: `curl -X POST http://localhost:3000/tasks \\
     -H "Content-Type: application/json" \\
     -d '{
       "action": "webhook",
       "payload": {
         "url": "https://example.com/notify",
         "data": { "message": "Hello, this is your scheduled task!" }
       },
       "run_at": "2024-06-10T15:00:00Z"
     }'`,
  // 001_8f17f264b7a11c91.txt lines 187-192 "GET /tasks" with "status: Filter by status" (no curl line in the seed).
  listScheduled: 'curl "http://localhost:3000/tasks?status=scheduled"',
  // 001_8f17f264b7a11c91.txt line 214 "GET /tasks/{task_id}" (no curl line in the seed).
  get: 'curl http://localhost:3000/tasks/${TASK_ID}',
  // 001_8f17f264b7a11c91.txt line 235 "DELETE /tasks/{task_id}" (no curl line in the seed).
  delete: 'curl -X DELETE http://localhost:3000/tasks/${TASK_ID}',
  /**
   * 001_8f17f264b7a11c91.txt lines 165-174: the API Reference's request body, sent as the curl line above
   * sends its body. It carries `"recurrence": "daily"  // Optional`, a comment JSON does not have.
   */
  referenceBody: `curl -X POST http://localhost:3000/tasks \\
     -H "Content-Type: application/json" \\
     -d '{
  "action": "webhook",
  "payload": {
    "url": "https://example.com/notify",
    "data": { "message": "Hello, this is your scheduled task!" }
  },
  "run_at": "2024-06-10T15:00:00Z",
  "recurrence": "daily"  // Optional
}'`,
};

// ---- running a curl line -------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: AnyJson;
}

const USE_CURL = process.env.SEED_CURL !== 'fetch' && hasCurl();

function hasCurl(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, 'curl'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A curl config for every run: quiet, errors shown, and the status code on a last line of its own. */
let curlHome: string;
beforeAll(() => {
  curlHome = mkdtempSync(path.join(tmpdir(), 'seed-curl-'));
  writeFileSync(path.join(curlHome, '.curlrc'), 'silent\nshow-error\nwrite-out = "\\n%{http_code}"\n');
});
afterAll(() => rmSync(curlHome, { recursive: true, force: true }));

/** The seed's localhost endpoint, pointed at the test's server (a free port on 127.0.0.1). */
function pointAt(command: string, url: string): string {
  return command.replaceAll('http://localhost:3000', url);
}

async function runWithCurl(command: string, env: Record<string, string>): Promise<Answer> {
  const stdout = await new Promise<string>((resolve, reject) => {
    // A minimal environment: no proxy settings or user curlrc to steer the request elsewhere.
    execFile('bash', ['-c', command], { env: { PATH: process.env.PATH ?? '', HOME: curlHome, CURL_HOME: curlHome, ...env } }, (error, out, err) =>
      error ? reject(new Error(`${command}\n${err}`)) : resolve(out),
    );
  });
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  return { status: Number(stdout.slice(cut + 1)), body: text ? (JSON.parse(text) as AnyJson) : null };
}

/**
 * Shell words of a one-command line: `\`-newline joins lines, '…' is literal, "…" and bare words expand
 * `${NAME}` and `$NAME`. Enough for the seeds' curl lines, which use nothing else.
 */
function shellWords(command: string, env: Record<string, string>): string[] {
  const expand = (text: string) => text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => env[a ?? b] ?? '');
  const words: string[] = [];
  let word: string | undefined;
  const source = command.replace(/\\\n/g, ' ');
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in ${command}`);
      const inner = source.slice(i + 1, end);
      word = (word ?? '') + (c === '"' ? expand(inner) : inner);
      i = end;
    } else {
      const bare = /^[^\s'"]+/.exec(source.slice(i))![0];
      word = (word ?? '') + expand(bare);
      i += bare.length - 1;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

async function runWithFetch(command: string, env: Record<string, string>): Promise<Answer> {
  const [program, ...args] = shellWords(command, env);
  if (program !== 'curl') throw new Error(`not a curl line: ${command}`);
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-X') method = args[++i];
    else if (arg === '-H') {
      const [name, ...value] = args[++i]!.split(':');
      headers[name!.trim()] = value.join(':').trim();
    } else if (arg === '-d') body = args[++i];
    else if (arg.startsWith('-')) throw new Error(`curl option ${arg} is not read here`);
    else url = arg;
  }
  // curl -d sends a POST as application/x-www-form-urlencoded unless told otherwise.
  if (body !== undefined) headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  const response = await fetch(url!, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as AnyJson) : null };
}

function curl(command: string, env: Record<string, string>): Promise<Answer> {
  return USE_CURL ? runWithCurl(command, env) : runWithFetch(command, env);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SEED_000_STATUS = /^(INITIALIZED|DAY_[1-7]_COMPLETE|REPORT_GENERATED|NOTIFICATION_SENT|COMPLETED)$/;

// ---- seed 000 -------------------------------------------------------------------------------------------------

describe(`seed 000's curl lines on the local runtime (${USE_CURL ? 'curl' : 'fetch'})`, () => {
  let runtime: Runtime;
  let env: Record<string, string>;

  beforeAll(async () => {
    runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: 0 });
    env = { API_ENDPOINT: runtime.url };
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('starts a task, shows its progress, lists it, shows the final report, and deletes all tasks', async () => {
    // Step 2 (lines 132-139): { taskId, status: "INITIALIZED", message: "Task started successfully" }
    const started = await curl(SEED_000.start, env);
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'INITIALIZED', message: 'Task started successfully' });
    expect(started.body.taskId).toMatch(/^TASK-\d{13}/);
    env.TASK_ID = started.body.taskId;

    // Step 3 (lines 152-188): taskId, status, currentDay, progress { percentage, completedDays, totalDays, steps }, config, startTime
    const status = await curl(SEED_000.status, env);
    expect(status.status).toBe(200);
    expect(status.body.taskId).toBe(env.TASK_ID);
    expect(status.body.status).toMatch(SEED_000_STATUS);
    expect(status.body.currentDay).toEqual(expect.any(Number));
    expect(status.body.progress).toMatchObject({ percentage: expect.any(Number), completedDays: expect.any(Number), totalDays: 7 });
    expect(Array.isArray(status.body.progress.steps)).toBe(true);
    for (const step of status.body.progress.steps) {
      expect(step).toMatchObject({ day: expect.any(Number), action: expect.any(String) });
      expect(step).toHaveProperty('result');
      expect(step).toHaveProperty('completedAt');
    }
    expect(status.body.config).toEqual({ reportType: 'weekly', dataSource: 'analytics', notifyEmail: 'admin@example.com' });
    expect(status.body.startTime).toMatch(ISO);

    // Step 4 (lines 200-211): { tasks: [{ taskId, status, currentDay, progress }], count: 1 }
    const list = await curl(SEED_000.list, env);
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(1);
    expect(list.body.tasks).toHaveLength(1);
    expect(list.body.tasks[0]).toMatchObject({ taskId: env.TASK_ID, currentDay: expect.any(Number), progress: { totalDays: 7 } });
    expect(list.body.tasks[0].status).toMatch(SEED_000_STATUS);

    // Step 7 (lines 237-266): once COMPLETED, the finalReport
    await until(() => callJson(runtime.url, 'GET', `/tasks/${env.TASK_ID}`), (r) => ['COMPLETED', 'FAILED'].includes(r.body?.status));
    const report = await curl(SEED_000.report, env);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ taskId: env.TASK_ID, status: 'COMPLETED', currentDay: 7, progress: { percentage: 100, completedDays: 7, totalDays: 7 } });
    expect(report.body.progress.steps.map((s: AnyJson) => s.action)).toEqual([
      'Data Collection', 'Batch Processing', 'Batch Processing', 'Batch Processing', 'Batch Processing', 'Batch Processing', 'Report Generation',
    ]);
    expect(report.body.progress.steps[0].result).toMatchObject({ records: expect.any(Number) });
    expect(report.body.progress.steps[0].completedAt).toMatch(ISO);
    expect(report.body.finalReport).toMatchObject({
      taskId: env.TASK_ID,
      reportType: 'weekly',
      summary: { totalDays: 7, totalRecordsProcessed: expect.any(Number), totalErrors: expect.any(Number) },
      generatedAt: expect.stringMatching(ISO),
    });
    expect(report.body.finalReport.summary.successRate).toMatch(/^\d{1,3}\.\d{2}%$/);
    expect(report.body.finalReport.dailyBreakdown[0]).toEqual({ day: 1, type: 'collection', records: expect.any(Number) });
    expect(report.body.finalReport.dailyBreakdown[1]).toEqual({ day: 2, type: 'processing', records: expect.any(Number), errors: expect.any(Number) });

    // DELETE /tasks (lines 336-345): { message: "All tasks deleted successfully", deletedCount }
    const deleted = await curl(SEED_000.deleteAll, env);
    expect(deleted).toEqual({ status: 200, body: { message: 'All tasks deleted successfully', deletedCount: 1 } });
    expect((await curl(SEED_000.list, env)).body).toMatchObject({ tasks: [], count: 0 });
  });
});

// ---- seed 001 -------------------------------------------------------------------------------------------------

describe(`seed 001's curl lines on the api behind the local gateway (${USE_CURL ? 'curl' : 'fetch'})`, () => {
  let api: ApiUnderTest;
  let gateway: HttpGateway;
  const env: Record<string, string> = {};
  const line = (command: string) => curl(pointAt(command, gateway.url), env);

  beforeAll(async () => {
    api = await startApi({ now: new Date(1717236000000) }); // 2024-06-01T10:00:00Z, seed 001's created_at
    gateway = await startHttpGateway(api.api, { port: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await api.stop();
  });

  it('schedules a task, lists it by status, gets it, and deletes it', async () => {
    // A seed 000 workflow beside it, which ?status=scheduled must leave out.
    const workflow = await callJson(gateway.url, 'POST', '/tasks', { config: { reportType: 'weekly' } });
    expect(workflow.body.status).toBe('INITIALIZED');

    // lines 177-183: { message: "Task scheduled successfully", task_id }
    const scheduled = await line(SEED_001.schedule);
    expect(scheduled.status).toBe(201);
    expect(scheduled.body).toMatchObject({ message: 'Task scheduled successfully', task_id: expect.any(String) });
    env.TASK_ID = scheduled.body.task_id;

    // lines 194-208: { tasks: [{ task_id, action, payload, run_at, status: "scheduled", created_at, updated_at }] }
    const listed = await line(SEED_001.listScheduled);
    expect(listed.status).toBe(200);
    expect(listed.body.tasks).toEqual([
      expect.objectContaining({
        task_id: env.TASK_ID,
        action: 'webhook',
        payload: expect.objectContaining({ url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } }),
        run_at: '2024-06-10T15:00:00Z',
        status: 'scheduled',
        created_at: '2024-06-01T10:00:00.000Z',
        updated_at: expect.stringMatching(ISO),
      }),
    ]);
    // Unfiltered, both are there.
    expect((await callJson(gateway.url, 'GET', '/tasks')).body.count).toBe(2);

    // lines 217-229: { task: { task_id, action, payload, run_at, status, created_at, updated_at } }
    const got = await line(SEED_001.get);
    expect(got.status).toBe(200);
    expect(got.body.task).toMatchObject({
      task_id: env.TASK_ID,
      action: 'webhook',
      payload: { url: 'https://example.com/notify', data: { message: 'Hello, this is your scheduled task!' } },
      run_at: '2024-06-10T15:00:00Z',
      status: 'scheduled',
      created_at: '2024-06-01T10:00:00.000Z',
      updated_at: expect.stringMatching(ISO),
    });

    // lines 238-243: { message: "Task deleted successfully" }; the task is stopped and kept as cancelled.
    const deleted = await line(SEED_001.delete);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ message: 'Task deleted successfully' });
    expect(api.executions.stopped.map((s) => s.executionArn)).toEqual([expect.stringContaining(env.TASK_ID!)]);
    expect((await line(SEED_001.get)).body.task.status).toBe('cancelled');
    expect((await line(SEED_001.listScheduled)).body.tasks).toEqual([]);
  });

  it("refuses the API Reference's body as written, its // comment not being JSON, and takes it without", async () => {
    const before = (await api.items()).length;

    const verbatim = await line(SEED_001.referenceBody);
    const fixed = await line(SEED_001.referenceBody.replace('  // Optional', ''));

    expect(verbatim.status).toBe(400);
    expect(verbatim.body.error.code).toBe('MALFORMED_JSON');
    expect(fixed.status).toBe(201);
    env.TASK_ID = fixed.body.task_id;
    expect((await line(SEED_001.get)).body.task).toMatchObject({ recurrence: 'daily', status: 'scheduled', run_at: '2024-06-10T15:00:00Z' });
    // The refused one wrote nothing: only the accepted task's item is new.
    expect((await api.items()).length).toBe(before + 1);
  });
});

// ---- malformed /tasks requests --------------------------------------------------------------------------------

describe('malformed /tasks requests get what /jobs gives, and write nothing', () => {
  let api: ApiUnderTest;
  let gateway: HttpGateway;
  const task = { action: 'webhook', payload: { url: 'https://example.com/notify' }, run_at: '2024-06-10T15:00:00Z' };

  beforeAll(async () => {
    api = await startApi({ now: new Date(1717236000000) }); // 2024-06-01T10:00:00Z
    gateway = await startHttpGateway(api.api, { port: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await api.stop();
  });

  it.each([
    ['a run_at that is no date', 'POST', '/tasks', { ...task, run_at: 'next tuesday' }, 400, 'VALIDATION_ERROR', 'run_at'],
    ['an unknown field', 'POST', '/tasks', { ...task, priority: 'high' }, 400, 'VALIDATION_ERROR', 'priority'],
    ['a webhook without a url', 'POST', '/tasks', { ...task, payload: { data: {} } }, 400, 'VALIDATION_ERROR', 'payload.url'],
    ['a recurrence seed 001 does not have', 'POST', '/tasks', { ...task, recurrence: 'hourly' }, 400, 'VALIDATION_ERROR', 'recurrence'],
    ['a config that is not one', 'POST', '/tasks', { config: { reportType: 'yearly' } }, 400, 'VALIDATION_ERROR', 'config.reportType'],
    ['a status no task has', 'GET', '/tasks?status=sleeping', undefined, 400, 'VALIDATION_ERROR', 'status'],
    ['a bad id', 'GET', '/tasks/not%20an%20id', undefined, 400, 'VALIDATION_ERROR', 'id'],
    ['a bad id to delete', 'DELETE', '/tasks/not%20an%20id', undefined, 400, 'VALIDATION_ERROR', 'id'],
    ['an unknown id', 'GET', '/tasks/TASK-0-none', undefined, 404, 'JOB_NOT_FOUND', undefined],
    ['an unknown id to delete', 'DELETE', '/tasks/TASK-0-none', undefined, 404, 'JOB_NOT_FOUND', undefined],
    ['a method /tasks/{id} has not', 'POST', '/tasks/TASK-0-none', {}, 405, 'METHOD_NOT_ALLOWED', undefined],
  ])('%s (%s %s)', async (_name, method, route, body, status, code, field) => {
    const answer = await callJson(gateway.url, method, route, body);

    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    if (field === undefined) expect(answer.body.error).not.toHaveProperty('field');
    else expect(answer.body.error.field).toBe(field);
    expect(await api.items()).toEqual([]);
    expect(api.executions.started).toEqual([]);
  });
});
