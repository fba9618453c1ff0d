import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirlbError } from '../../../src/errors.js';
import { BgpDecodeError, BgpEncodeError, decodeHeader, decodeKeepalive, encodeKeepalive, encodeMessage, MessageType } from '../../../src/proto/bgp/index.js';

const MARKER = 'ff'.repeat(16);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeFails(buf: Buffer, code: number, subcode: number, data?: string): void {
  assert.throws(
    () => decodeHeader(buf),
    (err: unknown) => {
      assert.ok(err instanceof BgpDecodeError);
      assert.ok(err instanceof AirlbError);
      assert.equal(err.code, 'bgp-decode');
      assert.equal(err.handling, 'session-reset');
      assert.deepEqual([err.notification.code, err.notification.subcode], [code, subcode]);
      if (data !== undefined) assert.equal(err.notification.data.toString('hex'), data);
      return true;
    },
  );
}

test('a KEEPALIVE is exactly the 19-octet header: marker, length 19, type 4 (RFC 4271 §4.1, §4.4)', () => {
  const wire = hex(`${MARKER} 0013 04`);
  assert.deepEqual(encodeKeepalive(), wire);
  assert.deepEqual(decodeHeader(wire), { length: 19, type: MessageType.keepalive });
  decodeKeepalive(wire);
});

test('a marker that is not all ones is Connection Not Synchronized (RFC 4271 §6.1)', () => {
  decodeFails(hex(`${'ff'.repeat(15)}fe 0013 04`), 1, 1);
});

test('lengths below 19 or above 4096 are Bad Message Length with the length field as data; no RFC 8654 extended messages', () => {
  decodeFails(hex(`${MARKER} 0012 04`), 1, 2, '0012');
  decodeFails(hex(`${MARKER} 1001 02`), 1, 2, '1001');
  assert.equal(decodeHeader(hex(`${MARKER} 1000 02`)).length, 4096);
});

test('each type has its minimum length: OPEN 29, UPDATE 23, NOTIFICATION 21, KEEPALIVE exactly 19 (RFC 4271 §6.1)', () => {
  decodeFails(hex(`${MARKER} 001c 01`), 1, 2, '001c');
  decodeFails(hex(`${MARKER} 0016 02`), 1, 2, '0016');
  decodeFails(hex(`${MARKER} 0014 03`), 1, 2, '0014');
  decodeFails(hex(`${MARKER} 0014 04`), 1, 2, '0014');
  assert.equal(decodeHeader(hex(`${MARKER} 001d 01`)).type, MessageType.open);
});

test('an unknown type is Bad Message Type with the type octet as data', () => {
  decodeFails(hex(`${MARKER} 0013 06`), 1, 3, '06');
  decodeFails(hex(`${MARKER} 0013 00`), 1, 3, '00');
});

test('a buffer shorter than a header is a typed decode error, not a crash', () => {
  decodeFails(hex('ffff'), 1, 2);
});

test('encoding refuses a message over 4096 octets', () => {
  assert.throws(() => encodeMessage(MessageType.update, Buffer.alloc(4096 - 19 + 1)), BgpEncodeError);
  assert.equal(encodeMessage(MessageType.update, Buffer.alloc(4096 - 19)).length, 4096);
});
