import { CodecError } from '../codec-error.js';
import { MAC_LENGTH, macFromBytes, macToBytes } from './mac.js';

/** EtherType values airlb meets (IEEE registry; RFC 894 IPv4, RFC 826 ARP, RFC 2464 IPv6). */
export const EtherType = {
  ipv4: 0x0800,
  arp: 0x0806,
  /** IEEE 802.1Q customer VLAN tag. */
  vlan: 0x8100,
  /** IEEE 802.1ad service VLAN tag (the outer tag of Q-in-Q). */
  serviceVlan: 0x88a8,
  ipv6: 0x86dd,
} as const;

/** Destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
const TAG_LENGTH = 4;
/** Values below this in the type position are IEEE 802.3 lengths, not EtherTypes. */
const MIN_ETHERTYPE = 0x0600;

export interface EthernetFrame {
  readonly destination: string;
  readonly source: string;
  /** The EtherType after any VLAN tags. */
  readonly etherType: number;
  /**
   * VLAN IDs of the 802.1Q/802.1ad tags, outermost first; empty when untagged. Most NICs strip
   * the tag before a packet socket sees the frame, but some drivers and taps do not.
   */
  readonly vlanIds: readonly number[];
  /** Everything after the header, including any padding to the 60-octet minimum (a view, not a copy). */
  readonly payload: Buffer;
}

export type EthernetFrameFields = Omit<EthernetFrame, 'vlanIds'>;

/** Parses an Ethernet II header (without FCS, as packet sockets deliver it). */
export function decodeEthernet(buf: Buffer): EthernetFrame {
  if (buf.length < ETHERNET_HEADER_LENGTH) {
    throw new CodecError('ethernet', 'truncated', `${buf.length} octets, the header needs ${ETHERNET_HEADER_LENGTH}`);
  }
  let offset = 2 * MAC_LENGTH;
  let etherType = buf.readUInt16BE(offset);
  const vlanIds: number[] = [];
  while (etherType === EtherType.vlan || etherType === EtherType.serviceVlan) {
    // A tag is TPID (already read), then PCP/DEI/VID (the low 12 bits are the VLAN ID), then the next type.
    if (buf.length < offset + 2 + TAG_LENGTH) {
      throw new CodecError('ethernet', 'truncated', `VLAN tag at offset ${offset} runs past the end (${buf.length} octets)`);
    }
    vlanIds.push(buf.readUInt16BE(offset + 2) & 0x0fff);
    offset += TAG_LENGTH;
    etherType = buf.readUInt16BE(offset);
  }
  if (etherType < MIN_ETHERTYPE) {
    throw new CodecError('ethernet', 'not-ethernet-ii', `type/length field 0x${etherType.toString(16)} is an 802.3 length`);
  }
  return {
    destination: macFromBytes(buf, 0),
    source: macFromBytes(buf, MAC_LENGTH),
    etherType,
    vlanIds,
    payload: buf.subarray(offset + 2),
  };
}

/**
 * Builds an untagged Ethernet II frame. No padding to 60 octets: the NIC pads short frames, and
 * on veth/bridges short frames are legal.
 */
export function encodeEthernet(frame: EthernetFrameFields): Buffer {
  if (!Number.isInteger(frame.etherType) || frame.etherType < MIN_ETHERTYPE || frame.etherType > 0xffff) {
    throw new CodecError('ethernet', 'invalid-value', `EtherType ${frame.etherType} must be 0x0600..0xffff`);
  }
  const header = Buffer.alloc(ETHERNET_HEADER_LENGTH);
  macToBytes(frame.destination).copy(header, 0);
  macToBytes(frame.source).copy(header, MAC_LENGTH);
  header.writeUInt16BE(frame.etherType, 2 * MAC_LENGTH);
  return Buffer.concat([header, frame.payload]);
}
