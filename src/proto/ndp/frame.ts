import { CodecError } from '../codec-error.js';
import { decodeEthernet, encodeEthernet, EtherType, type EthernetFrame } from '../ethernet/frame.js';
import { isMulticastIpv6 } from './ipv6-address.js';
import { decodeNeighborMessage, encodeNeighborMessage, type NeighborMessage } from './neighbor.js';
import { multicastMacFor } from './solicited-node.js';

/** NS/NA inside Ethernet: what the packet socket hands over and what it sends. */

export interface NeighborFrame {
  readonly ethernet: EthernetFrame;
  readonly message: NeighborMessage;
}

export function decodeNeighborFrame(frame: Buffer): NeighborFrame {
  const ethernet = decodeEthernet(frame);
  if (ethernet.etherType !== EtherType.ipv6) {
    throw new CodecError('ethernet', 'unexpected-ethertype', `EtherType 0x${ethernet.etherType.toString(16)} is not IPv6 (0x86dd)`);
  }
  return { ethernet, message: decodeNeighborMessage(ethernet.payload) };
}

/**
 * Wraps an NS/NA in Ethernet from `sourceMac`. A multicast destination maps to its 33:33 group
 * (RFC 2464 §7); a unicast one needs `destinationMac` — for an NA, the soliciting node's Source
 * Link-Layer Address, or the NS frame's source when the option was absent.
 */
export function encodeNeighborFrame(message: NeighborMessage, sourceMac: string, destinationMac?: string): Buffer {
  let destination: string;
  if (isMulticastIpv6(message.destination)) {
    destination = multicastMacFor(message.destination);
  } else if (destinationMac !== undefined) {
    destination = destinationMac;
  } else {
    throw new CodecError('ndp', 'invalid-value', `unicast destination ${message.destination} needs a destination MAC`);
  }
  return encodeEthernet({ destination, source: sourceMac, etherType: EtherType.ipv6, payload: encodeNeighborMessage(message) });
}
