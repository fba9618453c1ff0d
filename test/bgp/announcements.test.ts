import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BGPAdvertisement, BGPPeer, Community } from '../../src/domain/config/types.js';
import { peersOfNode, planBgp, type BgpPlanInput } from '../../src/domain/bgp/announcements.js';
import { assign, matchLabels, node, pool, service, slice, speaker } from '../election/builders.js';

const origin = { file: 'test.yaml', line: 1, fieldLines: new Map<string, number>() };
const meta = (name: string) => ({ name, namespace: 'metallb-system', labels: {}, annotations: {} });

function peer(name: string, spec: Partial<BGPPeer['spec']> = {}): BGPPeer {
  return {
    kind: 'BGPPeer',
    apiVersion: 'metallb.io/v1beta2',
    metadata: meta(name),
    origin,
    spec: {
      myASN: 64500, peerASN: 64501, dynamicASN: null, peerAddress: '192.168.1.1', sourceAddress: null, peerPort: 179,
      holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, routerID: null, nodeSelectors: [], password: null,
      passwordSecret: null, bfdProfile: null, enableGracefulRestart: false, ebgpMultiHop: false, vrf: null, disableMP: false,
      ...spec,
    },
  };
}

function bgpAdv(name: string, spec: Partial<BGPAdvertisement['spec']> = {}): BGPAdvertisement {
  return {
    kind: 'BGPAdvertisement',
    apiVersion: 'metallb.io/v1beta1',
    metadata: meta(name),
    origin,
    spec: {
      aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: [], ipAddressPools: [],
      ipAddressPoolSelectors: [], nodeSelectors: [], peers: [], ...spec,
    },
  };
}

function community(entries: { name: string; value: string }[]): Community {
  return { kind: 'Community', apiVersion: 'metallb.io/v1beta1', metadata: meta('aliases'), origin, spec: { communities: entries } };
}

const NODES = ['pi1', 'pi2', 'pi3'];
function input(overrides: Partial<BgpPlanInput>): BgpPlanInput {
  const web = service('web');
  return {
    assignments: [assign(web, ['192.168.1.240', '2001:db8::10'])],
    nodes: NODES.map((n) => node(n, n === 'pi1' ? { network: 'ethernet' } : {})),
    pools: [pool('lan')],
    bgpPeers: [peer('router')],
    bgpAdvertisements: [bgpAdv('all')],
    communities: [],
    endpointSlices: [slice('web', NODES.map((n) => ({ node: n })))],
    speakers: NODES.map((n) => speaker(n)),
    ...overrides,
  };
}

test('with externalTrafficPolicy Cluster every eligible node announces the /32 and /128 to its peers (ECMP)', () => {
  const plan = planBgp(input({}));
  assert.deepEqual(
    plan.map((r) => [r.prefix, r.node, r.peers]),
    [
      ['192.168.1.240/32', 'pi1', ['router']], ['192.168.1.240/32', 'pi2', ['router']], ['192.168.1.240/32', 'pi3', ['router']],
      ['2001:db8::10/128', 'pi1', ['router']], ['2001:db8::10/128', 'pi2', ['router']], ['2001:db8::10/128', 'pi3', ['router']],
    ],
  );
});

test('with Local only nodes with a serving endpoint announce, and without any endpoint nobody does', () => {
  const local = service('web', 'Local');
  const plan = planBgp(input({ assignments: [assign(local, ['192.168.1.240'])], endpointSlices: [slice('web', [{ node: 'pi2' }, { node: 'pi3', ready: false }])] }));
  assert.deepEqual(plan.map((r) => r.node), ['pi2']);
  assert.deepEqual(planBgp(input({ endpointSlices: [] })), []);
  // Without endpoint tracking (standalone) every node counts as serving.
  assert.equal(planBgp(input({ endpointSlices: [], endpointsTracked: false })).length, 6);
});

test('aggregationLength masks the VIP, so two VIPs can share one announced prefix', () => {
  const a = service('a');
  const b = service('b');
  const plan = planBgp(input({
    assignments: [assign(a, ['192.168.1.241']), assign(b, ['192.168.1.242'])],
    endpointSlices: [slice('a', [{ node: 'pi1' }]), slice('b', [{ node: 'pi1' }])],
    bgpAdvertisements: [bgpAdv('agg', { aggregationLength: 28, nodeSelectors: [matchLabels({ network: 'ethernet' })] })],
  }));
  assert.deepEqual(plan.map((r) => [r.prefix, r.node, r.services]), [['192.168.1.240/28', 'pi1', ['default/a', 'default/b']]]);
});

test('localPref goes to iBGP peers only, communities resolve aliases, and peers/nodeSelectors restrict', () => {
  const plan = planBgp(input({
    assignments: [assign(service('web'), ['192.168.1.240'])],
    bgpPeers: [peer('ebgp'), peer('ibgp', { peerASN: 64500 }), peer('other', { nodeSelectors: [matchLabels({ network: 'ethernet' })] })],
    bgpAdvertisements: [bgpAdv('main', { localPref: 150, communities: ['no-export', '65000:1', 'large:1:2:3'], peers: ['ebgp', 'ibgp'], nodeSelectors: [matchLabels({ network: 'ethernet' })] })],
    communities: [community([{ name: 'no-export', value: '65535:65281' }])],
  }));
  assert.deepEqual(plan, [
    { prefix: '192.168.1.240/32', node: 'pi1', peers: ['ebgp'], communities: ['65000:1', '65535:65281', 'large:1:2:3'], localPref: null, services: ['default/web'] },
    { prefix: '192.168.1.240/32', node: 'pi1', peers: ['ibgp'], communities: ['65000:1', '65535:65281', 'large:1:2:3'], localPref: 150, services: ['default/web'] },
  ]);
});

test('pools without a BGPAdvertisement, dead speakers and excluded nodes announce nothing', () => {
  assert.deepEqual(planBgp(input({ bgpAdvertisements: [bgpAdv('other', { ipAddressPools: ['elsewhere'] })] })), []);
  const plan = planBgp(input({
    assignments: [assign(service('web'), ['192.168.1.240'])],
    nodes: [node('pi1'), node('pi2', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' }), node('pi3', {}, [{ type: 'NetworkUnavailable', status: 'True' }])],
    speakers: [speaker('pi1', 'wired', false), speaker('pi2'), speaker('pi3')],
  }));
  assert.deepEqual(plan, []);
});

// BGPAdvertisement serviceSelectors (MetalLB PR #2917): the advertisement applies only to Services
// whose labels match one selector; an empty list applies to every Service.
const front = service('front', 'Cluster', 'default', { tier: 'front' });
const back = service('back', 'Cluster', 'default', { tier: 'back' });
const selectedInput = (bgpAdvertisements: BGPAdvertisement[]) =>
  input({
    assignments: [assign(front, ['192.168.1.240', '2001:db8::10']), assign(back, ['192.168.1.241'])],
    endpointSlices: [slice('front', NODES.map((n) => ({ node: n }))), slice('back', NODES.map((n) => ({ node: n })))],
    bgpPeers: [peer('edge-router'), peer('core-router', { peerAddress: '192.168.1.2' })],
    bgpAdvertisements,
  });

test('a BGPAdvertisement with serviceSelectors announces the Services it matches (both IPs of a dual-stack one) and no other', () => {
  const plan = planBgp(selectedInput([bgpAdv('front-only', { serviceSelectors: [matchLabels({ tier: 'front' })], nodeSelectors: [matchLabels({ network: 'ethernet' })] })]));
  assert.deepEqual(plan.map((r) => [r.prefix, r.node, r.services]), [
    ['192.168.1.240/32', 'pi1', ['default/front']],
    ['2001:db8::10/128', 'pi1', ['default/front']],
  ]);
});

test('two BGPAdvertisements of one pool with different serviceSelectors send their Services from different nodes to different peers', () => {
  const plan = planBgp(selectedInput([
    bgpAdv('front', { serviceSelectors: [matchLabels({ tier: 'front' })], nodeSelectors: [matchLabels({ network: 'ethernet' })], peers: ['edge-router'], communities: ['65000:1'] }),
    bgpAdv('back', { serviceSelectors: [matchLabels({ tier: 'back' })], peers: ['core-router'], communities: ['65000:2'] }),
  ]));
  assert.deepEqual(plan.map((r) => [r.prefix, r.node, r.peers, r.communities]), [
    ['192.168.1.240/32', 'pi1', ['edge-router'], ['65000:1']],
    ['192.168.1.241/32', 'pi1', ['core-router'], ['65000:2']],
    ['192.168.1.241/32', 'pi2', ['core-router'], ['65000:2']],
    ['192.168.1.241/32', 'pi3', ['core-router'], ['65000:2']],
    ['2001:db8::10/128', 'pi1', ['edge-router'], ['65000:1']],
  ]);
});

test('peersOfNode leaves out a BGPPeer given by spec.interface (unnumbered): it has no address to open a session to', () => {
  const peers = [peer('numbered'), peer('unnumbered', { peerAddress: '', interface: 'eth1' })];
  assert.deepEqual(peersOfNode(peers, node('pi1')).map((p) => p.metadata.name), ['numbered']);
  // Nor does it reach the plan as a peer with an empty address.
  const plan = planBgp(input({ assignments: [assign(service('web'), ['192.168.1.240'])], bgpPeers: peers }));
  assert.deepEqual([...new Set(plan.flatMap((r) => r.peers))], ['numbered']);
});
