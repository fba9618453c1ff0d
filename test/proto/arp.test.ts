import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arpAnnouncement, arpProbe, arpReplyTo, arpRequest, classifyArp, gratuitousArpReply } from '../../src/proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/proto/arp/frame.js';
import { ArpOp, decodeArp, encodeArp, type ArpPacket } from '../../src/proto/arp/packet.js';
import { CodecError } from '../../src/proto/codec-error.js';
import { assertTruncatedAtEveryOffset, reasonOf, xorshift32 } from '../support/codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

// "Who has 192.168.1.200? Tell 192.168.1.10" (RFC 826 field order).
const REQUEST = hex(`
  0001           # ar$hrd: Ethernet
  0800           # ar$pro: IPv4
  06             # ar$hln
  04             # ar$pln
  0001           # ar$op: request
  020000000001   # ar$sha
  c0a8010a       # ar$spa 192.168.1.10
  000000000000   # ar$tha: unknown
  c0a801c8       # ar$tpa 192.168.1.200
`);

// The reply from 02:00:00:00:00:02, inside its Ethernet frame.
const REPLY_FRAME = hex(`
  020000000001   # Ethernet destination: the requester
  020000000002   # Ethernet source
  0806           # EtherType ARP
  0001 0800 06 04
  0002           # ar$op: reply
  020000000002   # ar$sha: our MAC
  c0a801c8       # ar$spa 192.168.1.200
  020000000001   # ar$tha
  c0a8010a       # ar$tpa 192.168.1.10
`);

const REQUEST_PACKET: ArpPacket = {
  op: ArpOp.request,
  senderMac: '02:00:00:00:00:01',
  senderIp: '192.168.1.10',
  targetMac: '00:00:00:00:00:00',
  targetIp: '192.168.1.200',
};

describe('ARP codec (RFC 826)', () => {
  it('decodes every field of a request', () => {
    assert.deepEqual(decodeArp(REQUEST), REQUEST_PACKET);
  });

  it('encodes a request to the exact vector and round-trips', () => {
    assert.deepEqual(encodeArp(REQUEST_PACKET), REQUEST);
    assert.deepEqual(decodeArp(encodeArp(REQUEST_PACKET)), REQUEST_PACKET);
  });

  it('builds the reply frame unicast to the requester from our MAC', () => {
    const reply = arpReplyTo(REQUEST_PACKET, '02:00:00:00:00:02');
    assert.deepEqual(encodeArpFrame(reply), REPLY_FRAME);
    assert.deepEqual(decodeArpFrame(REPLY_FRAME).arp, reply);
  });

  it('ignores Ethernet padding after the 28 ARP octets', () => {
    const padded = Buffer.concat([REQUEST, Buffer.alloc(18)]);
    assert.deepEqual(decodeArp(padded), REQUEST_PACKET);
  });

  it('refuses other hardware types, protocol types, address lengths and opcodes by reason', () => {
    const mutate = (offset: number, bytes: number[]): Buffer => {
      const copy = Buffer.from(REQUEST);
      Buffer.from(bytes).copy(copy, offset);
      return copy;
    };
    assert.equal(reasonOf(() => decodeArp(mutate(0, [0x00, 0x06]))), 'unsupported-hardware-type'); // IEEE 802
    assert.equal(reasonOf(() => decodeArp(mutate(2, [0x86, 0xdd]))), 'unsupported-protocol-type');
    assert.equal(reasonOf(() => decodeArp(mutate(4, [8]))), 'bad-address-length');
    assert.equal(reasonOf(() => decodeArp(mutate(5, [16]))), 'bad-address-length');
    assert.equal(reasonOf(() => decodeArp(mutate(6, [0x00, 0x03]))), 'unsupported-opcode'); // RARP request
  });

  it('refuses a non-ARP frame in decodeArpFrame', () => {
    const ipv4 = Buffer.from(REPLY_FRAME);
    ipv4.writeUInt16BE(0x0800, 12);
    assert.equal(reasonOf(() => decodeArpFrame(ipv4)), 'unexpected-ethertype');
  });

  it('reports truncation at every offset', () => {
    assertTruncatedAtEveryOffset(decodeArp, REQUEST);
    assertTruncatedAtEveryOffset(decodeArpFrame, REPLY_FRAME, 'frame length');
  });

  it('builds an RFC 5227 probe with sender IP 0.0.0.0, broadcast, and classifies it', () => {
    const probe = arpProbe({ senderMac: '02:00:00:00:00:02', ip: '192.168.1.200' });
    const frame = encodeArpFrame(probe);
    assert.equal(frame.subarray(0, 6).toString('hex'), 'ffffffffffff');
    assert.equal(frame.subarray(14 + 14, 14 + 18).toString('hex'), '00000000'); // ar$spa
    assert.equal(classifyArp(decodeArpFrame(frame).arp), 'probe');
  });

  it('builds gratuitous announcements and replies with sender IP = target IP', () => {
    const announcement = arpAnnouncement({ senderMac: '02:00:00:00:00:02', ip: '192.168.1.200' });
    assert.deepEqual(
      [announcement.op, announcement.senderIp, announcement.targetIp, announcement.targetMac],
      [ArpOp.request, '192.168.1.200', '192.168.1.200', '00:00:00:00:00:00'],
    );
    assert.equal(classifyArp(announcement), 'announcement');
    const reply = gratuitousArpReply({ senderMac: '02:00:00:00:00:02', ip: '192.168.1.200' });
    assert.equal(classifyArp(reply), 'gratuitous-reply');
    // Both are broadcast: every neighbour's cache must see them.
    assert.equal(encodeArpFrame(reply).subarray(0, 6).toString('hex'), 'ffffffffffff');
    assert.equal(classifyArp(arpRequest({ senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' })), 'request');
    assert.equal(classifyArp(arpReplyTo(REQUEST_PACKET, '02:00:00:00:00:02')), 'reply');
  });

  it('refuses to encode a malformed IPv4 address', () => {
    assert.equal(reasonOf(() => encodeArp({ ...REQUEST_PACKET, targetIp: '192.168.1.300' })), 'invalid-value');
    assert.equal(reasonOf(() => encodeArp({ ...REQUEST_PACKET, targetIp: '::1' })), 'invalid-value');
  });

  it('fails only with CodecError on random and mutated input', () => {
    const next = xorshift32(0x5eed_0826);
    for (let i = 0; i < 20_000; i++) {
      const base = i % 2 === 0 ? REPLY_FRAME : Buffer.alloc(Math.floor(next() * 64));
      const input = Buffer.from(base);
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips && input.length > 0; f++) input[Math.floor(next() * input.length)] = Math.floor(next() * 256);
      try {
        const { arp } = decodeArpFrame(input);
        assert.deepEqual(decodeArp(encodeArp(arp)), arp);
      } catch (err) {
        assert.ok(err instanceof CodecError, `input ${input.toString('hex')} threw ${String(err)}`);
      }
    }
  });
});
