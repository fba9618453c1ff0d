import type { Cidr } from '../../domain/net/ip.js';
import { BgpDecodeError, BgpEncodeError, ErrorCode, UpdateSubcode, decodeError } from './errors.js';
import { MessageType, bodyOf, encodeMessage } from './header.js';
import { AttrType, decodeAttributes, encodeAttributes, type DecodeOptions, type MpReach, type MpUnreach, type PathAttributes } from './attributes.js';
import { IPV4_UNICAST, sameFamily, type AfiSafi } from './family.js';
import { PrefixSyntaxError, decodePrefixes, encodePrefixes } from './nlri.js';

/** An UPDATE as it is on the wire (RFC 4271 §4.3, RFC 4760 §3–4). */
export interface UpdateMessage {
  /** Withdrawn Routes field: IPv4 unicast only. */
  readonly withdrawn: readonly Cidr[];
  readonly attributes: PathAttributes;
  readonly mpReach: MpReach | null;
  readonly mpUnreach: MpUnreach | null;
  /** NLRI field: IPv4 unicast only, reached through attributes.nextHop. */
  readonly nlri: readonly Cidr[];
}

export interface DecodedUpdate extends UpdateMessage {
  /**
   * RFC 7606 §2 treat-as-withdraw: an attribute was malformed, so every route this UPDATE
   * announces must be handled as withdrawn (updatePrefixes() applies it).
   */
  readonly treatAsWithdraw: boolean;
  /** Every error that did not reset the session, for the log. */
  readonly problems: readonly BgpDecodeError[];
  /** The family this UPDATE marks End-of-RIB for (RFC 4724 §2), or null. */
  readonly endOfRib: AfiSafi | null;
}

function invalidNetwork(field: string, err: PrefixSyntaxError): BgpDecodeError {
  // RFC 4271 §6.3 Invalid Network Field; RFC 7606 §5.3 keeps this a session reset because the
  // prefixes cannot be located, so they cannot be treated as withdrawn either.
  return decodeError(`${field}: ${err.message}`, ErrorCode.updateMessage, UpdateSubcode.invalidNetworkField);
}

function ipv4Prefixes(buf: Buffer, field: string): Cidr[] {
  try {
    return decodePrefixes(buf, 4);
  } catch (err) {
    if (err instanceof PrefixSyntaxError) throw invalidNetwork(field, err);
    throw err;
  }
}

/** Decodes an UPDATE (whole message). Session-reset errors are thrown; weaker ones are in `problems`. */
export function decodeUpdate(msg: Buffer, options: DecodeOptions): DecodedUpdate {
  const body = bodyOf(msg, MessageType.update);
  const withdrawnLength = body.readUInt16BE(0);
  // RFC 4271 §6.3: lengths that do not fit the message are a Malformed Attribute List.
  if (2 + withdrawnLength + 2 > body.length) {
    throw decodeError(`Withdrawn Routes Length ${withdrawnLength} exceeds the message`, ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList);
  }
  const attributesLength = body.readUInt16BE(2 + withdrawnLength);
  const attributesStart = 4 + withdrawnLength;
  if (attributesStart + attributesLength > body.length) {
    throw decodeError(`Total Path Attribute Length ${attributesLength} exceeds the message`, ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList);
  }
  const withdrawn = ipv4Prefixes(body.subarray(2, 2 + withdrawnLength), 'Withdrawn Routes');
  const decoded = decodeAttributes(body.subarray(attributesStart, attributesStart + attributesLength), options);
  const nlri = ipv4Prefixes(body.subarray(attributesStart + attributesLength), 'NLRI');
  const { attributes, mpReach, mpUnreach } = decoded;
  const problems = [...decoded.problems];

  // RFC 7606 §3: a missing well-known mandatory attribute is treat-as-withdraw. NEXT_HOP is only
  // mandatory with classic NLRI (RFC 4760 §3). Data is the missing type code (RFC 4271 §6.3).
  const alreadyWithdrawn = problems.some((p) => p.handling === 'treat-as-withdraw');
  if ((nlri.length > 0 || mpReach !== null) && !alreadyWithdrawn) {
    const missing: [number, boolean][] = [
      [AttrType.origin, attributes.origin === undefined],
      [AttrType.asPath, attributes.asPath === undefined],
      [AttrType.nextHop, nlri.length > 0 && attributes.nextHop === undefined],
    ];
    for (const [type, absent] of missing) {
      if (absent) {
        problems.push(decodeError(`mandatory attribute ${type} is missing`, ErrorCode.updateMessage, UpdateSubcode.missingWellKnownAttribute, Buffer.from([type]), 'treat-as-withdraw'));
      }
    }
  }

  let endOfRib: AfiSafi | null = null;
  if (body.length === 4) endOfRib = IPV4_UNICAST;
  else if (withdrawn.length === 0 && nlri.length === 0 && mpReach === null && mpUnreach !== null && mpUnreach.withdrawn.length === 0) {
    endOfRib = { afi: mpUnreach.afi, safi: mpUnreach.safi };
  }

  return {
    withdrawn,
    attributes,
    mpReach,
    mpUnreach,
    nlri,
    treatAsWithdraw: problems.some((p) => p.handling === 'treat-as-withdraw'),
    problems,
    endOfRib,
  };
}

/**
 * The routes an UPDATE withdraws and announces, all families together, with treat-as-withdraw
 * applied (RFC 7606 §2: announced prefixes of a malformed UPDATE count as withdrawn).
 */
export function updatePrefixes(update: DecodedUpdate): { withdrawn: Cidr[]; announced: Cidr[] } {
  const withdrawn = [...update.withdrawn, ...(update.mpUnreach?.withdrawn ?? [])];
  const announced = [...update.nlri, ...(update.mpReach?.nlri ?? [])];
  return update.treatAsWithdraw ? { withdrawn: [...withdrawn, ...announced], announced: [] } : { withdrawn, announced };
}

/** Encodes an UPDATE; throws BgpEncodeError when it exceeds 4096 octets (use packUpdates for many routes). */
export function encodeUpdate(update: UpdateMessage, options: { readonly fourOctetAs: boolean }): Buffer {
  if ([...update.withdrawn, ...update.nlri].some((p) => p.family !== 4)) {
    throw new BgpEncodeError('the Withdrawn Routes and NLRI fields carry IPv4 only; IPv6 goes in MP_REACH/MP_UNREACH');
  }
  const withdrawn = encodePrefixes(update.withdrawn);
  const mp: { reach?: MpReach; unreach?: MpUnreach } = {};
  if (update.mpReach !== null) mp.reach = update.mpReach;
  if (update.mpUnreach !== null) mp.unreach = update.mpUnreach;
  const attributes = encodeAttributes(update.attributes, mp, options);
  const nlri = encodePrefixes(update.nlri);
  const body = Buffer.alloc(4 + withdrawn.length + attributes.length + nlri.length);
  body.writeUInt16BE(withdrawn.length, 0);
  withdrawn.copy(body, 2);
  body.writeUInt16BE(attributes.length, 2 + withdrawn.length);
  attributes.copy(body, 4 + withdrawn.length);
  nlri.copy(body, 4 + withdrawn.length + attributes.length);
  return encodeMessage(MessageType.update, body);
}

/**
 * End-of-RIB (RFC 4724 §2): for IPv4 unicast an UPDATE with nothing in it; for any other family
 * an UPDATE whose only attribute is an empty MP_UNREACH_NLRI for that family.
 */
export function encodeEndOfRib(family: AfiSafi): Buffer {
  const empty: UpdateMessage = { withdrawn: [], attributes: {}, mpReach: null, mpUnreach: null, nlri: [] };
  if (sameFamily(family, IPV4_UNICAST)) return encodeUpdate(empty, { fourOctetAs: true });
  return encodeUpdate({ ...empty, mpUnreach: { afi: family.afi, safi: family.safi, withdrawn: [] } }, { fourOctetAs: true });
}
