import { BgpEncodeError, CeaseSubcode, ErrorCode, type NotificationFields } from './errors.js';
import { MessageType, bodyOf, encodeMessage } from './header.js';

/** A NOTIFICATION (RFC 4271 §4.5): error code, subcode, and data whose meaning depends on both. */
export type NotificationMessage = NotificationFields;

/** Decodes a NOTIFICATION. Nothing in it is ever answered with another NOTIFICATION (§6.4). */
export function decodeNotification(msg: Buffer): NotificationMessage {
  const body = bodyOf(msg, MessageType.notification);
  return { code: body[0]!, subcode: body[1]!, data: Buffer.from(body.subarray(2)) };
}

export function encodeNotification(n: NotificationMessage): Buffer {
  for (const [what, v] of [['code', n.code], ['subcode', n.subcode]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new BgpEncodeError(`NOTIFICATION ${what} ${v} is not an octet`);
  }
  return encodeMessage(MessageType.notification, Buffer.concat([Buffer.from([n.code, n.subcode]), n.data]));
}

/** RFC 9003 §2: a Shutdown Communication is at most 255 octets of UTF-8. */
const MAX_SHUTDOWN_COMMUNICATION = 255;

function isShutdownOrReset(n: NotificationMessage): boolean {
  return n.code === ErrorCode.cease && (n.subcode === CeaseSubcode.administrativeShutdown || n.subcode === CeaseSubcode.administrativeReset);
}

/**
 * A Cease/Administrative Shutdown or Reset carrying an operator's message (RFC 9003 §2: one
 * length octet, then UTF-8). The text is truncated at a character boundary to fit.
 */
export function shutdownNotification(subcode: typeof CeaseSubcode.administrativeShutdown | typeof CeaseSubcode.administrativeReset, message: string): NotificationMessage {
  let text = Buffer.from(message, 'utf8');
  if (text.length > MAX_SHUTDOWN_COMMUNICATION) {
    let cut = MAX_SHUTDOWN_COMMUNICATION;
    // Back up over UTF-8 continuation octets (10xxxxxx) so no character is split.
    while (cut > 0 && (text[cut]! & 0xc0) === 0x80) cut--;
    text = text.subarray(0, cut);
  }
  return { code: ErrorCode.cease, subcode, data: Buffer.concat([Buffer.from([text.length]), text]) };
}

/**
 * The operator's message in a received Administrative Shutdown/Reset (RFC 9003 §2), or null when
 * there is none or it is not well formed (the RFC says to treat it then as if absent).
 */
export function shutdownCommunication(n: NotificationMessage): string | null {
  if (!isShutdownOrReset(n) || n.data.length === 0) return null;
  const length = n.data[0]!;
  if (length === 0 || 1 + length > n.data.length) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(n.data.subarray(1, 1 + length));
  } catch {
    return null;
  }
}
