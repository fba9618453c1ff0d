import { formatIpValue, parseIp } from '../../domain/net/ip.js';
import { CodecError } from '../codec-error.js';

/** IPv4 addresses as dotted-quad text, converted to and from the 4 octets ARP carries. */

export const UNSPECIFIED_IPV4 = '0.0.0.0';

export function ipv4ToBytes(text: string): Buffer {
  const ip = parseIp(text);
  if (ip === null || ip.family !== 4) throw new CodecError('arp', 'invalid-value', `'${text}' is not an IPv4 address`);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(Number(ip.value), 0);
  return out;
}

export function ipv4FromBytes(buf: Buffer, offset: number): string {
  return formatIpValue(4, BigInt(buf.readUInt32BE(offset)));
}
