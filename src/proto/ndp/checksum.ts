import { ipv6ToBytes } from './ipv6-address.js';

/** IPv6 Next Header value of ICMPv6 (RFC 4443 §1). */
export const ICMPV6_NEXT_HEADER = 58;

/**
 * The Internet checksum of an ICMPv6 message over the IPv6 pseudo-header (RFC 4443 §2.3,
 * RFC 8200 §8.1): source, destination, upper-layer length (32 bits), three zero octets and the
 * Next Header 58, then the message itself, all summed as 16-bit one's complement words.
 *
 * Returns the value for the Checksum field when that field is zero in `message`, and 0 when
 * `message` already carries a correct checksum — so the same function computes and verifies.
 */
export function icmpv6Checksum(source: string, destination: string, message: Buffer): number {
  let sum = 0;
  const add = (buf: Buffer): void => {
    for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
    // An odd length is padded with one zero octet for the sum only (RFC 1071).
    if (buf.length % 2 === 1) sum += buf[buf.length - 1]! << 8;
  };
  add(ipv6ToBytes(source));
  add(ipv6ToBytes(destination));
  sum += Math.floor(message.length / 0x10000) + (message.length & 0xffff) + ICMPV6_NEXT_HEADER;
  add(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
