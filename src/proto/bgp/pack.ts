import type { Cidr, Ip } from '../../domain/net/ip.js';
import { BgpEncodeError } from './errors.js';
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './header.js';
import { MP_UNREACH_OVERHEAD, encodeAttributes, mpReachOverhead, type PathAttributes } from './attributes.js';
import { IPV6_UNICAST } from './family.js';
import { prefixWireLength } from './nlri.js';
import { encodeUpdate, type UpdateMessage } from './update.js';

/** Prefixes that share every path attribute, so they can travel in the same UPDATEs. */
export interface RouteGroup {
  /** The shared attributes; `nextHop` is the IPv4 next hop (required when the group has IPv4 prefixes). */
  readonly attributes: PathAttributes;
  /** Next hop for IPv6 prefixes: the global address, optionally followed by the link-local one (RFC 2545 §3). */
  readonly ipv6NextHops?: readonly Ip[];
  readonly prefixes: readonly Cidr[];
}

export interface PackOptions {
  readonly fourOctetAs: boolean;
  /** Largest message to build; 4096 unless a test wants smaller ones. */
  readonly maxLength?: number;
}

/** Withdrawn Routes Length + Total Path Attribute Length (RFC 4271 §4.3). */
const UPDATE_FIXED = HEADER_LENGTH + 4;
const EMPTY: UpdateMessage = { withdrawn: [], attributes: {}, mpReach: null, mpUnreach: null, nlri: [] };

/** Splits prefixes into runs whose encodings each fit `budget` octets. */
function chunk(prefixes: readonly Cidr[], budget: number): Cidr[][] {
  const out: Cidr[][] = [];
  let current: Cidr[] = [];
  let used = 0;
  for (const p of prefixes) {
    const size = prefixWireLength(p);
    if (size > budget) throw new BgpEncodeError(`no room for even one prefix: ${budget} octets left after the attributes`);
    if (used + size > budget) {
      out.push(current);
      current = [];
      used = 0;
    }
    current.push(p);
    used += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Builds the fewest UPDATEs (each at most `maxLength` octets) that withdraw `withdraw` and
 * announce every group: IPv4 through the classic Withdrawn Routes / NLRI fields, IPv6 through
 * MP_UNREACH_NLRI / MP_REACH_NLRI (RFC 4760). Withdrawals come first, so a prefix that moves
 * between groups in one call ends up announced.
 */
export function packUpdates(
  changes: { readonly announce?: readonly RouteGroup[]; readonly withdraw?: readonly Cidr[] },
  options: PackOptions,
): Buffer[] {
  const maxLength = options.maxLength ?? MAX_MESSAGE_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength > MAX_MESSAGE_LENGTH || maxLength < UPDATE_FIXED + MP_UNREACH_OVERHEAD + 17) {
    throw new BgpEncodeError(`maxLength ${maxLength} must be an integer in ${UPDATE_FIXED + MP_UNREACH_OVERHEAD + 17}..${MAX_MESSAGE_LENGTH}`);
  }
  const encode = { fourOctetAs: options.fourOctetAs };
  const out: Buffer[] = [];
  const withdraw = changes.withdraw ?? [];

  const withdraw4 = withdraw.filter((p) => p.family === 4);
  for (const run of chunk(withdraw4, maxLength - UPDATE_FIXED)) out.push(encodeUpdate({ ...EMPTY, withdrawn: run }, encode));
  const withdraw6 = withdraw.filter((p) => p.family === 6);
  for (const run of chunk(withdraw6, maxLength - UPDATE_FIXED - MP_UNREACH_OVERHEAD)) {
    out.push(encodeUpdate({ ...EMPTY, mpUnreach: { ...IPV6_UNICAST, withdrawn: run } }, encode));
  }

  for (const group of changes.announce ?? []) {
    const v4 = group.prefixes.filter((p) => p.family === 4);
    if (v4.length > 0) {
      if (group.attributes.nextHop === undefined) throw new BgpEncodeError('IPv4 prefixes need attributes.nextHop');
      const fixed = UPDATE_FIXED + encodeAttributes(group.attributes, {}, encode).length;
      for (const run of chunk(v4, maxLength - fixed)) out.push(encodeUpdate({ ...EMPTY, attributes: group.attributes, nlri: run }, encode));
    }
    const v6 = group.prefixes.filter((p) => p.family === 6);
    if (v6.length > 0) {
      const nextHops = group.ipv6NextHops ?? [];
      if (nextHops.length < 1 || nextHops.length > 2 || nextHops.some((ip) => ip.family !== 6)) {
        throw new BgpEncodeError('IPv6 prefixes need ipv6NextHops: a global IPv6 address and optionally a link-local one');
      }
      // NEXT_HOP belongs to the classic NLRI only (RFC 4760 §3); leave it out of MP-only UPDATEs.
      const { nextHop: _ignored, ...shared } = group.attributes;
      const fixed = UPDATE_FIXED + encodeAttributes(shared, {}, encode).length + mpReachOverhead(nextHops);
      for (const run of chunk(v6, maxLength - fixed)) {
        out.push(encodeUpdate({ ...EMPTY, attributes: shared, mpReach: { ...IPV6_UNICAST, nextHops, nlri: run } }, encode));
      }
    }
  }
  return out;
}
