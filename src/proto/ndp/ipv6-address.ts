import { formatIpValue, parseIp } from '../../domain/net/ip.js';
import { CodecError } from '../codec-error.js';

/** IPv6 addresses as RFC 5952 text, converted to and from the 16 octets the headers carry. */

export const IPV6_ADDRESS_LENGTH = 16;
export const UNSPECIFIED_IPV6 = '::';
/** All-nodes multicast (RFC 4291 §2.7.1), where unsolicited Neighbor Advertisements go. */
export const ALL_NODES_IPV6 = 'ff02::1';

export function ipv6ToBytes(text: string): Buffer {
  const ip = parseIp(text);
  if (ip === null || ip.family !== 6) throw new CodecError('ipv6', 'invalid-value', `'${text}' is not an IPv6 address`);
  const out = Buffer.alloc(IPV6_ADDRESS_LENGTH);
  out.writeBigUInt64BE(ip.value >> 64n, 0);
  out.writeBigUInt64BE(ip.value & 0xffff_ffff_ffff_ffffn, 8);
  return out;
}

export function ipv6FromBytes(buf: Buffer, offset: number): string {
  return formatIpValue(6, (buf.readBigUInt64BE(offset) << 64n) | buf.readBigUInt64BE(offset + 8));
}

/** ff00::/8 (RFC 4291 §2.7). */
export function isMulticastIpv6(text: string): boolean {
  return ipv6ToBytes(text)[0] === 0xff;
}
