import type { ArpFacts, NsFacts } from './responder-policy.js';

/**
 * Whether a received neighbour packet shows that another host uses (or is about to use) a VIP we
 * are probing for or hold. The socket side runs every received ARP/NDP packet through these and
 * feeds a hit to that VIP's announcer (announcer.ts), which decides between backing off, defending
 * and yielding.
 */

/** Where a VIP stands for conflict detection: probing before the claim, or claimed. */
export type ClaimPhase = 'probing' | 'claimed';

export type ConflictEvidence =
  /** RFC 5227 §2.1.1 / §2.4: an ARP packet whose sender IP is the VIP, from another MAC. */
  | 'arp-sender-is-vip'
  /** RFC 5227 §2.1.1: another host's ARP Probe for the VIP while we probe (simultaneous probe). */
  | 'arp-simultaneous-probe'
  /** RFC 4862 §5.4.4: a Neighbor Advertisement for the VIP from another MAC. */
  | 'na-for-vip'
  /** RFC 4862 §5.4.3: another host's DAD NS for the VIP while we run our own DAD. */
  | 'ns-simultaneous-dad';

export interface Conflict {
  readonly vip: string;
  readonly ifname: string;
  /** The other host's MAC. */
  readonly mac: string;
  readonly evidence: ConflictEvidence;
}

/** A Neighbor Advertisement (RFC 4861 §4.4), as decoded. */
export interface NaFacts {
  readonly targetIp: string;
  /** The Target Link-Layer Address option, null when absent. */
  readonly targetLinkAddr: string | null;
  /** The Ethernet source MAC of the frame. */
  readonly frameSource: string;
  readonly ifname: string;
}

const IPV4_UNSPECIFIED = '0.0.0.0';
const IPV6_UNSPECIFIED = '::';

/** `watched`: VIP → phase for every VIP being probed or held; `ownMacs`: this node's MACs. */
export function arpConflict(
  arp: ArpFacts,
  watched: ReadonlyMap<string, ClaimPhase>,
  ownMacs: ReadonlySet<string>,
): Conflict | null {
  if (ownMacs.has(arp.senderMac)) return null;
  // Request or reply alike: someone says "I am this VIP" (RFC 5227 §2.1.1 first rule, §2.4).
  if (watched.has(arp.senderIp)) {
    return { vip: arp.senderIp, ifname: arp.ifname, mac: arp.senderMac, evidence: 'arp-sender-is-vip' };
  }
  // Someone else probes the VIP we are probing: both must back off (RFC 5227 §2.1.1 second rule).
  // Once we hold the VIP, a probe is answered by the responder instead (defend-probe).
  if (arp.senderIp === IPV4_UNSPECIFIED && watched.get(arp.targetIp) === 'probing') {
    return { vip: arp.targetIp, ifname: arp.ifname, mac: arp.senderMac, evidence: 'arp-simultaneous-probe' };
  }
  return null;
}

export function naConflict(
  na: NaFacts,
  watched: ReadonlyMap<string, ClaimPhase>,
  ownMacs: ReadonlySet<string>,
): Conflict | null {
  if (ownMacs.has(na.frameSource) || !watched.has(na.targetIp)) return null;
  const mac = na.targetLinkAddr ?? na.frameSource;
  if (ownMacs.has(mac)) return null;
  return { vip: na.targetIp, ifname: na.ifname, mac, evidence: 'na-for-vip' };
}

export function nsConflict(
  ns: NsFacts,
  watched: ReadonlyMap<string, ClaimPhase>,
  ownMacs: ReadonlySet<string>,
): Conflict | null {
  // Only a DAD NS (source '::') says "I want this address"; an ordinary NS merely asks for it.
  if (ns.sourceIp !== IPV6_UNSPECIFIED || ownMacs.has(ns.frameSource)) return null;
  if (watched.get(ns.targetIp) !== 'probing') return null;
  return { vip: ns.targetIp, ifname: ns.ifname, mac: ns.frameSource, evidence: 'ns-simultaneous-dad' };
}
