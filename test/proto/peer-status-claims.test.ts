import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HMAC_LENGTH, MAX_MESSAGE_LENGTH, PeerStatusDecodeError, PeerStatusEncodeError, decodePeerStatus, encodePeerStatus, type PeerStatusMessage } from '../../src/proto/peer-status/message.js';
import { seededRandom } from '../support/prng.js';

/*
 * The claims in the speaker status message (src/proto/peer-status/message.ts): the VIPs a speaker
 * answers for, carried as entries an older receiver reads as verdicts of the sender about itself
 * (which its tally skips), marked by the sender's own name first in the owner table.
 */

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
const isReason = (reason: string) => (e: unknown) => e instanceof PeerStatusDecodeError && e.reason === reason;

// Node "w1" with one MAC, one unheard verdict about "f1", and two claims (IPv4, IPv6).
const VECTOR = hex(`
  01                  # version 1
  00                  # flags: no HMAC
  003d                # total length 61
  0000002a            # incarnation 42
  00000007            # sequence 7
  02 7731             # node name "w1"
  01 02000000000a     # one MAC 02:00:00:00:00:0a
  02 02 7731 02 6631  # two owners: "w1" (the sender first: claims follow), "f1"
  0003                # three entries
  00 01 0a000005      # verdict: IPv4, unheard, owner 1 "f1", 10.0.0.5
  06 00 c0a801f0      # claim (0x04, 0x02 for older readers), owner 0, 192.168.1.240
  07 00 20010db8000000000000000000000001 # claim, IPv6, owner 0, 2001:db8::1
`);
const MESSAGE: PeerStatusMessage = {
  incarnation: 42,
  sequence: 7,
  node: 'w1',
  macs: ['02:00:00:00:00:0a'],
  verdicts: [{ ip: '10.0.0.5', owner: 'f1', heard: false }],
  claims: ['192.168.1.240', '2001:db8::1'],
};

// A speaker that claims nothing still says so: its name first, no entry.
const NOTHING = hex(`
  01 00 0016 00000001 00000001
  02 7731             # node "w1"
  00                  # no MAC
  01 02 7731          # one owner: the sender itself, the marker
  0000                # no entry
`);

// The same speaker as the first release sends it: no marker, so claims are unknown.
const OLD = hex(`
  01 00 0013 00000001 00000001
  02 7731 00
  00                  # no owner
  0000
`);

const KEY = Buffer.from('shared secret of the lab');

test('the claims vector decodes field by field and encodes back to the same octets', () => {
  assert.deepEqual(decodePeerStatus(VECTOR), MESSAGE);
  assert.deepEqual(encodePeerStatus(MESSAGE), VECTOR);
});

test('"claims nothing" and "claims unknown" (a first-release sender) are different messages', () => {
  const nothing: PeerStatusMessage = { incarnation: 1, sequence: 1, node: 'w1', macs: [], verdicts: [], claims: [] };
  assert.deepEqual(decodePeerStatus(NOTHING), nothing);
  assert.deepEqual(encodePeerStatus(nothing), NOTHING);
  const old = decodePeerStatus(OLD);
  assert.equal('claims' in old, false, 'no marker: the message says nothing about claims');
  assert.deepEqual(encodePeerStatus({ incarnation: 1, sequence: 1, node: 'w1', macs: [], verdicts: [] }), OLD);
});

test('an older receiver reads every claim as a heard verdict of the sender about itself', () => {
  // What the first release's decoder sees, read here from the octets: every claim entry has the
  // heard bit (0x02) and owner index 0, and owner 0 is the sender's own name.
  const ownerOffset = 12 + 3 + 7 + 1;
  assert.equal(VECTOR.toString('utf8', ownerOffset + 1, ownerOffset + 1 + VECTOR[ownerOffset]!), MESSAGE.node);
  for (const at of [37, 43]) {
    assert.equal(VECTOR[at]! & 0x06, 0x06, `entry at ${at}: claim and heard`);
    assert.equal(VECTOR[at + 1], 0, `entry at ${at}: owner index 0`);
  }
});

test('with a key the claims are covered by the HMAC', () => {
  const wire = encodePeerStatus(MESSAGE, KEY);
  assert.equal(wire.length, VECTOR.length + HMAC_LENGTH);
  assert.deepEqual(decodePeerStatus(wire, KEY), MESSAGE);
  const tampered = Buffer.from(wire);
  tampered[40] ^= 0x01; // inside the IPv4 claim
  assert.throws(() => decodePeerStatus(tampered, KEY), isReason('authentication-failed'));
});

test('every truncation of a message with claims is refused with the typed error', () => {
  const keyed = encodePeerStatus(MESSAGE, KEY);
  for (const [wire, key] of [[VECTOR, undefined], [NOTHING, undefined], [keyed, KEY]] as const) {
    for (let n = 0; n < wire.length; n++) assert.throws(() => decodePeerStatus(wire.subarray(0, n), key), PeerStatusDecodeError, `cut at ${n} of ${wire.length}`);
  }
});

test('a claim that does not name the sender listed first is refused', () => {
  const otherOwner = Buffer.from(VECTOR);
  otherOwner[38] = 1; // the IPv4 claim names "f1"
  assert.throws(() => decodePeerStatus(otherOwner), isReason('bad-claim'));
  // The sender's name not first (its first octet changed: "21"): a claim entry has no owner it may name.
  const noMarker = Buffer.from(VECTOR);
  noMarker[25] = 0x32;
  assert.throws(() => decodePeerStatus(noMarker), isReason('bad-claim'));
});

test('the encoder refuses a verdict about the sender itself (it would read as the marker) and a claim that is not an address', () => {
  assert.throws(() => encodePeerStatus({ ...MESSAGE, verdicts: [{ ip: '10.0.0.5', owner: 'w1', heard: true }] }), PeerStatusEncodeError);
  assert.throws(() => encodePeerStatus({ ...MESSAGE, claims: ['vip.example'] }), /not an IP/);
});

test('1,000 IPv4 and 1,000 IPv6 claims with 1,000 verdicts fit one datagram; past 65,507 octets the encoder refuses', () => {
  const v4 = Array.from({ length: 1000 }, (_, i) => `10.1.${i >> 8}.${i & 0xff}`);
  const v6 = Array.from({ length: 1000 }, (_, i) => `fd00::${(i + 1).toString(16)}`);
  const verdicts = Array.from({ length: 1000 }, (_, i) => ({ ip: `10.2.${i >> 8}.${i & 0xff}`, owner: `node-${i % 3}`, heard: i % 2 === 0 }));
  const message: PeerStatusMessage = { incarnation: 1, sequence: 1, node: 'speaker-1', macs: ['02:00:00:00:00:01'], verdicts, claims: [...v4, ...v6] };
  const wire = encodePeerStatus(message, KEY);
  // 1,000 × 6 (IPv4 claims) + 1,000 × 18 (IPv6 claims) + 1,000 × 6 (verdicts) + the rest.
  assert.equal(wire.length, 12 + 10 + 7 + 1 + 10 + 3 * 7 + 2 + 30_000 + HMAC_LENGTH);
  assert.deepEqual(decodePeerStatus(wire, KEY), message);
  const many6 = (n: number) => Array.from({ length: n }, (_, i) => `fd00::${(i + 1).toString(16)}`);
  assert.ok(encodePeerStatus({ ...message, verdicts: [], claims: many6(3600) }).length <= MAX_MESSAGE_LENGTH);
  assert.throws(() => encodePeerStatus({ ...message, verdicts: [], claims: many6(3700) }), PeerStatusEncodeError);
});

test('random messages with claims round-trip, and random or flipped octets fail only with the typed error', () => {
  const random = seededRandom(10);
  const int = (n: number) => Math.floor(random() * n);
  const ip = () => (random() < 0.5 ? `10.${int(256)}.${int(256)}.${int(256)}` : `fd00::${(1 + int(0xfffe)).toString(16)}`);
  for (let i = 0; i < 300; i++) {
    const owners = Array.from({ length: 1 + int(4) }, (_, k) => `node-${k}`);
    const message: PeerStatusMessage = {
      incarnation: int(0x100000000),
      sequence: int(0x100000000),
      node: `speaker-${int(100)}`,
      macs: Array.from({ length: int(4) }, () => Array.from({ length: 6 }, () => int(256).toString(16).padStart(2, '0')).join(':')),
      verdicts: Array.from({ length: int(20) }, () => ({ ip: ip(), owner: owners[int(owners.length)]!, heard: random() < 0.5 })),
      ...(random() < 0.8 ? { claims: Array.from({ length: int(20) }, ip) } : {}),
    };
    const key = random() < 0.5 ? KEY : undefined;
    assert.deepEqual(decodePeerStatus(encodePeerStatus(message, key), key), message);
  }
  const typedOrValid = (wire: Buffer, what: string) => {
    try {
      decodePeerStatus(wire);
    } catch (err) {
      assert.ok(err instanceof PeerStatusDecodeError, `${what}: unexpected ${String(err)}`);
    }
  };
  for (let i = 0; i < 2000; i++) {
    // Random entries behind a valid marker, so the claim checks are what is reached.
    const entries = Buffer.from(Array.from({ length: int(60) }, () => int(256)));
    const junk = Buffer.concat([NOTHING.subarray(0, 20), entries]);
    junk.writeUInt16BE(junk.length, 2);
    typedOrValid(junk, `junk ${i}`);
  }
  for (let at = 0; at < VECTOR.length; at++) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = Buffer.from(VECTOR);
      flipped[at] ^= 1 << bit;
      typedOrValid(flipped, `bit ${bit} of octet ${at}`);
    }
  }
});
