import { macFromBytes } from '../ethernet/mac.js';
import { ipv6FromBytes, ipv6ToBytes } from './ipv6-address.js';

/**
 * Where a Neighbor Solicitation for an address is sent, and which Ethernet group that lands in.
 * A responder for a VIP must join the group of every VIP's solicited-node address, or the NIC
 * filters the NS away before the packet socket sees it.
 */

/** ff02::1:ffXX:XXXX — the prefix ff02:0:0:0:0:1:ff00::/104 plus the low 24 bits of `ip` (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(ip: string): string {
  const out = Buffer.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0]);
  ipv6ToBytes(ip).copy(out, 13, 13, 16);
  return ipv6FromBytes(out, 0);
}

/** 33:33 followed by the last four octets of the multicast address (RFC 2464 §7). */
export function multicastMacFor(ip: string): string {
  const mac = Buffer.from([0x33, 0x33, 0, 0, 0, 0]);
  ipv6ToBytes(ip).copy(mac, 2, 12, 16);
  return macFromBytes(mac);
}
