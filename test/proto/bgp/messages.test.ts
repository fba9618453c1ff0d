import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BgpDecodeError,
  CeaseSubcode,
  decodeMessage,
  decodeNotification,
  decodeRouteRefresh,
  encodeNotification,
  encodeRouteRefresh,
  shutdownCommunication,
  shutdownNotification,
} from '../../../src/proto/bgp/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MARKER = 'ff'.repeat(16);

test('a NOTIFICATION carries code, subcode and data (RFC 4271 §4.5) and round-trips', () => {
  const wire = hex(`${MARKER} 0017 03  03 0b  0203`); // UPDATE Message Error / Malformed AS_PATH, 2 octets data
  const n = decodeNotification(wire);
  assert.deepEqual(n, { code: 3, subcode: 11, data: hex('0203') });
  assert.deepEqual(encodeNotification(n), wire);
  assert.deepEqual(decodeMessage(wire, { fourOctetAs: true }), { kind: 'notification', notification: n });
});

test('an Administrative Shutdown carries the operator message as length + UTF-8 (RFC 9003 §2)', () => {
  const n = shutdownNotification(CeaseSubcode.administrativeShutdown, 'maintenance — back at 10:00');
  assert.equal(n.data[0], Buffer.byteLength('maintenance — back at 10:00'));
  assert.equal(shutdownCommunication(decodeNotification(encodeNotification(n))), 'maintenance — back at 10:00');
  assert.equal(shutdownCommunication({ code: 6, subcode: 2, data: Buffer.alloc(0) }), null);
  assert.equal(shutdownCommunication({ code: 6, subcode: 2, data: hex('05 6869') }), null, 'length past the data');
  assert.equal(shutdownCommunication({ code: 6, subcode: 2, data: hex('02 c328') }), null, 'invalid UTF-8');
  assert.equal(shutdownCommunication({ code: 6, subcode: 7, data: hex('02 6869') }), null, 'not a shutdown/reset');
});

test('a shutdown message longer than 255 octets is cut at a character boundary', () => {
  const n = shutdownNotification(CeaseSubcode.administrativeReset, 'é'.repeat(200)); // 400 octets of 2-octet characters
  assert.equal(n.data[0], 254);
  assert.equal(shutdownCommunication(n), 'é'.repeat(127));
});

test('ROUTE-REFRESH carries AFI, subtype and SAFI (RFC 2918 §3, RFC 7313 §3.2)', () => {
  const wire = hex(`${MARKER} 0017 05  0002 00 01`);
  assert.deepEqual(decodeRouteRefresh(wire), { afi: 2, subtype: 0, safi: 1 });
  assert.deepEqual(encodeRouteRefresh({ afi: 2, subtype: 0, safi: 1 }), wire);
  assert.deepEqual(decodeMessage(wire, { fourOctetAs: true }), { kind: 'route-refresh', routeRefresh: { afi: 2, subtype: 0, safi: 1 } });
});

test('a ROUTE-REFRESH of the wrong length is ROUTE-REFRESH Message Error / Invalid Message Length with the message as data (RFC 7313 §5)', () => {
  const wire = hex(`${MARKER} 0018 05  0001 00 01 00`);
  assert.throws(
    () => decodeMessage(wire, { fourOctetAs: true }),
    (err: unknown) => err instanceof BgpDecodeError && err.notification.code === 7 && err.notification.subcode === 1 && err.notification.data.equals(wire),
  );
});

test('decodeMessage refuses a buffer whose length field disagrees with its size', () => {
  assert.throws(
    () => decodeMessage(hex(`${MARKER} 0014 04 00`), { fourOctetAs: true }),
    (err: unknown) => err instanceof BgpDecodeError && err.notification.code === 1 && err.notification.subcode === 2,
  );
  assert.throws(() => decodeMessage(hex(`${MARKER} 0017 05  0002 00`), { fourOctetAs: true }), BgpDecodeError);
});
