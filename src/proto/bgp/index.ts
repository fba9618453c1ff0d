/** BGP-4 message codec (RFC 4271 and extensions); see docs/bgp-codec.md. Pure: Buffer in, Buffer out. */
export * from './errors.js';
export * from './header.js';
export * from './framer.js';
export * from './family.js';
// The *SyntaxError classes stay internal: callers only ever see BgpDecodeError.
export { decodePrefixes, encodePrefixes, prefixWireLength } from './nlri.js';
export * from './capabilities.js';
export * from './open.js';
export { type AsPathSegment, SegmentType, type SegmentTypeCode, decodeAsPath, encodeAsPath, mergeAs4Path, pathLength } from './as-path.js';
export * from './attributes.js';
export * from './update.js';
export * from './pack.js';
export * from './notification.js';
export * from './route-refresh.js';
export * from './keepalive.js';
export * from './message.js';
