import type { LargeCommunity } from '../../proto/bgp/index.js';
import { parseCommunity } from '../config/community.js';
import { parseCidr, type Cidr } from '../net/ip.js';
import type { BgpAnnouncement } from './announcements.js';

/**
 * One route as a session sends it: the prefix and the attributes that vary per route. The rest
 * (ORIGIN, AS_PATH, NEXT_HOP) follows from the session (src/domain/bgp/adj-rib-out.ts).
 */
export interface BgpRoute {
  readonly prefix: Cidr;
  /** RFC 1997 values, sorted. */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  /** LOCAL_PREF for iBGP peers; null means the RFC 4271 §5.1.5 customary default (100) there. */
  readonly localPref: number | null;
}

/**
 * The routes `node` sends to the BGPPeer named `peer`, from planBgp's output. planBgp emits at
 * most one entry per (prefix, node, peer); community texts were validated with the config, so
 * one that does not parse here is a bug upstream and throws.
 */
export function routesForPeer(announcements: readonly BgpAnnouncement[], node: string, peer: string): BgpRoute[] {
  const out: BgpRoute[] = [];
  for (const a of announcements) {
    if (a.node !== node || !a.peers.includes(peer)) continue;
    const prefix = parseCidr(a.prefix, true);
    if (prefix === null) throw new RangeError(`announcement prefix "${a.prefix}" is not a CIDR`);
    const communities: number[] = [];
    const largeCommunities: LargeCommunity[] = [];
    for (const text of a.communities) {
      const parsed = parseCommunity(text);
      if (!parsed.ok) throw new RangeError(`announcement community ${parsed.message}`);
      const c = parsed.community;
      if (c.kind === 'standard') communities.push(c.value);
      else largeCommunities.push({ globalAdmin: c.globalAdmin, localData1: c.localData1, localData2: c.localData2 });
    }
    out.push({ prefix, communities: communities.sort((x, y) => x - y), largeCommunities, localPref: a.localPref });
  }
  return out;
}
