import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, validateConfig } from '../../src/domain/config/index.js';
import { load, locations, problems } from './helpers.js';

/** A pool document; `addresses` are written one per line starting at line offset+6. */
function pool(name: string, addresses: string[], extra = ''): string {
  return [
    'apiVersion: metallb.io/v1beta1',
    'kind: IPAddressPool',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  addresses:',
    ...addresses.map((a) => `    - "${a}"`),
    ...(extra === '' ? [] : [extra]),
  ].join('\n');
}

/** A BGPPeer whose spec lines follow "spec:" on line 4. */
function peer(name: string, specLines: string[], apiVersion = 'metallb.io/v1beta2'): string {
  return [`apiVersion: ${apiVersion}`, 'kind: BGPPeer', `metadata: {name: ${name}}`, 'spec:', ...specLines.map((l) => `  ${l}`)].join('\n');
}

function bgpAdv(name: string, specLines: string[]): string {
  return ['apiVersion: metallb.io/v1beta1', 'kind: BGPAdvertisement', `metadata: {name: ${name}}`, 'spec:', ...specLines.map((l) => `  ${l}`)].join('\n');
}

const docs = (...d: string[]): string => d.join('\n---\n');

test('an invalid CIDR, a bad prefix length, a bare IP and a reversed range are each reported at their entry', () => {
  const yaml = pool('p', ['10.0.0.0/33', '10.0.0.300/24', '192.168.1.5', '192.168.1.20-192.168.1.10', '10.1.0.1-fd00::1', 'nonsense']);
  assert.deepEqual(problems(yaml), [
    'test.yaml:7: IPAddressPool/p: spec.addresses[0]: "10.0.0.0/33" has prefix length /33, but IPv4 prefixes go from /0 to /32; fix the length',
    'test.yaml:8: IPAddressPool/p: spec.addresses[1]: "10.0.0.300/24" is not a valid CIDR; write a CIDR such as 192.168.1.240/28 or a range such as 192.168.1.240-192.168.1.250',
    'test.yaml:9: IPAddressPool/p: spec.addresses[2]: "192.168.1.5" is a single address, not a CIDR or range; write 192.168.1.5/32 for just this address',
    'test.yaml:10: IPAddressPool/p: spec.addresses[3]: range "192.168.1.20-192.168.1.10" starts after it ends; swap the ends: 192.168.1.10-192.168.1.20',
    'test.yaml:11: IPAddressPool/p: spec.addresses[4]: range "10.1.0.1-fd00::1" mixes IPv4 and IPv6; both ends must be of one family',
    'test.yaml:12: IPAddressPool/p: spec.addresses[5]: "nonsense" is neither a CIDR such as 192.168.1.240/28 or a range such as 192.168.1.240-192.168.1.250',
  ]);
});

test('IPv6 CIDRs and ranges are accepted, and an empty address list is refused', () => {
  assert.deepEqual(problems(pool('v6', ['fd00::/64', '2001:db8::10-2001:db8::20'])), []);
  assert.deepEqual(locations('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: e}\nspec:\n  addresses: []\n'), ['test.yaml:5: IPAddressPool/e: spec.addresses']);
});

test('overlapping addresses within one pool are reported at the later entry', () => {
  assert.deepEqual(problems(pool('p', ['192.168.1.0/24', '192.168.1.128-192.168.1.130'])), [
    'test.yaml:8: IPAddressPool/p: spec.addresses[1]: "192.168.1.128-192.168.1.130" (192.168.1.128-192.168.1.130) overlaps spec.addresses[0] of this pool; an address can belong to one pool entry only: shrink or remove one',
  ]);
});

test('overlapping addresses across pools name the other pool and where it is', () => {
  const yaml = docs(pool('a', ['fd00::/120']), pool('b', ['fd00::80/121']));
  // Pool b starts on line 9 (7 lines of a, then "---"); its entry is on line 15.
  assert.deepEqual(locations(yaml), ['test.yaml:15: IPAddressPool/b: spec.addresses[0]']);
  assert.match(problems(yaml)[0]!, /overlaps spec\.addresses\[0\] \("fd00::\/120"\) of IPAddressPool "a" at test\.yaml:7;/);
});

test('adjacent ranges that do not share an address are accepted', () => {
  assert.deepEqual(problems(docs(pool('a', ['10.0.0.0/25']), pool('b', ['10.0.0.128-10.0.0.255']))), []);
});

test('two resources of one kind with the same name are reported at the second name', () => {
  const yaml = docs(pool('same', ['10.0.0.0/24']), pool('same', ['10.0.1.0/24']));
  assert.deepEqual(problems(yaml), ['test.yaml:12: IPAddressPool/same: metadata.name: another IPAddressPool named "same" in namespace "metallb-system" is defined at test.yaml:4; rename one or remove the copy']);
});

test('myASN 0, a missing peerASN and a 4-byte ASN under v1beta1 are refused', () => {
  const yaml = docs(peer('zero', ['myASN: 0', 'peerASN: 64501', 'peerAddress: 10.0.0.1']), peer('nopeer', ['myASN: 64500', 'peerAddress: 10.0.0.2']), peer('old', ['myASN: 4200000000', 'peerASN: 64501', 'peerAddress: 10.0.0.3'], 'metallb.io/v1beta1'));
  assert.deepEqual(problems(yaml), [
    'test.yaml:5: BGPPeer/zero: spec.myASN: myASN is 0, a reserved AS number (RFC 7607); set your own AS, e.g. one from the private range 64512-65534 (RFC 6996)',
    "test.yaml:12: BGPPeer/nopeer: spec.peerASN: peerASN is missing; set the router's AS number, or dynamicASN: internal|external",
    'test.yaml:20: BGPPeer/old: spec.myASN: myASN 4200000000 is out of range 1-65535; 4-byte ASNs (RFC 6793) need apiVersion metallb.io/v1beta2',
  ]);
});

test('peerASN together with dynamicASN, and ebgpMultiHop on an iBGP session, are refused', () => {
  const yaml = peer('r', ['myASN: 64500', 'peerASN: 64500', 'dynamicASN: internal', 'peerAddress: 10.0.0.1', 'ebgpMultiHop: true']);
  assert.deepEqual(locations(yaml), ['test.yaml:7: BGPPeer/r: spec.dynamicASN', 'test.yaml:9: BGPPeer/r: spec.ebgpMultiHop']);
});

test('invalid peer, source and router-ID addresses are each reported', () => {
  const yaml = peer('r', ['myASN: 64500', 'peerASN: 64501', 'peerAddress: 10.0.0.1:179', 'sourceAddress: 10.0.0.256', 'routerID: fd00::1']);
  assert.deepEqual(problems(yaml), [
    'test.yaml:7: BGPPeer/r: spec.peerAddress: "10.0.0.1:179" is not an IP address; write an IPv4 or IPv6 address without a prefix length or port',
    'test.yaml:8: BGPPeer/r: spec.sourceAddress: "10.0.0.256" is not an IP address; write an IPv4 or IPv6 address without a prefix length or port',
    'test.yaml:9: BGPPeer/r: spec.routerID: routerID "fd00::1" must be written as an IPv4 address: the BGP Identifier is 4 octets (RFC 4271 §4.2, RFC 6286)',
  ]);
});

test('a hold time under 3 s is refused, 0 is allowed, and a keepalive longer than the hold time is refused', () => {
  const base = ['myASN: 64500', 'peerASN: 64501', 'peerAddress: 10.0.0.1'];
  assert.deepEqual(problems(peer('short', [...base, 'holdTime: 2s'])), [
    'test.yaml:8: BGPPeer/short: spec.holdTime: holdTime 2s is too short: the hold time must be 0 (no keepalives) or at least 3s (RFC 4271 §4.2)',
  ]);
  assert.deepEqual(problems(peer('zero', [...base, 'holdTime: "0"', 'keepaliveTime: "0"'])), []);
  assert.deepEqual(problems(peer('three', [...base, 'holdTime: 3s'])), []);
  assert.deepEqual(problems(peer('slow', [...base, 'holdTime: 30s', 'keepaliveTime: 1m'])), [
    'test.yaml:9: BGPPeer/slow: spec.keepaliveTime: keepaliveTime 60s is longer than holdTime 30s, so the session would expire between keepalives; use at most a third of holdTime (RFC 4271 §10)',
  ]);
  // Only a keepalive: MetalLB derives holdTime = 3 × keepalive, here 1.5 s.
  assert.deepEqual(locations(peer('derived', [...base, 'keepaliveTime: 500ms'])), ['test.yaml:8: BGPPeer/derived: spec.keepaliveTime']);
});

test('connectTime outside 1-65535 whole seconds and peerPort outside 1-16384 are refused', () => {
  const yaml = peer('r', ['myASN: 64500', 'peerASN: 64501', 'peerAddress: 10.0.0.1', 'connectTime: 1500ms', 'peerPort: 20000']);
  assert.deepEqual(locations(yaml), ['test.yaml:8: BGPPeer/r: spec.connectTime', 'test.yaml:9: BGPPeer/r: spec.peerPort']);
});

test('password and passwordSecret together are refused', () => {
  const yaml = peer('r', ['myASN: 64500', 'peerASN: 64501', 'peerAddress: 10.0.0.1', 'password: x', 'passwordSecret: {name: s}']);
  assert.deepEqual(problems(yaml), ['test.yaml:9: BGPPeer/r: spec.passwordSecret: password and passwordSecret are both set; keep only one']);
});

test('a reference to an unknown BFD profile is refused and lists the defined ones', () => {
  const yaml = docs('apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast}', peer('r', ['myASN: 64500', 'peerASN: 64501', 'peerAddress: 10.0.0.1', 'bfdProfile: fsat']));
  assert.deepEqual(problems(yaml), ['test.yaml:12: BGPPeer/r: spec.bfdProfile: no BFDProfile named "fsat" (defined: fast); define it or fix the name']);
});

test('BFD profile values outside MetalLB\'s ranges are refused', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: b}\nspec:\n  receiveInterval: 5\n  detectMultiplier: 1\n  minimumTtl: 255\n';
  assert.deepEqual(problems(yaml), [
    'test.yaml:5: BFDProfile/b: spec.receiveInterval: receiveInterval 5 is out of range 10-60000',
    'test.yaml:6: BFDProfile/b: spec.detectMultiplier: detectMultiplier 1 is out of range 2-255',
    'test.yaml:7: BFDProfile/b: spec.minimumTtl: minimumTtl 255 is out of range 1-254',
  ]);
});

test('references to unknown pools and peers are refused in both advertisement kinds', () => {
  const yaml = docs(
    pool('lan', ['10.0.0.0/24']), // lines 1-7
    'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  ipAddressPools: [lna]', // 9-13
    bgpAdv('b', ['ipAddressPools: [lan, lan]', 'peers: [nobody]']), // 15-20
  );
  assert.deepEqual(problems(yaml), [
    'test.yaml:13: L2Advertisement/l2: spec.ipAddressPools[0]: no IPAddressPool named "lna" (defined: lan); define it or fix the name',
    'test.yaml:19: BGPAdvertisement/b: spec.ipAddressPools[1]: "lan" is already listed at spec.ipAddressPools[0]; remove the repeat',
    'test.yaml:20: BGPAdvertisement/b: spec.peers[0]: no BGPPeer named "nobody" (none is defined); define it or fix the name',
  ]);
});

test('an aggregation length out of range is refused', () => {
  const yaml = bgpAdv('b', ['aggregationLength: 33', 'aggregationLengthV6: 129']);
  assert.deepEqual(locations(yaml), ['test.yaml:5: BGPAdvertisement/b: spec.aggregationLength', 'test.yaml:6: BGPAdvertisement/b: spec.aggregationLengthV6']);
});

test('an aggregation length shorter than a pool prefix is refused, per family', () => {
  const yaml = docs(pool('lan', ['10.0.0.0/26', 'fd00::/120']), bgpAdv('b', ['aggregationLength: 24', 'aggregationLengthV6: 112', 'ipAddressPools: [lan]']));
  assert.deepEqual(problems(yaml), [
    'test.yaml:14: BGPAdvertisement/b: spec.aggregationLength: aggregationLength 24 is shorter than the /26 of "10.0.0.0/26" in IPAddressPool "lan" (test.yaml:7): the aggregate would announce addresses outside the pool; use 26 or more',
    'test.yaml:15: BGPAdvertisement/b: spec.aggregationLengthV6: aggregationLengthV6 112 is shorter than the /120 of "fd00::/120" in IPAddressPool "lan" (test.yaml:8): the aggregate would announce addresses outside the pool; use 120 or more',
  ]);
  // The same lengths are fine for an advertisement that does not cover that pool.
  assert.deepEqual(problems(docs(pool('lan', ['10.0.0.0/26']), pool('big', ['10.1.0.0/16']), bgpAdv('b', ['aggregationLength: 24', 'ipAddressPools: [big]']))), []);
});

test('malformed communities and unknown aliases are refused, literal and aliased ones accepted', () => {
  const yaml = docs(
    'apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec:\n  communities:\n    - {name: no-export, value: "65535:65281"}', // 1-6
    bgpAdv('b', ['communities: [no-export, "64500:7", "large:1:2:3", "65536:1", "large:1:2", "big:1:2:3", "no-exprot"]']), // 8-12
  );
  assert.deepEqual(problems(yaml), [
    'test.yaml:12: BGPAdvertisement/b: spec.communities[3]: "65536:1" is not a standard community: both halves of ASN:value must be whole numbers from 0 to 65535 (RFC 1997); fix it or define the alias in a Community resource',
    'test.yaml:12: BGPAdvertisement/b: spec.communities[4]: "large:1:2" is neither a community (ASN:value or large:G:L1:L2) nor the name of an alias defined in a Community resource; fix it or define the alias in a Community resource',
    'test.yaml:12: BGPAdvertisement/b: spec.communities[5]: "big:1:2:3" is not a large community: write it as large:GLOBAL:LOCAL1:LOCAL2; fix it or define the alias in a Community resource',
    'test.yaml:12: BGPAdvertisement/b: spec.communities[6]: "no-exprot" is neither a community (ASN:value or large:G:L1:L2) nor the name of an alias defined in a Community resource; fix it or define the alias in a Community resource',
  ]);
});

test('a Community alias with a malformed value, or defined twice, is refused', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec:\n  communities:\n    - name: a\n      value: "1:2"\n    - name: a\n      value: "70000:1"\n';
  assert.deepEqual(locations(yaml), ['test.yaml:8: Community/c: spec.communities[1].name', 'test.yaml:9: Community/c: spec.communities[1].value']);
});

test('two advertisements of the same pool with different localPref are refused when they reach the same peers from the same nodes', () => {
  const yaml = docs(pool('lan', ['10.0.0.0/24']), bgpAdv('a', ['localPref: 100']), bgpAdv('b', ['localPref: 200', 'ipAddressPools: [lan]']));
  assert.deepEqual(problems(yaml), [
    'test.yaml:19: BGPAdvertisement/b: spec.localPref: localPref 200 conflicts with localPref 100 of BGPAdvertisement "a" (test.yaml:13) for IPAddressPool "lan": both announce the same prefixes to the same peers from the same nodes; use one value, or separate them by peers, nodeSelectors or aggregation length',
  ]);
});

test('different localPref is accepted with different aggregation lengths, disjoint peers or disjoint nodes', () => {
  const peers = docs(peer('r1', ['myASN: 64500', 'peerASN: 64500', 'peerAddress: 10.0.0.1']), peer('r2', ['myASN: 64500', 'peerASN: 64500', 'peerAddress: 10.0.0.2']));
  const lan = pool('lan', ['10.0.0.0/24']);
  assert.deepEqual(problems(docs(lan, bgpAdv('a', ['localPref: 100']), bgpAdv('b', ['localPref: 200', 'aggregationLength: 24']))), []);
  assert.deepEqual(problems(docs(lan, peers, bgpAdv('a', ['localPref: 100', 'peers: [r1]']), bgpAdv('b', ['localPref: 200', 'peers: [r2]']))), []);
  const nodes = 'apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {rack: a}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {rack: b}}';
  const byRack = (rack: string, pref: number) => bgpAdv(`adv-${rack}`, [`localPref: ${pref}`, 'nodeSelectors:', `  - matchLabels: {rack: ${rack}}`]);
  assert.deepEqual(problems(docs(lan, nodes, byRack('a', 100), byRack('b', 200))), []);
});

test('label selector operators must agree with their values', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  nodeSelectors:\n    - matchExpressions:\n        - {key: a, operator: In, values: []}\n        - key: b\n          operator: Exists\n          values: [x]\n';
  assert.deepEqual(locations(yaml), ['test.yaml:7: L2Advertisement/l2: spec.nodeSelectors[0].matchExpressions[0].values', 'test.yaml:10: L2Advertisement/l2: spec.nodeSelectors[0].matchExpressions[1].values']);
});

test('a bad operator or a repeated namespace in a pool allocation is refused', () => {
  const yaml = pool('p', ['10.0.0.0/24'], '  serviceAllocation:\n    namespaces: [a, a]\n    serviceSelectors:\n      - matchExpressions: [{key: k, operator: Has}]');
  assert.deepEqual(locations(yaml), ['test.yaml:9: IPAddressPool/p: spec.serviceAllocation.namespaces[1]', 'test.yaml:11: IPAddressPool/p: spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator']);
});

test('invalid addresses in Services, Nodes and EndpointSlices are refused', () => {
  const yaml = docs(
    'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 192.168.1.300\n  ports: [{port: 70000}]\nstatus:\n  loadBalancer: {ingress: [{ip: nope}]}', // 1-9
    'apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  addresses: [{type: InternalIP, address: 10.0.0}]', // 11-15
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv6\nendpoints:\n  - addresses: [10.0.0.1]', // 17-22
  );
  assert.deepEqual(locations(yaml), [
    'test.yaml:6: Service/s: spec.loadBalancerIP',
    'test.yaml:7: Service/s: spec.ports[0].port',
    'test.yaml:9: Service/s: status.loadBalancer.ingress',
    'test.yaml:15: Node/n: status.addresses[0].address',
    'test.yaml:22: EndpointSlice/e: endpoints[0].addresses[0]',
  ]);
});

test('all errors are reported at once, sorted by file (in input order) and line', () => {
  const { issues } = loadConfig([
    { file: 'z.yaml', text: docs(peer('r', ['myASN: 0', 'peerASN: 0', 'peerAddress: x']), pool('p', ['1.2.3.4'])) },
    { file: 'a.yaml', text: pool('q', ['10.0.0.0/40']) },
  ]);
  assert.deepEqual(issues.map((i) => `${i.file}:${i.line}:${i.path}`), [
    'z.yaml:5:spec.myASN',
    'z.yaml:6:spec.peerASN',
    'z.yaml:7:spec.peerAddress',
    'z.yaml:15:spec.addresses[0]',
    'a.yaml:7:spec.addresses[0]',
  ]);
});

test('validateConfig alone finds no issue in an empty configuration', () => {
  assert.deepEqual(validateConfig(load('').config), []);
});
