import { CodecError } from '../codec-error.js';
import { ipv6FromBytes, ipv6ToBytes } from './ipv6-address.js';

/** The fixed IPv6 header (RFC 8200 §3). Extension headers are not walked: Neighbor Discovery uses none. */

export const IPV6_HEADER_LENGTH = 40;
export const IPV6_VERSION = 6;

export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly source: string;
  readonly destination: string;
}

export interface Ipv6Packet {
  readonly header: Ipv6Header;
  /** Exactly Payload Length octets: Ethernet padding after the packet is cut off (a view, not a copy). */
  readonly payload: Buffer;
}

export function decodeIpv6(buf: Buffer): Ipv6Packet {
  if (buf.length < IPV6_HEADER_LENGTH) {
    throw new CodecError('ipv6', 'truncated', `${buf.length} octets, the IPv6 header has ${IPV6_HEADER_LENGTH}`);
  }
  const first = buf.readUInt32BE(0);
  const version = first >>> 28;
  if (version !== IPV6_VERSION) throw new CodecError('ipv6', 'bad-version', `version ${version}, expected 6`);
  const payloadLength = buf.readUInt16BE(4);
  if (payloadLength === 0) throw new CodecError('ipv6', 'bad-length', 'Payload Length 0 (jumbogram) is not used by Neighbor Discovery');
  if (buf.length < IPV6_HEADER_LENGTH + payloadLength) {
    throw new CodecError('ipv6', 'truncated', `Payload Length ${payloadLength} but only ${buf.length - IPV6_HEADER_LENGTH} octets follow the header`);
  }
  return {
    header: {
      trafficClass: (first >>> 20) & 0xff,
      flowLabel: first & 0xfffff,
      nextHeader: buf[6]!,
      hopLimit: buf[7]!,
      source: ipv6FromBytes(buf, 8),
      destination: ipv6FromBytes(buf, 24),
    },
    payload: buf.subarray(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + payloadLength),
  };
}

export function encodeIpv6(header: Ipv6Header, payload: Buffer): Buffer {
  const fields: Array<[string, number, number]> = [
    ['trafficClass', header.trafficClass, 0xff],
    ['flowLabel', header.flowLabel, 0xfffff],
    ['nextHeader', header.nextHeader, 0xff],
    ['hopLimit', header.hopLimit, 0xff],
    ['payload length', payload.length, 0xffff],
  ];
  for (const [name, value, max] of fields) {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new CodecError('ipv6', 'invalid-value', `${name} ${value} is outside 0..${max}`);
  }
  const out = Buffer.alloc(IPV6_HEADER_LENGTH + payload.length);
  out.writeUInt32BE(((IPV6_VERSION << 28) | (header.trafficClass << 20) | header.flowLabel) >>> 0, 0);
  out.writeUInt16BE(payload.length, 4);
  out[6] = header.nextHeader;
  out[7] = header.hopLimit;
  ipv6ToBytes(header.source).copy(out, 8);
  ipv6ToBytes(header.destination).copy(out, 24);
  payload.copy(out, IPV6_HEADER_LENGTH);
  return out;
}
