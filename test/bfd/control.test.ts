import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BfdAuthType,
  BfdDecodeError,
  BfdDiag,
  BfdEncodeError,
  BfdState,
  decodeControl,
  encodeControl,
  type BfdControlPacket,
} from '../../src/proto/bfd/control.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// A Down packet as a peer sends it before it knows us (RFC 5880 §4.1 field by field).
const downVector = hex(`
  20          ${'' /* Vers 1 (001), Diag 0 (00000) */}
  40          ${'' /* Sta 1 = Down (01), P F C A D M all 0 */}
  05          ${'' /* Detect Mult 5 */}
  18          ${'' /* Length 24 */}
  0000abcd    ${'' /* My Discriminator 0xabcd */}
  00000000    ${'' /* Your Discriminator 0: not yet learnt */}
  000f4240    ${'' /* Desired Min TX Interval 1 000 000 µs (the §6.8.3 slow rate) */}
  0000c350    ${'' /* Required Min RX Interval 50 000 µs */}
  00000000    ${'' /* Required Min Echo RX Interval 0: no echo */}
`);

// An Up packet with Diag 3, Poll and Control Plane Independent set.
const upPollVector = hex(`
  23          ${'' /* Vers 1, Diag 3 (Neighbor Signaled Session Down) */}
  e8          ${'' /* Sta 3 = Up (11), P=1, F=0, C=1, A=0, D=0, M=0 → 1110 1000 */}
  03          ${'' /* Detect Mult 3 */}
  18          ${'' /* Length 24 */}
  00000001    ${'' /* My Discriminator 1 */}
  ffffffff    ${'' /* Your Discriminator 2^32-1 */}
  00004e20    ${'' /* Desired Min TX 20 000 µs */}
  00004e20    ${'' /* Required Min RX 20 000 µs */}
  000186a0    ${'' /* Required Min Echo RX 100 000 µs */}
`);

// Init with Final, Demand and Multipoint bits, simple password auth "secret" (§4.2.2).
const authVector = hex(`
  20 96 02 22 ${'' /* Vers 1 Diag 0; Sta 2 Init (10), P0 F1 C0 A1 D1 M0 → 1001 0110; mult 2; Length 34 */}
  00000002 00000003 ${'' /* My 2, Your 3 */}
  000003e8 000003e8 00000000 ${'' /* 1000 µs, 1000 µs, 0 */}
  01 0a 07    ${'' /* Auth Type 1 simple password, Auth Len 10 = 3 + 7, Key ID 7 */}
  736563726574 ${'' /* "secret": 6 of the 7 password octets Auth Len promises (the test appends the 7th) */}
`);

// Captured from BIRD 2.0.12 (tcpdump on the veth of test/bfd/bird-interop.test.ts): its Init
// packet at the slow rate, then its Final answering our Poll once Up.
const birdInit = hex('20 80 03 18 244761cf 2fe88da5 000f4240 0000c350 00000000');
const birdUpFinal = hex('20 d0 03 18 244761cf 2fe88da5 0000c350 0000c350 00000000');

const base: BfdControlPacket = {
  diag: 0,
  state: BfdState.down,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 1,
  yourDiscriminator: 0,
  desiredMinTxUs: 1_000_000,
  requiredMinRxUs: 50_000,
  requiredMinEchoRxUs: 0,
};

describe('BFD Control packet codec (RFC 5880 §4.1)', () => {
  it('decodes a hand-written Down packet field by field', () => {
    const p = decodeControl(downVector);
    assert.deepEqual(p, {
      diag: 0,
      state: BfdState.down,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: 5,
      myDiscriminator: 0xabcd,
      yourDiscriminator: 0,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 50_000,
      requiredMinEchoRxUs: 0,
    });
  });

  it('decodes state, diag and every flag bit from their exact positions', () => {
    const p = decodeControl(upPollVector);
    assert.equal(p.state, BfdState.up);
    assert.equal(p.diag, BfdDiag.neighborSignaledSessionDown);
    assert.equal(p.poll, true);
    assert.equal(p.final, false);
    assert.equal(p.controlPlaneIndependent, true);
    assert.equal(p.demand, false);
    assert.equal(p.multipoint, false);
    assert.equal(p.yourDiscriminator, 0xffffffff);
    assert.equal(p.requiredMinEchoRxUs, 100_000);
    assert.deepEqual(encodeControl(p), upPollVector);
  });

  it('rejects a simple-password section whose Auth Len disagrees with Length', () => {
    // Length says 34 = 24 + 10 but the payload holds only 33 octets.
    assert.throws(() => decodeControl(authVector), BfdDecodeError);
    const fixed = Buffer.concat([authVector, Buffer.from('!')]);
    const p = decodeControl(fixed);
    assert.equal(p.state, BfdState.init);
    assert.equal(p.final, true);
    assert.equal(p.demand, true);
    assert.deepEqual(p.auth, { type: BfdAuthType.simplePassword, keyId: 7, data: Buffer.from('secret!') });
    assert.deepEqual(encodeControl(p), fixed);
  });

  it('decodes packets captured from BIRD and re-encodes them byte for byte', () => {
    const init = decodeControl(birdInit);
    assert.equal(init.state, BfdState.init);
    assert.equal(init.myDiscriminator, 0x244761cf);
    assert.equal(init.yourDiscriminator, 0x2fe88da5);
    assert.equal(init.desiredMinTxUs, 1_000_000, 'BIRD idles at 1 s until Up (RFC 5880 §6.8.3)');
    const final = decodeControl(birdUpFinal);
    assert.equal(final.state, BfdState.up);
    assert.equal(final.final, true);
    assert.equal(final.poll, false);
    assert.equal(final.desiredMinTxUs, 50_000);
    assert.deepEqual(encodeControl(init), birdInit);
    assert.deepEqual(encodeControl(final), birdUpFinal);
  });

  it('encodes the Down vector byte for byte', () => {
    assert.deepEqual(encodeControl({ ...base, detectMult: 5, myDiscriminator: 0xabcd }), downVector);
  });

  it('round-trips packets with keyed MD5 and SHA1 sections of their fixed lengths', () => {
    for (const [type, digest] of [
      [BfdAuthType.keyedMd5, 16],
      [BfdAuthType.meticulousKeyedSha1, 20],
    ] as const) {
      // Reserved octet, 4-octet sequence number, digest (§4.2.3, §4.2.4).
      const data = Buffer.alloc(5 + digest, 0x5a);
      const p: BfdControlPacket = { ...base, auth: { type, keyId: 1, data } };
      const wire = encodeControl(p);
      assert.equal(wire[3], 24 + 3 + data.length);
      assert.deepEqual(decodeControl(wire), p);
    }
  });

  it('ignores octets after Length, as the UDP payload may be padded', () => {
    assert.deepEqual(decodeControl(Buffer.concat([downVector, Buffer.alloc(8)])), decodeControl(downVector));
  });

  it('rejects version 0 and version 2', () => {
    for (const first of [0x00, 0x40]) {
      const b = Buffer.from(downVector);
      b[0] = first;
      assert.throws(() => decodeControl(b), (e: unknown) => e instanceof BfdDecodeError && /version/.test(e.message));
    }
  });

  it('rejects a Length below 24, above the payload, or not 24 without the A bit', () => {
    for (const len of [0, 23, 25, 40]) {
      const b = Buffer.concat([downVector, Buffer.alloc(4)]);
      b[3] = len;
      assert.throws(() => decodeControl(b), BfdDecodeError, `Length ${len}`);
    }
  });

  it('rejects the A bit with Length 24 and keyed MD5 with the wrong Auth Len', () => {
    const a = Buffer.from(downVector);
    a[1] = a[1]! | 0x04;
    assert.throws(() => decodeControl(a), BfdDecodeError);
    const md5 = encodeControl({ ...base, auth: { type: BfdAuthType.keyedMd5, keyId: 1, data: Buffer.alloc(21) } });
    md5[25] = 23;
    md5[3] = 47;
    assert.throws(() => decodeControl(md5.subarray(0, 47)), /must be 24/);
  });

  it('fails with the typed error when truncated at every offset', () => {
    const full = encodeControl({ ...base, auth: { type: BfdAuthType.keyedSha1, keyId: 9, data: Buffer.alloc(25, 1) } });
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(() => decodeControl(full.subarray(0, cut)), BfdDecodeError, `cut at ${cut}`);
    }
    assert.equal(decodeControl(full).auth?.keyId, 9);
  });

  it('refuses to encode out-of-range fields and Poll with Final', () => {
    assert.throws(() => encodeControl({ ...base, diag: 32 }), BfdEncodeError);
    assert.throws(() => encodeControl({ ...base, detectMult: 256 }), BfdEncodeError);
    assert.throws(() => encodeControl({ ...base, myDiscriminator: -1 }), BfdEncodeError);
    assert.throws(() => encodeControl({ ...base, desiredMinTxUs: 2 ** 32 }), BfdEncodeError);
    assert.throws(() => encodeControl({ ...base, poll: true, final: true }), BfdEncodeError);
    assert.throws(() => encodeControl({ ...base, auth: { type: BfdAuthType.simplePassword, keyId: 0, data: Buffer.alloc(17) } }), BfdEncodeError);
  });

  it('survives random bytes and mutations with only the typed error, and round-trips what it accepts', () => {
    let seed = 0x12345678;
    const rand = () => {
      // xorshift32: deterministic, so a failure reproduces.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.alloc(Math.floor(rand() * 60));
        for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      } else {
        buf = Buffer.from(i % 4 === 1 ? upPollVector : Buffer.concat([authVector, Buffer.from('!')]));
        for (let k = 0; k < 3; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      }
      try {
        const p = decodeControl(buf);
        accepted++;
        if (!(p.poll && p.final)) assert.deepEqual(decodeControl(encodeControl(p)), p);
      } catch (e) {
        assert.ok(e instanceof BfdDecodeError, `unexpected ${String(e)}`);
      }
    }
    assert.ok(accepted > 1000, `the mutations should leave many packets valid, got ${accepted}`);
  });
});
