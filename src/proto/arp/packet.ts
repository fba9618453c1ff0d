import { CodecError } from '../codec-error.js';
import { MAC_LENGTH, macFromBytes, macToBytes } from '../ethernet/mac.js';
import { EtherType } from '../ethernet/frame.js';
import { ipv4FromBytes, ipv4ToBytes } from './ipv4.js';

/**
 * ARP for IPv4 over Ethernet (RFC 826): the only combination airlb speaks, so the decoder refuses
 * other hardware/protocol types instead of returning addresses of unknown shape.
 */

/** ar$op values (RFC 826; IANA "Operation Codes"). */
export const ArpOp = { request: 1, reply: 2 } as const;
export type ArpOpcode = (typeof ArpOp)[keyof typeof ArpOp];

/** ar$hrd for Ethernet (IANA "Hardware Types": 1). */
export const ARP_HARDWARE_ETHERNET = 1;
/** 8 fixed octets + 2 × (6 + 4) addresses. */
export const ARP_PACKET_LENGTH = 28;
const IPV4_LENGTH = 4;

export interface ArpPacket {
  readonly op: ArpOpcode;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

/** Decodes an ARP packet (the Ethernet payload); octets after the 28 (frame padding) are ignored. */
export function decodeArp(buf: Buffer): ArpPacket {
  if (buf.length < ARP_PACKET_LENGTH) {
    throw new CodecError('arp', 'truncated', `${buf.length} octets, an IPv4-over-Ethernet ARP packet has ${ARP_PACKET_LENGTH}`);
  }
  const hardwareType = buf.readUInt16BE(0);
  if (hardwareType !== ARP_HARDWARE_ETHERNET) {
    throw new CodecError('arp', 'unsupported-hardware-type', `hardware type ${hardwareType}, only 1 (Ethernet) is supported`);
  }
  const protocolType = buf.readUInt16BE(2);
  if (protocolType !== EtherType.ipv4) {
    throw new CodecError('arp', 'unsupported-protocol-type', `protocol type 0x${protocolType.toString(16)}, only 0x0800 (IPv4) is supported`);
  }
  if (buf[4] !== MAC_LENGTH || buf[5] !== IPV4_LENGTH) {
    throw new CodecError('arp', 'bad-address-length', `address lengths ${buf[4]}/${buf[5]}, IPv4 over Ethernet needs 6/4`);
  }
  const op = buf.readUInt16BE(6);
  if (op !== ArpOp.request && op !== ArpOp.reply) {
    throw new CodecError('arp', 'unsupported-opcode', `opcode ${op}, only 1 (request) and 2 (reply) are ARP for IPv4`);
  }
  return {
    op,
    senderMac: macFromBytes(buf, 8),
    senderIp: ipv4FromBytes(buf, 14),
    targetMac: macFromBytes(buf, 18),
    targetIp: ipv4FromBytes(buf, 24),
  };
}

export function encodeArp(packet: ArpPacket): Buffer {
  if (packet.op !== ArpOp.request && packet.op !== ArpOp.reply) {
    throw new CodecError('arp', 'invalid-value', `opcode ${String(packet.op)} is neither request (1) nor reply (2)`);
  }
  const out = Buffer.alloc(ARP_PACKET_LENGTH);
  out.writeUInt16BE(ARP_HARDWARE_ETHERNET, 0);
  out.writeUInt16BE(EtherType.ipv4, 2);
  out[4] = MAC_LENGTH;
  out[5] = IPV4_LENGTH;
  out.writeUInt16BE(packet.op, 6);
  macToBytes(packet.senderMac).copy(out, 8);
  ipv4ToBytes(packet.senderIp).copy(out, 14);
  macToBytes(packet.targetMac).copy(out, 18);
  ipv4ToBytes(packet.targetIp).copy(out, 24);
  return out;
}
