import { BgpEncodeError, ErrorCode, OpenSubcode, decodeError } from './errors.js';
import { MessageType, bodyOf, encodeMessage } from './header.js';
import { decodeCapabilityList, emptyCapabilities, encodeCapabilityList, type Capabilities } from './capabilities.js';

/** RFC 6793 §9: the 2-octet AS that stands in for a 4-octet one. */
export const AS_TRANS = 23456;
const BGP_VERSION = 4;
/** RFC 5492 §4: optional parameter type 2 carries capabilities. */
const PARAM_CAPABILITIES = 2;

/** An OPEN message (RFC 4271 §4.2). The version is always 4: anything else fails to decode. */
export interface OpenMessage {
  /** The 2-octet My Autonomous System field: AS_TRANS when the real AS needs 4 octets. */
  readonly myAs: number;
  /** Seconds; 0 (no keepalives) or at least 3 (RFC 4271 §4.2). */
  readonly holdTime: number;
  /** The BGP Identifier as an unsigned 32-bit integer (compared numerically, RFC 4271 §6.8). */
  readonly bgpId: number;
  readonly capabilities: Capabilities;
}

/** The speaker's real AS number: the 4-octet AS capability when present, else My AS (RFC 6793 §4.1). */
export function openAsn(open: OpenMessage): number {
  return open.capabilities.fourOctetAs ?? open.myAs;
}

/**
 * Builds the OPEN for a speaker with AS `asn`: My AS is AS_TRANS when `asn` needs 4 octets, and
 * the 4-octet AS capability always carries `asn` (RFC 6793 §3: a NEW speaker always advertises it).
 */
export function makeOpen(params: {
  asn: number;
  holdTime: number;
  bgpId: number;
  capabilities: Omit<Capabilities, 'fourOctetAs'>;
}): OpenMessage {
  return {
    myAs: params.asn > 0xffff ? AS_TRANS : params.asn,
    holdTime: params.holdTime,
    bgpId: params.bgpId,
    capabilities: { ...params.capabilities, fourOctetAs: params.asn },
  };
}

/** Decodes a whole OPEN message (header included). */
export function decodeOpen(msg: Buffer): OpenMessage {
  const body = bodyOf(msg, MessageType.open);
  const version = body[0]!;
  if (version !== BGP_VERSION) {
    // §6.2: data is the largest version we support, as a 2-octet unsigned integer.
    throw decodeError(`peer speaks BGP version ${version}, airlb speaks 4`, ErrorCode.openMessage, OpenSubcode.unsupportedVersionNumber, Buffer.from([0, BGP_VERSION]));
  }
  const myAs = body.readUInt16BE(1);
  const holdTime = body.readUInt16BE(3);
  const bgpId = body.readUInt32BE(5);
  const paramsLength = body[9]!;
  // RFC 7607 §2: AS 0 is a Bad Peer AS.
  if (myAs === 0) throw decodeError('peer AS is 0', ErrorCode.openMessage, OpenSubcode.badPeerAs, body.subarray(1, 3));
  // §6.2: a hold time of 1 or 2 seconds is refused.
  if (holdTime === 1 || holdTime === 2) {
    throw decodeError(`hold time ${holdTime}s is neither 0 nor at least 3`, ErrorCode.openMessage, OpenSubcode.unacceptableHoldTime);
  }
  // RFC 6286 §2.1: the BGP Identifier is a non-zero 32-bit value.
  if (bgpId === 0) throw decodeError('BGP Identifier is 0', ErrorCode.openMessage, OpenSubcode.badBgpIdentifier, body.subarray(5, 9));
  // RFC 9072's extended optional parameters (length 255, type 255) are not supported: such an
  // OPEN fails here or below with a parameter error, which is what a pre-RFC 9072 speaker does.
  if (10 + paramsLength !== body.length) {
    throw decodeError(`optional parameters length ${paramsLength} does not match the message length`, ErrorCode.openMessage, OpenSubcode.unspecific);
  }
  const caps = emptyCapabilities();
  let offset = 10;
  while (offset < body.length) {
    if (offset + 2 > body.length) throw decodeError('truncated optional parameter', ErrorCode.openMessage, OpenSubcode.unspecific);
    const type = body[offset]!;
    const length = body[offset + 1]!;
    const end = offset + 2 + length;
    if (end > body.length) throw decodeError(`optional parameter ${type} runs past the end of the OPEN`, ErrorCode.openMessage, OpenSubcode.unspecific);
    if (type !== PARAM_CAPABILITIES) {
      throw decodeError(`unsupported optional parameter ${type}`, ErrorCode.openMessage, OpenSubcode.unsupportedOptionalParameter);
    }
    decodeCapabilityList(body.subarray(offset + 2, end), caps);
    offset = end;
  }
  return { myAs, holdTime, bgpId, capabilities: caps };
}

/** Encodes an OPEN, all capabilities in one optional parameter (RFC 5492 §4). */
export function encodeOpen(open: OpenMessage): Buffer {
  const uint = (v: number, max: number, what: string) => {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new BgpEncodeError(`${what} ${v} is out of range 0..${max}`);
  };
  uint(open.myAs, 0xffff, 'My AS');
  uint(open.holdTime, 0xffff, 'hold time');
  uint(open.bgpId, 0xffffffff, 'BGP Identifier');
  const caps = encodeCapabilityList(open.capabilities);
  // The parameter's own length octet and the Optional Parameters Length octet both cap it.
  if (caps.length + 2 > 255) {
    throw new BgpEncodeError(`capabilities take ${caps.length} octets; one optional parameter holds at most 253`);
  }
  const params = caps.length === 0 ? caps : Buffer.concat([Buffer.from([PARAM_CAPABILITIES, caps.length]), caps]);
  const body = Buffer.alloc(10 + params.length);
  body[0] = BGP_VERSION;
  body.writeUInt16BE(open.myAs, 1);
  body.writeUInt16BE(open.holdTime, 3);
  body.writeUInt32BE(open.bgpId, 5);
  body[9] = params.length;
  params.copy(body, 10);
  return encodeMessage(MessageType.open, body);
}
