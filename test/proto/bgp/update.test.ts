import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, parseIp, type Cidr, type Ip } from '../../../src/domain/net/ip.js';
import {
  AS_TRANS,
  BgpDecodeError,
  BgpEncodeError,
  IPV4_UNICAST,
  IPV6_UNICAST,
  SegmentType,
  WellKnownCommunity,
  decodeUpdate,
  encodeEndOfRib,
  encodeUpdate,
  updatePrefixes,
  type BgpErrorHandling,
  type DecodeOptions,
  type UpdateMessage,
} from '../../../src/proto/bgp/index.js';
import { hex } from '../../support/codec.js';

const cidr = (text: string): Cidr => parseCidr(text, true)!;
const ip = (text: string): Ip => parseIp(text)!;

/** An UPDATE (RFC 4271 §4.3) from its three fields; the two length fields and the header are computed. */
function update(withdrawn: string, attributes: string, nlri: string): Buffer {
  const w = hex(withdrawn);
  const a = hex(attributes);
  const n = hex(nlri);
  const head = Buffer.alloc(19, 0xff);
  head.writeUInt16BE(19 + 4 + w.length + a.length + n.length, 16);
  head[18] = 2;
  const wl = Buffer.alloc(2);
  wl.writeUInt16BE(w.length);
  const al = Buffer.alloc(2);
  al.writeUInt16BE(a.length);
  return Buffer.concat([head, wl, w, al, a, n]);
}

const FOUR: DecodeOptions = { fourOctetAs: true };
const TWO: DecodeOptions = { fourOctetAs: false };

const ORIGIN = '40 01 01 00'; // well-known, type 1, length 1, IGP
const AS_PATH = '40 02 06 02 01 0000fde9'; // AS_SEQUENCE of one 4-octet AS 65001
const NEXT_HOP = '40 03 04 c0000201'; // 192.0.2.1
const NLRI = '18 c63364'; // 198.51.100.0/24

test('an IPv4 UPDATE from a 2-octet-AS peer decodes every attribute and merges AS4_PATH into AS_PATH (RFC 4271 §4.3, RFC 6793 §4.2.3)', () => {
  const wire = update(
    '08 0a  # withdraw 10.0.0.0/8',
    `
    40 01 01 00                       # ORIGIN: IGP
    40 02 08 02 03 fdea fde9 5ba0     # AS_PATH: AS_SEQUENCE 65002 65001 AS_TRANS (2-octet ASNs)
    40 03 04 c0000201                 # NEXT_HOP 192.0.2.1
    80 04 04 00000064                 # MULTI_EXIT_DISC 100 (optional non-transitive)
    40 05 04 000000c8                 # LOCAL_PREF 200
    c0 08 08 fde90001 ffffff01        # COMMUNITIES 65001:1, NO_EXPORT (RFC 1997)
    c0 11 0a 02 02 0000fde9 00030d40  # AS4_PATH: AS_SEQUENCE 65001 200000
    c0 20 0c 00030d40 00000001 00000002  # LARGE_COMMUNITY 200000:1:2 (RFC 8092)
    `,
    '18 c63364  20 c000020a  # NLRI 198.51.100.0/24, 192.0.2.10/32',
  );
  const u = decodeUpdate(wire, TWO);
  assert.deepEqual(u.withdrawn, [cidr('10.0.0.0/8')]);
  assert.deepEqual(u.nlri, [cidr('198.51.100.0/24'), cidr('192.0.2.10/32')]);
  assert.deepEqual(u.attributes, {
    origin: 0,
    // AS_PATH counts 3, AS4_PATH 2: keep the leading 65002, then AS4_PATH.
    asPath: [
      { type: SegmentType.sequence, asns: [65002] },
      { type: SegmentType.sequence, asns: [65001, 200000] },
    ],
    nextHop: ip('192.0.2.1'),
    med: 100,
    localPref: 200,
    communities: [0xfde90001, WellKnownCommunity.noExport],
    largeCommunities: [{ globalAdmin: 200000, localData1: 1, localData2: 2 }],
  });
  assert.equal(u.treatAsWithdraw, false);
  assert.deepEqual(u.problems, []);
  assert.equal(u.endOfRib, null);
  assert.deepEqual(updatePrefixes(u), { withdrawn: [cidr('10.0.0.0/8')], announced: [cidr('198.51.100.0/24'), cidr('192.0.2.10/32')] });
});

test('encoding for a 2-octet peer writes AS_TRANS in AS_PATH and the real path in AS4_PATH, which decodes back (RFC 6793 §4.2.2)', () => {
  const msg: UpdateMessage = {
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: SegmentType.sequence, asns: [4200000001, 65001] }], nextHop: ip('192.0.2.1'), aggregator: { asn: 4200000001, address: ip('192.0.2.9') } },
    mpReach: null,
    mpUnreach: null,
    nlri: [cidr('198.51.100.0/24')],
  };
  const wire = encodeUpdate(msg, TWO);
  assert.ok(wire.includes(hex('40 02 06 02 02 5ba0 fde9')), 'AS_PATH with AS_TRANS');
  assert.ok(wire.includes(hex('c0 11 0a 02 02 fa56ea01 0000fde9')), 'AS4_PATH');
  assert.ok(wire.includes(hex('c0 07 06 5ba0 c0000209')), 'AGGREGATOR with AS_TRANS');
  assert.ok(wire.includes(hex('c0 12 08 fa56ea01 c0000209')), 'AS4_AGGREGATOR');
  const back = decodeUpdate(wire, TWO);
  assert.deepEqual(back.attributes, msg.attributes);
  assert.equal(AS_TRANS, 0x5ba0);
  // A 4-octet session carries the real ASNs directly and no AS4_* attributes.
  const four = encodeUpdate(msg, FOUR);
  assert.ok(!four.includes(hex('c0 11')) && four.includes(hex('40 02 0a 02 02 fa56ea01 0000fde9')));
  assert.deepEqual(decodeUpdate(four, FOUR).attributes, msg.attributes);
});

test('confederation segments stay out of AS4_PATH (RFC 6793 §3)', () => {
  const asPath = [
    { type: SegmentType.confedSequence, asns: [65100] },
    { type: SegmentType.sequence, asns: [4200000001] },
  ];
  const msg: UpdateMessage = { withdrawn: [], attributes: { origin: 0, asPath, nextHop: ip('192.0.2.1') }, mpReach: null, mpUnreach: null, nlri: [cidr('198.51.100.0/24')] };
  const wire = encodeUpdate(msg, TWO);
  assert.ok(wire.includes(hex('40 02 08 03 01 fe4c 02 01 5ba0')), 'AS_PATH keeps the confederation segment');
  assert.ok(wire.includes(hex('c0 11 06 02 01 fa56ea01')), 'AS4_PATH has only the sequence');
  assert.deepEqual(decodeUpdate(wire, TWO).attributes.asPath, asPath);
});

test('AS4_PATH is ignored when it is longer than AS_PATH, when AGGREGATOR is not AS_TRANS, and from a 4-octet peer (RFC 6793 §4.2.3, §4.1)', () => {
  const as4 = 'c0 11 0e 02 03 00030d40 00030d41 00030d42'; // three ASes
  const longer = decodeUpdate(update('', `${ORIGIN} 40 02 06 02 02 fde9 5ba0 ${NEXT_HOP} ${as4}`, NLRI), TWO);
  assert.deepEqual(longer.attributes.asPath, [{ type: 2, asns: [65001, AS_TRANS] }]);
  const aggr = decodeUpdate(update('', `${ORIGIN} 40 02 08 02 03 fdea fde9 5ba0 ${NEXT_HOP} c0 07 06 fde9 c0000209 c0 11 06 02 01 00030d40`, NLRI), TWO);
  assert.deepEqual(aggr.attributes.asPath, [{ type: 2, asns: [65002, 65001, AS_TRANS] }]);
  const fromNew = decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 11 06 02 01 00030d40`, NLRI), FOUR);
  assert.deepEqual(fromNew.attributes.asPath, [{ type: 2, asns: [65001] }]);
  assert.deepEqual(fromNew.problems, []);
});

test('an AS_SET counts as one AS when AS4_PATH is merged', () => {
  const u = decodeUpdate(update('', `${ORIGIN} 40 02 0c 02 02 fdea fde9 01 02 5ba0 fdeb ${NEXT_HOP} c0 11 0a 01 02 00030d40 0000fdeb`, NLRI), TWO);
  assert.deepEqual(u.attributes.asPath, [
    { type: SegmentType.sequence, asns: [65002, 65001] },
    { type: SegmentType.set, asns: [200000, 65003] },
  ]);
});

test('IPv6 routes travel in MP_REACH_NLRI with a global and a link-local next hop, and withdrawals in MP_UNREACH_NLRI (RFC 4760 §3–4, RFC 2545 §3)', () => {
  const wire = update(
    '',
    `
    90 0e 002c                        # MP_REACH_NLRI, optional, extended length 44
      0002 01                         # AFI IPv6, SAFI unicast
      20 fd000000000000000000000000000001 fe800000000000000000000000000001  # next hop length 32: global, link-local
      00                              # reserved
      30 20010db80001                 # 2001:db8:1::/48
    90 0f 0014                        # MP_UNREACH_NLRI, length 20
      0002 01                         # AFI IPv6, SAFI unicast
      80 20010db8000000000000000000000099  # 2001:db8::99/128
    ${ORIGIN}
    ${AS_PATH}
    `,
    '',
  );
  const u = decodeUpdate(wire, FOUR);
  assert.deepEqual(u.mpReach, { afi: 2, safi: 1, nextHops: [ip('fd00::1'), ip('fe80::1')], nlri: [cidr('2001:db8:1::/48')] });
  assert.deepEqual(u.mpUnreach, { afi: 2, safi: 1, withdrawn: [cidr('2001:db8::99/128')] });
  assert.deepEqual(u.problems, [], 'NEXT_HOP is not mandatory without classic NLRI');
  assert.deepEqual(updatePrefixes(u), { withdrawn: [cidr('2001:db8::99/128')], announced: [cidr('2001:db8:1::/48')] });
  assert.deepEqual(encodeUpdate(u, FOUR), wire, 'MP attributes first, then by type code: the same bytes');
});

test('IPv4 routes in MP_REACH_NLRI with an IPv4 or IPv6 next hop decode too (RFC 4760, RFC 8950)', () => {
  const v4nh = decodeUpdate(update('', `80 0e 0d 0001 01 04 c0000201 00 18 c63364 ${ORIGIN} ${AS_PATH}`, ''), FOUR);
  assert.deepEqual(v4nh.mpReach, { afi: 1, safi: 1, nextHops: [ip('192.0.2.1')], nlri: [cidr('198.51.100.0/24')] });
  const v6nh = decodeUpdate(update('', `80 0e 19 0001 01 10 20010db8000000000000000000000001 00 18 c63364 ${ORIGIN} ${AS_PATH}`, ''), FOUR);
  assert.deepEqual(v6nh.mpReach?.nextHops, [ip('2001:db8::1')]);
});

test('End-of-RIB is an empty UPDATE for IPv4 and an empty MP_UNREACH_NLRI for other families (RFC 4724 §2)', () => {
  const v4 = encodeEndOfRib(IPV4_UNICAST);
  assert.deepEqual(v4, hex(`${'ff'.repeat(16)} 0017 02 0000 0000`));
  assert.deepEqual(decodeUpdate(v4, FOUR).endOfRib, IPV4_UNICAST);
  const v6 = encodeEndOfRib(IPV6_UNICAST);
  assert.deepEqual(v6, hex(`${'ff'.repeat(16)} 001e 02 0000 0007 90 0f 0003 0002 01`));
  assert.deepEqual(decodeUpdate(v6, FOUR).endOfRib, IPV6_UNICAST);
  // Also with the short (non-extended) length form other speakers use.
  assert.deepEqual(decodeUpdate(update('', '80 0f 03 0002 01', ''), FOUR).endOfRib, IPV6_UNICAST);
  assert.equal(decodeUpdate(update('08 0a', '', ''), FOUR).endOfRib, null);
  assert.equal(decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, NLRI), FOUR).endOfRib, null);
});

test('trailing bits past the prefix length are cleared, so they cannot make two routes differ (RFC 4271 §4.3)', () => {
  assert.deepEqual(decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, '17 c63365'), FOUR).nlri, [cidr('198.51.100.0/23')]);
  assert.deepEqual(decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, '00'), FOUR).nlri, [cidr('0.0.0.0/0')]);
});

test('an unrecognised optional attribute is kept as received; encoding puts it back in type order', () => {
  const wire = update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP} e0 63 02 abcd`, NLRI);
  const u = decodeUpdate(wire, FOUR);
  assert.deepEqual(u.attributes.other, [{ flags: 0xe0, type: 0x63, value: hex('abcd') }]);
  assert.deepEqual(encodeUpdate(u, FOUR), wire);
});

interface Rfc7606Case {
  readonly what: string;
  readonly attributes: string;
  readonly nlri?: string;
  readonly options?: DecodeOptions;
  readonly handling: BgpErrorHandling;
  readonly code: number;
  readonly subcode: number;
  /** Notification data, when the RFC defines it. */
  readonly data?: string;
}

// One row per rule of RFC 7606 §7 (and RFC 4271 §6.3 for the code/subcode/data); the full table
// is in docs/bgp-codec.md.
const RFC7606: readonly Rfc7606Case[] = [
  { what: 'ORIGIN with an undefined value', attributes: `40 01 01 03 ${AS_PATH} ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 6, data: '40010103' },
  { what: 'ORIGIN of length 2', attributes: `40 01 02 0000 ${AS_PATH} ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 5, data: '4001020000' },
  { what: 'AS_PATH segment overrunning the attribute', attributes: `${ORIGIN} 40 02 06 02 02 0000fde9 ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 11 },
  { what: 'AS_PATH with an unknown segment type', attributes: `${ORIGIN} 40 02 06 05 01 0000fde9 ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 11 },
  { what: 'AS_PATH with a zero-length segment', attributes: `${ORIGIN} 40 02 02 02 00 ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 11 },
  { what: 'AS_PATH containing AS 0 (RFC 7607)', attributes: `${ORIGIN} 40 02 06 02 01 00000000 ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 11 },
  { what: 'AS_PATH with a confederation segment from an external peer', attributes: `${ORIGIN} 40 02 06 03 01 0000fde9 ${NEXT_HOP}`, options: { fourOctetAs: true, ebgp: true }, handling: 'treat-as-withdraw', code: 3, subcode: 11 },
  { what: 'NEXT_HOP of length 5', attributes: `${ORIGIN} ${AS_PATH} 40 03 05 c000020100`, handling: 'treat-as-withdraw', code: 3, subcode: 5 },
  { what: 'NEXT_HOP 0.0.0.0', attributes: `${ORIGIN} ${AS_PATH} 40 03 04 00000000`, handling: 'treat-as-withdraw', code: 3, subcode: 8, data: '40030400000000' },
  { what: 'NEXT_HOP multicast', attributes: `${ORIGIN} ${AS_PATH} 40 03 04 e0000001`, handling: 'treat-as-withdraw', code: 3, subcode: 8 },
  { what: 'MULTI_EXIT_DISC of length 3', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 80 04 03 000064`, handling: 'treat-as-withdraw', code: 3, subcode: 5 },
  { what: 'LOCAL_PREF of length 3 from an internal peer', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 05 03 000064`, handling: 'treat-as-withdraw', code: 3, subcode: 5 },
  { what: 'ATOMIC_AGGREGATE of length 1', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00`, handling: 'attribute-discard', code: 3, subcode: 5 },
  { what: 'AGGREGATOR of length 6 on a 4-octet session', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 07 06 fde9 c0000201`, handling: 'attribute-discard', code: 3, subcode: 5 },
  { what: 'AGGREGATOR with AS 0 (RFC 7607)', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 07 08 00000000 c0000201`, handling: 'attribute-discard', code: 3, subcode: 9 },
  { what: 'COMMUNITIES of length 6', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 06 fde90001 0000`, handling: 'treat-as-withdraw', code: 3, subcode: 9 },
  { what: 'COMMUNITIES of length 0', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 00`, handling: 'treat-as-withdraw', code: 3, subcode: 9 },
  { what: 'LARGE_COMMUNITY of length 8 (RFC 8092 §6)', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 20 08 0000fde9 00000001`, handling: 'treat-as-withdraw', code: 3, subcode: 9 },
  { what: 'ORIGIN flagged optional', attributes: `c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 4, data: 'c0010100' },
  { what: 'COMMUNITIES flagged well-known', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 08 04 fde90001`, handling: 'treat-as-withdraw', code: 3, subcode: 4 },
  { what: 'missing ORIGIN', attributes: `${AS_PATH} ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 3, data: '01' },
  { what: 'missing AS_PATH', attributes: `${ORIGIN} ${NEXT_HOP}`, handling: 'treat-as-withdraw', code: 3, subcode: 3, data: '02' },
  { what: 'missing NEXT_HOP with classic NLRI', attributes: `${ORIGIN} ${AS_PATH}`, handling: 'treat-as-withdraw', code: 3, subcode: 3, data: '03' },
  { what: 'an attribute overrunning the path attributes', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 08 fde90001`, handling: 'treat-as-withdraw', code: 3, subcode: 5 },
  { what: 'a lone octet after the last attribute', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0`, handling: 'treat-as-withdraw', code: 3, subcode: 5 },
  { what: 'a repeated COMMUNITIES', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 04 fde90001 c0 08 04 fde90002`, handling: 'attribute-discard', code: 3, subcode: 1 },
  { what: 'MP_REACH_NLRI for an AFI/SAFI airlb does not parse', attributes: `80 0e 0d 0001 80 04 c0000201 00 18 c63364 ${ORIGIN} ${AS_PATH}`, nlri: '', handling: 'attribute-discard', code: 3, subcode: 9 },
  { what: 'malformed AS4_PATH from a 2-octet peer', attributes: `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 06 02 02 00030d40`, options: TWO, handling: 'attribute-discard', code: 3, subcode: 9 },
  { what: 'AS4_PATH with confederation segments', attributes: `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 06 03 01 00030d40`, options: TWO, handling: 'attribute-discard', code: 3, subcode: 9 },
  { what: 'AS4_AGGREGATOR of length 6', attributes: `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 12 06 fde9 c0000201`, options: TWO, handling: 'attribute-discard', code: 3, subcode: 5 },
  { what: 'unrecognised well-known attribute', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 63 01 00`, handling: 'session-reset', code: 3, subcode: 2, data: '40630100' },
  { what: 'MP_REACH_NLRI twice', attributes: `80 0e 15 0002 01 10 20010db8000000000000000000000001 00 80 0e 15 0002 01 10 20010db8000000000000000000000001 00 ${ORIGIN} ${AS_PATH}`, nlri: '', handling: 'session-reset', code: 3, subcode: 1 },
  { what: 'MP_REACH_NLRI with a 5-octet next hop', attributes: `80 0e 0a 0002 01 05 0000000000 00 ${ORIGIN} ${AS_PATH}`, nlri: '', handling: 'session-reset', code: 3, subcode: 9 },
  { what: 'MP_REACH_NLRI with a /129 prefix', attributes: `80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81 ${ORIGIN} ${AS_PATH}`, nlri: '', handling: 'session-reset', code: 3, subcode: 9 },
  { what: 'MP_UNREACH_NLRI with a truncated prefix', attributes: '80 0f 05 0002 01 40 2001', nlri: '', handling: 'session-reset', code: 3, subcode: 9 },
  { what: 'MP_REACH_NLRI flagged transitive', attributes: `c0 0e 05 0002 01 00 00 ${ORIGIN} ${AS_PATH}`, nlri: '', handling: 'session-reset', code: 3, subcode: 4 },
  { what: 'an NLRI prefix of length 33', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, nlri: '21 c0000201 00', handling: 'session-reset', code: 3, subcode: 10 },
  { what: 'an NLRI prefix cut short', attributes: `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, nlri: '18 c633', handling: 'session-reset', code: 3, subcode: 10 },
];

for (const c of RFC7606) {
  test(`RFC 7606: ${c.what} is handled by ${c.handling} with NOTIFICATION ${c.code}/${c.subcode}`, () => {
    const wire = update('', c.attributes, c.nlri ?? NLRI);
    const options = c.options ?? FOUR;
    if (c.handling === 'session-reset') {
      assert.throws(
        () => decodeUpdate(wire, options),
        (err: unknown) => {
          assert.ok(err instanceof BgpDecodeError, String(err));
          assert.equal(err.handling, 'session-reset');
          assert.deepEqual([err.notification.code, err.notification.subcode], [c.code, c.subcode]);
          if (c.data !== undefined) assert.equal(err.notification.data.toString('hex'), c.data);
          return true;
        },
      );
      return;
    }
    const u = decodeUpdate(wire, options);
    const problem = u.problems.find((p) => p.handling === c.handling);
    assert.ok(problem, `expected a ${c.handling} problem, got ${u.problems.map((p) => p.message).join('; ')}`);
    assert.deepEqual([problem.notification.code, problem.notification.subcode], [c.code, c.subcode]);
    if (c.data !== undefined) assert.equal(problem.notification.data.toString('hex'), c.data);
    assert.equal(u.treatAsWithdraw, c.handling === 'treat-as-withdraw');
    if (c.handling === 'treat-as-withdraw') assert.deepEqual(updatePrefixes(u).announced, []);
  });
}

test('treat-as-withdraw turns every announced prefix, classic and MP, into a withdrawal (RFC 7606 §2)', () => {
  const u = decodeUpdate(update('08 0a', `80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001 40 01 01 07 ${AS_PATH} ${NEXT_HOP}`, NLRI), FOUR);
  assert.equal(u.treatAsWithdraw, true);
  assert.deepEqual(updatePrefixes(u), { withdrawn: [cidr('10.0.0.0/8'), cidr('198.51.100.0/24'), cidr('2001:db8:1::/48')], announced: [] });
});

test('attribute-discard drops only the bad attribute and keeps the routes; a repeat keeps the first copy', () => {
  const u = decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00 c0 08 04 fde90001 c0 08 04 fde90002`, NLRI), FOUR);
  assert.equal(u.treatAsWithdraw, false);
  assert.equal(u.attributes.atomicAggregate, undefined);
  assert.deepEqual(u.attributes.communities, [0xfde90001]);
  assert.deepEqual(u.problems.map((p) => p.handling), ['attribute-discard', 'attribute-discard']);
  assert.deepEqual(updatePrefixes(u).announced, [cidr('198.51.100.0/24')]);
});

test('LOCAL_PREF from an external peer is discarded without complaint, even when malformed (RFC 7606 §7.5)', () => {
  for (const lp of ['40 05 04 00000064', '40 05 03 000064']) {
    const u = decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${lp}`, NLRI), { fourOctetAs: true, ebgp: true });
    assert.equal(u.attributes.localPref, undefined);
    assert.deepEqual(u.problems, []);
  }
});

test('when errors of different strength meet, the strongest decides (RFC 7606 §3)', () => {
  const u = decodeUpdate(update('', `${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00 80 04 03 000064`, NLRI), FOUR);
  assert.deepEqual(u.problems.map((p) => p.handling).sort(), ['attribute-discard', 'treat-as-withdraw']);
  assert.equal(u.treatAsWithdraw, true);
  assert.throws(() => decodeUpdate(update('', `40 01 01 07 ${AS_PATH} ${NEXT_HOP} 40 63 01 00`, NLRI), FOUR), BgpDecodeError);
});

test('lengths that do not fit the message are Malformed Attribute List and reset the session (RFC 4271 §6.3)', () => {
  const tooLongWithdrawn = update('', '', '');
  tooLongWithdrawn.writeUInt16BE(1, 19);
  const tooLongAttrs = update('', '', '');
  tooLongAttrs.writeUInt16BE(1, 21);
  for (const wire of [tooLongWithdrawn, tooLongAttrs]) {
    assert.throws(
      () => decodeUpdate(wire, FOUR),
      (err: unknown) => err instanceof BgpDecodeError && err.handling === 'session-reset' && err.notification.code === 3 && err.notification.subcode === 1,
    );
  }
  assert.throws(
    () => decodeUpdate(update('21 0a000000 00', '', ''), FOUR),
    (err: unknown) => err instanceof BgpDecodeError && err.notification.subcode === 10,
    'a bad withdrawn prefix is Invalid Network Field',
  );
});

test('encodeUpdate refuses IPv6 in the classic fields and messages over 4096 octets', () => {
  const empty: UpdateMessage = { withdrawn: [], attributes: {}, mpReach: null, mpUnreach: null, nlri: [] };
  assert.throws(() => encodeUpdate({ ...empty, withdrawn: [cidr('2001:db8::/32')] }, FOUR), BgpEncodeError);
  assert.throws(() => encodeUpdate({ ...empty, attributes: { nextHop: ip('2001:db8::1') } }, FOUR), BgpEncodeError);
  assert.throws(() => encodeUpdate({ ...empty, nlri: [{ family: 4, base: 0n, prefixLength: 33 }] }, FOUR), BgpEncodeError);
  const many = Array.from({ length: 1000 }, (_, i) => ({ family: 4 as const, base: BigInt(0x0a000000 + i), prefixLength: 32 }));
  assert.throws(() => encodeUpdate({ ...empty, withdrawn: many }, FOUR), BgpEncodeError);
});
