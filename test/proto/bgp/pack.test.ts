import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type Cidr, type Ip } from '../../../src/domain/net/ip.js';
import { BgpEncodeError, BgpFramer, SegmentType, decodeUpdate, packUpdates, updatePrefixes, type PathAttributes } from '../../../src/proto/bgp/index.js';

const ip = (text: string): Ip => parseIp(text)!;
const v4 = (i: number): Cidr => ({ family: 4, base: BigInt(0x0a000000 + i), prefixLength: 32 });
const v6 = (i: number): Cidr => ({ family: 6, base: (0x20010db8n << 96n) + BigInt(i), prefixLength: 128 });

const ATTRS: PathAttributes = {
  origin: 0,
  asPath: [{ type: SegmentType.sequence, asns: [64512] }],
  nextHop: ip('192.0.2.1'),
  med: 0,
  communities: [0xfc000064],
  largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }],
};

function decodeAll(messages: Buffer[], fourOctetAs = true) {
  return messages.map((m) => decodeUpdate(m, { fourOctetAs }));
}

test('10,000 IPv4 and 10,000 IPv6 routes pack into full 4096-octet UPDATEs that decode back to exactly the same routes and attributes', () => {
  const prefixes = [...Array.from({ length: 10_000 }, (_, i) => v4(i)), ...Array.from({ length: 10_000 }, (_, i) => v6(i))];
  const messages = packUpdates({ announce: [{ attributes: ATTRS, ipv6NextHops: [ip('2001:db8::1')], prefixes }] }, { fourOctetAs: true });
  assert.ok(messages.every((m) => m.length <= 4096));
  const decoded = decodeAll(messages);
  assert.deepEqual(decoded.flatMap((u) => updatePrefixes(u).announced), prefixes);
  for (const u of decoded) {
    assert.deepEqual(u.problems, []);
    if (u.mpReach === null) assert.deepEqual(u.attributes, ATTRS);
    else {
      const { nextHop: _omitted, ...shared } = ATTRS;
      assert.deepEqual(u.attributes, shared, 'NEXT_HOP is left out of MP-only UPDATEs');
      assert.deepEqual(u.mpReach.nextHops, [ip('2001:db8::1')]);
    }
  }
  // Every message but the last of each family is full: one more prefix would not have fitted.
  const v4msgs = messages.filter((_, i) => decoded[i]!.mpReach === null);
  const v6msgs = messages.filter((_, i) => decoded[i]!.mpReach !== null);
  for (const m of v4msgs.slice(0, -1)) assert.ok(m.length > 4096 - 5, `IPv4 UPDATE of ${m.length} octets has room for a /32`);
  for (const m of v6msgs.slice(0, -1)) assert.ok(m.length > 4096 - 17, `IPv6 UPDATE of ${m.length} octets has room for a /128`);
  assert.equal(v4msgs.length, Math.ceil(10_000 / Math.floor((4096 - (v4msgs[0]!.length - 5 * decoded[0]!.nlri.length)) / 5)));
});

test('withdrawals pack into the Withdrawn Routes field (IPv4) and MP_UNREACH_NLRI (IPv6), ahead of announcements', () => {
  const withdraw = [...Array.from({ length: 3000 }, (_, i) => v4(i)), ...Array.from({ length: 3000 }, (_, i) => v6(i))];
  const messages = packUpdates({ withdraw, announce: [{ attributes: ATTRS, prefixes: [v4(99_999)] }] }, { fourOctetAs: true });
  assert.ok(messages.every((m) => m.length <= 4096));
  const decoded = decodeAll(messages);
  assert.deepEqual(decoded.flatMap((u) => updatePrefixes(u).withdrawn), withdraw);
  assert.deepEqual(decoded.at(-1)!.nlri, [v4(99_999)]);
  assert.equal(decoded.filter((u) => u.mpUnreach !== null).length, Math.ceil((3000 * 17) / (4096 - 23 - 7)));
  assert.equal(decoded.filter((u) => u.withdrawn.length > 0).length, Math.ceil((3000 * 5) / (4096 - 23)));
});

test('several attribute groups each get their own UPDATEs, and a smaller maxLength is honoured', () => {
  const groups = [
    { attributes: ATTRS, prefixes: Array.from({ length: 50 }, (_, i) => v4(i)) },
    { attributes: { ...ATTRS, med: 10 }, prefixes: Array.from({ length: 50 }, (_, i) => v4(1000 + i)) },
  ];
  const messages = packUpdates({ announce: groups }, { fourOctetAs: true, maxLength: 256 });
  assert.ok(messages.length > 2 && messages.every((m) => m.length <= 256));
  const decoded = decodeAll(messages);
  assert.deepEqual(
    decoded.filter((u) => u.attributes.med === 10).flatMap((u) => u.nlri),
    groups[1]!.prefixes,
  );
});

test('packing for a 2-octet-AS peer adds AS4_PATH to every message and still fits 4096 octets', () => {
  const attrs = { ...ATTRS, asPath: [{ type: SegmentType.sequence, asns: [4200000001] }] };
  const prefixes = Array.from({ length: 2000 }, (_, i) => v4(i));
  const messages = packUpdates({ announce: [{ attributes: attrs, prefixes }] }, { fourOctetAs: false });
  const decoded = decodeAll(messages, false);
  assert.ok(messages.every((m) => m.length <= 4096));
  assert.deepEqual(decoded.flatMap((u) => u.nlri), prefixes);
  assert.ok(decoded.every((u) => u.attributes.asPath![0]!.asns[0] === 4200000001));
});

test('the packed stream is what a framer on the other end splits back into the same messages', () => {
  const messages = packUpdates({ announce: [{ attributes: ATTRS, prefixes: Array.from({ length: 3000 }, (_, i) => v4(i)) }] }, { fourOctetAs: true });
  const stream = Buffer.concat(messages);
  const framer = new BgpFramer();
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 1000) out.push(...framer.push(stream.subarray(i, i + 1000)));
  assert.deepEqual(out, messages);
});

test('packing refuses groups without the next hop their family needs, and nonsense limits', () => {
  const { nextHop: _omitted, ...noNextHop } = ATTRS;
  assert.throws(() => packUpdates({ announce: [{ attributes: noNextHop, prefixes: [v4(1)] }] }, { fourOctetAs: true }), BgpEncodeError);
  assert.throws(() => packUpdates({ announce: [{ attributes: ATTRS, prefixes: [v6(1)] }] }, { fourOctetAs: true }), BgpEncodeError);
  assert.throws(() => packUpdates({ announce: [{ attributes: ATTRS, ipv6NextHops: [ip('192.0.2.1')], prefixes: [v6(1)] }] }, { fourOctetAs: true }), BgpEncodeError);
  assert.throws(() => packUpdates({}, { fourOctetAs: true, maxLength: 5000 }), BgpEncodeError);
  assert.throws(() => packUpdates({}, { fourOctetAs: true, maxLength: 30 }), BgpEncodeError);
  assert.deepEqual(packUpdates({}, { fourOctetAs: true }), []);
});
