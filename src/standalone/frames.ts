import type { NaFacts } from '../domain/l2/conflict.js';
import type { ArpFacts, NaReply, NsFacts } from '../domain/l2/responder-policy.js';
import { arpAnnouncement, arpProbe as arpProbePacket, arpReplyTo, gratuitousArpReply } from '../proto/arp/forms.js';
import { encodeArpFrame } from '../proto/arp/frame.js';
import { decodeArp } from '../proto/arp/packet.js';
import { CodecError } from '../proto/codec-error.js';
import { decodeEthernet, EtherType } from '../proto/ethernet/frame.js';
import { encodeNeighborFrame } from '../proto/ndp/frame.js';
import { ALL_NODES_IPV6, UNSPECIFIED_IPV6 } from '../proto/ndp/ipv6-address.js';
import { decodeNeighborMessage, NDP_HOP_LIMIT, type NeighborMessage } from '../proto/ndp/neighbor.js';
import { multicastMacFor, solicitedNodeAddress } from '../proto/ndp/solicited-node.js';

/**
 * The engine's view of the wire: received frames become the small fact shapes the L2 policy
 * decides on, and the engine's decisions become frames, all through the codecs in src/proto.
 * Decoding throws the codecs' CodecError for anything malformed; the engine counts those.
 */

export type Received =
  | { readonly kind: 'arp'; readonly arp: ArpFacts }
  | { readonly kind: 'ns'; readonly ns: NsFacts }
  | { readonly kind: 'na'; readonly na: NaFacts }
  | { readonly kind: 'other' };

const OTHER: Received = { kind: 'other' };

export function decodeNeighborFrame(frame: Buffer, ifname: string): Received {
  // The Ethernet header is decoded once and the payload handed to the ARP or NDP decoder.
  const ethernet = decodeEthernet(frame);
  if (ethernet.etherType === EtherType.arp) {
    const arp = decodeArp(ethernet.payload);
    return { kind: 'arp', arp: { op: arp.op, senderIp: arp.senderIp, senderMac: arp.senderMac, targetIp: arp.targetIp, ifname } };
  }
  if (ethernet.etherType === EtherType.ipv6) return decodeNdp(ethernet.payload, ethernet.source, ifname);
  return OTHER;
}

function decodeNdp(packet: Buffer, frameSource: string, ifname: string): Received {
  let m: NeighborMessage;
  try {
    m = decodeNeighborMessage(packet);
  } catch (err) {
    // Well-formed IPv6 that is simply not an NS or NA (MLD, Router Solicitations, ...) is not
    // malformed; it is not ours.
    if (err instanceof CodecError && (err.reason === 'not-neighbor-discovery' || err.reason === 'unsupported-next-header')) return OTHER;
    throw err;
  }
  if (m.kind === 'ns') {
    // The codec refuses any Hop Limit but 255 (RFC 4861 §7.1.1), so what arrives here has 255.
    return { kind: 'ns', ns: { targetIp: m.target, sourceIp: m.source, sourceLinkAddr: m.sourceLinkAddr, frameSource, hopLimit: NDP_HOP_LIMIT, ifname } };
  }
  return { kind: 'na', na: { targetIp: m.target, targetLinkAddr: m.targetLinkAddr, frameSource, ifname } };
}

/** RFC 5227 §2.1.1: who-has VIP, sender IP 0.0.0.0, broadcast. */
export function arpProbe(mac: string, vip: string): Buffer {
  return encodeArpFrame(arpProbePacket({ senderMac: mac, ip: vip }));
}

/**
 * The announcement in both forms: the RFC 5227 §3 ARP Announcement (a request) and a gratuitous
 * reply, because some hosts and APs update their caches only from one of the two (MetalLB sends
 * both for the same reason).
 */
export function arpAnnouncements(mac: string, vip: string): Buffer[] {
  return [encodeArpFrame(arpAnnouncement({ senderMac: mac, ip: vip })), encodeArpFrame(gratuitousArpReply({ senderMac: mac, ip: vip }))];
}

/**
 * Replies already built, by everything that goes into one. A client re-asking for a VIP (every
 * cache refresh, every retry) gets the same bytes, and building them — text MACs and addresses
 * back to octets — is most of the responder's CPU time per request. Bounded: cleared when full.
 */
const replyCache = new Map<string, Buffer>();
const REPLY_CACHE_SIZE = 4096;

/** RFC 826: the reply to `request`, from `mac`, unicast to the asker. */
export function arpReply(mac: string, request: ArpFacts): Buffer {
  const key = `${mac}|${request.senderMac}|${request.senderIp}|${request.targetIp}`;
  let frame = replyCache.get(key);
  if (frame === undefined) {
    frame = encodeArpFrame(
      arpReplyTo({ op: 1, senderMac: request.senderMac, senderIp: request.senderIp, targetMac: '00:00:00:00:00:00', targetIp: request.targetIp }, mac),
    );
    if (replyCache.size >= REPLY_CACHE_SIZE) replyCache.clear();
    replyCache.set(key, frame);
  }
  return frame;
}

/** The Ethernet group a Neighbor Solicitation for `vip` is sent to (RFC 4291 §2.7.1, RFC 2464 §7). */
export function solicitedNodeMac(vip: string): string {
  return multicastMacFor(solicitedNodeAddress(vip));
}

/**
 * RFC 4862 §5.4.2 Duplicate Address Detection probe: an NS for `vip` from '::' to its
 * solicited-node address, without a Source Link-Layer Address option (§7.1.1 forbids one).
 */
export function dadSolicitation(mac: string, vip: string): Buffer {
  return encodeNeighborFrame({ kind: 'ns', source: UNSPECIFIED_IPV6, destination: solicitedNodeAddress(vip), target: vip, sourceLinkAddr: null }, mac);
}

/**
 * RFC 4861 §7.2.6 unsolicited Neighbor Advertisement to all-nodes: Override set so caches replace
 * the old owner's MAC, Solicited clear (it answers nothing), the Target Link-Layer Address option
 * carrying the MAC.
 */
export function unsolicitedAdvertisement(mac: string, vip: string): Buffer {
  return encodeNeighborFrame(
    { kind: 'na', source: vip, destination: ALL_NODES_IPV6, target: vip, router: false, solicited: false, override: true, targetLinkAddr: mac },
    mac,
  );
}

/** The NA decideNs asked for, from the VIP itself (RFC 4861 §7.2.4: an address of the interface). */
export function neighborAdvertisement(vip: string, reply: NaReply): Buffer {
  return encodeNeighborFrame(
    {
      kind: 'na',
      source: vip,
      destination: reply.destinationIp,
      target: vip,
      router: false,
      solicited: reply.solicited,
      override: reply.override,
      targetLinkAddr: reply.mac,
    },
    reply.mac,
    reply.destinationMac,
  );
}
