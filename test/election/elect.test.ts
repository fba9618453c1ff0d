import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirlbError } from '../../src/errors.js';
import { electL2, explainL2 } from '../../src/domain/election/elect.js';
import { EXCLUDE_FROM_LB_LABEL } from '../../src/domain/election/eligibility.js';
import { assumedSpeakers, UPLINK_LABEL } from '../../src/domain/election/speakers.js';
import { assign, cluster, l2adv, matchLabels, node, pool, service, slice, speaker } from './builders.js';

// sha256(node + "#" + ip), computed independently with Python's hashlib:
//   192.168.1.240: nuc 3ee400ed…, pi-1 47f3c840…, pi-2 97bb96df…, pi-3 9ddb5dac…
//   2001:db8::10:  pi-2 0a47a1b2…, pi-3 4fe37c79…, pi-1 5fce70e3…, nuc 8fa5a5cf…
const NODES = ['pi-1', 'pi-2', 'pi-3', 'nuc'];
const V4 = '192.168.1.240';
const V6 = '2001:db8::10';

test('with every uplink unknown the order is MetalLB\'s: ascending sha256 of node#ip', () => {
  const web = service('web');
  const input = cluster(NODES, [assign(web, [V4])]);
  const [plan] = electL2(input);
  assert.equal(plan!.node, 'nuc');
  assert.equal(plan!.reason, 'elected');
  const explained = explainL2(input, V4);
  assert.deepEqual(explained.candidates.map((c) => [c.node, c.rank]), [['nuc', 1], ['pi-1', 2], ['pi-2', 3], ['pi-3', 4]]);
  assert.equal(explained.candidates[0]!.hash.slice(0, 8), '3ee400ed');
});

test('both IPs of a dual-stack Service go to the node elected for its first IP', () => {
  const v6first = cluster(NODES, [assign(service('web'), [V6, V4])]);
  assert.deepEqual(electL2(v6first).map((p) => [p.ip, p.node]), [[V6, 'pi-2'], [V4, 'pi-2']]);
  const v4first = cluster(NODES, [assign(service('web'), [V4, V6])]);
  assert.deepEqual(electL2(v4first).map((p) => [p.ip, p.node]), [[V4, 'nuc'], [V6, 'nuc']]);
});

test('an IPv6 VIP hashes in its canonical RFC 5952 text, as Go prints it', () => {
  const input = cluster(NODES, [assign(service('web'), ['2001:DB8:0:0:0::10'])]);
  assert.equal(electL2(input)[0]!.node, 'pi-2');
});

test('wired candidates rank before unknown ones, and unknown before wireless, the hash deciding within a tier', () => {
  const speakers = [speaker('nuc', 'wireless'), speaker('pi-1', 'wireless'), speaker('pi-2', 'unknown'), speaker('pi-3', 'wired')];
  const input = cluster(NODES, [assign(service('web'), [V4])], { speakers });
  assert.equal(electL2(input)[0]!.node, 'pi-3');
  assert.deepEqual(explainL2(input, V4).candidates.map((c) => c.node), ['pi-3', 'pi-2', 'nuc', 'pi-1']);
});

test('a candidate whose announcement of any of the Service\'s VIPs failed verification ranks last, even when wired', () => {
  const speakers = [speaker('nuc', 'wired', true, [V6]), speaker('pi-1', 'wireless'), speaker('pi-2', 'wireless'), speaker('pi-3', 'wireless')];
  const input = cluster(NODES, [assign(service('web'), [V4, V6])], { speakers });
  assert.deepEqual(electL2(input).map((p) => p.node), ['pi-1', 'pi-1']);
  const order = explainL2(input, V6).candidates;
  assert.deepEqual(order.map((c) => c.node), ['pi-1', 'pi-2', 'pi-3', 'nuc']);
  assert.equal(order[3]!.verificationFailed, true);
});

test('dead speakers, nodes without speakers, speakers without nodes, NetworkUnavailable and the exclude label are not candidates', () => {
  const nodes = [
    node('pi-1'),
    node('pi-2', {}, [{ type: 'NetworkUnavailable', status: 'True' }]),
    node('pi-3', { [EXCLUDE_FROM_LB_LABEL]: '' }),
    node('nuc'),
    node('pi-4'),
    node('pi-5', {}, [{ type: 'NetworkUnavailable', status: 'False' }]),
  ];
  const speakers = [speaker('pi-1'), speaker('pi-2'), speaker('pi-3'), speaker('nuc', 'wired', false), speaker('ghost', 'wired'), speaker('pi-5', 'wireless')];
  const web = service('web');
  const input = cluster(NODES, [assign(web, [V4])], {
    nodes,
    speakers,
    endpointSlices: [slice('web', [{ node: 'pi-1' }])],
  });
  assert.equal(electL2(input)[0]!.node, 'pi-1');
  const verdicts = Object.fromEntries(explainL2(input, V4).candidates.map((c) => [c.node, c.excluded ?? `rank ${c.rank}`]));
  assert.deepEqual(verdicts, {
    'pi-1': 'rank 1',
    'pi-5': 'rank 2',
    'pi-2': 'network-unavailable',
    'pi-3': 'excluded-from-load-balancers',
    nuc: 'speaker-down',
    ghost: 'not-a-node',
    'pi-4': 'no-speaker',
  });
});

test('only nodes selected by an advertisement covering the pool are candidates', () => {
  const nodes = [node('pi-1', { network: 'wifi' }), node('pi-2', { network: 'wifi' }), node('pi-3', { network: 'ethernet' }), node('nuc', { network: 'ethernet' })];
  const advs = [l2adv('wired-only', { ipAddressPools: ['lan'], nodeSelectors: [matchLabels({ network: 'ethernet' })] })];
  const input = cluster(NODES, [assign(service('web'), [V6])], { nodes, l2Advertisements: advs });
  assert.equal(electL2(input)[0]!.node, 'pi-3');
  const excluded = explainL2(input, V6).candidates.filter((c) => c.excluded === 'not-selected').map((c) => c.node);
  assert.deepEqual(excluded.sort(), ['pi-1', 'pi-2']);
});

test('an advertisement covers pools it names, pools its selectors match, or every pool when it has neither', () => {
  const web = service('web');
  const base = { pools: [pool('lan', { tier: 'home' }), pool('dmz')] };
  const covered = (advs: ReturnType<typeof l2adv>[], poolName: string) =>
    electL2(cluster(NODES, [assign(web, [V4], poolName)], { ...base, l2Advertisements: advs }))[0]!.reason;
  assert.equal(covered([l2adv('a')], 'dmz'), 'elected');
  assert.equal(covered([l2adv('a', { ipAddressPools: ['dmz'] })], 'dmz'), 'elected');
  assert.equal(covered([l2adv('a', { ipAddressPools: ['dmz'] })], 'lan'), 'no-l2-advertisement');
  assert.equal(covered([l2adv('a', { ipAddressPoolSelectors: [matchLabels({ tier: 'home' })] })], 'lan'), 'elected');
  // A selector list that matches no pool does not fall back to "every pool".
  assert.equal(covered([l2adv('a', { ipAddressPoolSelectors: [matchLabels({ tier: 'home' })] })], 'dmz'), 'no-l2-advertisement');
  assert.equal(covered([], 'lan'), 'no-l2-advertisement');
});

test('interfaces are the union over advertisements selecting the winner, and any advertisement without a list means all', () => {
  const nodes = NODES.map((n) => node(n, { network: n === 'nuc' ? 'ethernet' : 'wifi' }));
  const only = (advs: ReturnType<typeof l2adv>[]) => {
    const [p] = electL2(cluster(NODES, [assign(service('web'), [V4])], { nodes, l2Advertisements: advs }));
    return [p!.node, p!.allInterfaces, p!.interfaces];
  };
  assert.deepEqual(
    only([
      l2adv('a', { interfaces: ['eth0'] }),
      l2adv('b', { interfaces: ['eth1', 'eth0'] }),
      l2adv('c', { interfaces: ['wlan0'], nodeSelectors: [matchLabels({ network: 'wifi' })] }),
    ]),
    ['nuc', false, ['eth0', 'eth1']],
  );
  assert.deepEqual(only([l2adv('a', { interfaces: ['eth0'] }), l2adv('b')]), ['nuc', true, []]);
});

test('externalTrafficPolicy Local elects only among nodes with an endpoint that can serve', () => {
  const web = service('web', 'Local');
  const endpoints = [
    { node: 'nuc', ready: false, serving: false },
    { node: 'pi-1', ready: false, serving: null },
    { node: 'pi-3', ready: false, serving: true },
    { node: 'pi-2', ready: null },
  ];
  const input = cluster(NODES, [assign(web, [V4])], { endpointSlices: [slice('web', endpoints)] });
  // pi-2 (ready unset) and pi-3 (not ready but serving, e.g. terminating) can serve; pi-2 hashes first.
  assert.equal(electL2(input)[0]!.node, 'pi-2');
  const verdicts = explainL2(input, V4).candidates.map((c) => [c.node, c.excluded ?? c.rank]);
  assert.deepEqual(verdicts, [['pi-2', 1], ['pi-3', 2], ['nuc', 'no-local-endpoint'], ['pi-1', 'no-local-endpoint']]);
});

test('externalTrafficPolicy Local with serving endpoints only on non-candidate nodes elects nobody', () => {
  const web = service('web', 'Local');
  const speakers = NODES.map((n) => speaker(n, 'unknown', n !== 'pi-1'));
  const input = cluster(NODES, [assign(web, [V4])], { speakers, endpointSlices: [slice('web', [{ node: 'pi-1' }, { node: null }])] });
  const [p] = electL2(input);
  assert.deepEqual([p!.node, p!.reason], [null, 'no-eligible-node']);
});

test('a Service with no endpoint that can serve is announced by nobody, whatever its traffic policy', () => {
  for (const policy of ['Cluster', 'Local'] as const) {
    const web = service('web', policy);
    const input = cluster(NODES, [assign(web, [V4, V6])], { endpointSlices: [slice('web', [{ node: 'nuc', ready: false }])] });
    assert.deepEqual(electL2(input).map((p) => [p.node, p.reason]), [[null, 'no-serving-endpoint'], [null, 'no-serving-endpoint']]);
  }
  const lonely = cluster(NODES, [assign(service('lonely'), [V4])], { endpointSlices: [] });
  assert.equal(electL2(lonely)[0]!.reason, 'no-serving-endpoint');
});

test('without endpoint tracking (standalone, plain manifests) every Service counts as served everywhere', () => {
  for (const policy of ['Cluster', 'Local'] as const) {
    const web = service('web', policy);
    const tracked = cluster(NODES, [assign(web, [V4])], { endpointSlices: [] });
    assert.equal(electL2(tracked)[0]!.reason, 'no-serving-endpoint');
    const untracked = cluster(NODES, [assign(web, [V4])], { endpointSlices: [], endpointsTracked: false });
    const [p] = electL2(untracked);
    assert.equal(p!.reason, 'elected', policy);
    assert.equal(p!.node, explainL2(untracked, V4).candidates[0]!.node);
    assert.equal(explainL2(untracked, V4).candidates.filter((c) => c.excluded !== null).length, 0);
  }
});

test('endpoint slices count only for the Service of the same namespace and name', () => {
  const web = service('web', 'Cluster', 'shop');
  const input = cluster(NODES, [assign(web, [V4])], { endpointSlices: [slice('web', [{ node: 'nuc' }], 'default')] });
  assert.equal(electL2(input)[0]!.reason, 'no-serving-endpoint');
  const right = cluster(NODES, [assign(web, [V4])], { endpointSlices: [slice('web', [{ node: 'nuc' }], 'shop')] });
  assert.equal(electL2(right)[0]!.service, 'shop/web');
  assert.equal(electL2(right)[0]!.node, 'nuc');
});

test('when no candidate is left the plan says so and names nobody', () => {
  const speakers = NODES.map((n) => speaker(n, 'wired', false));
  const [p] = electL2(cluster(NODES, [assign(service('web'), [V4])], { speakers }));
  assert.deepEqual([p!.node, p!.reason, p!.allInterfaces, p!.interfaces], [null, 'no-eligible-node', false, []]);
});

test('explaining a VIP no Service holds is an error with a stable code', () => {
  const input = cluster(NODES, [assign(service('web'), [V4])]);
  assert.throws(() => explainL2(input, '192.168.1.241'), (e: unknown) => e instanceof AirlbError && e.code === 'election-unknown-vip');
});

test('assumed speakers make every Node a live candidate of unknown uplink, as MetalLB without memberlist', () => {
  const nodes = NODES.map((n) => node(n));
  const input = cluster(NODES, [assign(service('web'), [V6])], { speakers: assumedSpeakers(nodes) });
  assert.equal(electL2(input)[0]!.node, 'pi-2');
});

test('assumed speakers take their uplink from the airlb.io/uplink label, so a labelled wired node wins', () => {
  const nodes = [node('pi-1', { [UPLINK_LABEL]: 'wireless' }), node('pi-2', { [UPLINK_LABEL]: 'wireless' }), node('nuc', { [UPLINK_LABEL]: 'wired' }), node('pi-3', { [UPLINK_LABEL]: 'bogus' })];
  assert.deepEqual(assumedSpeakers(nodes).map((s) => s.uplink), ['wireless', 'wireless', 'wired', 'unknown']);
  // For 2001:db8::10 MetalLB's order alone puts pi-2 first (see the hashes above); the wired label wins.
  const input = cluster(['pi-1', 'pi-2', 'pi-3', 'nuc'], [assign(service('web'), [V6])], { speakers: assumedSpeakers(nodes) });
  assert.equal(electL2(input)[0]!.node, 'nuc');
});
