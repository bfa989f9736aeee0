/**
 * Hostile requests and neighbours against the embedded runtime, over real HTTP (issue 16): each finding
 * of the adversarial test as a request that once crashed the runtime, answered 5xx, or reached what it
 * should not, and now gets a 4xx or is refused with nothing changed.
 */
import http from 'node:http';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeleteTableCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { callJson, until, type AnyJson } from '../support/http';

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A request with the path exactly as given (fetch would normalise broken percent-encoding). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawReply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const job = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  startDateTime: '2099-01-01T00:00:00Z',
  action: { type: 'message', text: 'hello' },
  ...extra,
});

describe('hostile requests to the API', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: 0, staticFiles: async () => false });
  });
  afterAll(async () => {
    await runtime.close();
  });
  const call = (method: string, path: string, body?: unknown) => callJson(runtime.url, method, path, body);

  it.each(['/jobs/%ZZ', '/jobs/%E0%A4%A', '/jobs/%C0%AF', '/jobs/%', '/jobs/%/upcoming', '/jobs/%ZZ/pause'])('answers %s with a 400 naming id, not a 502', async (path) => {
    const reply = await raw(runtime.url, path.endsWith('pause') ? 'POST' : 'GET', path);

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'id' });
  });

  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf'])('takes a query name %s as just a name, and refuses it given twice naming it', async (name) => {
    const once = await raw(runtime.url, 'GET', `/jobs?${name}=1`);
    const twice = await raw(runtime.url, 'GET', `/jobs?${name}=1&${name}=2`);

    expect(once.status).toBe(200);
    expect(JSON.parse(once.text)).toMatchObject({ jobs: expect.any(Array) });
    expect(twice.status).toBe(400);
    expect(JSON.parse(twice.text).error).toMatchObject({ code: 'VALIDATION_ERROR', field: name });
  });

  it('answers HEAD like GET without a body, and OPTIONS with 204 and Allow', async () => {
    const head = await raw(runtime.url, 'HEAD', '/health');
    const options = await raw(runtime.url, 'OPTIONS', '/jobs/some-job');
    const unknown = await raw(runtime.url, 'OPTIONS', '/nope');

    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toMatch(/^application\/json/);
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('DELETE, GET, HEAD, OPTIONS');
    expect(options.headers['access-control-allow-origin']).toBeUndefined();
    expect(unknown.status).toBe(404);
  });

  it('sends no CORS header and refuses a cross-site POST or a text/plain body, writing nothing', async () => {
    const listed = await raw(runtime.url, 'GET', '/jobs', { origin: 'https://evil.example' });
    const crossSite = await raw(runtime.url, 'POST', '/jobs', { origin: 'https://evil.example', 'content-type': 'application/json' }, JSON.stringify(job('cross-site')));
    const plain = await raw(runtime.url, 'POST', '/jobs', { 'content-type': 'text/plain' }, JSON.stringify(job('plain-text')));
    const sameSite = await raw(runtime.url, 'POST', '/jobs', { origin: runtime.url, 'content-type': 'application/json' }, JSON.stringify(job('same-site')));

    expect(listed.headers['access-control-allow-origin']).toBeUndefined();
    expect([crossSite.status, JSON.parse(crossSite.text).error.code]).toEqual([403, 'FORBIDDEN_ORIGIN']);
    expect([plain.status, JSON.parse(plain.text).error.field]).toEqual([415, 'content-type']);
    expect(sameSite.status).toBe(201);
    expect((await call('GET', '/jobs/cross-site')).status).toBe(404);
    expect((await call('GET', '/jobs/plain-text')).status).toBe(404);
  });

  it('stores a context with a constructor key and gives it back as sent', async () => {
    const context = { constructor: { prototype: { a: 1 } }, nested: { constructor: 'x', name: 'Set' } };

    const created = await call('POST', '/jobs', job('odd-keys', { context }));
    const read = await call('GET', '/jobs/odd-keys');

    expect(created.status).toBe(201);
    expect(read.body.job.context).toEqual(context);
  });

  it('refuses what DynamoDB could not store, naming the limit, and stays up', async () => {
    const deep = `{"id":"deep","startDateTime":"2099-01-01T00:00:00Z","action":{"type":"message","text":"x"},"context":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`;
    const huge = JSON.stringify(job('huge', { context: { n: 0 } })).replace('"n":0', '"n":123456789012345678901234567890');

    const deepReply = await raw(runtime.url, 'POST', '/jobs', { 'content-type': 'application/json' }, deep);
    const hugeReply = await raw(runtime.url, 'POST', '/jobs', { 'content-type': 'application/json' }, huge);

    expect(deepReply.status).toBe(400);
    expect(JSON.parse(deepReply.text).error.message).toBe('context: nested 1000 levels deep; at most 31 (DynamoDB allows 32 for the whole item, and this field sits 1 level down in it)');
    expect(hugeReply.status).toBe(400);
    expect(JSON.parse(hugeReply.text).error).toMatchObject({ field: 'context.n', message: expect.stringContaining('2^53') });
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('refuses file data sources and file destinations when no files folder is given', async () => {
    const source = await call('POST', '/jobs', { id: 'passwd', startDateTime: '2099-01-01T00:00:00Z', config: { dataSource: 'file:///etc/passwd' } });
    const destination = await call('POST', '/jobs', job('into-store', { failureDestination: { type: 'file', path: 'dynamodb/CURRENT' } }));

    expect(source.status).toBe(400);
    expect(source.body.error).toMatchObject({ field: 'config.dataSource', message: expect.stringContaining('file access is off') });
    expect(destination.status).toBe(400);
    expect(destination.body.error.field).toBe('failureDestination.path');
  });
});

describe('the loopback endpoints', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, speed: 1, staticFiles: async () => false });
  });
  afterAll(async () => {
    await runtime.close();
  });

  const stranger = { accessKeyId: 'local', secretAccessKey: 'local' };

  it('refuse a client without the runtime keys, and change nothing', async () => {
    const created = await callJson(runtime.url, 'POST', '/jobs', job('kept'));
    const dynamo = new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: 'us-east-1', credentials: stranger, maxAttempts: 1 });
    const sfn = new SFNClient({ endpoint: runtime.sfnEndpoint, region: 'us-east-1', credentials: stranger, maxAttempts: 1 });

    await expect(dynamo.send(new ScanCommand({ TableName: runtime.tableName }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(dynamo.send(new PutItemCommand({ TableName: runtime.tableName, Item: { pk: { S: 'JOB#x' }, sk: { S: 'JOB' } } }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(dynamo.send(new DeleteTableCommand({ TableName: runtime.tableName }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn, name: 'forged', input: JSON.stringify({ job: job('forged') }) }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(sfn.send(new StopExecutionCommand({ executionArn: created.body.executionArn }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    const unsigned = await raw(runtime.dynamoEndpoint, 'POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' }, '{}');
    dynamo.destroy();
    sfn.destroy();

    expect(created.status).toBe(201);
    expect(unsigned.status).toBe(400);
    expect(JSON.parse(unsigned.text).__type).toMatch(/MissingAuthenticationToken/);
    const owner = new DynamoDBClient({ endpoint: runtime.dynamoEndpoint, region: 'us-east-1', credentials: runtime.credentials });
    const items = await owner.send(new ScanCommand({ TableName: runtime.tableName }));
    owner.destroy();
    expect(new Set(items.Items?.map((item) => item.pk?.S))).toEqual(new Set(['JOB#kept']));
    expect(runtime.executions.describe(created.body.executionArn).status).toBe('RUNNING');
  });
});

describe('the files folder', () => {
  let dataDir: string;
  let filesDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hostile-data-'));
    filesDir = await mkdtemp(join(tmpdir(), 'hostile-files-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(filesDir, { recursive: true, force: true });
  });

  it('may not hold the store', async () => {
    await expect(startRuntime({ port: 0, memory: true, speed: 0, dataDir, filesDir: dataDir, staticFiles: async () => false })).rejects.toThrow(/overlaps the runtime's own/);
    await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
    await expect(startRuntime({ port: 0, memory: true, speed: 0, dataDir, filesDir: join(dataDir, 'dynamodb'), staticFiles: async () => false })).rejects.toThrow(/overlaps the runtime's own/);
  });

  it('admits files inside it only, links resolved, at submit and at use', async () => {
    // A webhook that refuses every call, so the run fails and is reported to the file destination.
    const hook = http.createServer((_req, res) => res.writeHead(400).end());
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const runtime = await startRuntime({ port: 0, memory: true, speed: 0, dataDir, filesDir, allowHosts: '127.0.0.1', staticFiles: async () => false });
    try {
      const records = [{ id: 'a', timestamp: '2026-01-01T00:00:00Z', value: 1 }];
      await writeFile(join(filesDir, 'records.json'), JSON.stringify(records));
      await symlink('/etc', join(filesDir, 'etc'));
      const call = (body: unknown) => callJson(runtime.url, 'POST', '/jobs', body);
      const workflow = (id: string, dataSource: string) => ({ id, startDateTime: '2026-01-01T00:00:00Z', config: { dataSource } });

      const outside = await call(workflow('outside', 'file:///etc/passwd'));
      const viaLink = await call(workflow('via-link', pathToFileURL(join(filesDir, 'etc', 'passwd')).href));
      const escape = await call(job('escape', { failureDestination: { type: 'file', path: '../outside.ndjson' } }));
      const inside = await call(workflow('inside', pathToFileURL(join(filesDir, 'records.json')).href));
      const failing = await call(job('failing', { startDateTime: '2026-01-01T00:00:00Z', action: { type: 'webhook', url: hookUrl }, failureDestination: { type: 'file', path: 'reports/failures.ndjson' } }));

      expect([outside.status, outside.body.error.field]).toEqual([400, 'config.dataSource']);
      expect(outside.body.error.message).toMatch(/is outside the files folder/);
      expect([viaLink.status, viaLink.body.error.field]).toEqual([400, 'config.dataSource']);
      expect([escape.status, escape.body.error.field]).toEqual([400, 'failureDestination.path']);
      expect(inside.status).toBe(201);
      expect(failing.status).toBe(201);
      const done = await until(() => callJson(runtime.url, 'GET', '/jobs/failing'), (r: { body: AnyJson }) => r.body?.status === 'COMPLETED');
      expect(done.body.progress.failedRuns).toBe(1);
      const lines = (await readFile(join(filesDir, 'reports', 'failures.ndjson'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { jobId: string }).jobId)).toEqual(['failing']);
    } finally {
      await runtime.close();
      hook.close();
    }
  });
});

describe('a restart under time warp', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hostile-clock-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('never shows /health a time earlier than the store had, not even to a request racing the start', async () => {
    const first = await startRuntime({ port: 0, dataDir, speed: 3600, resume: false, staticFiles: async () => false });
    // Let the warped clock run ahead of real time (a real second is an hour), then record a write.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await callJson(first.url, 'POST', '/jobs', job('clock-mark'));
    const mark = Date.parse((await callJson(first.url, 'GET', '/jobs/clock-mark')).body.updatedAt);
    const port = Number(new URL(first.url).port);
    await first.close();

    // Probe the same port while the runtime starts: any answer it gives must already be on the restored clock.
    const seen: number[] = [];
    let starting = true;
    const probing = (async () => {
      while (starting) {
        const reply = await raw(`http://127.0.0.1:${port}`, 'GET', '/health').catch(() => undefined);
        if (reply?.status === 200) seen.push(Date.parse(JSON.parse(reply.text).now));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const second = await startRuntime({ port, dataDir, speed: 3600, resume: false, staticFiles: async () => false });
    const after = Date.parse((await callJson(second.url, 'GET', '/health')).body.now);
    starting = false;
    await probing;
    await second.close();

    expect(Number.isFinite(mark)).toBe(true);
    expect(after).toBeGreaterThanOrEqual(mark);
    for (const now of seen) expect(now).toBeGreaterThanOrEqual(mark);
  });
});
