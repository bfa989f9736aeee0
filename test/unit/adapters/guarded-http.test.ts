import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { guardedFetch, NetGuard, netGuardFromEnv, PUBLIC_ONLY, type Resolver } from '../../../src/adapters/guarded-http';
import { BlockedDestinationError, ConfigurationError, TransientError } from '../../../src/lib/errors';
import { parseAllowList } from '../../../src/lib/net-guard';
import { startServer, type TestServer } from '../steps/fixtures';

/** A resolver over a fixed table, counting lookups; names not in it do not resolve (ENOTFOUND). */
function resolverOf(table: Record<string, string[] | (() => string[])>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const fetchOptions = { timeoutMs: 2_000, maxBytes: 1_024, what: 'webhook POST' };

describe('NetGuard.check (submit time)', () => {
  const resolve = resolverOf({
    'metadata.test': ['169.254.169.254'],
    'intranet.test': ['93.184.215.14', '10.0.0.5'],
    'public.test': ['93.184.215.14'],
    'loopback.test': ['127.0.0.1'],
  });

  it('refuses a name that resolves to the metadata address, naming both', async () => {
    const check = new NetGuard({ resolve }).check('http://metadata.test/latest/meta-data');

    await expect(check).rejects.toThrow(BlockedDestinationError);
    await expect(check).rejects.toThrow('metadata.test resolves to 169.254.169.254, the link-local cloud metadata address');
  });

  it('refuses a name when one of its addresses is private', async () => {
    await expect(new NetGuard({ resolve }).check('https://intranet.test/hook')).rejects.toThrow('resolves to 10.0.0.5, a private address');
  });

  it('passes a name whose addresses are all public', async () => {
    await expect(new NetGuard({ resolve }).check('https://public.test/hook')).resolves.toBeUndefined();
  });

  it('passes a name that does not resolve yet, leaving the decision to call time', async () => {
    await expect(new NetGuard({ resolve }).check('https://not-yet.test/hook')).resolves.toBeUndefined();
  });

  it('passes a loopback name allow-listed by name or by CIDR', async () => {
    await expect(new NetGuard({ resolve, allowList: parseAllowList('loopback.test') }).check('http://loopback.test/')).resolves.toBeUndefined();
    await expect(new NetGuard({ resolve, allowList: parseAllowList('127.0.0.0/8') }).check('http://loopback.test/')).resolves.toBeUndefined();
  });

  it('refuses a non-http scheme and a private literal without resolving anything', async () => {
    const counting = resolverOf({});

    await expect(new NetGuard({ resolve: counting }).check('ftp://public.test/x')).rejects.toThrow('the scheme ftp: is not allowed');
    await expect(new NetGuard({ resolve: counting }).check('http://[fd00:ec2::254]/')).rejects.toThrow('a private (unique local) address');
    expect(counting.calls).toEqual([]);
  });
});

describe('guardedFetch (call time)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('refuses a name resolving to a loopback address and sends nothing', async () => {
    server = await startServer((_, res) => res.end('ok'));
    const port = new URL(server.url).port;
    const guard = new NetGuard({ resolve: resolverOf({ 'hook.test': ['127.0.0.1'] }) });

    const call = guardedFetch(`http://hook.test:${port}/hook`, { method: 'POST', body: '{}' }, { ...fetchOptions, guard });

    await expect(call).rejects.toThrow(BlockedDestinationError);
    await expect(call).rejects.toThrow('webhook POST refused: hook.test resolves to 127.0.0.1, a loopback address');
    expect(server.requests).toHaveLength(0);
  });

  it('connects to the address it checked, once the allow-list admits it', async () => {
    server = await startServer((req, res) => res.end(`host ${req.headers.host}`));
    const port = new URL(server.url).port;
    const guard = new NetGuard({ resolve: resolverOf({ 'hook.test': ['127.0.0.1'] }), allowList: parseAllowList('127.0.0.1/32') });

    const response = await guardedFetch(`http://hook.test:${port}/hook`, {}, { ...fetchOptions, guard });

    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(`host hook.test:${port}`);
  });

  it('refuses at call time a name that resolved to a public address at submit time and to loopback now (DNS rebinding)', async () => {
    server = await startServer((_, res) => res.end('ok'));
    const port = new URL(server.url).port;
    let answers = 0;
    const guard = new NetGuard({ resolve: resolverOf({ 'rebind.test': () => (answers++ === 0 ? ['93.184.215.14'] : ['127.0.0.1']) }) });
    await guard.check(`http://rebind.test:${port}/hook`);

    const call = guardedFetch(`http://rebind.test:${port}/hook`, {}, { ...fetchOptions, guard });

    await expect(call).rejects.toThrow('rebind.test resolves to 127.0.0.1, a loopback address');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a loopback literal under the default guard without connecting', async () => {
    server = await startServer((_, res) => res.end('ok'));

    await expect(guardedFetch(`${server.url}/hook`, {}, { ...fetchOptions, guard: PUBLIC_ONLY })).rejects.toThrow(BlockedDestinationError);
    expect(server.requests).toHaveLength(0);
  });

  it('throws TransientError when a name does not resolve at call time', async () => {
    const guard = new NetGuard({ resolve: resolverOf({}) });

    const call = guardedFetch('http://gone.test/hook', {}, { ...fetchOptions, guard });

    await expect(call).rejects.toThrow(TransientError);
    await expect(call).rejects.toThrow('webhook POST could not be reached (ENOTFOUND)');
  });

  it('decodes a gzip body and applies the cap to the decoded bytes', async () => {
    const packed = await promisify(gzip)(Buffer.from('y'.repeat(5_000)));
    server = await startServer((_, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end(packed);
    });
    const guard = new NetGuard({ allowList: parseAllowList('127.0.0.1') });

    const response = await guardedFetch(server.url, {}, { ...fetchOptions, guard });

    expect(response.body.toString()).toBe('y'.repeat(1_024));
    expect(response.truncated).toBe(true);
    expect(server.requests[0]?.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('returns a redirect as it is, without following it', async () => {
    server = await startServer((_, res) => {
      res.writeHead(307, { location: 'http://169.254.169.254/' }).end();
    });
    const guard = new NetGuard({ allowList: parseAllowList('127.0.0.1') });

    const response = await guardedFetch(server.url, {}, { ...fetchOptions, guard });

    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('http://169.254.169.254/');
    expect(server.requests).toHaveLength(1);
  });
});

describe('netGuardFromEnv', () => {
  it('takes WEBHOOK_ALLOW_HOSTS as the allow-list', () => {
    const guard = netGuardFromEnv({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1/32,localhost' });

    expect([...guard.allowList.hosts]).toEqual(['localhost']);
    expect(guard.allowList.networks).toHaveLength(1);
  });

  it('is public-only when WEBHOOK_ALLOW_HOSTS is unset', () => {
    expect(netGuardFromEnv({})).toBe(PUBLIC_ONLY);
  });

  it('throws a ConfigurationError naming an entry it cannot read', () => {
    expect(() => netGuardFromEnv({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1/99' })).toThrow(ConfigurationError);
  });
});
