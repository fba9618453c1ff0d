import { HEADER_LENGTH, decodeHeader } from './header.js';
import { BgpDecodeError } from './errors.js';

/**
 * Cuts a TCP byte stream into whole BGP messages. Each returned Buffer is one complete message,
 * header included; decode it with decodeMessage() and the session's current DecodeOptions (the
 * options change when the OPENs are exchanged, possibly in the middle of one chunk, so the framer
 * does not decode bodies itself).
 *
 * The header is validated as soon as its 19 octets are in (RFC 4271 §6.1), so a bad length is
 * reported without waiting for bytes that will never come. After an error the stream cannot be
 * resynchronised: every later push() throws the same error.
 */
export class BgpFramer {
  private pending: Buffer = Buffer.alloc(0);
  private failure: BgpDecodeError | null = null;

  push(chunk: Buffer): Buffer[] {
    if (this.failure !== null) throw this.failure;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (buf.length >= HEADER_LENGTH) {
      let length: number;
      try {
        length = decodeHeader(buf).length;
      } catch (err) {
        if (err instanceof BgpDecodeError) this.failure = err;
        throw err;
      }
      if (buf.length < length) break;
      // Copy so callers may keep a message while the next chunk arrives (and so that a held
      // message does not pin a large chunk in memory).
      messages.push(Buffer.from(buf.subarray(0, length)));
      buf = buf.subarray(length);
    }
    this.pending = Buffer.from(buf);
    return messages;
  }

  /** Octets received that do not yet form a whole message. */
  get buffered(): number {
    return this.pending.length;
  }
}
