/**
 * IP addresses and prefixes as plain values. An address is its family and its value as a bigint,
 * which makes ranges, containment and "next address" arithmetic exact for IPv4 and IPv6 alike.
 * Text forms follow RFC 4291 §2.2 (input) and RFC 5952 (canonical IPv6 output).
 */
export type IpFamily = 4 | 6;

export interface Ip {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits zero). */
  readonly base: bigint;
  readonly prefixLength: number;
}

/** An inclusive range of addresses of one family. */
export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

export function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

function parseIpv4Value(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // Leading zeros are refused: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6Value(text: string): bigint | null {
  if (text.length === 0 || text.includes('%')) return null;
  let head = text;
  let tailV4: bigint | null = null;
  // An embedded IPv4 tail (::ffff:1.2.3.4) fills the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4Value(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return null;
  let groups: string[];
  if (doubleColon >= 0) {
    const left = head.slice(0, doubleColon);
    const right = head.slice(doubleColon + 2);
    const leftGroups = left === '' ? [] : left.split(':');
    const rightGroups = right === '' ? [] : right.split(':');
    const missing = 8 - leftGroups.length - rightGroups.length;
    if (missing < 1) return null;
    groups = [...leftGroups, ...Array<string>(missing).fill('0'), ...rightGroups];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parses an IPv4 or IPv6 address; null when the text is not exactly one address. */
export function parseIp(text: string): Ip | null {
  if (text.includes(':')) {
    const value = parseIpv6Value(text);
    return value === null ? null : { family: 6, value };
  }
  const value = parseIpv4Value(text);
  return value === null ? null : { family: 4, value };
}

export function formatIpValue(family: IpFamily, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run (of two or more) of zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

export function formatIp(ip: Ip): string {
  return formatIpValue(ip.family, ip.value);
}

/** Canonical text of an address given as text, or null if it is not an address. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  return ip === null ? null : formatIp(ip);
}

export function hostMask(family: IpFamily, prefixLength: number): bigint {
  return (1n << BigInt(bitsOf(family) - prefixLength)) - 1n;
}

/**
 * Parses "addr/len". `strict` refuses host bits set (10.0.0.1/24); MetalLB accepts such CIDRs
 * in pools by masking them, so pools parse with strict=false.
 */
export function parseCidr(text: string, strict = false): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return null;
  const ip = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (ip === null || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return null;
  const prefixLength = Number(lengthText);
  if (prefixLength > bitsOf(ip.family)) return null;
  const mask = hostMask(ip.family, prefixLength);
  if (strict && (ip.value & mask) !== 0n) return null;
  return { family: ip.family, base: ip.value & ~mask, prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpValue(cidr.family, cidr.base)}/${cidr.prefixLength}`;
}

export function cidrToRange(cidr: Cidr): IpRange {
  return { family: cidr.family, first: cidr.base, last: cidr.base | hostMask(cidr.family, cidr.prefixLength) };
}

export function rangeContains(range: IpRange, ip: Ip): boolean {
  return range.family === ip.family && ip.value >= range.first && ip.value <= range.last;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function rangeSize(range: IpRange): bigint {
  return range.last - range.first + 1n;
}

/** The smallest list of CIDRs that covers exactly the range (used for display and BGP aggregation). */
export function rangeToCidrs(range: IpRange): Cidr[] {
  const bits = bitsOf(range.family);
  const out: Cidr[] = [];
  let first = range.first;
  while (first <= range.last) {
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const block = 1n << BigInt(next);
      if ((first & (block - 1n)) !== 0n || first + block - 1n > range.last) break;
      size = next;
    }
    out.push({ family: range.family, base: first, prefixLength: bits - size });
    first += 1n << BigInt(size);
  }
  return out;
}

export function compareIp(a: Ip, b: Ip): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The covering prefix of `ip` of the given length (BGP aggregationLength). */
export function prefixOf(ip: Ip, prefixLength: number): Cidr {
  return { family: ip.family, base: ip.value & ~hostMask(ip.family, prefixLength), prefixLength };
}

/**
 * One entry of an IPAddressPool's `addresses`: a CIDR ("192.168.1.0/24", host bits masked as
 * MetalLB does) or an inclusive range "start-end" of one family. Null when malformed; the
 * validator turns null into a message that says which form was expected.
 */
export function parseAddressRange(text: string): IpRange | null {
  const trimmed = text.trim();
  if (trimmed.includes('/')) {
    const cidr = parseCidr(trimmed);
    return cidr === null ? null : cidrToRange(cidr);
  }
  const dash = trimmed.indexOf('-');
  if (dash < 0) return null;
  const first = parseIp(trimmed.slice(0, dash).trim());
  const last = parseIp(trimmed.slice(dash + 1).trim());
  if (first === null || last === null || first.family !== last.family || first.value > last.value) return null;
  return { family: first.family, first: first.value, last: last.value };
}
