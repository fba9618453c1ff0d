import { CodecError } from '../codec-error.js';
import { ICMPV6_NEXT_HEADER, icmpv6Checksum } from './checksum.js';
import { ipv6FromBytes, ipv6ToBytes, isMulticastIpv6, UNSPECIFIED_IPV6 } from './ipv6-address.js';
import { decodeIpv6, encodeIpv6 } from './ipv6-header.js';
import { decodeLinkLayerOptions, encodeLinkLayerOption, NdpOptionType } from './options.js';
import { solicitedNodeAddress } from './solicited-node.js';

/**
 * Neighbor Solicitation and Neighbor Advertisement (RFC 4861 §4.3, §4.4) inside their IPv6
 * packet. The decoder applies every validity check of §7.1.1 / §7.1.2 that the packet alone can
 * answer, so whatever it returns may be acted on; anything else is a CodecError with a reason.
 */

/** ICMPv6 types (RFC 4861 §4.3, §4.4). */
export const NdpType = { neighborSolicitation: 135, neighborAdvertisement: 136 } as const;
/** RFC 4861 §7.1: sent with, and only accepted with, Hop Limit 255 — proof the sender is on-link. */
export const NDP_HOP_LIMIT = 255;
/** Type, Code, Checksum, 4 octets Reserved/flags, 16 octets Target Address. */
const MESSAGE_FIXED_LENGTH = 24;

export interface NeighborSolicitation {
  readonly kind: 'ns';
  /** '::' for Duplicate Address Detection (RFC 4862 §5.4.2). */
  readonly source: string;
  readonly destination: string;
  readonly target: string;
  readonly sourceLinkAddr: string | null;
}

export interface NeighborAdvertisement {
  readonly kind: 'na';
  readonly source: string;
  readonly destination: string;
  readonly target: string;
  /** R: the sender is a router. */
  readonly router: boolean;
  /** S: an answer to a solicitation (never set when sent to multicast). */
  readonly solicited: boolean;
  /** O: replace a cached link-layer address (RFC 4861 §7.2.5). */
  readonly override: boolean;
  readonly targetLinkAddr: string | null;
}

export type NeighborMessage = NeighborSolicitation | NeighborAdvertisement;

const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

/** Decodes an IPv6 packet carrying an NS or NA. */
export function decodeNeighborMessage(packet: Buffer): NeighborMessage {
  const { header, payload } = decodeIpv6(packet);
  if (header.nextHeader !== ICMPV6_NEXT_HEADER) {
    throw new CodecError('ndp', 'unsupported-next-header', `Next Header ${header.nextHeader}, expected 58 (ICMPv6)`);
  }
  if (payload.length < MESSAGE_FIXED_LENGTH) {
    throw new CodecError('ndp', 'truncated', `ICMPv6 length ${payload.length}, NS/NA need at least ${MESSAGE_FIXED_LENGTH}`);
  }
  const type = payload[0]!;
  if (type !== NdpType.neighborSolicitation && type !== NdpType.neighborAdvertisement) {
    throw new CodecError('ndp', 'not-neighbor-discovery', `ICMPv6 type ${type} is neither NS (135) nor NA (136)`);
  }
  if (icmpv6Checksum(header.source, header.destination, payload) !== 0) {
    throw new CodecError('ndp', 'bad-checksum', `checksum 0x${payload.readUInt16BE(2).toString(16)} does not verify`);
  }
  if (payload[1] !== 0) throw new CodecError('ndp', 'bad-icmp-code', `ICMPv6 code ${payload[1]}, NS/NA use 0`);
  if (header.hopLimit !== NDP_HOP_LIMIT) {
    throw new CodecError('ndp', 'bad-hop-limit', `Hop Limit ${header.hopLimit}, NS/NA must arrive with 255`);
  }
  const target = ipv6FromBytes(payload, 8);
  if (isMulticastIpv6(target)) throw new CodecError('ndp', 'multicast-target', `target ${target} is a multicast address`);
  const options = decodeLinkLayerOptions(payload.subarray(MESSAGE_FIXED_LENGTH));

  if (type === NdpType.neighborSolicitation) {
    if (header.source === UNSPECIFIED_IPV6) {
      if (header.destination !== solicitedNodeAddress(target)) {
        throw new CodecError('ndp', 'bad-dad-probe', `DAD probe for ${target} sent to ${header.destination}, not its solicited-node address`);
      }
      if (options.sourceLinkAddr !== null) {
        throw new CodecError('ndp', 'bad-dad-probe', 'DAD probe carries a Source Link-Layer Address option');
      }
    }
    return { kind: 'ns', source: header.source, destination: header.destination, target, sourceLinkAddr: options.sourceLinkAddr };
  }
  const flags = payload[4]!;
  const solicited = (flags & FLAG_SOLICITED) !== 0;
  if (solicited && isMulticastIpv6(header.destination)) {
    throw new CodecError('ndp', 'solicited-to-multicast', `NA to ${header.destination} has the Solicited flag set`);
  }
  return {
    kind: 'na',
    source: header.source,
    destination: header.destination,
    target,
    router: (flags & FLAG_ROUTER) !== 0,
    solicited,
    override: (flags & FLAG_OVERRIDE) !== 0,
    targetLinkAddr: options.targetLinkAddr,
  };
}

/** Builds the IPv6 packet (Hop Limit 255, checksum filled in) for an NS or NA. */
export function encodeNeighborMessage(message: NeighborMessage): Buffer {
  const linkOption =
    message.kind === 'ns'
      ? message.sourceLinkAddr === null
        ? null
        : encodeLinkLayerOption(NdpOptionType.sourceLinkLayerAddress, message.sourceLinkAddr)
      : message.targetLinkAddr === null
        ? null
        : encodeLinkLayerOption(NdpOptionType.targetLinkLayerAddress, message.targetLinkAddr);
  const fixed = Buffer.alloc(MESSAGE_FIXED_LENGTH);
  if (message.kind === 'ns') {
    fixed[0] = NdpType.neighborSolicitation;
  } else {
    fixed[0] = NdpType.neighborAdvertisement;
    fixed[4] = (message.router ? FLAG_ROUTER : 0) | (message.solicited ? FLAG_SOLICITED : 0) | (message.override ? FLAG_OVERRIDE : 0);
  }
  ipv6ToBytes(message.target).copy(fixed, 8);
  const body = linkOption === null ? fixed : Buffer.concat([fixed, linkOption]);
  body.writeUInt16BE(icmpv6Checksum(message.source, message.destination, body), 2);
  return encodeIpv6(
    { trafficClass: 0, flowLabel: 0, nextHeader: ICMPV6_NEXT_HEADER, hopLimit: NDP_HOP_LIMIT, source: message.source, destination: message.destination },
    body,
  );
}
