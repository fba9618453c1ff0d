import { BgpEncodeError } from './errors.js';
import { AS_TRANS } from './open.js';

/** AS_PATH segment types (RFC 4271 §4.3; confederation segments RFC 5065 §3). */
export const SegmentType = { set: 1, sequence: 2, confedSequence: 3, confedSet: 4 } as const;
export type SegmentTypeCode = (typeof SegmentType)[keyof typeof SegmentType];

export interface AsPathSegment {
  readonly type: SegmentTypeCode;
  readonly asns: readonly number[];
}

/** Why a path did not parse; attributes.ts maps it to the attribute's RFC 7606 handling. */
export class AsPathSyntaxError extends Error {}

/**
 * Decodes AS_PATH (2- or 4-octet ASNs, RFC 6793 §4) or AS4_PATH (always 4). RFC 7606 §7.2 calls
 * a path malformed when a segment overruns, has length 0, or has an unknown type; RFC 7607 §2
 * adds AS 0 anywhere in the path.
 */
export function decodeAsPath(value: Buffer, asWidth: 2 | 4): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let offset = 0;
  while (offset < value.length) {
    if (offset + 2 > value.length) throw new AsPathSyntaxError('truncated segment header');
    const type = value[offset]!;
    const count = value[offset + 1]!;
    if (type < SegmentType.set || type > SegmentType.confedSet) throw new AsPathSyntaxError(`unknown segment type ${type}`);
    if (count === 0) throw new AsPathSyntaxError('segment of length 0');
    const end = offset + 2 + count * asWidth;
    if (end > value.length) throw new AsPathSyntaxError('segment overruns the attribute');
    const asns: number[] = [];
    for (let p = offset + 2; p < end; p += asWidth) {
      const asn = asWidth === 2 ? value.readUInt16BE(p) : value.readUInt32BE(p);
      if (asn === 0) throw new AsPathSyntaxError('AS 0 in the path (RFC 7607)');
      asns.push(asn);
    }
    segments.push({ type: type as SegmentTypeCode, asns });
    offset = end;
  }
  return segments;
}

/** Encodes a path; ASNs that do not fit `asWidth` become AS_TRANS (RFC 6793 §4.2.2). */
export function encodeAsPath(segments: readonly AsPathSegment[], asWidth: 2 | 4): Buffer {
  const parts: Buffer[] = [];
  for (const segment of segments) {
    // A segment holds at most 255 ASNs; a longer run becomes consecutive segments of the same
    // type, which means the same thing for sequences. A set that large cannot be split without
    // changing its path-length contribution, so it is refused.
    if (segment.asns.length > 255 && segment.type !== SegmentType.sequence && segment.type !== SegmentType.confedSequence) {
      throw new BgpEncodeError(`an AS_SET of ${segment.asns.length} ASNs does not fit one segment`);
    }
    for (let start = 0; start < segment.asns.length; start += 255) {
      const chunk = segment.asns.slice(start, start + 255);
      const buf = Buffer.alloc(2 + chunk.length * asWidth);
      buf[0] = segment.type;
      buf[1] = chunk.length;
      chunk.forEach((asn, i) => {
        if (asWidth === 4) buf.writeUInt32BE(asn, 2 + 4 * i);
        else buf.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + 2 * i);
      });
      parts.push(buf);
    }
  }
  return Buffer.concat(parts);
}

export function needsFourOctets(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((asn) => asn > 0xffff));
}

/** Path length as RFC 4271 §9.1.2.2 counts it (a set counts 1; RFC 5065 §5.3: confed segments 0). */
export function pathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === SegmentType.sequence) n += s.asns.length;
    else if (s.type === SegmentType.set) n += 1;
  }
  return n;
}

/**
 * Rebuilds the real path from a 2-octet AS_PATH and an AS4_PATH (RFC 6793 §4.2.3): when AS_PATH
 * counts fewer ASes than AS4_PATH, AS4_PATH is ignored; otherwise the leading ASes of AS_PATH
 * that AS4_PATH does not cover are kept (with confederation segments that lead or adjoin them),
 * followed by all of AS4_PATH.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const keep = pathLength(asPath) - pathLength(as4Path);
  if (keep < 0) return asPath.map((s) => ({ type: s.type, asns: [...s.asns] }));
  const merged: AsPathSegment[] = [];
  let left = keep;
  for (const s of asPath) {
    // Confederation segments count 0 and are kept when leading or next to a kept segment.
    if (s.type === SegmentType.confedSequence || s.type === SegmentType.confedSet) {
      merged.push({ type: s.type, asns: [...s.asns] });
      continue;
    }
    if (left === 0) break;
    if (s.type === SegmentType.sequence) {
      const take = Math.min(left, s.asns.length);
      merged.push({ type: s.type, asns: s.asns.slice(0, take) });
      left -= take;
    } else {
      merged.push({ type: s.type, asns: [...s.asns] });
      left -= 1;
    }
  }
  for (const s of as4Path) merged.push({ type: s.type, asns: [...s.asns] });
  return merged;
}
