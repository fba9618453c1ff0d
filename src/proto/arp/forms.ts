import { BROADCAST_MAC, ZERO_MAC } from '../ethernet/mac.js';
import { UNSPECIFIED_IPV4 } from './ipv4.js';
import { ArpOp, type ArpPacket } from './packet.js';

/**
 * The ARP packets airlb sends and the shapes it must tell apart when receiving. An address
 * conflict check (RFC 5227) and a failover announcement look alike on the wire; the difference is
 * only in which address fields repeat or are zero.
 */

/** "Who has targetIp? Tell senderIp" (RFC 826); the target MAC is unknown, so zero (RFC 5227 §2.1.1). */
export function arpRequest(fields: { senderMac: string; senderIp: string; targetIp: string }): ArpPacket {
  return { op: ArpOp.request, senderMac: fields.senderMac, senderIp: fields.senderIp, targetMac: ZERO_MAC, targetIp: fields.targetIp };
}

/** The answer to `request`: we (mac) have request.targetIp. */
export function arpReplyTo(request: ArpPacket, mac: string): ArpPacket {
  return { op: ArpOp.reply, senderMac: mac, senderIp: request.targetIp, targetMac: request.senderMac, targetIp: request.senderIp };
}

/** RFC 5227 §2.1.1 probe: "is anyone using ip?", sender IP all zeros so no cache learns from it. */
export function arpProbe(fields: { senderMac: string; ip: string }): ArpPacket {
  return { op: ArpOp.request, senderMac: fields.senderMac, senderIp: UNSPECIFIED_IPV4, targetMac: ZERO_MAC, targetIp: fields.ip };
}

/**
 * RFC 5227 §2.3 announcement (a gratuitous ARP request): sender and target IP are both `ip`, so
 * every host with `ip` in its cache updates the MAC (RFC 826's merge step) — how a VIP moves.
 */
export function arpAnnouncement(fields: { senderMac: string; ip: string }): ArpPacket {
  return { op: ArpOp.request, senderMac: fields.senderMac, senderIp: fields.ip, targetMac: ZERO_MAC, targetIp: fields.ip };
}

/**
 * A gratuitous ARP reply (RFC 5944 §4.6): same addresses as the announcement, as a reply, for hosts
 * that only update caches from replies. The target hardware field is ignored by receivers; it
 * carries the broadcast address, as Linux `arping -A` does.
 */
export function gratuitousArpReply(fields: { senderMac: string; ip: string }): ArpPacket {
  return { op: ArpOp.reply, senderMac: fields.senderMac, senderIp: fields.ip, targetMac: BROADCAST_MAC, targetIp: fields.ip };
}

export type ArpKind = 'probe' | 'announcement' | 'gratuitous-reply' | 'request' | 'reply';

/** Which of the forms above a received packet is. */
export function classifyArp(packet: ArpPacket): ArpKind {
  const gratuitous = packet.senderIp === packet.targetIp;
  if (packet.op === ArpOp.request) {
    if (packet.senderIp === UNSPECIFIED_IPV4) return 'probe';
    return gratuitous ? 'announcement' : 'request';
  }
  return gratuitous ? 'gratuitous-reply' : 'reply';
}
