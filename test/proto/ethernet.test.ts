import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodecError } from '../../src/proto/codec-error.js';
import { decodeEthernet, encodeEthernet, EtherType } from '../../src/proto/ethernet/frame.js';
import { isMulticastMac, macFromBytes, macToBytes } from '../../src/proto/ethernet/mac.js';
import { assertTruncatedAtEveryOffset, reasonOf, xorshift32 } from '../support/codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// An untagged broadcast frame carrying 4 payload octets.
const UNTAGGED = hex(`
  ffffffffffff   # destination: broadcast
  020000000001   # source
  0806           # EtherType: ARP
  deadbeef       # payload
`.replace(/#[^\n]*/g, ''));

// The same frame with an 802.1Q tag: TPID 0x8100, PCP 5 / DEI 0 / VID 42 = 0xa02a.
const TAGGED = hex(`
  ffffffffffff 020000000001
  8100 a02a      # 802.1Q tag, VLAN 42
  0806 deadbeef
`.replace(/#[^\n]*/g, ''));

describe('Ethernet II codec', () => {
  it('decodes destination, source, EtherType and payload of an untagged frame', () => {
    const frame = decodeEthernet(UNTAGGED);
    assert.deepEqual(
      { ...frame, payload: frame.payload.toString('hex') },
      { destination: 'ff:ff:ff:ff:ff:ff', source: '02:00:00:00:00:01', etherType: EtherType.arp, vlanIds: [], payload: 'deadbeef' },
    );
  });

  it('skips an 802.1Q tag on receive and reports its VLAN ID', () => {
    const frame = decodeEthernet(TAGGED);
    assert.equal(frame.etherType, EtherType.arp);
    assert.deepEqual(frame.vlanIds, [42]);
    assert.equal(frame.payload.toString('hex'), 'deadbeef');
  });

  it('skips stacked 802.1ad + 802.1Q tags, outermost VLAN first', () => {
    const frame = decodeEthernet(hex('ffffffffffff020000000001 88a8 0064 8100 002a 86dd 00'));
    assert.deepEqual(frame.vlanIds, [100, 42]);
    assert.equal(frame.etherType, EtherType.ipv6);
  });

  it('encodes the exact bytes of the untagged vector and round-trips', () => {
    const fields = { destination: 'ff:ff:ff:ff:ff:ff', source: '02:00:00:00:00:01', etherType: EtherType.arp, payload: hex('deadbeef') };
    assert.deepEqual(encodeEthernet(fields), UNTAGGED);
    const back = decodeEthernet(encodeEthernet(fields));
    assert.deepEqual({ ...back, vlanIds: undefined }, { ...fields, vlanIds: undefined });
  });

  it('refuses an 802.3 length in the type position', () => {
    assert.equal(reasonOf(() => decodeEthernet(hex('ffffffffffff020000000001 002e 00'))), 'not-ethernet-ii');
  });

  it('reports truncation at every offset of a tagged header', () => {
    assertTruncatedAtEveryOffset(decodeEthernet, TAGGED, 'length', 18);
    assert.equal(decodeEthernet(TAGGED.subarray(0, 18)).payload.length, 0);
  });

  it('refuses malformed MAC text and EtherTypes on encode', () => {
    assert.equal(reasonOf(() => macToBytes('02:00:00:00:00')), 'invalid-value');
    assert.equal(reasonOf(() => macToBytes('02-00-00-00-00-01')), 'invalid-value');
    assert.equal(reasonOf(() => encodeEthernet({ destination: 'ff:ff:ff:ff:ff:ff', source: '02:00:00:00:00:01', etherType: 0x05ff, payload: Buffer.alloc(0) })), 'invalid-value');
  });

  it('fails only with CodecError on random input', () => {
    const next = xorshift32(0x802_0001);
    for (let i = 0; i < 20_000; i++) {
      // Mostly tag and type values, so the VLAN loop and the 802.3 check are hit often.
      const input = Buffer.alloc(Math.floor(next() * 30));
      for (let j = 0; j < input.length; j++) input[j] = next() < 0.3 ? [0x81, 0x00, 0x88, 0xa8, 0x05][Math.floor(next() * 5)]! : Math.floor(next() * 256);
      try {
        const frame = decodeEthernet(input);
        assert.ok(frame.payload.length <= input.length - 14);
      } catch (err) {
        assert.ok(err instanceof CodecError, `input ${input.toString('hex')} threw ${String(err)}`);
      }
    }
  });

  it('formats MACs lowercase and tells group addresses from unicast ones', () => {
    assert.equal(macFromBytes(macToBytes('02:AB:cd:00:00:01')), '02:ab:cd:00:00:01');
    assert.equal(isMulticastMac('33:33:ff:00:00:c8'), true);
    assert.equal(isMulticastMac('02:00:00:00:00:01'), false);
  });
});
