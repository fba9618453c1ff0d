import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electL2, explainL2 } from '../../src/domain/election/elect.js';
import { assign, cluster, l2adv, matchLabels, node, service } from './builders.js';

// An L2Advertisement's serviceSelectors (MetalLB PR #2917) limit it to the Services whose labels
// match one selector; an empty list applies to every Service. Nodes: pi-1 and pi-2 are "edge",
// nuc is "core", so which advertisement applied shows in which node can win.
const NODES = ['pi-1', 'pi-2', 'nuc'];
const nodes = [node('pi-1', { role: 'edge' }), node('pi-2', { role: 'edge' }), node('nuc', { role: 'core' })];
const front = service('front', 'Cluster', 'default', { tier: 'front' });
const back = service('back', 'Cluster', 'default', { tier: 'back' });
const plain = service('plain');

test('an advertisement with serviceSelectors announces the Services it matches and no other', () => {
  const input = cluster(NODES, [assign(front, ['192.168.1.240']), assign(plain, ['192.168.1.241'])], {
    nodes,
    l2Advertisements: [l2adv('front-only', { serviceSelectors: [matchLabels({ tier: 'front' })] })],
  });
  const plan = electL2(input);
  assert.equal(plan[0]!.reason, 'elected');
  assert.notEqual(plan[0]!.node, null);
  assert.deepEqual([plan[1]!.node, plan[1]!.reason], [null, 'no-l2-advertisement']);
  // Before serviceSelectors were honoured, "plain" was announced like "front".
  assert.deepEqual(explainL2(input, '192.168.1.241').candidates.map((c) => c.excluded), ['not-selected', 'not-selected', 'not-selected']);
});

test('two advertisements of one pool with different serviceSelectors put their Services on different nodes and interfaces', () => {
  const l2Advertisements = [
    l2adv('edge', { serviceSelectors: [matchLabels({ tier: 'front' })], nodeSelectors: [matchLabels({ role: 'edge' })], interfaces: ['wlan0'] }),
    l2adv('core', { serviceSelectors: [matchLabels({ tier: 'back' })], nodeSelectors: [matchLabels({ role: 'core' })], interfaces: ['eth0'] }),
  ];
  // Both orders, so a table cached for one Service's advertisements is never reused for the other's.
  for (const assignments of [[assign(front, ['192.168.1.240']), assign(back, ['192.168.1.241'])], [assign(back, ['192.168.1.241']), assign(front, ['192.168.1.240'])]]) {
    const plan = electL2(cluster(NODES, assignments, { nodes, l2Advertisements }));
    const byService = new Map(plan.map((p) => [p.service, p]));
    assert.ok(['pi-1', 'pi-2'].includes(byService.get('default/front')!.node!), 'front is announced from an edge node');
    assert.deepEqual(byService.get('default/front')!.interfaces, ['wlan0']);
    assert.equal(byService.get('default/back')!.node, 'nuc');
    assert.deepEqual(byService.get('default/back')!.interfaces, ['eth0']);
  }
  const explained = explainL2(cluster(NODES, [assign(back, ['192.168.1.241'])], { nodes, l2Advertisements }), '192.168.1.241');
  assert.deepEqual(explained.candidates.map((c) => [c.node, c.excluded]), [['nuc', null], ['pi-1', 'not-selected'], ['pi-2', 'not-selected']]);
});

test('a Service matched by several advertisements gets the union of their nodes and interfaces; an empty list matches every Service', () => {
  const l2Advertisements = [
    l2adv('front-core', { serviceSelectors: [matchLabels({ tier: 'front' })], nodeSelectors: [matchLabels({ role: 'core' })], interfaces: ['eth0'] }),
    l2adv('everyone-core', { serviceSelectors: [], nodeSelectors: [matchLabels({ role: 'core' })], interfaces: ['eth1'] }),
  ];
  const plan = electL2(cluster(NODES, [assign(front, ['192.168.1.240']), assign(plain, ['192.168.1.241'])], { nodes, l2Advertisements }));
  assert.deepEqual(plan.map((p) => [p.service, p.node, p.interfaces]), [
    ['default/front', 'nuc', ['eth0', 'eth1']],
    ['default/plain', 'nuc', ['eth1']],
  ]);
});

test('a dual-stack Service is matched by its labels once: both IPs follow the same advertisement to the same node', () => {
  const l2Advertisements = [
    l2adv('edge', { serviceSelectors: [matchLabels({ tier: 'back' })], nodeSelectors: [matchLabels({ role: 'core' })] }),
    l2adv('rest', { serviceSelectors: [{ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }], nodeSelectors: [matchLabels({ role: 'edge' })] }),
  ];
  const plan = electL2(cluster(NODES, [assign(back, ['2001:db8::10', '192.168.1.241'])], { nodes, l2Advertisements }));
  assert.deepEqual(plan.map((p) => [p.ip, p.node]), [['2001:db8::10', 'nuc'], ['192.168.1.241', 'nuc']]);
});
