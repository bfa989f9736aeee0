/**
 * The embedded runtime end to end, through HTTP only: the same ASL on the local engine, the same
 * handlers, dynalite, the SFN endpoint and the api handler behind the local gateway.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { callJson, until } from '../support/http';

let runtime: Runtime;

beforeAll(async () => {
  // Waits skipped: a 7-day job runs in well under a second.
  // The test webhook listens on 127.0.0.1, which the webhook guard refuses unless allow-listed.
  runtime = await startRuntime({ port: 0, memory: true, speed: 0, allowHosts: '127.0.0.1' });
});

afterAll(async () => {
  await runtime.close();
});

const call = (method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

describe('the local runtime', () => {
  it('runs a 7-day report workflow posted over HTTP to completion, with its runs, progress and report', async () => {
    const job = {
      id: 'e2e-seven-days',
      startDateTime: '2026-12-01T09:00:00Z',
      endDateTime: '2026-12-07T09:00:00Z',
      frequency: { days: 1 },
      config: { reportType: 'weekly', dataSource: 'sample:analytics', notifyEmail: 'admin@example.com' },
    };

    const created = await call('POST', '/jobs', job);
    const done = await until(() => call('GET', '/jobs/e2e-seven-days'), (r) => FINAL.includes(r.body?.status));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ jobId: 'e2e-seven-days', status: 'INITIALIZED' });
    expect(done.body.status).toBe('COMPLETED');
    expect(done.body.progress).toMatchObject({ percentage: 100, completedRuns: 7, totalRuns: 7, completedDays: 7, totalDays: 7 });
    expect(done.body.progress.steps.map((s: { phase: string }) => s.phase)).toEqual([
      'collection', 'processing', 'processing', 'processing', 'processing', 'processing', 'report',
    ]);
    expect(done.body.progress.steps.map((s: { statusAfter?: string; state: string }) => s.state)).toEqual(Array(7).fill('SUCCEEDED'));
    expect(done.body.statusHistory.map((c: { status: string }) => c.status)).toEqual([
      'INITIALIZED', 'DAY_1_COMPLETE', 'DAY_2_COMPLETE', 'DAY_3_COMPLETE', 'DAY_4_COMPLETE', 'DAY_5_COMPLETE', 'DAY_6_COMPLETE',
      'REPORT_GENERATED', 'NOTIFICATION_SENT', 'COMPLETED',
    ]);
    expect(done.body.finalReport.summary).toMatchObject({ totalDays: 7 });
    expect(done.body.finalReport.summary.totalRecordsProcessed).toBeGreaterThan(1000);
    expect(done.body.finalReport.dailyBreakdown).toHaveLength(7);
    // Each run started at its planned day on the warped clock, one day apart.
    const started = done.body.progress.steps.map((s: { startedAt: string }) => Date.parse(s.startedAt));
    for (let i = 1; i < started.length; i++) expect(started[i] - started[i - 1]).toBeGreaterThanOrEqual(86_400_000 - 1000);
  });

  it('runs a one-off webhook job that calls a local test server once, with its idempotency key', async () => {
    const received: Array<{ method?: string; key?: string | string[]; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, key: req.headers['idempotency-key'], body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await call('POST', '/jobs', { id: 'e2e-webhook', startDateTime: '2026-12-01T09:00:00Z', action: { type: 'webhook', url, body: { hello: 'world' } } });
      const done = await until(() => call('GET', '/jobs/e2e-webhook'), (r) => FINAL.includes(r.body?.status));

      expect(done.body.status).toBe('COMPLETED');
      expect(received).toEqual([{ method: 'POST', key: 'e2e-webhook:0', body: JSON.stringify({ hello: 'world' }) }]);
      expect(done.body.progress.steps[0]).toMatchObject({ state: 'SUCCEEDED', result: { statusCode: 200 } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never runs a stopped job again', async () => {
    // A runtime of its own at 60×: a minute a second, so the job's next runs are due within the test.
    const slow = await startRuntime({ port: 0, memory: true, speed: 60 });
    const post = (path: string, method: string, body?: unknown) =>
      fetch(`${slow.url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const start = new Date(Math.ceil(slow.clock.now().getTime() / 1000) * 1000 + 1000).toISOString();
    try {
      await post('/jobs', 'POST', {
        id: 'e2e-stopped',
        startDateTime: start,
        endDateTime: '2127-01-01T00:00:00Z',
        frequency: { minutes: 1 },
        action: { type: 'message', text: 'every minute' },
      });
      await until(() => slow.store.getJob('e2e-stopped'), (job) => (job?.progress.completedRuns ?? 0) >= 2);

      const stopped = await post('/jobs/e2e-stopped', 'DELETE');
      const atStop = (await slow.store.getJob('e2e-stopped'))?.progress.completedRuns;
      // Three warped minutes: three more runs were due.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const later = await slow.store.getJob('e2e-stopped');

      expect(stopped.status).toBe(200);
      expect(later?.status).toBe('CANCELLED');
      expect(later?.progress.completedRuns).toBe(atStop);
      expect(slow.executions.list().map((e) => e.status)).toEqual(['ABORTED']);
    } finally {
      await slow.close();
    }
  });

  it('answers the Step Functions actions the api uses on its loopback endpoint', async () => {
    const { SFNClient, DescribeExecutionCommand, ListExecutionsCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
    const client = new SFNClient({ endpoint: runtime.sfnEndpoint, region: 'us-east-1', credentials: runtime.credentials });

    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn }));
    const arn = listed.executions?.find((e) => e.name === 'e2e-seven-days')?.executionArn;
    const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));

    expect(described.status).toBe('SUCCEEDED');
    expect(described.startDate).toBeInstanceOf(Date);
    expect(history.events?.[0]?.type).toBe('ExecutionStarted');
    expect(history.events?.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(history.events?.filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'RunStep')).toHaveLength(7);
    client.destroy();
  });

  it('never lets two runtimes share a port', async () => {
    const second = await startRuntime({ port: 0, memory: true, speed: 0 });
    try {
      expect(new URL(second.url).port).not.toBe(new URL(runtime.url).port);
      expect(second.sfnEndpoint).not.toBe(runtime.sfnEndpoint);
      expect(second.dynamoEndpoint).not.toBe(runtime.dynamoEndpoint);
      await expect(startRuntime({ port: Number(new URL(runtime.url).port), memory: true, speed: 0 })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await second.close();
    }
  });
});
