import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../src/domain/doctor/index.js';
import { emptyFacts, type DoctorFacts } from '../../src/domain/doctor/facts.js';
import { walkTree, type TreeAnswers } from '../../src/domain/doctor/decision-tree.js';

const VIP = '192.168.1.200';
const PI1 = '02:00:00:00:00:11';
const PI2 = '02:00:00:00:00:12';
const STRANGER = '02:00:00:00:00:99';
const ctx = { pool: 'home-lab-pool', wiredNodes: ['pi1'], namespace: 'metallb-system' };
const unanswered: TreeAnswers = { canWireNode: null, canConfigureAp: null, routerSpeaksBgp: null };

/** A WiFi node (pi2) elected for the VIP, whose own address answers; each test adds what it saw. */
function wifiNode(over: Partial<DoctorFacts>): DoctorFacts {
  return {
    ...emptyFacts(VIP),
    allocation: { namespace: 'default', name: 'web', ips: [VIP], pool: 'home-lab-pool', reason: null, error: null },
    announcement: { node: 'pi2', reason: 'elected', interface: 'wlan0', mac: PI2, uplink: 'wireless', nodeIp: '192.168.1.12' },
    nodeMacs: { [PI1]: 'pi1', [PI2]: 'pi2' },
    probeNodeIp: { target: '192.168.1.12', sent: 3, replies: 3, macs: [PI2] },
    probeVip: { target: VIP, sent: 3, replies: 0, macs: [] },
    ...over,
  };
}

const cases: { name: string; facts: DoctorFacts; cause: string; evidence: RegExp }[] = [
  {
    name: 'a VIP answered by the elected node is healthy',
    facts: wifiNode({ probeVip: { target: VIP, sent: 3, replies: 3, macs: [PI2] } }),
    cause: 'healthy',
    evidence: /3\/3 ARP requests for 192\.168\.1\.200 answered by 02:00:00:00:00:12/,
  },
  {
    name: 'requests that never reach the node, even promiscuous, are dropped by the AP (proxy ARP / suppression)',
    facts: wifiNode({
      capture: { promiscuous: false, requestsForVip: 0, repliesForVip: 0 },
      capturePromiscuous: { promiscuous: true, requestsForVip: 0, repliesForVip: 0 },
    }),
    cause: 'ap-arp-proxy',
    evidence: /0 requests for the VIP arrived/,
  },
  {
    name: 'requests that arrive only in promiscuous mode point at the WiFi firmware filter',
    facts: wifiNode({
      capture: { promiscuous: false, requestsForVip: 0, repliesForVip: 0 },
      capturePromiscuous: { promiscuous: true, requestsForVip: 3, repliesForVip: 3 },
    }),
    cause: 'node-wifi-arp-offload',
    evidence: /arrive only in promiscuous mode \(0 without, 3 with\)/,
  },
  {
    name: 'replies that leave the node but never arrive are filtered by the AP',
    facts: wifiNode({ capture: { promiscuous: true, requestsForVip: 3, repliesForVip: 3 } }),
    cause: 'ap-garp-filter',
    evidence: /3 requests for the VIP arrived, 3 replies left/,
  },
  {
    name: 'a working VIP whose gratuitous ARP is not taken is a GARP filter (failover will be slow)',
    facts: wifiNode({ probeVip: { target: VIP, sent: 3, replies: 3, macs: [PI2] }, garp: { observerUpdated: false } }),
    cause: 'ap-garp-filter',
    evidence: /did not change an observer's neighbour table/,
  },
  {
    name: 'a node nobody reaches while stations cannot reach each other is client isolation',
    facts: wifiNode({
      probeNodeIp: { target: '192.168.1.12', sent: 3, replies: 0, macs: [] },
      nodeToNode: { from: 'pi3', to: 'pi2', reachable: false },
      nodeToGateway: { from: 'pi3', reachable: true },
    }),
    cause: 'ap-client-isolation',
    evidence: /pi3 cannot reach pi2, yet reaches the gateway/,
  },
  {
    name: 'a stranger answering for the VIP is an IP conflict',
    facts: wifiNode({ probeVip: { target: VIP, sent: 3, replies: 3, macs: [STRANGER] } }),
    cause: 'ip-conflict',
    evidence: /02:00:00:00:00:99 also answers .* not a cluster node/,
  },
  {
    name: 'two nodes answering for the VIP is a split brain, blamed on kube-proxy IPVS without strictARP',
    facts: wifiNode({ probeVip: { target: VIP, sent: 3, replies: 6, macs: [PI1, PI2] }, kubeProxy: { mode: 'ipvs', strictARP: false } }),
    cause: 'split-brain',
    evidence: /2 nodes answer for the VIP: pi1 \(02:00:00:00:00:11\), pi2/,
  },
  {
    name: 'a pending Service in an exhausted pool is pool-exhausted',
    facts: wifiNode({ allocation: { namespace: 'default', name: 'web', ips: [], pool: null, reason: 'pool-exhausted', error: 'pool home-lab-pool has no free address' } }),
    cause: 'pool-exhausted',
    evidence: /default\/web is pending: pool home-lab-pool has no free address/,
  },
  {
    name: 'an allocated VIP that nobody announces is no-advertisement',
    facts: wifiNode({ announcement: { node: null, reason: 'no-l2-advertisement', interface: null, mac: null, uplink: 'unknown', nodeIp: null } }),
    cause: 'no-advertisement',
    evidence: /nobody announces 192\.168\.1\.200: no-l2-advertisement/,
  },
  {
    name: 'without a probe nothing can be concluded',
    facts: wifiNode({ probeVip: null }),
    cause: 'unknown',
    evidence: /the VIP was not probed/,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const d = diagnose(c.facts, unanswered, ctx);
    assert.equal(d.verdict.cause, c.cause);
    assert.ok(d.verdict.evidence.some((e) => c.evidence.test(e)), d.verdict.evidence.join('\n'));
  });
}

test('the decision tree follows the field guide: wire a node, else the AP, else BGP, else static ARP', () => {
  assert.deepEqual(walkTree(unanswered), { ask: 'canWireNode' });
  assert.deepEqual(walkTree({ canWireNode: true, canConfigureAp: null, routerSpeaksBgp: null }), { outcome: 'wired-node' });
  assert.deepEqual(walkTree({ canWireNode: false, canConfigureAp: null, routerSpeaksBgp: null }), { ask: 'canConfigureAp' });
  assert.deepEqual(walkTree({ canWireNode: false, canConfigureAp: true, routerSpeaksBgp: null }), { outcome: 'ap-settings' });
  assert.deepEqual(walkTree({ canWireNode: false, canConfigureAp: false, routerSpeaksBgp: true }), { outcome: 'bgp' });
  assert.deepEqual(walkTree({ canWireNode: false, canConfigureAp: false, routerSpeaksBgp: false }), { outcome: 'static-arp' });
});

test('AP causes get the fix the tree picks; the wired-node fix is the field guide YAML with the node label command', () => {
  const facts = cases.find((c) => c.cause === 'ap-arp-proxy')!.facts;
  const ask = diagnose(facts, unanswered, ctx).fix;
  assert.deepEqual([ask.kind, ask.question], ['decide', 'canWireNode']);
  const wired = diagnose(facts, { ...unanswered, canWireNode: true }, ctx).fix;
  assert.equal(wired.kind, 'wired-node');
  assert.match(wired.manifests ?? '', /kind: L2Advertisement[\s\S]*- home-lab-pool[\s\S]*network: ethernet/);
  assert.deepEqual(wired.commands, ['kubectl label node pi1 network=ethernet --overwrite']);
  const ap = diagnose(facts, { canWireNode: false, canConfigureAp: true, routerSpeaksBgp: null }, ctx).fix;
  assert.equal(ap.kind, 'ap-settings');
  assert.ok(ap.commands.includes("uci set wireless.default_radio0.proxy_arp='0'"));
  const isolation = diagnose(cases.find((c) => c.cause === 'ap-client-isolation')!.facts, { canWireNode: false, canConfigureAp: true, routerSpeaksBgp: null }, ctx).fix;
  assert.ok(isolation.commands.includes("uci set wireless.default_radio0.isolate='0'"));
  const bgp = diagnose(facts, { canWireNode: false, canConfigureAp: false, routerSpeaksBgp: true }, ctx).fix;
  assert.equal(bgp.kind, 'bgp');
  assert.match(bgp.manifests ?? '', /kind: BGPPeer[\s\S]*kind: BGPAdvertisement/);
  const pin = diagnose(facts, { canWireNode: false, canConfigureAp: false, routerSpeaksBgp: false }, ctx).fix;
  assert.equal(pin.kind, 'static-arp');
  assert.match(pin.commands[0]!, /airlb arp-pin --vip 192\.168\.1\.200/);
});

test('node and configuration causes get their own fix without the tree', () => {
  const byCause = (cause: string) => diagnose(cases.find((c) => c.cause === cause)!.facts, unanswered, ctx).fix.kind;
  assert.equal(byCause('node-wifi-arp-offload'), 'airlb-wifi');
  assert.equal(byCause('split-brain'), 'kube-proxy');
  assert.equal(byCause('pool-exhausted'), 'config');
  assert.equal(byCause('no-advertisement'), 'config');
  assert.equal(byCause('healthy'), 'none');
});

test('requests that arrive while replies could not be counted name no cause rather than guess', () => {
  const d = diagnose(wifiNode({ capture: { promiscuous: true, requestsForVip: 4, repliesForVip: null } }), unanswered, ctx);
  assert.equal(d.verdict.cause, 'unknown');
  const capture = d.checks.find((c) => c.id === 'capture')!;
  assert.equal(capture.status, 'warning');
  assert.match(capture.detail, /4 requests for the VIP arrived, replies leaving were not counted/);
});

test('requests that arrive with no reply leaving say nothing on the node answered', () => {
  const d = diagnose(wifiNode({ capture: { promiscuous: true, requestsForVip: 4, repliesForVip: 0 } }), unanswered, ctx);
  assert.equal(d.checks.find((c) => c.id === 'capture')!.status, 'problem');
  assert.match(d.verdict.evidence.join('\n'), /nothing on the node answered/);
});

test('without any node MAC an answer is not called a conflict', () => {
  const facts = { ...emptyFacts(VIP), probeVip: { target: VIP, sent: 3, replies: 3, macs: [STRANGER] } };
  const d = diagnose(facts, unanswered, ctx);
  assert.equal(d.checks.find((c) => c.id === 'conflict')!.status, 'not-run');
  assert.equal(d.verdict.cause, 'healthy');
});

test('static ARP offered against client isolation says it only helps clients on wired ports', () => {
  const isolation = cases.find((c) => c.cause === 'ap-client-isolation')!.facts;
  const pin = diagnose(isolation, { canWireNode: false, canConfigureAp: false, routerSpeaksBgp: false }, ctx).fix;
  assert.equal(pin.kind, 'static-arp');
  assert.ok(pin.steps.some((s) => /pinning helps clients on wired ports only/.test(s)), pin.steps.join('\n'));
  const proxy = diagnose(cases.find((c) => c.cause === 'ap-arp-proxy')!.facts, { canWireNode: false, canConfigureAp: false, routerSpeaksBgp: false }, ctx).fix;
  assert.ok(!proxy.steps.some((s) => /wired ports only/.test(s)));
});
