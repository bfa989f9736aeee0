import { BlockedDestinationError, ConfigurationError } from '../../../src/lib/errors';
import {
  addressRefusal,
  blockedRange,
  EMPTY_ALLOW_LIST,
  ipLiteral,
  literalRefusal,
  literalUrlGuard,
  parseAllowList,
  resolvedRefusal,
} from '../../../src/lib/net-guard';

describe('blockedRange', () => {
  const refused: Array<[address: string, range: string, description: RegExp]> = [
    ['127.0.0.1', 'loopback', /loopback/],
    ['127.255.255.254', 'loopback', /loopback/],
    ['10.0.0.1', 'private', /private/],
    ['10.255.255.255', 'private', /private/],
    ['172.16.0.1', 'private', /private/],
    ['172.31.255.255', 'private', /private/],
    ['192.168.1.1', 'private', /private/],
    ['169.254.0.1', 'linkLocal', /^a link-local address$/],
    ['169.254.169.254', 'linkLocal', /cloud metadata/],
    ['0.0.0.0', 'unspecified', /unspecified/],
    ['0.1.2.3', 'unspecified', /unspecified/],
    ['224.0.0.1', 'multicast', /multicast/],
    ['239.255.255.250', 'multicast', /multicast/],
    ['255.255.255.255', 'broadcast', /broadcast/],
    ['100.64.0.1', 'carrierGradeNat', /carrier-grade NAT/],
    ['100.127.255.254', 'carrierGradeNat', /carrier-grade NAT/],
    ['192.0.2.10', 'reserved', /reserved/],
    ['240.0.0.1', 'reserved', /reserved/],
    // IPv6
    ['::1', 'loopback', /loopback/],
    ['::', 'unspecified', /unspecified/],
    ['fc00::1', 'uniqueLocal', /private \(unique local\)/],
    ['fd00:ec2::254', 'uniqueLocal', /private/], // the EC2 metadata service over IPv6
    ['fe80::1', 'linkLocal', /link-local/],
    ['febf:ffff::1', 'linkLocal', /link-local/],
    ['ff02::1', 'multicast', /multicast/],
    ['2001:db8::1', 'reserved', /reserved/],
    // IPv4 inside IPv6
    ['::ffff:127.0.0.1', 'loopback', /loopback address in IPv4-mapped form/],
    ['::ffff:7f00:1', 'loopback', /loopback address in IPv4-mapped form/],
    ['::ffff:169.254.169.254', 'linkLocal', /cloud metadata address in IPv4-mapped form/],
    ['::ffff:10.1.2.3', 'private', /private address in IPv4-mapped form/],
    ['::ffff:0:192.168.0.1', 'private', /private/], // IPv4-translated (RFC 6145)
    ['64:ff9b::a9fe:a9fe', 'linkLocal', /cloud metadata/], // NAT64 of 169.254.169.254
    ['::127.0.0.1', 'loopback', /loopback/], // IPv4-compatible (deprecated)
    ['2002:a00:1::1', 'private', /private/], // 6to4 of 10.0.0.1
    ['2001::1', 'teredo', /special-purpose/],
  ];

  it.each(refused)('refuses %s as %s', (address, range, description) => {
    const blocked = blockedRange(address);

    expect(blocked?.range).toBe(range);
    expect(blocked?.description).toMatch(description);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1', // just past 172.16.0.0/12
    '100.128.0.1', // just past 100.64.0.0/10
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:93.184.215.14', // IPv4-mapped form of a public address
    '64:ff9b::808:808', // NAT64 of 8.8.8.8: how an IPv6-only network reaches it
  ])('allows the public address %s', (address) => {
    expect(blockedRange(address)).toBeUndefined();
  });

  it('refuses what is not an IP address at all', () => {
    expect(blockedRange('example.com')).toEqual({ range: 'invalid', description: 'not an IP address' });
  });
});

describe('parseAllowList', () => {
  it('reads host names and CIDRs, a bare address being its own /32 or /128', () => {
    const allow = parseAllowList(' 127.0.0.1/32 , LOCALHOST., 10.0.0.0/8,::1 ');

    expect([...allow.hosts]).toEqual(['localhost']);
    expect(allow.networks.map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual(['127.0.0.1/32', '10.0.0.0/8', '::1/128']);
  });

  it('reads nothing from an absent or empty setting', () => {
    expect(parseAllowList(undefined)).toEqual({ hosts: new Set(), networks: [] });
    expect(parseAllowList(' , ')).toEqual({ hosts: new Set(), networks: [] });
  });

  it.each(['127.0.0.1/33', '::1/129', '10.0.0.0/x', 'exa mple.com', 'http://localhost', 'localhost/8'])('throws a ConfigurationError naming "%s"', (entry) => {
    expect(() => parseAllowList(entry)).toThrow(ConfigurationError);
    expect(() => parseAllowList(entry)).toThrow(`WEBHOOK_ALLOW_HOSTS: "${entry}"`);
  });
});

describe('addressRefusal under an allow-list', () => {
  it('admits an address inside an allowed network and nothing next to it', () => {
    const allow = parseAllowList('127.0.0.1/32');

    expect(addressRefusal('127.0.0.1', allow)).toBeUndefined();
    expect(addressRefusal('127.0.0.2', allow)?.range).toBe('loopback');
  });

  it('admits the IPv4-mapped form of an allowed IPv4 address', () => {
    expect(addressRefusal('::ffff:127.0.0.1', parseAllowList('127.0.0.1'))).toBeUndefined();
  });
});

describe('literalRefusal', () => {
  it.each([
    ['file:///etc/passwd', /the scheme file: is not allowed/],
    ['gopher://example.com/', /the scheme gopher: is not allowed/],
    ['http://169.254.169.254/latest/meta-data', /^169\.254\.169\.254 is the link-local cloud metadata address; only public addresses may be called/],
    ['http://[::1]:8080/', /^::1 is a loopback address/],
    ['http://[::ffff:a9fe:a9fe]/', /cloud metadata address in IPv4-mapped form/],
    ['http://2130706433/', /^127\.0\.0\.1 is a loopback address/], // the URL parser reads a decimal host as 127.0.0.1
    ['http://0x7f.1/', /^127\.0\.0\.1 is a loopback address/],
    ['http://0/', /^0\.0\.0\.0 is the unspecified address/],
    ['not a url', /is not a valid URL/],
  ])('refuses %s without DNS', (url, reason) => {
    expect(literalRefusal(url, EMPTY_ALLOW_LIST)).toMatch(reason);
  });

  it('leaves a host name to resolution and allows a public literal', () => {
    expect(literalRefusal('https://hooks.example.com/x', EMPTY_ALLOW_LIST)).toBe('resolve');
    expect(literalRefusal('https://93.184.215.14/x', EMPTY_ALLOW_LIST)).toBeUndefined();
  });

  it('allows a host name on the allow-list whatever it is', () => {
    expect(literalRefusal('http://localhost:3000/hook', parseAllowList('localhost'))).toBeUndefined();
  });
});

describe('resolvedRefusal', () => {
  it('refuses a name when any of its addresses is refused, naming that address', () => {
    expect(resolvedRefusal('mixed.example', ['93.184.215.14', '10.0.0.5'], EMPTY_ALLOW_LIST)).toBe(
      'mixed.example resolves to 10.0.0.5, a private address; only public addresses may be called (WEBHOOK_ALLOW_HOSTS, or --allow-hosts locally, lists exceptions)',
    );
  });

  it('allows a name whose addresses are all public', () => {
    expect(resolvedRefusal('public.example', ['93.184.215.14', '2606:4700:4700::1111'], EMPTY_ALLOW_LIST)).toBeUndefined();
  });
});

describe('literalUrlGuard', () => {
  it('throws BlockedDestinationError for a metadata literal and passes a name', async () => {
    await expect(literalUrlGuard().check('http://169.254.169.254/')).rejects.toThrow(BlockedDestinationError);
    await expect(literalUrlGuard().check('https://hooks.example.com/')).resolves.toBeUndefined();
  });
});

describe('ipLiteral', () => {
  it('gives the address a host spells, brackets removed, or undefined for a name', () => {
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteral('example.com')).toBeUndefined();
  });
});
