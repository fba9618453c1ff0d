import { BgpEncodeError, ErrorCode, OpenSubcode, decodeError } from './errors.js';
import type { AfiSafi } from './family.js';

/** Capability codes (IANA registry) that airlb understands. */
export const CapabilityCode = {
  multiprotocol: 1, // RFC 4760 §8
  routeRefresh: 2, // RFC 2918 §2
  gracefulRestart: 64, // RFC 4724 §3
  fourOctetAs: 65, // RFC 6793 §3
} as const;

/** One AFI/SAFI of the Graceful Restart capability; `forwardingPreserved` is the F bit. */
export interface GracefulRestartFamily extends AfiSafi {
  readonly forwardingPreserved: boolean;
}

/** RFC 4724 §3 (N bit from RFC 8538 §2). */
export interface GracefulRestart {
  /** R bit: the sender has restarted and is in its restart window. */
  readonly restarting: boolean;
  /** N bit: the sender supports Graceful Restart for NOTIFICATION messages (RFC 8538). */
  readonly notification: boolean;
  /** Seconds (12 bits) the peer should keep our routes while we restart. */
  readonly restartTime: number;
  readonly families: readonly GracefulRestartFamily[];
}

/** A capability airlb does not interpret, kept so it can be logged or compared. */
export interface RawCapability {
  readonly code: number;
  readonly value: Buffer;
}

/** The Capabilities optional parameter of an OPEN (RFC 5492), interpreted. */
export interface Capabilities {
  readonly multiprotocol: readonly AfiSafi[];
  readonly routeRefresh: boolean;
  /** The 4-octet AS number the speaker advertises (RFC 6793 §3), or null if not advertised. */
  readonly fourOctetAs: number | null;
  readonly gracefulRestart: GracefulRestart | null;
  readonly other: readonly RawCapability[];
}

function malformed(what: string, capability: Buffer) {
  // RFC 5492 defines no subcode for a malformed capability: use OPEN Message Error "Unspecific"
  // (0, IANA registry) with the offending capability as data.
  return decodeError(`malformed ${what} capability`, ErrorCode.openMessage, OpenSubcode.unspecific, capability);
}

/**
 * Parses the value of one Capabilities optional parameter (a run of code/length/value triples)
 * into `into`. A speaker may spread its capabilities across several parameters (RFC 5492 §4),
 * hence the accumulator.
 */
export function decodeCapabilityList(buf: Buffer, into: MutableCapabilities): void {
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 2 > buf.length) throw malformed('truncated', buf.subarray(offset));
    const code = buf[offset]!;
    const length = buf[offset + 1]!;
    const end = offset + 2 + length;
    if (end > buf.length) throw malformed(`truncated (code ${code})`, buf.subarray(offset));
    const whole = buf.subarray(offset, end);
    const value = buf.subarray(offset + 2, end);
    switch (code) {
      case CapabilityCode.multiprotocol:
        if (length !== 4) throw malformed('multiprotocol', whole);
        // Octet 2 is reserved (RFC 4760 §8): ignored on receipt.
        into.multiprotocol.push({ afi: value.readUInt16BE(0), safi: value[3]! });
        break;
      case CapabilityCode.routeRefresh:
        if (length !== 0) throw malformed('route refresh', whole);
        into.routeRefresh = true;
        break;
      case CapabilityCode.fourOctetAs: {
        if (length !== 4) throw malformed('4-octet AS', whole);
        const asn = value.readUInt32BE(0);
        // RFC 7607 §2: AS 0 here is a Bad Peer AS, like in My Autonomous System.
        if (asn === 0) throw decodeError('peer advertised 4-octet AS 0', ErrorCode.openMessage, OpenSubcode.badPeerAs, whole);
        into.fourOctetAs = asn;
        break;
      }
      case CapabilityCode.gracefulRestart: {
        if (length < 2 || (length - 2) % 4 !== 0) throw malformed('graceful restart', whole);
        const head = value.readUInt16BE(0);
        const families: GracefulRestartFamily[] = [];
        for (let i = 2; i < length; i += 4) {
          families.push({ afi: value.readUInt16BE(i), safi: value[i + 2]!, forwardingPreserved: (value[i + 3]! & 0x80) !== 0 });
        }
        into.gracefulRestart = {
          restarting: (head & 0x8000) !== 0,
          notification: (head & 0x4000) !== 0,
          restartTime: head & 0x0fff,
          families,
        };
        break;
      }
      default:
        into.other.push({ code, value: Buffer.from(value) });
    }
    offset = end;
  }
}

export interface MutableCapabilities {
  multiprotocol: AfiSafi[];
  routeRefresh: boolean;
  fourOctetAs: number | null;
  gracefulRestart: GracefulRestart | null;
  other: RawCapability[];
}

export function emptyCapabilities(): MutableCapabilities {
  return { multiprotocol: [], routeRefresh: false, fourOctetAs: null, gracefulRestart: null, other: [] };
}

function capability(code: number, value: Buffer): Buffer {
  if (value.length > 255) throw new BgpEncodeError(`capability ${code} value of ${value.length} octets exceeds 255`);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

/** Encodes the capability triples (without the optional-parameter wrapper), in a fixed order. */
export function encodeCapabilityList(caps: Capabilities): Buffer {
  const parts: Buffer[] = [];
  for (const family of caps.multiprotocol) {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(family.afi, 0);
    v[3] = family.safi;
    parts.push(capability(CapabilityCode.multiprotocol, v));
  }
  if (caps.routeRefresh) parts.push(capability(CapabilityCode.routeRefresh, Buffer.alloc(0)));
  if (caps.fourOctetAs !== null) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(caps.fourOctetAs, 0);
    parts.push(capability(CapabilityCode.fourOctetAs, v));
  }
  if (caps.gracefulRestart !== null) {
    const gr = caps.gracefulRestart;
    if (!Number.isInteger(gr.restartTime) || gr.restartTime < 0 || gr.restartTime > 0x0fff) {
      throw new BgpEncodeError(`graceful restart time ${gr.restartTime} does not fit 12 bits (0..4095 s)`);
    }
    const v = Buffer.alloc(2 + 4 * gr.families.length);
    v.writeUInt16BE((gr.restarting ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0) | gr.restartTime, 0);
    gr.families.forEach((f, i) => {
      v.writeUInt16BE(f.afi, 2 + 4 * i);
      v[4 + 4 * i] = f.safi;
      v[5 + 4 * i] = f.forwardingPreserved ? 0x80 : 0;
    });
    parts.push(capability(CapabilityCode.gracefulRestart, v));
  }
  for (const raw of caps.other) parts.push(capability(raw.code, raw.value));
  return Buffer.concat(parts);
}
