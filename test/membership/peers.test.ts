import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internalAddress, ownAddress, speakerPeers } from '../../src/domain/membership/peers.js';
import { membershipSkip, wantsMembership } from '../../src/io/node-membership.js';
import { l2adv } from '../election/builders.js';
import { internal, nodeAt } from './builders.js';

test('a peer is reached at its first InternalIP of the speaker family, ExternalIP and Hostname ignored', () => {
  const n = nodeAt('b', [
    { type: 'Hostname', address: 'b.lan' },
    { type: 'ExternalIP', address: '203.0.113.9' },
    { type: 'InternalIP', address: '2001:db8::0:2' },
    { type: 'InternalIP', address: '192.168.1.12' },
    { type: 'InternalIP', address: '192.168.1.13' },
  ]);
  assert.equal(internalAddress(n, 4), '192.168.1.12');
  assert.equal(internalAddress(n, 6), '2001:db8::2');
  assert.equal(ownAddress(n), '192.168.1.12');
});

test('speakerPeers lists every other node sorted by name, with null where no address of the family exists', () => {
  const nodes = [internal('c', '192.168.1.13'), internal('a', '192.168.1.11'), nodeAt('b', [{ type: 'InternalIP', address: 'fd00::2' }])];
  assert.deepEqual(speakerPeers(nodes, 'a', 4), [
    { node: 'b', address: null },
    { node: 'c', address: '192.168.1.13' },
  ]);
});

test('a node publishing only an IPv6 InternalIP has that as its own address', () => {
  assert.equal(ownAddress(nodeAt('v6', [{ type: 'InternalIP', address: 'fd00::1' }])), 'fd00::1');
  assert.equal(ownAddress(nodeAt('none', [])), null);
});

test('membership starts only when this node and another one publish an InternalIP', () => {
  const two = [internal('a', '10.0.0.1'), internal('b', '10.0.0.2')];
  assert.equal(wantsMembership('a', two), true);
  assert.equal(wantsMembership('c', two), false, 'this node is not listed');
  assert.equal(wantsMembership('a', [internal('a', '10.0.0.1')]), false, 'nobody to watch');
  assert.equal(wantsMembership('a', [nodeAt('a', []), internal('b', '10.0.0.2')]), false, 'this node has no address');
});

test('membership is skipped only without peers or Layer 2 advertisements (BGP BFD shares the BFD listener)', () => {
  const nodes = [internal('a', '10.0.0.1'), internal('b', '10.0.0.2')];
  assert.equal(membershipSkip('a', { nodes, l2Advertisements: [l2adv('all')] }), null);
  assert.equal(membershipSkip('a', { nodes: nodes.slice(0, 1), l2Advertisements: [l2adv('all')] }), 'no-peers');
  assert.equal(membershipSkip('a', { nodes, l2Advertisements: [] }), 'no-l2-advertisement');
});
