import type { Cidr, Ip } from '../../domain/net/ip.js';
import { BgpDecodeError, BgpEncodeError, ErrorCode, UpdateSubcode, decodeError, type BgpErrorHandling } from './errors.js';
import { AsPathSyntaxError, SegmentType, decodeAsPath, encodeAsPath, mergeAs4Path, needsFourOctets, type AsPathSegment } from './as-path.js';
import { ipFamilyOf, type AfiSafi } from './family.js';
import { PrefixSyntaxError, decodePrefixes, encodePrefixes } from './nlri.js';
import { AS_TRANS } from './open.js';

/** Path attribute type codes (IANA; RFC 4271 §5, RFC 1997, RFC 4760, RFC 6793, RFC 8092). */
export const AttrType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  med: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  mpReachNlri: 14,
  mpUnreachNlri: 15,
  as4Path: 17,
  as4Aggregator: 18,
  largeCommunity: 32,
} as const;

/** Attribute Flags (RFC 4271 §4.3). */
export const AttrFlag = { optional: 0x80, transitive: 0x40, partial: 0x20, extendedLength: 0x10 } as const;

/** ORIGIN values (RFC 4271 §5.1.1). */
export const Origin = { igp: 0, egp: 1, incomplete: 2 } as const;

/** Well-known communities (RFC 1997, RFC 7999 BLACKHOLE). */
export const WellKnownCommunity = {
  noExport: 0xffffff01,
  noAdvertise: 0xffffff02,
  noExportSubconfed: 0xffffff03,
  blackhole: 0xffff029a,
} as const;

/** RFC 8092 §3: Global Administrator (an ASN), Local Data Part 1 and 2, each uint32. */
export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

export interface Aggregator {
  readonly asn: number;
  readonly address: Ip;
}

/** An attribute airlb does not interpret (unrecognised optional ones), kept as received. */
export interface RawAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Buffer;
}

/**
 * The path attributes of one UPDATE other than MP_REACH/MP_UNREACH (those carry routes and sit in
 * the UpdateMessage). A field is absent when the attribute was absent or discarded. AS paths are
 * always 4-octet ASNs here: with a 2-octet peer, AS4_PATH has been merged in (RFC 6793 §4.2.3).
 */
export interface PathAttributes {
  readonly origin?: number;
  readonly asPath?: readonly AsPathSegment[];
  /** NEXT_HOP (IPv4, for the classic NLRI field only; MP routes have their own next hop). */
  readonly nextHop?: Ip;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities, each the 32-bit value (high 16 bits ASN, low 16 bits value). */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly other?: readonly RawAttribute[];
}

/** MP_REACH_NLRI (RFC 4760 §3). IPv6 next hops are the global address, then optionally the link-local one (RFC 2545 §3). */
export interface MpReach extends AfiSafi {
  readonly nextHops: readonly Ip[];
  readonly nlri: readonly Cidr[];
}

/** MP_UNREACH_NLRI (RFC 4760 §4). No prefixes at all is the End-of-RIB marker (RFC 4724 §2). */
export interface MpUnreach extends AfiSafi {
  readonly withdrawn: readonly Cidr[];
}

export interface DecodeOptions {
  /** Both OPENs carried the 4-octet AS capability (RFC 6793 §3), so AS_PATH has 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /**
   * The peer is external (different AS). RFC 7606 §7.5 then discards LOCAL_PREF, and §7.2 calls a
   * path with confederation segments malformed. Defaults to false (internal).
   */
  readonly ebgp?: boolean;
}

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  readonly mpReach: MpReach | null;
  readonly mpUnreach: MpUnreach | null;
  /** Errors handled by treat-as-withdraw or attribute-discard (session-reset ones are thrown). */
  readonly problems: readonly BgpDecodeError[];
}

type Kind = 'well-known' | 'optional-transitive' | 'optional-non-transitive';

/** Category of each recognised attribute, which fixes its Optional and Transitive flags (RFC 4271 §5). */
const kindOf: Record<number, Kind> = {
  [AttrType.origin]: 'well-known',
  [AttrType.asPath]: 'well-known',
  [AttrType.nextHop]: 'well-known',
  [AttrType.med]: 'optional-non-transitive',
  [AttrType.localPref]: 'well-known',
  [AttrType.atomicAggregate]: 'well-known',
  [AttrType.aggregator]: 'optional-transitive',
  [AttrType.communities]: 'optional-transitive',
  [AttrType.mpReachNlri]: 'optional-non-transitive',
  [AttrType.mpUnreachNlri]: 'optional-non-transitive',
  [AttrType.as4Path]: 'optional-transitive',
  [AttrType.as4Aggregator]: 'optional-transitive',
  [AttrType.largeCommunity]: 'optional-transitive',
};

const flagsOfKind: Record<Kind, number> = {
  'well-known': AttrFlag.transitive,
  'optional-transitive': AttrFlag.optional | AttrFlag.transitive,
  'optional-non-transitive': AttrFlag.optional,
};

/** A NEXT_HOP that cannot be a unicast router: 0/8, 127/8, multicast and class E (RFC 4271 §6.3, RFC 1122 §3.2.1.3). */
function isInvalidNextHop(value: number): boolean {
  const first = value >>> 24;
  return first === 0 || first === 127 || first >= 224;
}

function readIp(buf: Buffer, offset: number, family: 4 | 6): Ip {
  if (family === 4) return { family, value: BigInt(buf.readUInt32BE(offset)) };
  return { family, value: (buf.readBigUInt64BE(offset) << 64n) | buf.readBigUInt64BE(offset + 8) };
}

function mpError(message: string, whole: Buffer): BgpDecodeError {
  // RFC 4760 §7 and RFC 7606 §7.11: a malformed MP attribute resets the session (we do not
  // implement "AFI/SAFI disable"), with Optional Attribute Error.
  return decodeError(message, ErrorCode.updateMessage, UpdateSubcode.optionalAttributeError, Buffer.from(whole));
}

/** Next hop lengths RFC 4760 §3 / RFC 2545 §3 / RFC 8950 §3 allow per AFI. */
function decodeNextHops(afi: number, nh: Buffer, whole: Buffer): Ip[] {
  if (nh.length === 4 && afi === 1) return [readIp(nh, 0, 4)];
  if (nh.length === 16) return [readIp(nh, 0, 6)];
  if (nh.length === 32) return [readIp(nh, 0, 6), readIp(nh, 16, 6)];
  throw mpError(`MP_REACH_NLRI next hop of ${nh.length} octets is invalid for AFI ${afi}`, whole);
}

/** Returns null for an AFI/SAFI whose NLRI airlb cannot parse. */
function decodeMpReach(value: Buffer, whole: Buffer): MpReach | null {
  if (value.length < 5) throw mpError('MP_REACH_NLRI is shorter than 5 octets', whole);
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const nhLength = value[3]!;
  if (4 + nhLength + 1 > value.length) throw mpError('MP_REACH_NLRI next hop runs past the attribute', whole);
  const family = ipFamilyOf({ afi, safi });
  if (family === null) return null;
  const nextHops = decodeNextHops(afi, value.subarray(4, 4 + nhLength), whole);
  // The octet after the next hop is reserved and ignored on receipt (RFC 4760 §3).
  try {
    return { afi, safi, nextHops, nlri: decodePrefixes(value.subarray(5 + nhLength), family) };
  } catch (err) {
    if (err instanceof PrefixSyntaxError) throw mpError(`MP_REACH_NLRI: ${err.message}`, whole);
    throw err;
  }
}

function decodeMpUnreach(value: Buffer, whole: Buffer): MpUnreach | null {
  if (value.length < 3) throw mpError('MP_UNREACH_NLRI is shorter than 3 octets', whole);
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const rest = value.subarray(3);
  const family = ipFamilyOf({ afi, safi });
  // An empty MP_UNREACH is End-of-RIB for any family (RFC 4724 §2), so report it even for one
  // whose prefixes airlb could not parse.
  if (family === null) return rest.length === 0 ? { afi, safi, withdrawn: [] } : null;
  try {
    return { afi, safi, withdrawn: decodePrefixes(rest, family) };
  } catch (err) {
    if (err instanceof PrefixSyntaxError) throw mpError(`MP_UNREACH_NLRI: ${err.message}`, whole);
    throw err;
  }
}

type Mutable = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

/**
 * Decodes the Path Attributes field of an UPDATE with the error handling of RFC 7606. Errors
 * whose handling is session-reset are thrown; weaker ones are returned in `problems` and the
 * offending attribute is left out.
 */
export function decodeAttributes(buf: Buffer, options: DecodeOptions): DecodedAttributes {
  const asWidth = options.fourOctetAs ? 4 : 2;
  const attrs: Mutable = {};
  const other: RawAttribute[] = [];
  const problems: BgpDecodeError[] = [];
  let mpReach: MpReach | null = null;
  let mpUnreach: MpUnreach | null = null;
  let as4Path: AsPathSegment[] | null = null;
  let as4Aggregator: Aggregator | null = null;
  const seen = new Set<number>();

  const problem = (message: string, subcode: number, data: Buffer, handling: BgpErrorHandling) => {
    const err = decodeError(message, ErrorCode.updateMessage, subcode, Buffer.from(data), handling);
    if (handling === 'session-reset') throw err;
    problems.push(err);
  };

  let offset = 0;
  while (offset < buf.length) {
    const start = offset;
    const flags = buf[offset]!;
    const headerLength = flags & AttrFlag.extendedLength ? 4 : 3;
    const lengthKnown = buf.length - offset >= headerLength;
    const length = !lengthKnown ? 0 : headerLength === 4 ? buf.readUInt16BE(offset + 2) : buf[offset + 2]!;
    if (!lengthKnown || offset + headerLength + length > buf.length) {
      // RFC 7606 §4: the attributes overrun the Total Path Attribute Length. That length still
      // locates the NLRI, so treat-as-withdraw; nothing after this point can be parsed.
      problem('a path attribute runs past the end of the path attributes', UpdateSubcode.attributeLengthError, buf.subarray(start), 'treat-as-withdraw');
      break;
    }
    const type = buf[offset + 1]!;
    const end = offset + headerLength + length;
    const whole = buf.subarray(start, end);
    const value = buf.subarray(offset + headerLength, end);
    offset = end;

    const isMp = type === AttrType.mpReachNlri || type === AttrType.mpUnreachNlri;
    if (seen.has(type)) {
      // RFC 7606 §3: a repeated MP attribute resets; any other repeat is discarded.
      if (isMp) problem(`attribute ${type} appears twice`, UpdateSubcode.malformedAttributeList, Buffer.alloc(0), 'session-reset');
      else problem(`attribute ${type} appears twice; later copies discarded`, UpdateSubcode.malformedAttributeList, whole, 'attribute-discard');
      continue;
    }
    seen.add(type);

    const kind = kindOf[type];
    if (kind === undefined) {
      // RFC 4271 §6.3: an unrecognised well-known attribute is fatal; optional ones are kept raw.
      if ((flags & AttrFlag.optional) === 0) {
        problem(`unrecognised well-known attribute ${type}`, UpdateSubcode.unrecognizedWellKnownAttribute, whole, 'session-reset');
      }
      // The Extended Length bit describes this encoding, not the attribute: the encoder sets it again as needed.
      other.push({ flags: flags & ~AttrFlag.extendedLength, type, value: Buffer.from(value) });
      continue;
    }
    // RFC 7606 §3: Optional/Transitive bits in conflict with the type make the attribute
    // malformed: treat-as-withdraw, except the MP attributes, which cannot be skipped.
    if ((flags & (AttrFlag.optional | AttrFlag.transitive)) !== flagsOfKind[kind]) {
      problem(`attribute ${type} has flags 0x${flags.toString(16)}`, UpdateSubcode.attributeFlagsError, whole, isMp ? 'session-reset' : 'treat-as-withdraw');
      continue;
    }

    switch (type) {
      case AttrType.origin: // RFC 7606 §7.1
        if (length !== 1) problem('ORIGIN length is not 1', UpdateSubcode.attributeLengthError, whole, 'treat-as-withdraw');
        else if (value[0]! > Origin.incomplete) problem(`ORIGIN value ${value[0]} is undefined`, UpdateSubcode.invalidOriginAttribute, whole, 'treat-as-withdraw');
        else attrs.origin = value[0]!;
        break;
      case AttrType.asPath: // RFC 7606 §7.2
        try {
          const path = decodeAsPath(value, asWidth);
          if (options.ebgp && path.some((s) => s.type === SegmentType.confedSequence || s.type === SegmentType.confedSet)) {
            problem('AS_PATH from an external peer has confederation segments', UpdateSubcode.malformedAsPath, whole, 'treat-as-withdraw');
          } else {
            attrs.asPath = path;
          }
        } catch (err) {
          if (!(err instanceof AsPathSyntaxError)) throw err;
          problem(`malformed AS_PATH: ${err.message}`, UpdateSubcode.malformedAsPath, whole, 'treat-as-withdraw');
        }
        break;
      case AttrType.nextHop: // RFC 7606 §7.3; a semantically invalid next hop means "ignore the route" (RFC 4271 §6.3)
        if (length !== 4) problem('NEXT_HOP length is not 4', UpdateSubcode.attributeLengthError, whole, 'treat-as-withdraw');
        else if (isInvalidNextHop(value.readUInt32BE(0))) problem('NEXT_HOP is not a unicast address', UpdateSubcode.invalidNextHopAttribute, whole, 'treat-as-withdraw');
        else attrs.nextHop = readIp(value, 0, 4);
        break;
      case AttrType.med: // RFC 7606 §7.4
        if (length !== 4) problem('MULTI_EXIT_DISC length is not 4', UpdateSubcode.attributeLengthError, whole, 'treat-as-withdraw');
        else attrs.med = value.readUInt32BE(0);
        break;
      case AttrType.localPref: // RFC 7606 §7.5: discarded from external peers, checked from internal ones
        if (options.ebgp) break;
        if (length !== 4) problem('LOCAL_PREF length is not 4', UpdateSubcode.attributeLengthError, whole, 'treat-as-withdraw');
        else attrs.localPref = value.readUInt32BE(0);
        break;
      case AttrType.atomicAggregate: // RFC 7606 §7.6
        if (length !== 0) problem('ATOMIC_AGGREGATE length is not 0', UpdateSubcode.attributeLengthError, whole, 'attribute-discard');
        else attrs.atomicAggregate = true;
        break;
      case AttrType.aggregator: // RFC 7606 §7.7, RFC 7607 §2 (AS 0)
        if (length !== asWidth + 4) problem(`AGGREGATOR length is not ${asWidth + 4}`, UpdateSubcode.attributeLengthError, whole, 'attribute-discard');
        else {
          const asn = asWidth === 4 ? value.readUInt32BE(0) : value.readUInt16BE(0);
          if (asn === 0) problem('AGGREGATOR carries AS 0', UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
          else attrs.aggregator = { asn, address: readIp(value, asWidth, 4) };
        }
        break;
      case AttrType.communities: // RFC 7606 §7.8
        if (length === 0 || length % 4 !== 0) problem('COMMUNITIES length is not a non-zero multiple of 4', UpdateSubcode.optionalAttributeError, whole, 'treat-as-withdraw');
        else {
          const list: number[] = [];
          for (let p = 0; p < length; p += 4) list.push(value.readUInt32BE(p));
          attrs.communities = list;
        }
        break;
      case AttrType.largeCommunity: // RFC 8092 §6
        if (length === 0 || length % 12 !== 0) problem('LARGE_COMMUNITY length is not a non-zero multiple of 12', UpdateSubcode.optionalAttributeError, whole, 'treat-as-withdraw');
        else {
          const list: LargeCommunity[] = [];
          for (let p = 0; p < length; p += 12) {
            list.push({ globalAdmin: value.readUInt32BE(p), localData1: value.readUInt32BE(p + 4), localData2: value.readUInt32BE(p + 8) });
          }
          attrs.largeCommunities = list;
        }
        break;
      case AttrType.mpReachNlri: {
        const reach = decodeMpReach(value, whole);
        if (reach === null) problem(`MP_REACH_NLRI for unsupported AFI ${value.readUInt16BE(0)} SAFI ${value[2]} ignored`, UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
        mpReach = reach;
        break;
      }
      case AttrType.mpUnreachNlri: {
        const unreach = decodeMpUnreach(value, whole);
        if (unreach === null) problem(`MP_UNREACH_NLRI for unsupported AFI ${value.readUInt16BE(0)} SAFI ${value[2]} ignored`, UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
        mpUnreach = unreach;
        break;
      }
      case AttrType.as4Path: // RFC 6793 §4.1 (ignored from a NEW speaker), §6 (malformed: discard)
        if (options.fourOctetAs) break;
        try {
          const path = decodeAsPath(value, 4);
          if (path.some((s) => s.type === SegmentType.confedSequence || s.type === SegmentType.confedSet)) {
            problem('AS4_PATH has confederation segments', UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
          } else {
            as4Path = path;
          }
        } catch (err) {
          if (!(err instanceof AsPathSyntaxError)) throw err;
          problem(`malformed AS4_PATH: ${err.message}`, UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
        }
        break;
      case AttrType.as4Aggregator: // RFC 6793 §4.1, §6
        if (options.fourOctetAs) break;
        if (length !== 8) problem('AS4_AGGREGATOR length is not 8', UpdateSubcode.attributeLengthError, whole, 'attribute-discard');
        else if (value.readUInt32BE(0) === 0) problem('AS4_AGGREGATOR carries AS 0', UpdateSubcode.optionalAttributeError, whole, 'attribute-discard');
        else as4Aggregator = { asn: value.readUInt32BE(0), address: readIp(value, 4, 4) };
        break;
    }
  }

  // RFC 6793 §4.2.3: an AGGREGATOR other than AS_TRANS means the AS4_* attributes are stale.
  if (attrs.aggregator === undefined || attrs.aggregator.asn === AS_TRANS) {
    if (as4Aggregator !== null && attrs.aggregator !== undefined) attrs.aggregator = as4Aggregator;
    if (as4Path !== null && attrs.asPath !== undefined) attrs.asPath = mergeAs4Path(attrs.asPath, as4Path);
  }
  // Type order, as the encoder writes them, so a decoded value is independent of the sender's order.
  if (other.length > 0) attrs.other = other.sort((a, b) => a.type - b.type);
  return { attributes: attrs, mpReach, mpUnreach, problems };
}

/** One attribute; the Extended Length flag is set when needed, or always with `forceExtended`. */
function attribute(flags: number, type: number, value: Buffer, forceExtended = false): Buffer {
  if (value.length > 0xffff) throw new BgpEncodeError(`attribute ${type} of ${value.length} octets exceeds 65535`);
  const extended = forceExtended || value.length > 255;
  const head = Buffer.alloc(extended ? 4 : 3);
  head[0] = extended ? flags | AttrFlag.extendedLength : flags & ~AttrFlag.extendedLength;
  head[1] = type;
  if (extended) head.writeUInt16BE(value.length, 2);
  else head[2] = value.length;
  return Buffer.concat([head, value]);
}

function ipBytes(ip: Ip): Buffer {
  const out = Buffer.alloc(ip.family === 4 ? 4 : 16);
  if (ip.family === 4) out.writeUInt32BE(Number(ip.value), 0);
  else {
    out.writeBigUInt64BE(ip.value >> 64n, 0);
    out.writeBigUInt64BE(ip.value & 0xffffffffffffffffn, 8);
  }
  return out;
}

function uint32(v: number, what: string): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BgpEncodeError(`${what} ${v} is not a 32-bit unsigned integer`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}

/** Octets an MP_REACH_NLRI takes before its NLRI (attribute header with extended length, AFI..reserved). */
export function mpReachOverhead(nextHops: readonly Ip[]): number {
  return 4 + 5 + nextHops.reduce((n, ip) => n + (ip.family === 4 ? 4 : 16), 0);
}

/** Octets an MP_UNREACH_NLRI takes before its prefixes. */
export const MP_UNREACH_OVERHEAD = 4 + 3;

function encodeMpReach(reach: MpReach): Buffer {
  const nh = Buffer.concat(reach.nextHops.map(ipBytes));
  const head = Buffer.alloc(4);
  head.writeUInt16BE(reach.afi, 0);
  head[2] = reach.safi;
  head[3] = nh.length;
  const value = Buffer.concat([head, nh, Buffer.alloc(1), encodePrefixes(reach.nlri)]);
  // Always the 4-octet header, so mpReachOverhead() is exact whatever the NLRI size.
  return attribute(AttrFlag.optional, AttrType.mpReachNlri, value, true);
}

function encodeMpUnreach(unreach: MpUnreach): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(unreach.afi, 0);
  head[2] = unreach.safi;
  return attribute(AttrFlag.optional, AttrType.mpUnreachNlri, Buffer.concat([head, encodePrefixes(unreach.withdrawn)]), true);
}

/**
 * Encodes the Path Attributes field: MP attributes first (RFC 7606 §5.1 asks for that, so a
 * receiver can always find the NLRI), then the rest by ascending type code (RFC 4271 §5).
 * Towards a 2-octet peer, ASNs that do not fit become AS_TRANS and the real values travel in
 * AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2).
 */
export function encodeAttributes(
  attrs: PathAttributes,
  mp: { readonly reach?: MpReach; readonly unreach?: MpUnreach },
  options: { readonly fourOctetAs: boolean },
): Buffer {
  const asWidth = options.fourOctetAs ? 4 : 2;
  const typed: { type: number; bytes: Buffer }[] = [];
  const add = (kind: Kind, type: number, value: Buffer) => typed.push({ type, bytes: attribute(flagsOfKind[kind], type, value) });

  if (attrs.origin !== undefined) {
    if (attrs.origin < 0 || attrs.origin > Origin.incomplete || !Number.isInteger(attrs.origin)) throw new BgpEncodeError(`ORIGIN ${attrs.origin} is undefined`);
    add('well-known', AttrType.origin, Buffer.from([attrs.origin]));
  }
  if (attrs.asPath !== undefined) {
    for (const s of attrs.asPath) for (const asn of s.asns) uint32(asn, 'ASN');
    add('well-known', AttrType.asPath, encodeAsPath(attrs.asPath, asWidth));
    if (!options.fourOctetAs && needsFourOctets(attrs.asPath)) {
      // RFC 6793 §3: AS4_PATH never carries confederation segments.
      const path = attrs.asPath.filter((seg) => seg.type === SegmentType.sequence || seg.type === SegmentType.set);
      add('optional-transitive', AttrType.as4Path, encodeAsPath(path, 4));
    }
  }
  if (attrs.nextHop !== undefined) {
    if (attrs.nextHop.family !== 4) throw new BgpEncodeError('NEXT_HOP must be IPv4; IPv6 next hops go in MP_REACH_NLRI');
    add('well-known', AttrType.nextHop, ipBytes(attrs.nextHop));
  }
  if (attrs.med !== undefined) add('optional-non-transitive', AttrType.med, uint32(attrs.med, 'MULTI_EXIT_DISC'));
  if (attrs.localPref !== undefined) add('well-known', AttrType.localPref, uint32(attrs.localPref, 'LOCAL_PREF'));
  if (attrs.atomicAggregate === true) add('well-known', AttrType.atomicAggregate, Buffer.alloc(0));
  if (attrs.aggregator !== undefined) {
    const { asn, address } = attrs.aggregator;
    uint32(asn, 'AGGREGATOR ASN');
    const asField = Buffer.alloc(asWidth);
    if (asWidth === 4) asField.writeUInt32BE(asn, 0);
    else asField.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 0);
    add('optional-transitive', AttrType.aggregator, Buffer.concat([asField, ipBytes(address)]));
    if (!options.fourOctetAs && asn > 0xffff) add('optional-transitive', AttrType.as4Aggregator, Buffer.concat([uint32(asn, 'ASN'), ipBytes(address)]));
  }
  if (attrs.communities !== undefined && attrs.communities.length > 0) {
    add('optional-transitive', AttrType.communities, Buffer.concat(attrs.communities.map((c) => uint32(c, 'community'))));
  }
  if (attrs.largeCommunities !== undefined && attrs.largeCommunities.length > 0) {
    const parts = attrs.largeCommunities.flatMap((c) => [uint32(c.globalAdmin, 'large community'), uint32(c.localData1, 'large community'), uint32(c.localData2, 'large community')]);
    add('optional-transitive', AttrType.largeCommunity, Buffer.concat(parts));
  }
  for (const raw of attrs.other ?? []) typed.push({ type: raw.type, bytes: attribute(raw.flags, raw.type, raw.value) });
  typed.sort((a, b) => a.type - b.type);

  const mpParts: Buffer[] = [];
  if (mp.reach !== undefined) mpParts.push(encodeMpReach(mp.reach));
  if (mp.unreach !== undefined) mpParts.push(encodeMpUnreach(mp.unreach));
  return Buffer.concat([...mpParts, ...typed.map((t) => t.bytes)]);
}
