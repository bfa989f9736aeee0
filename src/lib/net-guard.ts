/**
 * The webhook guard's rules, pure: which addresses a job may make this product call, and the allow-list
 * that opens exceptions for local testing. No DNS and no sockets here: src/adapters/guarded-http.ts
 * resolves names, applies these rules to every address, and connects only to the addresses it checked.
 *
 * Only public unicast addresses pass. Refused: loopback, private (RFC 1918, IPv6 unique local fc00::/7),
 * link-local (169.254.0.0/16 with the cloud metadata address 169.254.169.254, fe80::/10), unspecified,
 * multicast, broadcast, carrier-grade NAT (100.64.0.0/10), reserved and documentation ranges, and IPv6
 * forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated, NAT64 64:ff9b::/96,
 * IPv4-compatible ::a.b.c.d, 6to4) whenever the IPv4 address inside is one of those.
 */
import ipaddr from 'ipaddr.js';
import { BlockedDestinationError, ConfigurationError } from './errors';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Exceptions to the guard: host names matched as written, and networks matched on resolved addresses. */
export interface AllowList {
  /** Lower-case host names without a trailing dot, e.g. `localhost`. */
  readonly hosts: ReadonlySet<string>;
  /** CIDR networks, e.g. 127.0.0.1/32 (a bare address is its own /32 or /128). */
  readonly networks: ReadonlyArray<readonly [Address, number]>;
}

export const EMPTY_ALLOW_LIST: AllowList = { hosts: new Set(), networks: [] };

/** Why an address is refused: ipaddr.js's range name and a phrase for people. */
export interface BlockedRange {
  range: string;
  description: string;
}

const METADATA_ADDRESS = '169.254.169.254';
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

const DESCRIPTIONS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  reserved: 'a reserved address',
};

/** A host as the URL parser gives it, compared case-insensitively: brackets and a trailing dot dropped. */
export function normalizeHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** Strict IP syntax only: `127.1` or `0x7f.1` are names to resolve (and the URL parser rewrites them anyway). */
function parseStrictIp(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/**
 * The IP address a URL host spells, if it is one (`[::1]` included); undefined for a name.
 * @example ipLiteral('[::ffff:127.0.0.1]') // '::ffff:7f00:1'
 */
export function ipLiteral(hostname: string): string | undefined {
  return parseStrictIp(normalizeHost(hostname))?.toString();
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const fromLow32 = () => new ipaddr.IPv4([parts[6]! >> 8, parts[6]! & 0xff, parts[7]! >> 8, parts[7]! & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return fromLow32();
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64, well-known prefix); 64:ff9b:1::/48 hides it elsewhere: refused as is
      return parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0 ? fromLow32() : undefined;
    case '6to4': // 2002:aabb:ccdd::/48
      return new ipaddr.IPv4([parts[1]! >> 8, parts[1]! & 0xff, parts[2]! >> 8, parts[2]! & 0xff]);
    default:
      // ::a.b.c.d, the deprecated IPv4-compatible form (:: and ::1 have ranges of their own).
      return parts.slice(0, 6).every((part) => part === 0) && address.range() === 'unicast' ? fromLow32() : undefined;
  }
}

function describe(range: string, address: Address): string {
  if (address.toString() === METADATA_ADDRESS) return 'the link-local cloud metadata address';
  return DESCRIPTIONS[range] ?? `a special-purpose address (${range})`;
}

/**
 * Why an address may not be called, or undefined for a public unicast address.
 * @example blockedRange('10.1.2.3') // { range: 'private', description: 'a private address' }
 * @example blockedRange('::ffff:169.254.169.254') // { range: 'linkLocal', description: 'the link-local cloud metadata address in IPv4-mapped form' }
 * @example blockedRange('93.184.215.14') // undefined
 */
export function blockedRange(text: string): BlockedRange | undefined {
  const address = parseStrictIp(text);
  if (!address) return { range: 'invalid', description: 'not an IP address' };
  if (address.kind() === 'ipv6') {
    const inner = embeddedIPv4(address as ipaddr.IPv6);
    if (inner) {
      const blocked = blockedRange(inner.toString());
      return blocked && { range: blocked.range, description: `${blocked.description} in IPv4-mapped form` };
    }
  }
  const range = address.range();
  return range === 'unicast' ? undefined : { range, description: describe(range, address) };
}

function inNetworks(text: string, allow: AllowList): boolean {
  const address = parseStrictIp(text);
  if (!address) return false;
  return allow.networks.some(([network, bits]) => {
    if (network.kind() === address.kind()) return address.match(network, bits);
    // An allow-listed IPv4 network also admits its IPv4-mapped IPv6 form (and the other way round).
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address().match(network, bits);
    return false;
  });
}

/** Whether a URL host is allow-listed by name (then it is called wherever it resolves). */
export function isAllowedHost(hostname: string, allow: AllowList): boolean {
  return allow.hosts.has(normalizeHost(hostname));
}

/**
 * The reason an address may not be called under an allow-list, or undefined when it may.
 * @example addressRefusal('127.0.0.1', parseAllowList('127.0.0.1/32')) // undefined
 */
export function addressRefusal(address: string, allow: AllowList = EMPTY_ALLOW_LIST): BlockedRange | undefined {
  if (inNetworks(address, allow)) return undefined;
  return blockedRange(address);
}

/** The sentence every refusal ends with: what is allowed and how to open an exception locally. */
export const GUARD_HINT = 'only public addresses may be called (WEBHOOK_ALLOW_HOSTS, or --allow-hosts locally, lists exceptions)';

/**
 * The part of the check that needs no DNS: the scheme, and the host when it is an IP address. Returns the
 * reason to refuse, `'resolve'` when the host is a name whose addresses decide, or undefined to allow.
 * @example literalRefusal('http://169.254.169.254/latest', EMPTY_ALLOW_LIST) // '169.254.169.254 is the link-local cloud metadata address; only public …'
 * @example literalRefusal('https://hooks.example.com/x', EMPTY_ALLOW_LIST) // 'resolve'
 */
export function literalRefusal(url: string, allow: AllowList = EMPTY_ALLOW_LIST): string | 'resolve' | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `the scheme ${parsed.protocol} is not allowed; use http or https`;
  if (isAllowedHost(parsed.hostname, allow)) return undefined;
  const literal = ipLiteral(parsed.hostname);
  if (literal === undefined) return 'resolve';
  const blocked = addressRefusal(literal, allow);
  return blocked && `${normalizeHost(parsed.hostname)} is ${blocked.description}; ${GUARD_HINT}`;
}

/**
 * The reason to refuse a host name that resolved to these addresses: any one of them refused refuses
 * the host (a name pointing at a public and a private address is refused, not raced).
 * @example resolvedRefusal('metadata.test', ['169.254.169.254'], EMPTY_ALLOW_LIST) // 'metadata.test resolves to 169.254.169.254, the link-local …'
 */
export function resolvedRefusal(hostname: string, addresses: readonly string[], allow: AllowList = EMPTY_ALLOW_LIST): string | undefined {
  for (const address of addresses) {
    const blocked = addressRefusal(address, allow);
    if (blocked) return `${normalizeHost(hostname)} resolves to ${address}, ${blocked.description}; ${GUARD_HINT}`;
  }
  return undefined;
}

/**
 * Parse an allow-list: comma-separated host names and CIDRs (a bare address means just that address).
 * Throws ConfigurationError naming the entry it cannot read.
 * @example parseAllowList('127.0.0.1/32,localhost') // { hosts: Set { 'localhost' }, networks: [[127.0.0.1, 32]] }
 */
export function parseAllowList(spec: string | readonly string[] | undefined, source = 'WEBHOOK_ALLOW_HOSTS'): AllowList {
  const entries = (typeof spec === 'string' ? spec.split(',') : (spec ?? [])).map((entry) => entry.trim()).filter((entry) => entry !== '');
  const hosts = new Set<string>();
  const networks: Array<readonly [Address, number]> = [];
  for (const entry of entries) {
    const [ip, bits, ...rest] = entry.split('/');
    const address = parseStrictIp(normalizeHost(ip ?? ''));
    if (address && rest.length === 0) {
      const max = address.kind() === 'ipv4' ? 32 : 128;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
      if (!(prefix >= 0 && prefix <= max)) throw new ConfigurationError(`${source}: "${entry}" has a prefix length outside 0-${max}`);
      networks.push([address, prefix]);
      continue;
    }
    const host = normalizeHost(entry);
    if (bits !== undefined || !HOST_NAME.test(host)) {
      throw new ConfigurationError(`${source}: "${entry}" is neither a host name nor an address or CIDR such as 127.0.0.1/32`);
    }
    hosts.add(host);
  }
  return { hosts, networks };
}

/** Checks a URL a job will make this product call; throws BlockedDestinationError with the reason. */
export interface UrlGuard {
  check(url: string): Promise<void>;
}

/**
 * A guard that needs no DNS: it refuses non-http(s) schemes and IP-literal hosts in refused ranges, and
 * leaves host names to the call-time check. What the API uses when it is given no resolving guard.
 * @example await literalUrlGuard().check('http://169.254.169.254/') // throws BlockedDestinationError
 */
export function literalUrlGuard(allow: AllowList = EMPTY_ALLOW_LIST): UrlGuard {
  return {
    async check(url) {
      const refusal = literalRefusal(url, allow);
      if (refusal !== undefined && refusal !== 'resolve') throw new BlockedDestinationError(refusal);
    },
  };
}
