import type { ResponderContext } from './responder-context.js';

/**
 * Whether to answer a neighbour query, and why. The socket side decodes a frame into one of the
 * small shapes below, asks decideArp/decideNs, counts the reason and, on 'answer', sends the reply
 * from `mac` — the receiving interface's own MAC, never another (a WiFi station cannot transmit
 * with a foreign MAC, DESIGN §1). Anything not claimed right now (node IPs, the gateway, other
 * pools, VIPs still probing or already released) is ignored with a reason.
 */

/** An ARP packet for IPv4 over Ethernet (RFC 826), as decoded. */
export interface ArpFacts {
  /** 1 = request, 2 = reply (RFC 826 ar$op). */
  readonly op: number;
  readonly senderIp: string;
  readonly senderMac: string;
  readonly targetIp: string;
  /** The interface the frame arrived on. */
  readonly ifname: string;
}

/** A Neighbor Solicitation (RFC 4861 §4.3), as decoded. */
export interface NsFacts {
  readonly targetIp: string;
  /** The IPv6 source; '::' for Duplicate Address Detection (RFC 4862 §5.4.2). */
  readonly sourceIp: string;
  /** The Source Link-Layer Address option, null when absent. */
  readonly sourceLinkAddr: string | null;
  /** The Ethernet source MAC of the frame. */
  readonly frameSource: string;
  readonly hopLimit: number;
  readonly ifname: string;
}

export const ARP_REASONS = [
  'owner',
  'defend-probe',
  'not-a-request',
  'self-sender',
  'probe-from-us',
  'gratuitous',
  'not-owner',
  'wrong-interface',
] as const;
export type ArpReason = (typeof ARP_REASONS)[number];

export type ArpDecision =
  | { readonly action: 'answer'; readonly reason: 'owner' | 'defend-probe'; readonly mac: string }
  | { readonly action: 'ignore'; readonly reason: Exclude<ArpReason, 'owner' | 'defend-probe'> };

export const NS_REASONS = [
  'owner',
  'defend-dad',
  'bad-hop-limit',
  'dad-with-source-link-addr',
  'self-sender',
  'probe-from-us',
  'not-owner',
  'wrong-interface',
] as const;
export type NsReason = (typeof NS_REASONS)[number];

/** Where a Neighbor Advertisement goes and with which flags (RFC 4861 §7.2.4). */
export interface NaReply {
  readonly action: 'answer';
  readonly reason: 'owner' | 'defend-dad';
  /** Source MAC and Target Link-Layer Address option of the NA. */
  readonly mac: string;
  readonly destinationIp: string;
  readonly destinationMac: string;
  readonly solicited: boolean;
  /**
   * Always set: the VIP belongs to this node for as long as it is claimed, and after a failover the
   * new owner's NA must replace the old MAC in caches (RFC 4861 §7.2.5: an NA without Override
   * does not update an existing entry's link-layer address, it only marks it STALE).
   */
  readonly override: true;
}

export type NsDecision = NaReply | { readonly action: 'ignore'; readonly reason: Exclude<NsReason, 'owner' | 'defend-dad'> };

const ARP_REQUEST = 1;
const IPV4_UNSPECIFIED = '0.0.0.0';
const IPV6_UNSPECIFIED = '::';
/** All-nodes multicast (RFC 4291 §2.7.1) and its Ethernet MAC 33:33 + low 32 bits (RFC 2464 §7). */
const ALL_NODES_IP = 'ff02::1';
const ALL_NODES_MAC = '33:33:00:00:00:01';

/** Which interface, if any, answers for `vip` when a query for it arrives on `ifname`. */
function ownership(ctx: ResponderContext, vip: string, ifname: string): 'here' | 'elsewhere' | 'nowhere' {
  if (!ctx.ownedAnywhere.has(vip)) return 'nowhere';
  return ctx.interfaces.get(ifname)?.vips.has(vip) === true ? 'here' : 'elsewhere';
}

export function decideArp(req: ArpFacts, ctx: ResponderContext): ArpDecision {
  // Replies answer someone else's question; conflicts they reveal are conflict.ts's business.
  if (req.op !== ARP_REQUEST) return { action: 'ignore', reason: 'not-a-request' };
  // Our own frames, seen on another of our interfaces on the same segment.
  if (ctx.ownMacs.has(req.senderMac)) {
    return { action: 'ignore', reason: req.senderIp === IPV4_UNSPECIFIED ? 'probe-from-us' : 'self-sender' };
  }
  // An ARP Announcement (RFC 5227 §3: sender IP = target IP) asks nothing.
  if (req.senderIp === req.targetIp) return { action: 'ignore', reason: 'gratuitous' };
  const owned = ownership(ctx, req.targetIp, req.ifname);
  if (owned === 'nowhere') return { action: 'ignore', reason: 'not-owner' };
  if (owned === 'elsewhere') return { action: 'ignore', reason: 'wrong-interface' };
  const mac = ctx.interfaces.get(req.ifname)!.mac;
  // An ARP Probe (RFC 5227 §2.1.1: sender IP 0.0.0.0) for a VIP we hold is answered like any
  // request: that reply is exactly what tells the prober the address is taken (§2.1.1, §2.4), and
  // staying silent would let a second host start using our VIP. The reply goes to the prober's MAC
  // with target IP 0.0.0.0, as RFC 826 builds it from the request.
  if (req.senderIp === IPV4_UNSPECIFIED) return { action: 'answer', reason: 'defend-probe', mac };
  return { action: 'answer', reason: 'owner', mac };
}

export function decideNs(ns: NsFacts, ctx: ResponderContext): NsDecision {
  // RFC 4861 §7.1.1: a hop limit other than 255 means the NS was forwarded by a router; discard.
  if (ns.hopLimit !== 255) return { action: 'ignore', reason: 'bad-hop-limit' };
  const dad = ns.sourceIp === IPV6_UNSPECIFIED;
  if (ctx.ownMacs.has(ns.frameSource)) return { action: 'ignore', reason: dad ? 'probe-from-us' : 'self-sender' };
  // RFC 4861 §7.1.1: an NS from the unspecified address must not carry a source link-layer option.
  if (dad && ns.sourceLinkAddr !== null) return { action: 'ignore', reason: 'dad-with-source-link-addr' };
  const owned = ownership(ctx, ns.targetIp, ns.ifname);
  if (owned === 'nowhere') return { action: 'ignore', reason: 'not-owner' };
  if (owned === 'elsewhere') return { action: 'ignore', reason: 'wrong-interface' };
  const mac = ctx.interfaces.get(ns.ifname)!.mac;
  if (dad) {
    // Someone runs DAD for our VIP: defend it. RFC 4861 §7.2.4: a solicitation from '::' is
    // answered to all-nodes with Solicited clear, and the prober then sees the address is taken
    // (RFC 4862 §5.4.4).
    return {
      action: 'answer',
      reason: 'defend-dad',
      mac,
      destinationIp: ALL_NODES_IP,
      destinationMac: ALL_NODES_MAC,
      solicited: false,
      override: true,
    };
  }
  // RFC 4861 §7.2.4: unicast back to the solicitation's source, Solicited set. The SLLA option is
  // mandatory in multicast NS (§4.3); a unicast NS (NUD) may omit it, and then the frame's own
  // source MAC is where the sender is.
  return {
    action: 'answer',
    reason: 'owner',
    mac,
    destinationIp: ns.sourceIp,
    destinationMac: ns.sourceLinkAddr ?? ns.frameSource,
    solicited: true,
    override: true,
  };
}
