import type { BGPAdvertisement, Community } from './types.js';

/**
 * BGP communities as MetalLB writes them:
 *  - standard (RFC 1997 §"COMMUNITIES attribute"): "ASN:value", two 16-bit decimal halves of one
 *    32-bit value, e.g. "65535:65281" (NO_EXPORT);
 *  - large (RFC 8092 §3): "large:global:local1:local2", three 32-bit decimal fields;
 *  - an alias: the name of an entry in a Community resource, resolved to one of the above.
 */
export type CommunityValue =
  | { readonly kind: 'standard'; /** (ASN << 16) | value, as carried on the wire. */ readonly value: number }
  | { readonly kind: 'large'; readonly globalAdmin: number; readonly localData1: number; readonly localData2: number };

export type CommunityParse =
  | { readonly ok: true; readonly community: CommunityValue }
  /**
   * 'value': it has the shape of a community (2 or 4 colon-separated fields) but a field is out of
   * range or not a number; 'format': it is not shaped like a community at all (maybe an alias).
   */
  | { readonly ok: false; readonly problem: 'value' | 'format'; readonly message: string };

const decimal = /^(0|[1-9][0-9]*)$/;

function field(text: string, max: number): number | null {
  if (!decimal.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

export function parseCommunity(text: string): CommunityParse {
  const parts = text.split(':');
  if (parts.length === 2) {
    const high = field(parts[0]!, 0xffff);
    const low = field(parts[1]!, 0xffff);
    if (high === null || low === null) {
      return { ok: false, problem: 'value', message: `"${text}" is not a standard community: both halves of ASN:value must be whole numbers from 0 to 65535 (RFC 1997)` };
    }
    // Multiplication instead of << keeps the result an unsigned 32-bit number.
    return { ok: true, community: { kind: 'standard', value: high * 0x10000 + low } };
  }
  if (parts.length === 4) {
    if (parts[0] !== 'large') {
      return { ok: false, problem: 'value', message: `"${text}" is not a large community: write it as large:GLOBAL:LOCAL1:LOCAL2` };
    }
    const [g, l1, l2] = [field(parts[1]!, 0xffffffff), field(parts[2]!, 0xffffffff), field(parts[3]!, 0xffffffff)];
    if (g === null || l1 === null || l2 === null) {
      return { ok: false, problem: 'value', message: `"${text}" is not a large community: each of its three fields must be a whole number from 0 to 4294967295 (RFC 8092)` };
    }
    return { ok: true, community: { kind: 'large', globalAdmin: g, localData1: l1, localData2: l2 } };
  }
  return { ok: false, problem: 'format', message: `"${text}" is neither a community (ASN:value or large:G:L1:L2) nor the name of an alias defined in a Community resource` };
}

export function formatCommunity(c: CommunityValue): string {
  if (c.kind === 'standard') return `${Math.floor(c.value / 0x10000)}:${c.value % 0x10000}`;
  return `large:${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}

/** Every alias defined by the Community resources, first definition winning (the validator flags repeats). */
export function communityAliases(communities: readonly Community[]): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const resource of communities) {
    for (const entry of resource.spec.communities) if (!aliases.has(entry.name)) aliases.set(entry.name, entry.value);
  }
  return aliases;
}

/** One entry of spec.communities: an alias is looked up first, as MetalLB does. */
export function resolveCommunity(text: string, aliases: ReadonlyMap<string, string>): CommunityParse {
  const aliased = aliases.get(text);
  if (aliased !== undefined) {
    const parsed = parseCommunity(aliased);
    if (parsed.ok) return parsed;
    return { ok: false, problem: 'value', message: `alias "${text}" stands for ${parsed.message}` };
  }
  return parseCommunity(text);
}

/**
 * The communities a BGPAdvertisement attaches to its routes, aliases resolved, duplicates
 * removed, in the order written. Entries that do not resolve are left out: validateConfig
 * reports them, and a configuration with issues is not run.
 */
export function resolveCommunities(advertisement: BGPAdvertisement, communities: readonly Community[]): CommunityValue[] {
  const aliases = communityAliases(communities);
  const out: CommunityValue[] = [];
  const seen = new Set<string>();
  for (const text of advertisement.spec.communities) {
    const parsed = resolveCommunity(text, aliases);
    if (!parsed.ok) continue;
    const key = formatCommunity(parsed.community);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parsed.community);
  }
  return out;
}
