import {
  Origin,
  SegmentType,
  encodeEndOfRib,
  ipFamilyOf,
  packUpdates,
  type AfiSafi,
  type PathAttributes,
  type RouteGroup,
} from '../../proto/bgp/index.js';
import { formatCidr, type Cidr, type Ip } from '../net/ip.js';
import type { BgpRoute } from './route.js';

/**
 * The Adj-RIB-Out of one session (RFC 4271 §3.2): the routes we want the peer to have, the
 * routes it has been sent, and the UPDATEs that turn the second into the first. Many prefixes
 * with the same attributes share an UPDATE (packUpdates), withdrawals travel before
 * announcements, and a changed attribute is sent as a new announcement (an implicit withdraw,
 * §3.1), never as withdraw + announce.
 */

/** What the established session decides about every route it sends. */
export interface RibOutContext {
  readonly localAsn: number;
  readonly ebgp: boolean;
  readonly fourOctetAs: boolean;
  /** The negotiated families (RFC 4760): routes of other families are not sent. */
  readonly families: readonly AfiSafi[];
  /** NEXT_HOP for IPv4 routes, or null when this session has no IPv4 address to offer. */
  readonly nextHopV4: Ip | null;
  /** MP_REACH next hop for IPv6 routes (global, then optionally link-local; RFC 2545 §3), or null. */
  readonly nextHopV6: readonly Ip[] | null;
  /** Largest UPDATE to build; 4096 unless a test wants smaller ones. */
  readonly maxLength?: number;
}

/** §5.1.5: the usual LOCAL_PREF when the configuration names none. */
export const DEFAULT_LOCAL_PREF = 100;

interface Entry {
  readonly route: BgpRoute;
  /** Routes with equal keys have identical path attributes. */
  readonly attrKey: string;
}

function attrKeyOf(route: BgpRoute): string {
  const large = route.largeCommunities.map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`).join(',');
  return `${route.localPref ?? ''}|${route.communities.join(',')}|${large}`;
}

export class AdjRibOut {
  private desired = new Map<string, Entry>();
  private sent = new Map<string, Entry>();
  private context: RibOutContext | null = null;

  /** Replaces the whole desired set; nothing is sent until flush(). A prefix given twice keeps its last entry. */
  setDesired(routes: readonly BgpRoute[]): void {
    const next = new Map<string, Entry>();
    for (const route of routes) next.set(formatCidr(route.prefix), { route, attrKey: attrKeyOf(route) });
    this.desired = next;
  }

  /**
   * The session reached Established: nothing has been sent on it yet. Returns the whole table
   * followed by an End-of-RIB per negotiated family (RFC 4724 §2; RECOMMENDED even without
   * Graceful Restart, §4).
   */
  open(context: RibOutContext): Buffer[] {
    this.context = context;
    this.sent = new Map();
    return [...this.flush(), ...context.families.map((f) => encodeEndOfRib(f))];
  }

  /** The session went down: the peer has dropped our routes (§9.1.4 / §8.2.2 release resources). */
  close(): void {
    this.context = null;
    this.sent = new Map();
  }

  /** The UPDATEs that make the peer's view equal the desired set; afterwards they count as sent. */
  flush(): Buffer[] {
    const ctx = this.context;
    if (ctx === null) return [];
    const withdraw: Cidr[] = [];
    for (const [key, entry] of this.sent) {
      const wanted = this.desired.get(key);
      if (wanted === undefined || !this.sendable(wanted.route.prefix)) {
        withdraw.push(entry.route.prefix);
        this.sent.delete(key);
      }
    }
    const changed: Entry[] = [];
    for (const [key, entry] of this.desired) {
      if (!this.sendable(entry.route.prefix)) continue;
      if (this.sent.get(key)?.attrKey === entry.attrKey) continue;
      changed.push(entry);
      this.sent.set(key, entry);
    }
    return this.pack(changed, withdraw);
  }

  /** Re-sends every route of `family` the peer should have (RFC 2918 §4, answering ROUTE-REFRESH). */
  refresh(family: AfiSafi): Buffer[] {
    const ipFamily = ipFamilyOf(family);
    if (this.context === null || ipFamily === null) return [];
    // Bring the table up to date first, so the refresh sends the current routes.
    const pending = this.flush();
    const all = [...this.sent.values()].filter((e) => e.route.prefix.family === ipFamily);
    return [...pending, ...this.pack(all, [])];
  }

  /** Prefixes the peer has been sent and not withdrawn. */
  get sentCount(): number {
    return this.sent.size;
  }

  /** Desired routes this session cannot carry (family not negotiated, or no next hop of that family). */
  get unsendableCount(): number {
    if (this.context === null) return 0;
    let n = 0;
    for (const entry of this.desired.values()) if (!this.sendable(entry.route.prefix)) n++;
    return n;
  }

  private sendable(prefix: Cidr): boolean {
    const ctx = this.context!;
    if (!ctx.families.some((f) => ipFamilyOf(f) === prefix.family)) return false;
    return prefix.family === 4 ? ctx.nextHopV4 !== null : ctx.nextHopV6 !== null;
  }

  private pack(entries: readonly Entry[], withdraw: readonly Cidr[]): Buffer[] {
    const ctx = this.context!;
    if (entries.length === 0 && withdraw.length === 0) return [];
    const groups = new Map<string, { route: BgpRoute; prefixes: Cidr[] }>();
    for (const { route, attrKey } of entries) {
      const group = groups.get(attrKey);
      if (group === undefined) groups.set(attrKey, { route, prefixes: [route.prefix] });
      else group.prefixes.push(route.prefix);
    }
    const announce: RouteGroup[] = [...groups.values()].map(({ route, prefixes }) => ({
      attributes: attributesFor(route, ctx),
      ...(ctx.nextHopV6 !== null ? { ipv6NextHops: ctx.nextHopV6 } : {}),
      prefixes,
    }));
    return packUpdates({ announce, withdraw }, { fourOctetAs: ctx.fourOctetAs, ...(ctx.maxLength !== undefined ? { maxLength: ctx.maxLength } : {}) });
  }
}

/**
 * The path attributes of a locally originated route (RFC 4271 §5.1): ORIGIN IGP; AS_PATH empty
 * towards iBGP peers and our AS alone towards eBGP peers (§5.1.2); NEXT_HOP our address (§5.1.3);
 * LOCAL_PREF only towards iBGP peers (§5.1.5); COMMUNITIES (RFC 1997) and LARGE_COMMUNITY (RFC 8092).
 */
export function attributesFor(route: BgpRoute, ctx: RibOutContext): PathAttributes {
  return {
    origin: Origin.igp,
    asPath: ctx.ebgp ? [{ type: SegmentType.sequence, asns: [ctx.localAsn] }] : [],
    ...(ctx.nextHopV4 !== null ? { nextHop: ctx.nextHopV4 } : {}),
    ...(ctx.ebgp ? {} : { localPref: route.localPref ?? DEFAULT_LOCAL_PREF }),
    ...(route.communities.length > 0 ? { communities: route.communities } : {}),
    ...(route.largeCommunities.length > 0 ? { largeCommunities: route.largeCommunities } : {}),
  };
}

