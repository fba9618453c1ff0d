import { BgpEncodeError, ErrorCode, HeaderSubcode, decodeError } from './errors.js';

/** RFC 4271 §4.1: 16-octet marker (all ones), 2-octet length, 1-octet type. */
export const HEADER_LENGTH = 19;
/**
 * RFC 4271 §4.1 caps a message at 4096 octets. RFC 8654 extended messages (65535) are not
 * negotiated by airlb, so 4096 is the limit in both directions.
 */
export const MAX_MESSAGE_LENGTH = 4096;

/** Message type codes (RFC 4271 §4.1, RFC 2918 §3 for ROUTE-REFRESH). */
export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** The smallest valid length of each message type (RFC 4271 §4.2–4.5, RFC 2918 §3). */
const minimumLength: Record<MessageTypeCode, number> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

export interface BgpHeader {
  readonly length: number;
  readonly type: MessageTypeCode;
}

function isMessageType(type: number): type is MessageTypeCode {
  return type >= MessageType.open && type <= MessageType.routeRefresh;
}

/**
 * Validates the 19-octet header at the start of `buf` (RFC 4271 §6.1). ROUTE-REFRESH's exact
 * length is checked by its own decoder, because RFC 7313 §5 gives it its own error code.
 */
export function decodeHeader(buf: Buffer): BgpHeader {
  if (buf.length < HEADER_LENGTH) {
    throw decodeError(`a message needs at least ${HEADER_LENGTH} octets, got ${buf.length}`, ErrorCode.messageHeader, HeaderSubcode.badMessageLength);
  }
  for (let i = 0; i < 16; i++) {
    if (buf[i] !== 0xff) {
      throw decodeError('marker is not all ones; the stream is out of sync', ErrorCode.messageHeader, HeaderSubcode.connectionNotSynchronized);
    }
  }
  const length = buf.readUInt16BE(16);
  const type = buf[18]!;
  // §6.1: Bad Message Length carries the erroneous Length field; Bad Message Type the Type field.
  const badLength = () =>
    decodeError(`message length ${length} is invalid for type ${type}`, ErrorCode.messageHeader, HeaderSubcode.badMessageLength, buf.subarray(16, 18));
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) throw badLength();
  if (!isMessageType(type)) {
    throw decodeError(`unknown message type ${type}`, ErrorCode.messageHeader, HeaderSubcode.badMessageType, buf.subarray(18, 19));
  }
  if (length < minimumLength[type]) throw badLength();
  if (type === MessageType.keepalive && length !== HEADER_LENGTH) throw badLength();
  return { length, type };
}

/**
 * The body of one whole message of the expected type. The framer hands out whole messages, so a
 * mismatch here means the caller passed something else; it still fails with the typed error.
 */
export function bodyOf(msg: Buffer, type: MessageTypeCode): Buffer {
  const header = decodeHeader(msg);
  if (header.length !== msg.length) {
    throw decodeError(`length field says ${header.length} octets but the message has ${msg.length}`, ErrorCode.messageHeader, HeaderSubcode.badMessageLength, msg.subarray(16, 18));
  }
  if (header.type !== type) {
    throw decodeError(`expected message type ${type}, got ${header.type}`, ErrorCode.messageHeader, HeaderSubcode.badMessageType, msg.subarray(18, 19));
  }
  return msg.subarray(HEADER_LENGTH);
}

/** Prepends a header to a message body. */
export function encodeMessage(type: MessageTypeCode, body: Buffer): Buffer {
  const length = HEADER_LENGTH + body.length;
  if (length > MAX_MESSAGE_LENGTH) {
    throw new BgpEncodeError(`message of ${length} octets exceeds the ${MAX_MESSAGE_LENGTH}-octet limit (RFC 4271 §4.1)`);
  }
  const out = Buffer.alloc(length);
  out.fill(0xff, 0, 16);
  out.writeUInt16BE(length, 16);
  out[18] = type;
  body.copy(out, HEADER_LENGTH);
  return out;
}
