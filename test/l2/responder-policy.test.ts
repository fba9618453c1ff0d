import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponderContext } from '../../src/domain/l2/responder-context.js';
import {
  ARP_REASONS,
  NS_REASONS,
  decideArp,
  decideNs,
  type ArpFacts,
  type NsFacts,
} from '../../src/domain/l2/responder-policy.js';
import { countReason, emptyReasonCounts } from '../../src/domain/l2/reason-counts.js';
import { AirlbError } from '../../src/errors.js';

// This node: eth0 answers for 192.168.1.240 and 2001:db8::240; wlan0 answers for 192.168.1.241;
// eth1 (another segment) answers for nothing but its MAC is still ours.
const ETH0 = '02:a1:00:00:00:01';
const WLAN0 = '02:a1:00:00:00:02';
const ETH1 = '02:a1:00:00:00:03';
const CLIENT = 'aa:bb:cc:00:00:10';
const ctx = buildResponderContext([
  { ifname: 'eth0', mac: ETH0, vips: ['192.168.1.240', '2001:DB8:0::240'] },
  { ifname: 'wlan0', mac: WLAN0.toUpperCase(), vips: ['192.168.1.241'] },
  { ifname: 'eth1', mac: ETH1, vips: [] },
]);

const arp = (over: Partial<ArpFacts>): ArpFacts => ({
  op: 1,
  senderIp: '192.168.1.10',
  senderMac: CLIENT,
  targetIp: '192.168.1.240',
  ifname: 'eth0',
  ...over,
});

const arpTable: Array<[string, ArpFacts, string, string | null]> = [
  ['a request for a VIP owned on the receiving interface', arp({}), 'owner', ETH0],
  ['a request on wlan0 for its VIP, answered with wlan0\'s own MAC', arp({ ifname: 'wlan0', targetIp: '192.168.1.241' }), 'owner', WLAN0],
  ['an RFC 5227 probe (sender 0.0.0.0) for an owned VIP', arp({ senderIp: '0.0.0.0' }), 'defend-probe', ETH0],
  ['a reply', arp({ op: 2 }), 'not-a-request', null],
  ['an unknown opcode (RARP request, RFC 903)', arp({ op: 3 }), 'not-a-request', null],
  ['our own request seen on another of our interfaces', arp({ senderMac: ETH1, ifname: 'eth0' }), 'self-sender', null],
  ['our own probe seen on another of our interfaces', arp({ senderMac: WLAN0, senderIp: '0.0.0.0' }), 'probe-from-us', null],
  ['a gratuitous ARP request for the VIP from someone else', arp({ senderIp: '192.168.1.240' }), 'gratuitous', null],
  ['a request for a node IP', arp({ targetIp: '192.168.1.11' }), 'not-owner', null],
  ['a request for the gateway', arp({ targetIp: '192.168.1.1' }), 'not-owner', null],
  ['a request for a VIP of another pool nobody here owns', arp({ targetIp: '10.0.0.240' }), 'not-owner', null],
  ['a request for a VIP owned on wlan0 arriving on eth0', arp({ targetIp: '192.168.1.241' }), 'wrong-interface', null],
  ['a request arriving on an interface that answers for nothing', arp({ ifname: 'eth1' }), 'wrong-interface', null],
  ['a request arriving on an interface unknown to the context', arp({ ifname: 'eth9' }), 'wrong-interface', null],
];

for (const [what, request, reason, mac] of arpTable) {
  test(`ARP: ${what} → ${mac === null ? 'ignore' : 'answer'} (${reason})`, () => {
    const decision = decideArp(request, ctx);
    assert.equal(decision.reason, reason);
    if (mac === null) assert.equal(decision.action, 'ignore');
    else assert.deepEqual(decision, { action: 'answer', reason, mac });
  });
}

const ns = (over: Partial<NsFacts>): NsFacts => ({
  targetIp: '2001:db8::240',
  sourceIp: '2001:db8::10',
  sourceLinkAddr: CLIENT,
  frameSource: CLIENT,
  hopLimit: 255,
  ifname: 'eth0',
  ...over,
});

test('NS: a solicitation for an owned VIP gets a solicited, overriding NA back to the asker', () => {
  assert.deepEqual(decideNs(ns({}), ctx), {
    action: 'answer',
    reason: 'owner',
    mac: ETH0,
    destinationIp: '2001:db8::10',
    destinationMac: CLIENT,
    solicited: true,
    override: true,
  });
});

test('NS: a unicast NS without a source link-layer option is answered to the frame\'s source MAC', () => {
  const decision = decideNs(ns({ sourceLinkAddr: null, frameSource: 'aa:bb:cc:00:00:99' }), ctx);
  assert.equal(decision.action, 'answer');
  assert.equal(decision.action === 'answer' && decision.destinationMac, 'aa:bb:cc:00:00:99');
});

test('NS: a DAD probe for an owned VIP is defended with an unsolicited NA to all-nodes (RFC 4861 §7.2.4)', () => {
  assert.deepEqual(decideNs(ns({ sourceIp: '::', sourceLinkAddr: null }), ctx), {
    action: 'answer',
    reason: 'defend-dad',
    mac: ETH0,
    destinationIp: 'ff02::1',
    destinationMac: '33:33:00:00:00:01',
    solicited: false,
    override: true,
  });
});

const nsIgnored: Array<[string, NsFacts, string]> = [
  ['a hop limit below 255 (forwarded by a router)', ns({ hopLimit: 254 }), 'bad-hop-limit'],
  ['our own NS seen on another interface', ns({ frameSource: ETH1 }), 'self-sender'],
  ['our own DAD probe seen on another interface', ns({ frameSource: WLAN0, sourceIp: '::', sourceLinkAddr: null }), 'probe-from-us'],
  ['a DAD probe carrying a source link-layer option (invalid, RFC 4861 §7.1.1)', ns({ sourceIp: '::' }), 'dad-with-source-link-addr'],
  ['a solicitation for a node address', ns({ targetIp: '2001:db8::11' }), 'not-owner'],
  ['a solicitation for an owned VIP on the wrong interface', ns({ ifname: 'wlan0' }), 'wrong-interface'],
];

for (const [what, solicitation, reason] of nsIgnored) {
  test(`NS: ${what} → ignore (${reason})`, () => {
    assert.deepEqual(decideNs(solicitation, ctx), { action: 'ignore', reason });
  });
}

test('a released VIP is no longer answered: the context without it says not-owner', () => {
  const released = buildResponderContext([{ ifname: 'eth0', mac: ETH0, vips: [] }]);
  assert.equal(decideArp(arp({}), released).reason, 'not-owner');
  assert.equal(decideNs(ns({}), released).reason, 'not-owner');
});

test('reason counters start every reason at zero and count each decision once', () => {
  const counts = emptyReasonCounts(ARP_REASONS);
  assert.deepEqual(Object.values(counts), ARP_REASONS.map(() => 0));
  for (const [, request] of arpTable) countReason(counts, decideArp(request, ctx));
  assert.equal(counts.owner, 2);
  assert.equal(counts['wrong-interface'], 3);
  assert.equal(counts['not-owner'], 3);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), arpTable.length);
  const nsCounts = emptyReasonCounts(NS_REASONS);
  const counted = countReason(nsCounts, decideNs(ns({ hopLimit: 1 }), ctx));
  assert.equal(counted.reason, 'bad-hop-limit');
  assert.equal(nsCounts['bad-hop-limit'], 1);
});

test('the context refuses a malformed MAC, a malformed VIP and a duplicate interface with typed errors', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof AirlbError ? err.code : 'not-an-AirlbError';
    }
    return undefined;
  };
  assert.equal(code(() => buildResponderContext([{ ifname: 'eth0', mac: '02:a1:00:00:00', vips: [] }])), 'l2-bad-mac');
  assert.equal(code(() => buildResponderContext([{ ifname: 'eth0', mac: ETH0, vips: ['192.168.1.300'] }])), 'l2-bad-vip');
  assert.equal(
    code(() => buildResponderContext([{ ifname: 'eth0', mac: ETH0, vips: [] }, { ifname: 'eth0', mac: ETH1, vips: [] }])),
    'l2-duplicate-interface',
  );
});
