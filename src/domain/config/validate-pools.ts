import { bitsOf, cidrToRange, formatIpValue, parseCidr, parseIp, rangesOverlap, type IpRange } from '../net/ip.js';
import { checkNoRepeats, checkSelectors, fieldWhere, issueAt } from './issue-builder.js';
import type { ConfigIssue, ConfigSet, IPAddressPool } from './types.js';

/** One entry of spec.addresses: the range it covers, or why it is not one. */
export type AddressEntry = { readonly ok: true; readonly range: IpRange } | { readonly ok: false; readonly message: string };

const forms = 'a CIDR such as 192.168.1.240/28 or a range such as 192.168.1.240-192.168.1.250';

/**
 * Reads an IPAddressPool address the way MetalLB does (a CIDR, host bits masked, or an
 * inclusive "start-end" range of one family) and, when it is not one, says exactly why.
 */
export function readAddressEntry(text: string): AddressEntry {
  const trimmed = text.trim();
  if (trimmed.includes('/')) {
    const cidr = parseCidr(trimmed);
    if (cidr !== null) return { ok: true, range: cidrToRange(cidr) };
    const [addr = '', len = ''] = trimmed.split('/');
    const ip = parseIp(addr);
    if (ip !== null && /^\d+$/.test(len)) {
      return { ok: false, message: `"${text}" has prefix length /${len}, but IPv${ip.family} prefixes go from /0 to /${bitsOf(ip.family)}; fix the length` };
    }
    return { ok: false, message: `"${text}" is not a valid CIDR; write ${forms}` };
  }
  const dash = trimmed.indexOf('-');
  if (dash >= 0) {
    const startText = trimmed.slice(0, dash).trim();
    const endText = trimmed.slice(dash + 1).trim();
    const start = parseIp(startText);
    const end = parseIp(endText);
    if (start === null) return { ok: false, message: `range "${text}" starts with "${startText}", which is not an IP address; write ${forms}` };
    if (end === null) return { ok: false, message: `range "${text}" ends with "${endText}", which is not an IP address; write ${forms}` };
    if (start.family !== end.family) return { ok: false, message: `range "${text}" mixes IPv${start.family} and IPv${end.family}; both ends must be of one family` };
    if (start.value > end.value) {
      return { ok: false, message: `range "${text}" starts after it ends; swap the ends: ${endText}-${startText}` };
    }
    return { ok: true, range: { family: start.family, first: start.value, last: end.value } };
  }
  const ip = parseIp(trimmed);
  if (ip !== null) {
    const host = ip.family === 4 ? 32 : 128;
    return { ok: false, message: `"${text}" is a single address, not a CIDR or range; write ${trimmed}/${host} for just this address` };
  }
  return { ok: false, message: `"${text}" is neither ${forms}` };
}

function describeRange(r: IpRange): string {
  return `${formatIpValue(r.family, r.first)}-${formatIpValue(r.family, r.last)}`;
}

/** Pool rules: well-formed addresses, no address in two entries (same or other pool), sane serviceAllocation. */
export function validatePools(config: ConfigSet, issues: ConfigIssue[]): void {
  const seen: { pool: IPAddressPool; index: number; range: IpRange }[] = [];
  for (const pool of config.pools) {
    if (pool.spec.addresses.length === 0 && pool.origin.fieldLines.has('spec.addresses')) {
      issues.push(issueAt(pool, 'spec.addresses', `the pool has no addresses; list at least one, e.g. ${forms}`));
    }
    pool.spec.addresses.forEach((text, index) => {
      const path = `spec.addresses[${index}]`;
      const entry = readAddressEntry(text);
      if (!entry.ok) {
        issues.push(issueAt(pool, path, entry.message));
        return;
      }
      const clash = seen.find((s) => rangesOverlap(s.range, entry.range));
      if (clash !== undefined) {
        const other = `spec.addresses[${clash.index}]`;
        const owner = clash.pool === pool ? `${other} of this pool` : `${other} ("${clash.pool.spec.addresses[clash.index]}") of IPAddressPool "${clash.pool.metadata.name}" at ${fieldWhere(clash.pool, other)}`;
        issues.push(issueAt(pool, path, `"${text}" (${describeRange(entry.range)}) overlaps ${owner}; an address can belong to one pool entry only: shrink or remove one`));
      }
      seen.push({ pool, index, range: entry.range });
    });
    const allocation = pool.spec.serviceAllocation;
    if (allocation !== null) {
      checkNoRepeats(pool, 'spec.serviceAllocation.namespaces', allocation.namespaces, issues);
      checkSelectors(pool, 'spec.serviceAllocation.namespaceSelectors', allocation.namespaceSelectors, issues);
      checkSelectors(pool, 'spec.serviceAllocation.serviceSelectors', allocation.serviceSelectors, issues);
    }
  }
}
