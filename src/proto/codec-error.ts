import { AirlbError } from '../errors.js';

/**
 * Why a Layer 2 codec refused its input. The responder counts these (a flood of 'bad-checksum'
 * says something different from a flood of 'bad-hop-limit'), so they are stable strings.
 */
export type CodecReason =
  /** Fewer octets than the headers or a length field promise. */
  | 'truncated'
  /** EtherType below 0x0600: an IEEE 802.3 length field, not Ethernet II (RFC 894). */
  | 'not-ethernet-ii'
  /** A frame of another EtherType than the decoder handles (ARP 0x0806, IPv6 0x86dd). */
  | 'unexpected-ethertype'
  /** ARP hardware type other than 1 (Ethernet), RFC 826. */
  | 'unsupported-hardware-type'
  /** ARP protocol type other than 0x0800 (IPv4), RFC 826. */
  | 'unsupported-protocol-type'
  /** ARP hardware/protocol address lengths other than 6/4. */
  | 'bad-address-length'
  /** ARP opcode other than request (1) or reply (2). */
  | 'unsupported-opcode'
  /** IP version field other than 6 (RFC 8200 §3). */
  | 'bad-version'
  /** Payload Length 0 (a jumbogram, RFC 2675): never used for Neighbor Discovery. */
  | 'bad-length'
  /** The IPv6 Next Header is not ICMPv6 (58); extension headers are not followed. */
  | 'unsupported-next-header'
  /** ICMPv6 type other than Neighbor Solicitation (135) or Advertisement (136). */
  | 'not-neighbor-discovery'
  /** ICMPv6 Code other than 0 (RFC 4861 §7.1). */
  | 'bad-icmp-code'
  /** ICMPv6 checksum over the pseudo-header does not verify (RFC 4443 §2.3). */
  | 'bad-checksum'
  /** IPv6 Hop Limit other than 255: the packet may come from off-link (RFC 4861 §7.1). */
  | 'bad-hop-limit'
  /** Target Address is a multicast address (RFC 4861 §7.1.1, §7.1.2). */
  | 'multicast-target'
  /** A Neighbor Discovery option with length 0 or, for a link-layer address option, not 1 (RFC 4861 §4.6, RFC 2464 §8). */
  | 'bad-option-length'
  /** A DAD probe (source ::) sent to a non-solicited-node address or carrying a source link-layer option (RFC 4861 §7.1.1). */
  | 'bad-dad-probe'
  /** A multicast Neighbor Advertisement with the Solicited flag set (RFC 4861 §7.1.2). */
  | 'solicited-to-multicast'
  /** An encoder was given a value it cannot put on the wire (a malformed MAC or address). */
  | 'invalid-value';

export type CodecProtocol = 'ethernet' | 'arp' | 'ipv6' | 'ndp';

/** A frame or packet that does not decode, or a value that cannot be encoded. */
export class CodecError extends AirlbError {
  readonly protocol: CodecProtocol;
  readonly reason: CodecReason;

  constructor(protocol: CodecProtocol, reason: CodecReason, detail: string) {
    super('codec-error', `${protocol}: ${reason}: ${detail}`);
    this.name = 'CodecError';
    this.protocol = protocol;
    this.reason = reason;
  }
}
