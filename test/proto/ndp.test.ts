import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../src/proto/codec-error.js';
import { icmpv6Checksum } from '../../src/proto/ndp/checksum.js';
import { decodeNeighborFrame, encodeNeighborFrame } from '../../src/proto/ndp/frame.js';
import { decodeIpv6, encodeIpv6 } from '../../src/proto/ndp/ipv6-header.js';
import { decodeNeighborMessage, encodeNeighborMessage, type NeighborAdvertisement, type NeighborSolicitation } from '../../src/proto/ndp/neighbor.js';
import { multicastMacFor, solicitedNodeAddress } from '../../src/proto/ndp/solicited-node.js';
import { assertTruncatedAtEveryOffset, reasonOf, xorshift32 } from '../support/codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

// fe80::1 asks who has 2001:db8::c8 (RFC 4861 §4.3), as an IPv6 packet.
const NS = hex(`
  60000000                           # version 6, traffic class 0, flow label 0 (RFC 8200 §3)
  0020                               # Payload Length 32
  3a                                 # Next Header 58: ICMPv6
  ff                                 # Hop Limit 255 (RFC 4861 §7.1.1)
  fe800000000000000000000000000001   # source fe80::1
  ff0200000000000000000001ff0000c8   # destination: solicited-node ff02::1:ff00:c8 (RFC 4291 §2.7.1)
  87                                 # ICMPv6 type 135 NS
  00                                 # code 0
  49d3                               # checksum over the pseudo-header (RFC 4443 §2.3)
  00000000                           # reserved
  20010db80000000000000000000000c8   # target 2001:db8::c8
  01 01 020000000001                 # option 1 Source Link-Layer Address, length 1 unit, MAC
`);

// Our solicited answer (RFC 4861 §4.4): S and O set, Target Link-Layer Address option.
const NA = hex(`
  60000000 0020 3a ff
  20010db80000000000000000000000c8   # source: the target itself
  fe800000000000000000000000000001   # destination: the solicitor
  88                                 # type 136 NA
  00                                 # code 0
  b81d                               # checksum
  60000000                           # R=0 S=1 O=1, reserved
  20010db80000000000000000000000c8   # target
  02 01 020000000002                 # option 2 Target Link-Layer Address
`);

const NS_MESSAGE: NeighborSolicitation = {
  kind: 'ns',
  source: 'fe80::1',
  destination: 'ff02::1:ff00:c8',
  target: '2001:db8::c8',
  sourceLinkAddr: '02:00:00:00:00:01',
};

const NA_MESSAGE: NeighborAdvertisement = {
  kind: 'na',
  source: '2001:db8::c8',
  destination: 'fe80::1',
  target: '2001:db8::c8',
  router: false,
  solicited: true,
  override: true,
  targetLinkAddr: '02:00:00:00:00:02',
};

/** Rewrites octets and, unless told otherwise, fixes the checksum so only the intended check fails. */
function mutate(packet: Buffer, offset: number, bytes: number[], fixChecksum = true): Buffer {
  const copy = Buffer.from(packet);
  Buffer.from(bytes).copy(copy, offset);
  if (fixChecksum) {
    const { header, payload } = decodeIpv6(copy);
    payload.writeUInt16BE(0, 2);
    payload.writeUInt16BE(icmpv6Checksum(header.source, header.destination, payload), 2);
  }
  return copy;
}

describe('IPv6 Neighbor Discovery codec (RFC 4861)', () => {
  it('decodes every field of a Neighbor Solicitation', () => {
    assert.deepEqual(decodeNeighborMessage(NS), NS_MESSAGE);
  });

  it('decodes every field of a solicited Neighbor Advertisement', () => {
    assert.deepEqual(decodeNeighborMessage(NA), NA_MESSAGE);
  });

  it('encodes NS and NA to the exact vectors, checksum included, and round-trips', () => {
    assert.deepEqual(encodeNeighborMessage(NS_MESSAGE), NS);
    assert.deepEqual(encodeNeighborMessage(NA_MESSAGE), NA);
    assert.deepEqual(decodeNeighborMessage(encodeNeighborMessage(NS_MESSAGE)), NS_MESSAGE);
    assert.deepEqual(decodeNeighborMessage(encodeNeighborMessage(NA_MESSAGE)), NA_MESSAGE);
  });

  it('computes the RFC 1071 sum with an odd-length message and verifies to zero', () => {
    // pseudo-header words of ::1 -> ::2: 1 + 2 + length 3 + next header 58 = 64; message 0x0102, 0x0300.
    assert.equal(icmpv6Checksum('::1', '::2', Buffer.from([1, 2, 3])), ~(64 + 0x0102 + 0x0300) & 0xffff);
    const { header, payload } = decodeIpv6(NS);
    assert.equal(icmpv6Checksum(header.source, header.destination, payload), 0);
  });

  it('derives the solicited-node address and its 33:33 MAC', () => {
    assert.equal(solicitedNodeAddress('2001:db8::1:2345:6789'), 'ff02::1:ff45:6789');
    assert.equal(solicitedNodeAddress('fe80::aabb:ccdd:eeff'), 'ff02::1:ffdd:eeff');
    assert.equal(multicastMacFor('ff02::1:ff45:6789'), '33:33:ff:45:67:89');
    assert.equal(multicastMacFor('ff02::1'), '33:33:00:00:00:01');
  });

  it('wraps an NS in a frame to the solicited-node MAC and an NA to the given unicast MAC', () => {
    const nsFrame = encodeNeighborFrame(NS_MESSAGE, '02:00:00:00:00:01');
    assert.equal(nsFrame.subarray(0, 14).toString('hex'), '3333ff0000c8' + '020000000001' + '86dd');
    const naFrame = encodeNeighborFrame(NA_MESSAGE, '02:00:00:00:00:02', '02:00:00:00:00:01');
    assert.equal(naFrame.subarray(0, 6).toString('hex'), '020000000001');
    assert.deepEqual(decodeNeighborFrame(Buffer.concat([naFrame, Buffer.alloc(6)])).message, NA_MESSAGE);
    assert.equal(reasonOf(() => encodeNeighborFrame(NA_MESSAGE, '02:00:00:00:00:02')), 'invalid-value');
    const arpFrame = Buffer.from(naFrame);
    arpFrame.writeUInt16BE(0x0806, 12);
    assert.equal(reasonOf(() => decodeNeighborFrame(arpFrame)), 'unexpected-ethertype');
  });

  it('refuses a wrong hop limit, checksum, code, type or next header with the matching reason', () => {
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 7, [64]))), 'bad-hop-limit');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 42, [0x49, 0xd4], false))), 'bad-checksum');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 41, [1]))), 'bad-icmp-code');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 40, [128]))), 'not-neighbor-discovery'); // echo request
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 6, [17], false))), 'unsupported-next-header');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 0, [0x40], false))), 'bad-version');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 4, [0, 0], false))), 'bad-length');
  });

  it('refuses multicast targets, zero-length and oversized link-layer options', () => {
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 48, [0xff, 0x02]))), 'multicast-target');
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 65, [0]))), 'bad-option-length');
    const twoUnits = encodeIpv6(decodeIpv6(NS).header, Buffer.concat([decodeIpv6(NS).payload.subarray(0, 24), hex('0102 020000000001 0000000000000000')]));
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(twoUnits, 42, [0, 0]))), 'bad-option-length');
  });

  it('skips unknown options (RFC 4861 §4.6)', () => {
    const { header, payload } = decodeIpv6(NS);
    const withNonce = encodeIpv6(header, Buffer.concat([payload, hex('0e01 112233445566')])); // Nonce option, RFC 3971
    assert.deepEqual(decodeNeighborMessage(mutate(withNonce, 42, [0, 0])), NS_MESSAGE);
  });

  it('accepts a DAD probe to the solicited-node address and refuses malformed ones', () => {
    const probe: NeighborSolicitation = { ...NS_MESSAGE, source: '::', sourceLinkAddr: null };
    assert.deepEqual(decodeNeighborMessage(encodeNeighborMessage(probe)), probe);
    assert.equal(reasonOf(() => decodeNeighborMessage(encodeNeighborMessage({ ...probe, sourceLinkAddr: '02:00:00:00:00:01' }))), 'bad-dad-probe');
    assert.equal(reasonOf(() => decodeNeighborMessage(encodeNeighborMessage({ ...probe, destination: 'ff02::1' }))), 'bad-dad-probe');
  });

  it('refuses a multicast NA with the Solicited flag and accepts an unsolicited one', () => {
    const unsolicited: NeighborAdvertisement = { ...NA_MESSAGE, destination: 'ff02::1', solicited: false };
    assert.deepEqual(decodeNeighborMessage(encodeNeighborMessage(unsolicited)), unsolicited);
    assert.equal(reasonOf(() => decodeNeighborMessage(encodeNeighborMessage({ ...unsolicited, solicited: true }))), 'solicited-to-multicast');
  });

  it('reports truncation at every offset, and ignores padding after Payload Length', () => {
    assertTruncatedAtEveryOffset(decodeNeighborMessage, NS);
    assert.deepEqual(decodeNeighborMessage(Buffer.concat([NS, Buffer.alloc(8, 0xaa)])), NS_MESSAGE);
    // A Payload Length too short for the fixed NS fields.
    assert.equal(reasonOf(() => decodeNeighborMessage(mutate(NS, 4, [0, 20], false))), 'truncated');
  });

  it('refuses malformed addresses and out-of-range header fields on encode', () => {
    assert.equal(reasonOf(() => encodeNeighborMessage({ ...NS_MESSAGE, target: '192.168.1.1' })), 'invalid-value');
    assert.equal(reasonOf(() => encodeIpv6({ ...decodeIpv6(NS).header, flowLabel: 0x100000 }, Buffer.alloc(0))), 'invalid-value');
  });

  it('fails only with CodecError on random and mutated input', () => {
    const next = xorshift32(0x4861_0001);
    const seeds = [NS, NA, encodeNeighborFrame(NS_MESSAGE, '02:00:00:00:00:01')];
    for (let i = 0; i < 20_000; i++) {
      const base = seeds[i % 3]!;
      const input = Buffer.from(next() < 0.1 ? Buffer.alloc(Math.floor(next() * 100)) : base.subarray(0, Math.floor(next() * (base.length + 1))));
      const flips = Math.floor(next() * 4);
      for (let f = 0; f < flips && input.length > 0; f++) input[Math.floor(next() * input.length)] = Math.floor(next() * 256);
      try {
        const message = i % 3 === 2 ? decodeNeighborFrame(input).message : decodeNeighborMessage(input);
        assert.deepEqual(decodeNeighborMessage(encodeNeighborMessage(message)), message);
      } catch (err) {
        assert.ok(err instanceof CodecError, `input ${input.toString('hex')} threw ${String(err)}`);
      }
    }
  });
});
