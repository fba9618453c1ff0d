import { CodecError } from '../codec-error.js';

/**
 * MAC addresses travel through airlb as lowercase colon-separated text ("02:00:5e:10:00:01"), the
 * form `ip link` prints and the L2 policy compares; these convert to and from the 6 wire octets.
 */

export const MAC_LENGTH = 6;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** The unknown target hardware address of an ARP request (RFC 5227 §2.1.1 says to fill it with zeros). */
export const ZERO_MAC = '00:00:00:00:00:00';

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The 6 octets of a MAC written as text; throws CodecError 'invalid-value' for anything else. */
export function macToBytes(mac: string): Buffer {
  if (!MAC_PATTERN.test(mac)) throw new CodecError('ethernet', 'invalid-value', `'${mac}' is not a MAC address like 02:00:5e:10:00:01`);
  return Buffer.from(mac.replaceAll(':', ''), 'hex');
}

/** The MAC at `offset` as lowercase text; the caller has checked that 6 octets are there. */
export function macFromBytes(buf: Buffer, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < MAC_LENGTH; i++) parts.push(buf[offset + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** Group bit: the least significant bit of the first octet (IEEE 802). */
export function isMulticastMac(mac: string): boolean {
  return (macToBytes(mac)[0]! & 1) === 1;
}
