import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdjRibOut, DEFAULT_LOCAL_PREF, type RibOutContext } from '../../src/domain/bgp/adj-rib-out.js';
import { routesForPeer, type BgpRoute } from '../../src/domain/bgp/route.js';
import { IPV4_UNICAST, IPV6_UNICAST, SegmentType, decodeUpdate, updatePrefixes, type DecodedUpdate } from '../../src/proto/bgp/index.js';
import { formatCidr, parseCidr, parseIp, type Ip } from '../../src/domain/net/ip.js';

const ip = (t: string): Ip => parseIp(t)!;

const ctx: RibOutContext = {
  localAsn: 64500,
  ebgp: true,
  fourOctetAs: true,
  families: [IPV4_UNICAST, IPV6_UNICAST],
  nextHopV4: ip('192.0.2.2'),
  nextHopV6: [ip('2001:db8::2')],
};

function route(prefix: string, over: Partial<BgpRoute> = {}): BgpRoute {
  return { prefix: parseCidr(prefix, true)!, communities: [], largeCommunities: [], localPref: null, ...over };
}

const decode = (msgs: Buffer[]): DecodedUpdate[] => msgs.map((m) => decodeUpdate(m, { fourOctetAs: true }));

/** Announced and withdrawn prefixes of a batch of UPDATEs, as text, sorted; End-of-RIB markers counted apart. */
function summary(msgs: Buffer[]) {
  const announced: string[] = [];
  const withdrawn: string[] = [];
  let endOfRib = 0;
  for (const u of decode(msgs)) {
    if (u.endOfRib !== null) endOfRib++;
    const p = updatePrefixes(u);
    announced.push(...p.announced.map(formatCidr));
    withdrawn.push(...p.withdrawn.map(formatCidr));
  }
  return { announced: announced.sort(), withdrawn: withdrawn.sort(), endOfRib };
}

function v4Routes(n: number): BgpRoute[] {
  return Array.from({ length: n }, (_, i) => route(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`));
}

describe('Adj-RIB-Out', () => {
  it('sends the whole table on open, then an End-of-RIB for each negotiated family (RFC 4724 §2)', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32'), route('2001:db8:1::1/128')]);
    const s = summary(rib.open(ctx));
    assert.deepEqual(s, { announced: ['198.51.100.1/32', '2001:db8:1::1/128'], withdrawn: [], endOfRib: 2 });
    assert.equal(rib.sentCount, 2);
  });

  it('packs many prefixes with equal attributes into few UPDATEs of at most 4096 octets', () => {
    const rib = new AdjRibOut();
    rib.setDesired(v4Routes(10_000));
    const msgs = rib.open(ctx).slice(0, -2);
    assert.ok(msgs.every((m) => m.length <= 4096));
    // A /32 takes 5 octets of NLRI: about 800 per message.
    assert.ok(msgs.length <= 13, `${msgs.length} UPDATEs for 10,000 /32s`);
    assert.equal(summary(msgs).announced.length, 10_000);
  });

  it('sends only the difference afterwards: new routes, withdrawals, and a changed attribute as a plain re-announcement', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32'), route('198.51.100.2/32'), route('2001:db8:1::1/128')]);
    rib.open(ctx);
    assert.deepEqual(rib.flush(), [], 'nothing changed, nothing sent');
    rib.setDesired([route('198.51.100.1/32', { communities: [0xfde80064] }), route('198.51.100.3/32')]);
    const s = summary(rib.flush());
    assert.deepEqual(s, { announced: ['198.51.100.1/32', '198.51.100.3/32'], withdrawn: ['198.51.100.2/32', '2001:db8:1::1/128'], endOfRib: 0 });
    assert.equal(rib.sentCount, 2);
  });

  it('withdraws before it announces, so a batch never ends with a wanted prefix withdrawn', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32')]);
    rib.open(ctx);
    rib.setDesired([route('198.51.100.2/32')]);
    const [first, second] = decode(rib.flush());
    assert.equal(first!.withdrawn.length, 1);
    assert.equal(second!.nlri.length, 1);
  });

  it('sends eBGP peers our AS as the path and no LOCAL_PREF, iBGP peers an empty path and LOCAL_PREF (RFC 4271 §5.1)', () => {
    const routes = [route('198.51.100.1/32', { localPref: 250, communities: [0xffffff01], largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }] }), route('198.51.100.9/32')];
    const ebgp = new AdjRibOut();
    ebgp.setDesired(routes);
    const [e] = decode(ebgp.open(ctx));
    assert.deepEqual(e!.attributes.asPath, [{ type: SegmentType.sequence, asns: [64500] }]);
    assert.equal(e!.attributes.localPref, undefined);
    assert.equal(e!.attributes.origin, 0);
    assert.deepEqual(e!.attributes.nextHop, ip('192.0.2.2'));
    assert.deepEqual(e!.attributes.communities, [0xffffff01]);
    assert.deepEqual(e!.attributes.largeCommunities, [{ globalAdmin: 1, localData1: 2, localData2: 3 }]);

    const ibgp = new AdjRibOut();
    ibgp.setDesired(routes);
    const updates = decode(ibgp.open({ ...ctx, ebgp: false })).filter((u) => u.nlri.length > 0);
    assert.deepEqual(updates.map((u) => u.attributes.asPath), [[], []]);
    assert.deepEqual(updates.map((u) => u.attributes.localPref!).sort((a, b) => a - b), [DEFAULT_LOCAL_PREF, 250]);
  });

  it('carries IPv6 routes in MP_REACH_NLRI with the IPv6 next hop and no NEXT_HOP attribute (RFC 4760 §3)', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('2001:db8:1::1/128')]);
    const [u] = decode(rib.open(ctx));
    assert.deepEqual(u!.mpReach?.nextHops, [ip('2001:db8::2')]);
    assert.equal(u!.attributes.nextHop, undefined);
  });

  it('holds back routes of a family that was not negotiated or has no next hop, and counts them', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32'), route('2001:db8:1::1/128'), route('2001:db8:1::2/128')]);
    const s = summary(rib.open({ ...ctx, families: [IPV4_UNICAST] }));
    assert.deepEqual(s.announced, ['198.51.100.1/32']);
    assert.equal(rib.unsendableCount, 2);
    const noV6Hop = new AdjRibOut();
    noV6Hop.setDesired([route('2001:db8:1::1/128')]);
    assert.deepEqual(summary(noV6Hop.open({ ...ctx, nextHopV6: null })).announced, []);
  });

  it('re-sends every route of the asked family on ROUTE-REFRESH, and nothing before the session is open', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32'), route('2001:db8:1::1/128')]);
    assert.deepEqual(rib.flush(), []);
    assert.deepEqual(rib.refresh(IPV4_UNICAST), []);
    rib.open(ctx);
    assert.deepEqual(summary(rib.refresh(IPV4_UNICAST)).announced, ['198.51.100.1/32']);
    assert.deepEqual(summary(rib.refresh(IPV6_UNICAST)).announced, ['2001:db8:1::1/128']);
  });

  it('forgets what was sent when the session closes, and sends everything again on the next open', () => {
    const rib = new AdjRibOut();
    rib.setDesired([route('198.51.100.1/32')]);
    rib.open(ctx);
    rib.close();
    assert.equal(rib.sentCount, 0);
    assert.deepEqual(summary(rib.open(ctx)).announced, ['198.51.100.1/32']);
  });
});

describe('routesForPeer', () => {
  it('keeps the announcements of this node towards this peer and parses their prefix and communities', () => {
    const routes = routesForPeer(
      [
        { prefix: '198.51.100.1/32', node: 'n1', peers: ['bird', 'gobgp'], communities: ['65000:100', 'large:1:2:3', '65535:65281'], localPref: 50, services: ['default/a'] },
        { prefix: '198.51.100.2/32', node: 'n2', peers: ['bird'], communities: [], localPref: null, services: ['default/b'] },
        { prefix: '198.51.100.3/32', node: 'n1', peers: ['gobgp'], communities: [], localPref: null, services: ['default/c'] },
      ],
      'n1',
      'bird',
    );
    assert.equal(routes.length, 1);
    assert.equal(formatCidr(routes[0]!.prefix), '198.51.100.1/32');
    assert.deepEqual(routes[0]!.communities, [65000 * 65536 + 100, 0xffffff01]);
    assert.deepEqual(routes[0]!.largeCommunities, [{ globalAdmin: 1, localData1: 2, localData2: 3 }]);
    assert.equal(routes[0]!.localPref, 50);
  });
});
