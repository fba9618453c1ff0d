import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HMAC_LENGTH, PeerStatusDecodeError, decodePeerStatus, encodePeerStatus, type PeerStatusMessage } from '../../src/proto/peer-status/message.js';
import { seededRandom } from '../support/prng.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

// Node "w1" with one MAC, one owner "f1", one unheard IPv4 verdict and one heard IPv6 verdict.
const VECTOR = hex(`
  01                  # version 1
  00                  # flags: no HMAC
  0034                # total length 52
  0000002a            # incarnation 42
  00000007            # sequence 7
  02 7731             # node name "w1"
  01 02000000000a     # one MAC 02:00:00:00:00:0a
  01 02 6631          # one owner: "f1"
  0002                # two verdicts
  00 00 c0a801f0      # IPv4, unheard, owner 0, 192.168.1.240
  03 00 20010db8000000000000000000000001 # IPv6, heard, owner 0, 2001:db8::1
`);
const MESSAGE: PeerStatusMessage = {
  incarnation: 42,
  sequence: 7,
  node: 'w1',
  macs: ['02:00:00:00:00:0a'],
  verdicts: [
    { ip: '192.168.1.240', owner: 'f1', heard: false },
    { ip: '2001:db8::1', owner: 'f1', heard: true },
  ],
};
const KEY = Buffer.from('shared secret of the lab');

test('the hand-written vector decodes field by field and encodes back to the same octets', () => {
  assert.deepEqual(decodePeerStatus(VECTOR), MESSAGE);
  assert.deepEqual(encodePeerStatus(MESSAGE), VECTOR);
});

test('with a key the message carries a 16-octet HMAC that the receiver checks', () => {
  const wire = encodePeerStatus(MESSAGE, KEY);
  assert.equal(wire.length, VECTOR.length + HMAC_LENGTH);
  assert.equal(wire[1], 0x01);
  assert.deepEqual(decodePeerStatus(wire, KEY), MESSAGE);
  const tampered = Buffer.from(wire);
  tampered[20] ^= 0x01;
  assert.throws(() => decodePeerStatus(tampered, KEY), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'authentication-failed');
  assert.throws(() => decodePeerStatus(wire, Buffer.from('another key')), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'authentication-failed');
});

test('a keyed receiver refuses an unauthenticated message, and an unkeyed one refuses an authenticated message', () => {
  assert.throws(() => decodePeerStatus(VECTOR, KEY), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'authentication-missing');
  assert.throws(() => decodePeerStatus(encodePeerStatus(MESSAGE, KEY)), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'authentication-not-configured');
});

test('every truncation is refused with the typed error', () => {
  for (let n = 0; n < VECTOR.length; n++) {
    assert.throws(() => decodePeerStatus(VECTOR.subarray(0, n)), PeerStatusDecodeError, `cut at ${n}`);
  }
});

test('an unknown version, an unknown flag and an owner index out of range are refused', () => {
  const bad = (at: number, value: number) => {
    const b = Buffer.from(VECTOR);
    b[at] = value;
    return b;
  };
  assert.throws(() => decodePeerStatus(bad(0, 2)), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'bad-version');
  assert.throws(() => decodePeerStatus(bad(1, 0x80)), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'bad-flags');
  assert.throws(() => decodePeerStatus(bad(29, 1)), (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === 'bad-owner-index');
});

test('the encoder refuses values that do not fit the wire', () => {
  assert.throws(() => encodePeerStatus({ ...MESSAGE, node: '' }), /node name/);
  assert.throws(() => encodePeerStatus({ ...MESSAGE, incarnation: -1 }), /incarnation/);
  assert.throws(() => encodePeerStatus({ ...MESSAGE, verdicts: [{ ip: 'not-an-ip', owner: 'f1', heard: true }] }), /not an IP/);
});

test('random messages round-trip, and random octets fail only with the typed error', () => {
  const random = seededRandom(5);
  const int = (n: number) => Math.floor(random() * n);
  for (let i = 0; i < 300; i++) {
    const owners = Array.from({ length: 1 + int(4) }, (_, k) => `node-${k}`);
    const message: PeerStatusMessage = {
      incarnation: int(0x100000000),
      sequence: int(0x100000000),
      node: `speaker-${int(100)}`,
      macs: Array.from({ length: int(4) }, () => Array.from({ length: 6 }, () => int(256).toString(16).padStart(2, '0')).join(':')),
      verdicts: Array.from({ length: int(20) }, () => ({
        ip: random() < 0.5 ? `10.${int(256)}.${int(256)}.${int(256)}` : `fd00::${int(0xffff).toString(16)}`,
        owner: owners[int(owners.length)]!,
        heard: random() < 0.5,
      })),
    };
    const key = random() < 0.5 ? KEY : undefined;
    assert.deepEqual(decodePeerStatus(encodePeerStatus(message, key), key), message);
  }
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: int(80) }, () => int(256)));
    if (junk.length >= 4) {
      junk[0] = 1;
      junk.writeUInt16BE(junk.length, 2);
    }
    try {
      decodePeerStatus(junk);
    } catch (err) {
      assert.ok(err instanceof PeerStatusDecodeError, `unexpected ${String(err)}`);
    }
  }
});
