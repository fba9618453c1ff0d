import { CodecError } from '../codec-error.js';
import { MAC_LENGTH, macFromBytes, macToBytes } from '../ethernet/mac.js';

/** Neighbor Discovery options (RFC 4861 §4.6): type, length in units of 8 octets, value. */

export const NdpOptionType = { sourceLinkLayerAddress: 1, targetLinkLayerAddress: 2 } as const;
const UNIT = 8;

export interface LinkLayerOptions {
  readonly sourceLinkAddr: string | null;
  readonly targetLinkAddr: string | null;
}

/**
 * Reads the options area. Link-layer address options on Ethernet are one unit: type, length 1,
 * the 6-octet MAC (RFC 2464 §8). Unknown options are skipped (RFC 4861 §4.6: "MUST silently
 * ignore"); a zero length makes the whole packet invalid (§4.6: "MUST silently discard").
 */
export function decodeLinkLayerOptions(buf: Buffer): LinkLayerOptions {
  let sourceLinkAddr: string | null = null;
  let targetLinkAddr: string | null = null;
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 2) throw new CodecError('ndp', 'truncated', `option header at offset ${offset} is cut off`);
    const type = buf[offset]!;
    const units = buf[offset + 1]!;
    if (units === 0) throw new CodecError('ndp', 'bad-option-length', `option type ${type} at offset ${offset} has length 0`);
    if (offset + units * UNIT > buf.length) {
      throw new CodecError('ndp', 'truncated', `option type ${type} at offset ${offset} claims ${units * UNIT} octets, ${buf.length - offset} remain`);
    }
    if (type === NdpOptionType.sourceLinkLayerAddress || type === NdpOptionType.targetLinkLayerAddress) {
      if (units !== 1) throw new CodecError('ndp', 'bad-option-length', `link-layer address option of ${units} units, Ethernet uses 1`);
      const mac = macFromBytes(buf, offset + 2);
      if (type === NdpOptionType.sourceLinkLayerAddress) sourceLinkAddr = mac;
      else targetLinkAddr = mac;
    }
    offset += units * UNIT;
  }
  return { sourceLinkAddr, targetLinkAddr };
}

export function encodeLinkLayerOption(type: (typeof NdpOptionType)[keyof typeof NdpOptionType], mac: string): Buffer {
  const out = Buffer.alloc(UNIT);
  out[0] = type;
  out[1] = 1;
  macToBytes(mac).copy(out, 2, 0, MAC_LENGTH);
  return out;
}
