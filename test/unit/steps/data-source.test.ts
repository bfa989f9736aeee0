import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FilesDir } from '../../../src/adapters/files-dir';
import { PermanentError, TransientError } from '../../../src/lib/errors';
import { checksum } from '../../../src/lib/records';
import { SAMPLE_RECORD_COUNT, fetchCapped, readDataSet, readDataSource, redactUrl } from '../../../src/steps/data-source';
import { LOOPBACK_GUARD, startServer, type TestServer } from './fixtures';

const limits = { timeoutMs: 2_000, maxBytes: 1024 * 1024, guard: LOOPBACK_GUARD };
const records = [
  { id: 'a', timestamp: '2024-12-04T10:00:00Z', value: 1, category: 'click' },
  { id: 'b', timestamp: '2024-12-04T10:01:00Z', value: 2, category: 'search' },
];

describe('readDataSource over http', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('reads a JSON array', async () => {
    server = await startServer((_, res) => res.end(JSON.stringify(records)));

    await expect(readDataSource(`${server.url}/records.json`, limits)).resolves.toEqual(records);
  });

  it('reads NDJSON', async () => {
    server = await startServer((_, res) => res.end(records.map((r) => JSON.stringify(r)).join('\n')));

    await expect(readDataSource(`${server.url}/records.ndjson`, limits)).resolves.toEqual(records);
  });

  it('asks again with the ETag it was given and keeps the parsed records while the server answers 304', async () => {
    let body = JSON.stringify(records);
    server = await startServer((req, res) => {
      const etag = `"${body.length}"`;
      if (req.headers['if-none-match'] === etag) {
        res.statusCode = 304;
        return res.end();
      }
      res.setHeader('etag', etag);
      res.end(body);
    });
    const url = `${server.url}/etag.json`;

    const first = await readDataSet(url, limits);
    const second = await readDataSet(url, limits);
    body = JSON.stringify(records.slice(0, 1));
    const third = await readDataSet(url, limits);

    expect(server.requests.map((r) => r.headers['if-none-match'])).toEqual([undefined, `"${JSON.stringify(records).length}"`, `"${JSON.stringify(records).length}"`]);
    expect(second).toBe(first);
    expect(first.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(third.records).toEqual(records.slice(0, 1));
    expect(third.fingerprint).not.toBe(first.fingerprint);
  });

  it('reads a source without ETag or Last-Modified afresh every time', async () => {
    server = await startServer((_, res) => res.end(JSON.stringify(records)));
    const url = `${server.url}/plain.json`;

    await readDataSet(url, limits);
    await readDataSet(url, limits);

    expect(server.requests.map((r) => r.headers['if-none-match'] ?? r.headers['if-modified-since'])).toEqual([undefined, undefined]);
  });

  it('throws TransientError on a 500, naming the source and the status', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 500;
      res.end('database down');
    });

    const read = readDataSource(`${server.url}/records.json`, limits);

    await expect(read).rejects.toThrow(TransientError);
    await expect(read).rejects.toThrow(new TransientError(`data source ${server.url}/records.json answered 500`));
  });

  it('throws TransientError on a 429', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 429;
      res.end();
    });

    await expect(readDataSource(`${server.url}/records.json`, limits)).rejects.toThrow(TransientError);
  });

  it('throws PermanentError on a 404', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 404;
      res.end('no such file');
    });

    const read = readDataSource(`${server.url}/missing.json`, limits);

    await expect(read).rejects.toThrow(PermanentError);
    // The status only: what the server said is not echoed into the job's error.
    await expect(read).rejects.toThrow(new PermanentError(`data source ${server.url}/missing.json answered 404`));
  });

  it('throws TransientError when the server does not answer in time', async () => {
    server = await startServer((_, res) => setTimeout(() => res.end('[]'), 2_000).unref());

    const started = Date.now();
    const read = readDataSource(`${server.url}/slow.json`, { ...limits, timeoutMs: 150 });

    await expect(read).rejects.toThrow(TransientError);
    await expect(read).rejects.toThrow(`data source ${server.url}/slow.json did not answer within 150 ms`);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('throws TransientError when a body stalls halfway past the deadline', async () => {
    server = await startServer((_, res) => {
      res.write('[{"id":"a"},');
      setTimeout(() => res.end('{"id":"b"}]'), 2_000).unref();
    });

    await expect(readDataSource(`${server.url}/stall.json`, { ...limits, timeoutMs: 150 })).rejects.toThrow(TransientError);
  });

  it('refuses a source larger than maxBytes with PermanentError', async () => {
    server = await startServer((_, res) => res.end(JSON.stringify(records)));

    const read = readDataSource(`${server.url}/big.json`, { ...limits, maxBytes: 20 });

    await expect(read).rejects.toThrow(PermanentError);
    await expect(read).rejects.toThrow(`data source ${server.url}/big.json is larger than 20 bytes`);
  });

  it('throws PermanentError naming the line of malformed NDJSON', async () => {
    server = await startServer((_, res) => res.end('{"id":"a"}\n{"id":\n'));

    await expect(readDataSource(`${server.url}/bad.ndjson`, limits)).rejects.toThrow(
      new RegExp(`^data source ${server.url}/bad.ndjson: line 2 is not valid JSON`),
    );
  });

  it('throws TransientError when nothing listens on the port', async () => {
    const closed = await startServer((_, res) => res.end());
    await closed.close();

    const read = readDataSource(`${closed.url}/records.json`, limits);

    await expect(read).rejects.toThrow(TransientError);
    await expect(read).rejects.toThrow(/could not be reached \(ECONNREFUSED\)/);
  });

  it('sends user:password of the address as Basic authentication and keeps secrets out of its messages', async () => {
    server = await startServer((_, res) => {
      res.statusCode = 403;
      res.end();
    });
    const url = server.url.replace('http://', 'http://user:secret@') + '/r.json?token=s3cret';

    const error = await readDataSource(url, limits).catch((e: Error) => e);

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toBe(`data source ${server.url}/r.json answered 403`);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`);
    expect(server.requests[0]?.url).toBe('/r.json?token=s3cret');
  });
});

describe('fetchCapped', () => {
  it('reads no more than maxBytes of an oversize body and says it cut it', async () => {
    const server = await startServer((_, res) => res.end('x'.repeat(100_000)));
    try {
      const response = await fetchCapped(server.url, {}, { timeoutMs: 2_000, maxBytes: 1_000, what: 'test', guard: LOOPBACK_GUARD });

      expect(response.body.length).toBe(1_000);
      expect(response.truncated).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('readDataSource over file://', () => {
  let dir: string;
  let fileLimits: typeof limits & { files: FilesDir };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'data-source-'));
    fileLimits = { ...limits, files: await FilesDir.open(dir, []) };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a JSON array from a file', async () => {
    const path = join(dir, 'records.json');
    await writeFile(path, JSON.stringify(records));

    await expect(readDataSource(pathToFileURL(path).href, fileLimits)).resolves.toEqual(records);
  });

  it('refuses every file when no files folder is given, as on AWS', async () => {
    const path = join(dir, 'records.json');
    await writeFile(path, JSON.stringify(records));

    const read = readDataSource(pathToFileURL(path).href, limits);

    await expect(read).rejects.toThrow(PermanentError);
    await expect(read).rejects.toThrow(/file access is off/);
  });

  it('refuses a file outside the folder in the same words whether it exists or not', async () => {
    const existing = readDataSource('file:///etc/passwd', fileLimits);
    const missing = readDataSource('file:///etc/no-such-file-here', fileLimits);

    await expect(existing).rejects.toThrow('data source /etc/passwd is outside the files folder (--files-dir); only files inside it may be used');
    await expect(missing).rejects.toThrow('data source /etc/no-such-file-here is outside the files folder (--files-dir); only files inside it may be used');
  });

  it('refuses a link inside the folder that leads out of it', async () => {
    await symlink('/etc', join(dir, 'etc'));

    await expect(readDataSource(pathToFileURL(join(dir, 'etc', 'passwd')).href, fileLimits)).rejects.toThrow(/is outside the files folder/);
  });

  it('names the line and column of a file that is not JSON, never its content', async () => {
    const path = join(dir, 'secret.txt');
    await writeFile(path, 'root:x:0:0:root:/root:/bin/bash\n');

    const read = readDataSource(pathToFileURL(path).href, fileLimits);

    await expect(read).rejects.toThrow(`data source ${pathToFileURL(path).href}: line 1 is not valid JSON (column 1)`);
    await expect(read).rejects.not.toThrow(/root/);
  });

  it('throws PermanentError for a file that does not exist', async () => {
    const url = pathToFileURL(join(dir, 'missing.json')).href;

    const read = readDataSource(url, fileLimits);

    await expect(read).rejects.toThrow(PermanentError);
    await expect(read).rejects.toThrow(`data source ${url} cannot be read (ENOENT)`);
  });

  it('throws PermanentError for a file URL on another host', async () => {
    const read = readDataSource('file://fileserver/share/records.json', fileLimits);

    await expect(read).rejects.toThrow(PermanentError);
    await expect(read).rejects.toThrow('data source file://fileserver/share/records.json cannot be read (ERR_INVALID_FILE_URL_HOST)');
  });

  it('throws PermanentError for a folder', async () => {
    await mkdir(join(dir, 'folder'));
    await expect(readDataSource(pathToFileURL(join(dir, 'folder')).href, fileLimits)).rejects.toThrow(/is not a file/);
  });

  it('refuses a file larger than maxBytes', async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, JSON.stringify(records));

    await expect(readDataSource(pathToFileURL(path).href, { ...fileLimits, maxBytes: 10 })).rejects.toThrow(/is larger than 10 bytes/);
  });
});

describe('readDataSource of sample data', () => {
  it('gives the same records for sample:<name> and the bare name, every time', async () => {
    const bare = await readDataSource('analytics', limits);
    const prefixed = await readDataSource('sample:analytics', limits);

    expect(bare).toHaveLength(SAMPLE_RECORD_COUNT);
    expect(checksum(prefixed)).toBe(checksum(bare));
  });

  it('gives different records for a different name', async () => {
    expect(checksum(await readDataSource('sales', limits))).not.toBe(checksum(await readDataSource('analytics', limits)));
  });

  it('throws PermanentError for an unsupported scheme', async () => {
    await expect(readDataSource('ftp://example.com/data.json', limits)).rejects.toThrow(PermanentError);
  });
});

describe('redactUrl', () => {
  it('drops user info and query from http addresses and leaves other addresses alone', () => {
    expect(redactUrl('https://u:p@example.com/data.json?token=s3cret')).toBe('https://example.com/data.json');
    expect(redactUrl('sample:analytics')).toBe('sample:analytics');
  });
});
