/**
 * Classifies IP addresses into the special-purpose ranges a public uptime checker must not reach (IANA
 * special-purpose registries, RFC 6890 and successors). Hand-written rather than node:net BlockList so that
 * each refusal can say *why* and so that IPv6 forms embedding an IPv4 address (mapped, NAT64, 6to4, Teredo)
 * are judged by the IPv4 address they actually lead to.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressCategory =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared (carrier-grade NAT)'
  | 'link-local'
  | 'site-local'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'invalid';

type Ipv4Range = readonly [base: number, prefixLength: number, category: AddressCategory];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Most specific first: the first match wins. */
const IPV4_RANGES: readonly Ipv4Range[] = [
  [ipv4(255, 255, 255, 255), 32, 'broadcast'],
  [ipv4(0, 0, 0, 0), 8, 'unspecified'],
  [ipv4(10, 0, 0, 0), 8, 'private'],
  [ipv4(100, 64, 0, 0), 10, 'shared (carrier-grade NAT)'],
  [ipv4(127, 0, 0, 0), 8, 'loopback'],
  [ipv4(169, 254, 0, 0), 16, 'link-local'],
  [ipv4(172, 16, 0, 0), 12, 'private'],
  [ipv4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments
  [ipv4(192, 0, 2, 0), 24, 'documentation'],
  [ipv4(192, 88, 99, 0), 24, 'reserved'], // deprecated 6to4 relay anycast
  [ipv4(192, 168, 0, 0), 16, 'private'],
  [ipv4(198, 18, 0, 0), 15, 'benchmarking'],
  [ipv4(198, 51, 100, 0), 24, 'documentation'],
  [ipv4(203, 0, 113, 0), 24, 'documentation'],
  [ipv4(224, 0, 0, 0), 4, 'multicast'],
  [ipv4(240, 0, 0, 0), 4, 'reserved'],
];

function classifyIpv4Number(address: number): AddressCategory | null {
  for (const [base, prefixLength, category] of IPV4_RANGES) {
    const mask = prefixLength === 0 ? 0 : (~0 << (32 - prefixLength)) >>> 0;
    if ((address & mask) >>> 0 === base) return category;
  }
  return null;
}

function parseIpv4(text: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return ipv4(a, b, c, d);
}

/** Eight 16-bit groups. Input must already satisfy net.isIPv6 (zone index removed). */
function parseIpv6(text: string): number[] {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    // Dotted IPv4 in the last 32 bits (::ffff:127.0.0.1): rewrite it as two hex groups.
    const v4 = parseIpv4(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const toGroups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const [head = '', tail] = body.split('::');
  const headGroups = toGroups(head);
  if (tail === undefined) return headGroups;
  const tailGroups = toGroups(tail);
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...zeros, ...tailGroups];
}

/** Does `groups` start with the first `prefixLength` bits of `prefix`? */
function hasPrefix(groups: readonly number[], prefix: readonly number[], prefixLength: number): boolean {
  for (let i = 0; i < 8 && prefixLength > 0; i++, prefixLength -= 16) {
    const bits = Math.min(16, prefixLength);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((groups[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4FromGroups(high: number | undefined, low: number | undefined): number {
  return (((high ?? 0) << 16) | (low ?? 0)) >>> 0;
}

type Ipv6Rule = readonly [
  prefix: readonly number[],
  prefixLength: number,
  verdict: AddressCategory | ((groups: readonly number[]) => AddressCategory | null),
];

/** IPv4 carried in the last 32 bits: the address a mapped or NAT64 destination really reaches. */
const lastIpv4 = (g: readonly number[]) => classifyIpv4Number(ipv4FromGroups(g[6], g[7]));

const IPV6_RULES: readonly Ipv6Rule[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0, 0, 0, 0, 0, 0xffff, 0, 0], 96, lastIpv4], // IPv4-mapped
  [[0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, lastIpv4], // NAT64 well-known prefix
  [[0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, 'private'], // local-use NAT64
  [[0, 0, 0, 0, 0, 0, 0, 0], 8, 'reserved'], // IPv4-compatible and other IETF-reserved forms
  [[0x100, 0, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48, 'benchmarking'],
  [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, 'documentation'],
  [[0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, 'reserved'], // ORCHID
  [[0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, 'reserved'], // ORCHIDv2
  // Teredo: the client's IPv4 address is stored inverted in the last 32 bits.
  [[0x2001, 0, 0, 0, 0, 0, 0, 0], 32, (g) => classifyIpv4Number(~ipv4FromGroups(g[6], g[7]) >>> 0)],
  [[0x2002, 0, 0, 0, 0, 0, 0, 0], 16, (g) => classifyIpv4Number(ipv4FromGroups(g[1], g[2]))], // 6to4
  [[0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, 'documentation'],
  [[0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, 'reserved'], // SRv6 SIDs
  [[0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, 'unique-local'],
  [[0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, 'link-local'],
  [[0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, 'site-local'],
  [[0xff00, 0, 0, 0, 0, 0, 0, 0], 8, 'multicast'],
];

function classifyIpv6(text: string): AddressCategory | null {
  const groups = parseIpv6(text);
  for (const [prefix, prefixLength, verdict] of IPV6_RULES) {
    if (hasPrefix(groups, prefix, prefixLength)) {
      return typeof verdict === 'function' ? verdict(groups) : verdict;
    }
  }
  return null;
}

/**
 * The special-purpose category of an IP address, or null for an ordinary public address. Accepts IPv4,
 * IPv6 (with or without brackets or a zone index) and IPv4 embedded in IPv6; anything that is not an IP
 * address is 'invalid', so callers that refuse non-null results fail closed.
 */
export function classifyAddress(ip: string): AddressCategory | null {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (isIPv4(text)) return classifyIpv4Number(parseIpv4(text));
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (isIPv6(text)) return classifyIpv6(text);
  return 'invalid';
}

const DESCRIPTIONS: Record<AddressCategory, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  'shared (carrier-grade NAT)': 'a shared (carrier-grade NAT) address',
  'link-local': 'a link-local address',
  'site-local': 'a site-local address',
  'unique-local': 'a unique-local address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  reserved: 'a reserved address',
  invalid: 'not a valid IP address',
};

/** "a loopback address", "an unspecified address": for messages. */
export function describeCategory(category: AddressCategory): string {
  return DESCRIPTIONS[category];
}
