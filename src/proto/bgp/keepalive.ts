import { MessageType, bodyOf, encodeMessage } from './header.js';

/** RFC 4271 §4.4: a KEEPALIVE is the bare 19-octet header (its length is checked by decodeHeader). */
export function encodeKeepalive(): Buffer {
  return encodeMessage(MessageType.keepalive, Buffer.alloc(0));
}

export function decodeKeepalive(msg: Buffer): void {
  bodyOf(msg, MessageType.keepalive);
}
