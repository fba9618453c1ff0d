import { bitsOf, hostMask, type Cidr, type IpFamily } from '../../domain/net/ip.js';
import { BgpEncodeError } from './errors.js';

/**
 * Prefix encoding shared by the NLRI and Withdrawn Routes fields (RFC 4271 §4.3) and by
 * MP_REACH/MP_UNREACH (RFC 4760 §5): one octet of prefix length in bits, then the fewest octets
 * that hold that many bits. ADD-PATH (RFC 7911) is not negotiated, so there is no path id.
 */

/** Octets one prefix takes on the wire. */
export function prefixWireLength(prefix: Cidr): number {
  return 1 + Math.ceil(prefix.prefixLength / 8);
}

function writePrefix(prefix: Cidr, out: Buffer, offset: number): number {
  const octets = Math.ceil(prefix.prefixLength / 8);
  const bits = bitsOf(prefix.family);
  if (!Number.isInteger(prefix.prefixLength) || prefix.prefixLength < 0 || prefix.prefixLength > bits) {
    throw new BgpEncodeError(`prefix length ${prefix.prefixLength} is invalid for IPv${prefix.family}`);
  }
  out[offset] = prefix.prefixLength;
  for (let i = 0; i < octets; i++) {
    out[offset + 1 + i] = Number((prefix.base >> BigInt(bits - 8 * (i + 1))) & 0xffn);
  }
  return offset + 1 + octets;
}

export function encodePrefixes(prefixes: readonly Cidr[]): Buffer {
  const out = Buffer.alloc(prefixes.reduce((n, p) => n + prefixWireLength(p), 0));
  let offset = 0;
  for (const p of prefixes) offset = writePrefix(p, out, offset);
  return out;
}

/** Why a prefix list did not parse; the caller maps it to the NOTIFICATION its field calls for. */
export class PrefixSyntaxError extends Error {}

/**
 * Parses a run of prefixes filling `buf` exactly. Bits beyond the prefix length are cleared: RFC
 * 4271 §4.3 calls them irrelevant ("trailing bits"), so they must not make two routes differ.
 */
export function decodePrefixes(buf: Buffer, family: IpFamily): Cidr[] {
  const bits = bitsOf(family);
  const out: Cidr[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const prefixLength = buf[offset]!;
    if (prefixLength > bits) throw new PrefixSyntaxError(`prefix length ${prefixLength} exceeds ${bits} bits`);
    const octets = Math.ceil(prefixLength / 8);
    if (offset + 1 + octets > buf.length) throw new PrefixSyntaxError(`a /${prefixLength} prefix runs past the end of its field`);
    let base = 0n;
    for (let i = 0; i < octets; i++) base = (base << 8n) | BigInt(buf[offset + 1 + i]!);
    base <<= BigInt(bits - 8 * octets);
    out.push({ family, base: base & ~hostMask(family, prefixLength), prefixLength });
    offset += 1 + octets;
  }
  return out;
}
