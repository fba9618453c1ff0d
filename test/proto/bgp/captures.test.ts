import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatCidr, formatIp } from '../../../src/domain/net/ip.js';
import {
  BgpDecodeError,
  BgpFramer,
  CeaseSubcode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  decodeMessage,
  decodeUpdate,
  encodeOpen,
  encodeUpdate,
  openAsn,
  shutdownCommunication,
  updatePrefixes,
  type BgpMessage,
  type DecodedUpdate,
  type OpenMessage,
} from '../../../src/proto/bgp/index.js';

/** The messages of one capture (test/fixtures/bgp/DAEMON.hex, written by test/proto/bgp/capture/capture.ts). */
function capture(daemon: string): Buffer[] {
  const text = readFileSync(new URL(`../../fixtures/bgp/${daemon}.hex`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => Buffer.from(line, 'hex'));
}

/** Decodes a capture the way a session does: 4-octet AS once both OPENs offered it (ours always does). */
function decodeCapture(daemon: string): BgpMessage[] {
  let fourOctetAs = false;
  return capture(daemon).map((msg) => {
    const m = decodeMessage(msg, { fourOctetAs, ebgp: true });
    if (m.kind === 'open') fourOctetAs = m.open.capabilities.fourOctetAs !== null;
    return m;
  });
}

const DAEMONS = ['bird', 'gobgp', 'frr'] as const;
const opens = (ms: BgpMessage[]): OpenMessage[] => ms.flatMap((m) => (m.kind === 'open' ? [m.open] : []));
const updates = (ms: BgpMessage[]): DecodedUpdate[] => ms.flatMap((m) => (m.kind === 'update' ? [m.update] : []));

/** Route → summary, e.g. "198.51.100.0/24 via 10.179.0.1 path 64512 med 50 comm 64512:100 large 64512:1:2". */
function routes(ms: BgpMessage[]): string[] {
  const out: string[] = [];
  for (const u of updates(ms)) {
    assert.deepEqual(u.problems, [], 'a real daemon sends nothing malformed');
    const a = u.attributes;
    const path = (a.asPath ?? []).flatMap((s) => s.asns).join(' ');
    const extras = [
      a.med !== undefined ? `med ${a.med}` : '',
      ...(a.communities ?? []).map((c) => `comm ${c >>> 16}:${c & 0xffff}`),
      ...(a.largeCommunities ?? []).map((c) => `large ${c.globalAdmin}:${c.localData1}:${c.localData2}`),
    ].filter((s) => s !== '');
    for (const p of u.nlri) out.push([formatCidr(p), 'via', formatIp(a.nextHop!), 'origin', a.origin, 'path', path, ...extras].join(' '));
    for (const p of u.mpReach?.nlri ?? []) out.push([formatCidr(p), 'via', formatIp(u.mpReach!.nextHops[0]!), 'origin', a.origin, 'path', path, ...extras].join(' '));
  }
  return out.sort();
}

test('BIRD 2.0.12: OPEN, KEEPALIVE, IPv4 and IPv6 routes with MED and (large) communities, both End-of-RIBs, and a shutdown NOTIFICATION', () => {
  const ms = decodeCapture('bird');
  assert.deepEqual(ms.map((m) => m.kind), ['open', 'keepalive', 'update', 'update', 'update', 'update', 'notification']);
  const [open] = opens(ms);
  assert.equal(openAsn(open!), 64512);
  assert.equal(open!.holdTime, 240);
  assert.equal(formatIp({ family: 4, value: BigInt(open!.bgpId) }), '10.179.0.1');
  assert.deepEqual(open!.capabilities.multiprotocol, [IPV4_UNICAST, IPV6_UNICAST]);
  assert.equal(open!.capabilities.routeRefresh, true);
  assert.deepEqual(open!.capabilities.gracefulRestart?.families.map((f) => [f.afi, f.safi]), [[1, 1], [2, 1]]);
  assert.deepEqual(routes(ms), [
    '198.51.100.0/24 via 10.179.0.1 origin 0 path 64512 med 50 comm 64512:100 large 64512:1:2',
    '2001:db8:100::/48 via fd00:179::1 origin 0 path 64512 comm 64512:600',
    '203.0.113.128/25 via 10.179.0.1 origin 0 path 64512 med 50 comm 64512:100 large 64512:1:2',
  ]);
  // BIRD adds its link-local address as the second IPv6 next hop (RFC 2545 §3).
  const v6 = updates(ms).find((u) => u.mpReach !== null)!;
  assert.equal(v6.mpReach!.nextHops.length, 2);
  assert.ok(formatIp(v6.mpReach!.nextHops[1]!).startsWith('fe80::'));
  assert.deepEqual(updates(ms).flatMap((u) => (u.endOfRib ? [u.endOfRib] : [])), [IPV4_UNICAST, IPV6_UNICAST]);
  const last = ms.at(-1)!;
  assert.ok(last.kind === 'notification');
  assert.deepEqual([last.notification.code, last.notification.subcode], [6, CeaseSubcode.administrativeShutdown]);
  assert.equal(shutdownCommunication(last.notification), 'airlb capture done');
});

test('GoBGP 3.10.0 with a 4-octet AS: AS_TRANS in the OPEN, the real AS from the capability and in AS_PATH', () => {
  const ms = decodeCapture('gobgp');
  const [open] = opens(ms);
  assert.equal(open!.myAs, 23456);
  assert.equal(openAsn(open!), 4200000001);
  assert.deepEqual(open!.capabilities.multiprotocol, [IPV4_UNICAST, IPV6_UNICAST]);
  assert.deepEqual(routes(ms), [
    '198.51.100.0/24 via 10.179.0.1 origin 2 path 4200000001 med 50 comm 64512:100 large 4200000001:1:2',
    '2001:db8:100::/48 via fd00:179::1 origin 2 path 4200000001 comm 64512:600',
    '203.0.113.128/25 via 10.179.0.1 origin 2 path 4200000001',
  ]);
  assert.deepEqual(updates(ms).flatMap((u) => (u.endOfRib ? [u.endOfRib] : [])), [IPV6_UNICAST, IPV4_UNICAST]);
  const last = ms.at(-1)!;
  assert.ok(last.kind === 'notification' && last.notification.code === 6 && last.notification.subcode === 2);
  assert.equal(shutdownCommunication(last.notification), null, 'GoBGP sent no shutdown message');
});

test('FRR 8.4.4: one capability per optional parameter, graceful restart with R and N bits, extended-length AS_PATH', () => {
  const ms = decodeCapture('frr');
  const [open] = opens(ms);
  assert.equal(openAsn(open!), 64514);
  assert.equal(open!.holdTime, 180);
  assert.deepEqual(open!.capabilities.multiprotocol, [IPV4_UNICAST, IPV6_UNICAST]);
  assert.equal(open!.capabilities.routeRefresh, true);
  assert.equal(open!.capabilities.gracefulRestart?.restarting, true);
  assert.equal(open!.capabilities.gracefulRestart?.notification, true);
  assert.equal(open!.capabilities.gracefulRestart?.restartTime, 120);
  assert.deepEqual(routes(ms), [
    '198.51.100.0/24 via 10.179.0.1 origin 0 path 64514 med 50 comm 64514:100 large 64514:1:2',
    '2001:db8:100::/48 via fd00:179::1 origin 0 path 64514 med 0',
    '203.0.113.128/25 via 10.179.0.1 origin 0 path 64514 med 0',
  ]);
  const last = ms.at(-1)!;
  assert.ok(last.kind === 'notification');
  assert.equal(shutdownCommunication(last.notification), 'airlb capture done');
});

for (const daemon of DAEMONS) {
  test(`${daemon}: re-encoding every captured OPEN and UPDATE decodes to the same values`, () => {
    const ms = decodeCapture(daemon);
    for (const open of opens(ms)) assert.deepEqual(decodeMessage(encodeOpen(open), { fourOctetAs: true }), { kind: 'open', open });
    for (const u of updates(ms)) {
      const again = decodeUpdate(encodeUpdate(u, { fourOctetAs: true }), { fourOctetAs: true, ebgp: true });
      assert.deepEqual(again, u);
      assert.deepEqual(updatePrefixes(again), updatePrefixes(u));
    }
  });

  test(`${daemon}: the captured stream split at every offset, and byte by byte, frames into the same messages`, () => {
    const messages = capture(daemon);
    const stream = Buffer.concat(messages);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new BgpFramer();
      const out = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      assert.deepEqual(out, messages, `split at ${cut}`);
      assert.equal(framer.buffered, 0);
    }
    const framer = new BgpFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...framer.push(stream.subarray(i, i + 1)));
    assert.deepEqual(out, messages);
  });
}

test('the framer reports a bad header as soon as its 19 octets arrive, and keeps failing afterwards', () => {
  const framer = new BgpFramer();
  const bad = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0x13, 0x88, 0x02])]); // length 5000
  assert.deepEqual(framer.push(bad.subarray(0, 18)), []);
  const isBadLength = (err: unknown) => err instanceof BgpDecodeError && err.notification.code === 1 && err.notification.subcode === 2 && err.notification.data.equals(Buffer.from([0x13, 0x88]));
  assert.throws(() => framer.push(bad.subarray(18)), isBadLength);
  assert.throws(() => framer.push(capture('bird')[1]!), isBadLength);
  const desync = new BgpFramer();
  assert.throws(() => desync.push(Buffer.alloc(19)), (err: unknown) => err instanceof BgpDecodeError && err.notification.subcode === 1);
});
