import { CodecError } from '../codec-error.js';
import { decodeEthernet, encodeEthernet, EtherType, type EthernetFrame } from '../ethernet/frame.js';
import { BROADCAST_MAC } from '../ethernet/mac.js';
import { ArpOp, decodeArp, encodeArp, type ArpPacket } from './packet.js';

/** ARP inside Ethernet: what the packet socket hands over and what it sends. */

export interface ArpFrame {
  readonly ethernet: EthernetFrame;
  readonly arp: ArpPacket;
}

/** Decodes a whole frame; a frame that is not ARP is refused with 'unexpected-ethertype'. */
export function decodeArpFrame(frame: Buffer): ArpFrame {
  const ethernet = decodeEthernet(frame);
  if (ethernet.etherType !== EtherType.arp) {
    throw new CodecError('ethernet', 'unexpected-ethertype', `EtherType 0x${ethernet.etherType.toString(16)} is not ARP (0x0806)`);
  }
  return { ethernet, arp: decodeArp(ethernet.payload) };
}

/**
 * Wraps a packet in Ethernet from its sender MAC. Requests (probes, announcements) are broadcast;
 * a reply goes to the MAC that asked (RFC 826), a gratuitous reply to everyone.
 */
export function encodeArpFrame(packet: ArpPacket): Buffer {
  const unicast = packet.op === ArpOp.reply && packet.senderIp !== packet.targetIp;
  return encodeEthernet({
    destination: unicast ? packet.targetMac : BROADCAST_MAC,
    source: packet.senderMac,
    etherType: EtherType.arp,
    payload: encodeArp(packet),
  });
}
