import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig } from '../../src/domain/config/index.js';

function seed(name: string) {
  const file = `test/fixtures/seed/${name}`;
  return loadConfig([{ file, text: readFileSync(new URL(`../fixtures/seed/${name}`, import.meta.url), 'utf8') }]);
}

test('the BGP seed manifest parses and validates with no issues, with MetalLB defaults applied', () => {
  const { config, issues, ignored } = seed('seed-bgp.yaml');
  assert.deepEqual(issues, []);
  assert.deepEqual(ignored, []);
  const [peer] = config.bgpPeers;
  assert.equal(config.bgpPeers.length, 1);
  assert.equal(peer!.metadata.name, 'home-router');
  assert.equal(peer!.spec.myASN, 64500);
  assert.equal(peer!.spec.peerASN, 64501);
  assert.equal(peer!.spec.peerAddress, '192.168.1.1');
  assert.equal(peer!.spec.peerPort, 179);
  assert.equal(peer!.spec.holdTimeMs, null);
  assert.deepEqual(config.pools.map((p) => [p.metadata.name, p.spec.addresses, p.spec.autoAssign]), [['bgp-pool', ['192.168.1.200-192.168.1.210'], true]]);
  const [adv] = config.bgpAdvertisements;
  assert.deepEqual(adv!.spec.ipAddressPools, ['bgp-pool']);
  assert.equal(adv!.spec.aggregationLength, 32);
  assert.equal(adv!.spec.aggregationLengthV6, 128);
  assert.equal(adv!.origin.line, 21);
});

test('the L2 seed manifest parses and validates with no issues, keeping its node selector and field lines', () => {
  const { config, issues } = seed('seed-l2-wired-node.yaml');
  assert.deepEqual(issues, []);
  assert.equal(config.pools[0]!.metadata.namespace, 'metallb-system');
  const [l2] = config.l2Advertisements;
  assert.deepEqual(l2!.spec.nodeSelectors, [{ matchLabels: { network: 'ethernet' }, matchExpressions: [] }]);
  assert.deepEqual(l2!.spec.interfaces, []);
  assert.equal(l2!.origin.fieldLines.get('spec.nodeSelectors[0].matchLabels.network'), 23);
  // The comment between "addresses:" and its item does not shift the item's line.
  assert.equal(config.pools[0]!.origin.fieldLines.get('spec.addresses[0]'), 10);
});

test('the two seed manifests together are refused because both pools claim the same addresses', () => {
  const files = ['seed-bgp.yaml', 'seed-l2-wired-node.yaml'].map((name) => ({
    file: name,
    text: readFileSync(new URL(`../fixtures/seed/${name}`, import.meta.url), 'utf8'),
  }));
  const { issues } = loadConfig(files);
  assert.deepEqual(issues.map((i) => `${i.file}:${i.line}: ${i.path}`), ['seed-l2-wired-node.yaml:10: spec.addresses[0]']);
  assert.match(issues[0]!.message, /overlaps spec\.addresses\[0\] .* of IPAddressPool "bgp-pool" at seed-bgp\.yaml:19/);
});
