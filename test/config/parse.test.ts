import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig, parseConfigSources } from '../../src/domain/config/index.js';
import { load, locations, problems } from './helpers.js';

function fixture(name: string) {
  return { file: name, text: readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), 'utf8') };
}

test('every metallb.io field is read into the typed model, with defaults where a field is absent', () => {
  const { config, issues } = loadConfig([fixture('full-metallb.yaml')]);
  assert.deepEqual(issues, []);
  const pool = config.pools[0]!;
  assert.deepEqual(pool.spec, {
    addresses: ['192.168.1.240/28', '192.168.1.224-192.168.1.239', 'fd00:10::/120'],
    autoAssign: false,
    avoidBuggyIPs: true,
    serviceAllocation: {
      priority: 10,
      namespaces: ['apps'],
      namespaceSelectors: [{ matchLabels: { team: 'home' }, matchExpressions: [] }],
      serviceSelectors: [{ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }],
    },
  });
  assert.deepEqual(pool.metadata, { name: 'lan', namespace: 'metallb-system', labels: { zone: 'home' }, annotations: {} });
  assert.deepEqual(config.l2Advertisements[0]!.spec.interfaces, ['eth0']);
  const [fast, defaults] = config.bfdProfiles;
  assert.deepEqual(fast!.spec, { receiveIntervalMs: 100, transmitIntervalMs: 150, detectMultiplier: 5, echoIntervalMs: 60, echoMode: true, passiveMode: true, minimumTtl: 250 });
  assert.deepEqual(defaults!.spec, { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false, minimumTtl: 254 });
  const [router, old, dynamic] = config.bgpPeers;
  assert.deepEqual(router!.spec, {
    myASN: 4200000001,
    peerASN: 64501,
    dynamicASN: null,
    peerAddress: '192.168.1.1',
    sourceAddress: '192.168.1.21',
    peerPort: 1179,
    holdTimeMs: 90_000,
    keepaliveTimeMs: 30_000,
    connectTimeMs: 5_000,
    routerID: '10.0.0.1',
    nodeSelectors: [{ matchLabels: { network: 'ethernet' }, matchExpressions: [] }],
    password: null,
    passwordSecret: { name: 'bgp-auth', namespace: 'metallb-system' },
    bfdProfile: 'fast',
    enableGracefulRestart: true,
    ebgpMultiHop: true,
    vrf: 'red',
    disableMP: true,
  });
  assert.equal(old!.apiVersion, 'metallb.io/v1beta1');
  assert.equal(old!.spec.password, 's3cret');
  assert.equal(old!.spec.peerPort, 179);
  assert.equal(dynamic!.spec.dynamicASN, 'external');
  assert.equal(dynamic!.spec.peerASN, 0);
  assert.deepEqual(config.communities[0]!.spec.communities, [
    { name: 'no-export', value: '65535:65281' },
    { name: 'big', value: 'large:4200000001:1:2' },
  ]);
  const [aggregated, everything] = config.bgpAdvertisements;
  assert.equal(aggregated!.spec.aggregationLength, 28);
  assert.equal(aggregated!.spec.aggregationLengthV6, 120);
  assert.equal(aggregated!.spec.localPref, 100);
  assert.deepEqual(aggregated!.spec.communities, ['no-export', '64500:7', 'big', 'large:1:2:3']);
  assert.deepEqual(aggregated!.spec.peers, ['router']);
  assert.deepEqual(everything!.spec, {
    aggregationLength: 32,
    aggregationLengthV6: 128,
    localPref: null,
    communities: [],
    ipAddressPools: [],
    ipAddressPoolSelectors: [],
    nodeSelectors: [],
    peers: [],
    serviceSelectors: [],
  });
});

test('kubectl get -o yaml output of a Service is accepted whole and read into the model', () => {
  const { config, issues } = loadConfig([fixture('kubectl-service.yaml')]);
  assert.deepEqual(issues, []);
  const svc = config.services[0]!;
  assert.equal(svc.metadata.namespace, 'apps');
  assert.equal(svc.metadata.annotations['metallb.io/ip-allocated-from-pool'], 'home-lab-pool');
  assert.deepEqual(svc.spec, {
    type: 'LoadBalancer',
    ports: [
      { name: '', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
      { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 'metrics', nodePort: 30090 },
    ],
    selector: { app: 'web' },
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    clusterIPs: ['10.43.12.7'],
    loadBalancerIP: null,
    loadBalancerClass: null,
    externalTrafficPolicy: 'Local',
  });
  assert.deepEqual(svc.status.loadBalancerIngress, ['192.168.1.200']);
});

test('kubectl get -o yaml output of a Node is accepted whole and keeps labels, conditions and addresses', () => {
  const { config, issues } = loadConfig([fixture('kubectl-node.yaml')]);
  assert.deepEqual(issues, []);
  const node = config.nodes[0]!;
  assert.equal(node.metadata.name, 'pi-1');
  assert.equal(node.metadata.namespace, '');
  assert.equal(node.metadata.labels['network'], 'wifi');
  assert.deepEqual(node.status.conditions, [
    { type: 'Ready', status: 'True' },
    { type: 'MemoryPressure', status: 'False' },
  ]);
  assert.deepEqual(node.status.addresses, [
    { type: 'InternalIP', address: '192.168.1.21' },
    { type: 'Hostname', address: 'pi-1' },
  ]);
});

test('a kubectl List is unpacked, its other kinds noted as ignored, and item lines kept', () => {
  const { config, issues, ignored } = loadConfig([fixture('kubectl-list.yaml')]);
  assert.deepEqual(issues, []);
  assert.deepEqual(config.namespaces.map((n) => [n.metadata.name, n.metadata.labels['team'], n.origin.line]), [['apps', 'home', 3]]);
  const slice = config.endpointSlices[0]!;
  assert.equal(slice.serviceName, 'web');
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.endpoints, [{ addresses: ['10.42.1.15'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'pi-1' }]);
  assert.deepEqual(ignored, [{ file: 'kubectl-list.yaml', line: 40, apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', reason: 'not a kind airlb reads' }]);
});

test('a Service with only a name gets the API server defaults', () => {
  const { config, issues } = load('apiVersion: v1\nkind: Service\nmetadata:\n  name: bare\n');
  assert.deepEqual(issues, []);
  const svc = config.services[0]!;
  assert.equal(svc.metadata.namespace, 'default');
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.externalTrafficPolicy, 'Cluster');
  assert.deepEqual(svc.status.loadBalancerIngress, []);
});

test('an unknown field in a known kind is an error at its own line, with a spelling hint', () => {
  const yaml = [
    'apiVersion: metallb.io/v1beta1', // 1
    'kind: IPAddressPool', //            2
    'metadata:', //                      3
    '  name: lan', //                    4
    'spec:', //                          5
    '  addresses: [10.0.0.0/24]', //     6
    '  autoassign: true', //             7
  ].join('\n');
  assert.deepEqual(problems(yaml), ['test.yaml:7: IPAddressPool/lan: spec.autoassign: unknown field "autoassign" (did you mean "autoAssign"?); remove it or fix its spelling']);
});

test('unknown fields are errors in Service and Node too, while kubectl bookkeeping is accepted', () => {
  const yaml = [
    'apiVersion: v1', //                      1
    'kind: Service', //                       2
    'metadata:', //                           3
    '  name: web', //                         4
    '  uid: 0b6e8f7c-6d0e', //                5
    'spec:', //                               6
    '  type: LoadBalancer', //                7
    '  loadBalancerIp: 192.168.1.5', //       8
    '---', //                                 9
    'apiVersion: v1', //                     10
    'kind: Node', //                         11
    'metadata: {name: n1}', //               12
    'status:', //                            13
    '  nodeInfo: {kernelVersion: "6.1", gpu: true}', // 14
  ].join('\n');
  assert.deepEqual(locations(yaml), ['test.yaml:8: Service/web: spec.loadBalancerIp', 'test.yaml:14: Node/n1: status.nodeInfo.gpu']);
});

test('a real MetalLB field airlb does not implement is refused with a clear message', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  preferredNodeSelectors: []\n';
  assert.deepEqual(problems(yaml), ['test.yaml:5: L2Advertisement/l2: spec.preferredNodeSelectors: preferredNodeSelectors is a MetalLB field airlb does not implement yet; remove it (see docs/configuration.md)']);
});

test('a v1beta2-only BGPPeer field under metallb.io/v1beta1 is an unknown field', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 10.0.0.1\n  vrf: red\n';
  assert.deepEqual(locations(yaml), ['test.yaml:8: BGPPeer/r: spec.vrf']);
});

test('wrong types are reported with what was expected and how to fix it', () => {
  const yaml = [
    'apiVersion: metallb.io/v1beta2', // 1
    'kind: BGPPeer', //                  2
    'metadata:', //                      3
    '  name: r', //                      4
    '  labels: {version: 2}', //         5
    'spec:', //                          6
    '  myASN: "64500"', //               7
    '  peerASN: 64501', //               8
    '  peerAddress: 10.0.0.1', //        9
    '  holdTime: 90', //                10
    '  ebgpMultiHop: yes', //           11
    '  nodeSelectors: {matchLabels: {a: b}}', // 12
  ].join('\n');
  assert.deepEqual(problems(yaml), [
    'test.yaml:5: BGPPeer/r: metadata.labels.version: expected a string, found number 2; quote it: "2"',
    'test.yaml:7: BGPPeer/r: spec.myASN: expected an integer, found the string "64500"; remove the quotes',
    'test.yaml:10: BGPPeer/r: spec.holdTime: expected a duration string such as "90s", "1m30s" or "500ms", found number 90; write "90s" for seconds',
    'test.yaml:11: BGPPeer/r: spec.ebgpMultiHop: expected true or false, found the string "yes"',
    'test.yaml:12: BGPPeer/r: spec.nodeSelectors: expected a list, found a mapping',
  ]);
});

test('missing required fields are reported at the enclosing field, once each', () => {
  const yaml = [
    'apiVersion: metallb.io/v1beta2', // 1
    'kind: BGPPeer', //                  2
    'metadata:', //                      3
    '  namespace: metallb-system', //    4
    'spec:', //                          5
    '  peerASN: 64501', //               6
  ].join('\n');
  assert.deepEqual(locations(yaml), [
    'test.yaml:3: BGPPeer/: metadata.name',
    'test.yaml:5: BGPPeer/: spec.myASN',
    'test.yaml:5: BGPPeer/: spec.peerAddress',
  ]);
  assert.match(problems(yaml)[0]!, /^test\.yaml:3: BGPPeer\/\(no name\): metadata\.name: required field "name" is missing; add it$/);
});

test('a YAML syntax error is an issue with its line, and the other documents are still read', () => {
  const yaml = [
    'apiVersion: metallb.io/v1beta1', // 1
    'kind: IPAddressPool', //            2
    'metadata: {name: a}', //            3
    'spec: {addresses: [10.0.0.0/24]}', // 4
    '---', //                            5
    'apiVersion: v1', //                 6
    'kind: Service', //                  7
    'metadata: {name: b', //             8
    'spec: {}', //                       9
  ].join('\n');
  const { config, issues } = load(yaml);
  assert.equal(config.pools.length, 1);
  assert.equal(config.services.length, 0);
  assert.ok(issues.length >= 1);
  assert.equal(issues[0]!.file, 'test.yaml');
  assert.ok(issues[0]!.line >= 8 && issues[0]!.line <= 10, `line ${issues[0]!.line}`);
  assert.match(issues[0]!.message, /^YAML syntax error: /);
});

test('a duplicated key is a YAML error at that key', () => {
  const yaml = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n';
  const { issues } = load(yaml);
  assert.deepEqual(issues.map((i) => [i.line, i.kind]), [[5, '']]);
  assert.match(issues[0]!.message, /YAML syntax error: .*unique/i);
});

test('a document that is not a mapping, or lacks apiVersion or kind, is an issue', () => {
  assert.deepEqual(locations('- just\n- a list\n---\nkind: Service\nmetadata: {name: x}\n'), ['test.yaml:1: /: ', 'test.yaml:4: Service/x: apiVersion']);
});

test('a known metallb.io kind under a version MetalLB does not serve is an error, other kinds are ignored notes', () => {
  const yaml = 'apiVersion: metallb.io/v1beta2\nkind: IPAddressPool\nmetadata: {name: p}\n---\napiVersion: metallb.io/v1beta1\nkind: ServiceL2Status\nmetadata: {name: s}\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\n';
  const { issues, ignored } = load(yaml);
  assert.deepEqual(issues.map((i) => `${i.line}: ${i.path}: ${i.message}`), ['1: apiVersion: IPAddressPool is served as metallb.io/v1beta1, not metallb.io/v1beta2; change apiVersion']);
  assert.deepEqual(ignored.map((d) => `${d.line} ${d.kind}/${d.name}: ${d.reason}`), ['5 ServiceL2Status/s: airlb does not read metallb.io ServiceL2Status', '9 Service/k: not a kind airlb reads']);
});

test('YAML anchors and aliases are resolved, and JSON input is read like YAML', () => {
  const yaml = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: &app {app: web}\nspec:\n  selector: *app\n';
  const { config, issues } = load(yaml);
  assert.deepEqual(issues, []);
  assert.deepEqual(config.services[0]!.spec.selector, { app: 'web' });
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels: { team: 'home' } } });
  const parsed = parseConfigSources([{ file: 'ns.json', text: json }]);
  assert.deepEqual(parsed.issues, []);
  assert.deepEqual(parsed.config.namespaces[0]!.metadata.labels, { team: 'home' });
});

test('an alias to an anchor of another document is an issue, since anchors do not cross documents', () => {
  const yaml = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: &l {x: y}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: *l}\n';
  assert.deepEqual(problems(yaml), ['test.yaml:7: YAML alias *l has no anchor &l before it in this document']);
});

test('durations in Go syntax become milliseconds', () => {
  const yaml = 'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 10.0.0.1\n  holdTime: 1m30s\n  keepaliveTime: 500ms\n  connectTime: 2s\n';
  const { config, issues } = load(yaml);
  assert.deepEqual(issues, []);
  const s = config.bgpPeers[0]!.spec;
  assert.deepEqual([s.holdTimeMs, s.keepaliveTimeMs, s.connectTimeMs], [90_000, 500, 2_000]);
});

test('a malformed duration is an error at its line', () => {
  const yaml = 'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\nspec:\n  myASN: 64500\n  peerASN: 64501\n  peerAddress: 10.0.0.1\n  holdTime: 90 seconds\n';
  assert.deepEqual(problems(yaml), ['test.yaml:8: BGPPeer/r: spec.holdTime: expected a duration such as "90s", "1m30s" or "500ms" (units ns, us, ms, s, m, h), found the string "90 seconds"']);
});

test('a list item of the wrong type keeps its position, and gets one issue, not a second from validation', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  addresses:\n    - 5\n    - bad\n';
  assert.deepEqual(locations(yaml), ['test.yaml:6: IPAddressPool/p: spec.addresses[0]', 'test.yaml:7: IPAddressPool/p: spec.addresses[1]']);
  assert.match(problems(yaml)[0]!, /expected a string, found number 5/);
  assert.match(problems(yaml)[1]!, /"bad" is neither a CIDR/);
});

test('an unknown selector operator is one issue at the operator, with no follow-up about its values', () => {
  const yaml = 'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  nodeSelectors:\n    - matchExpressions: [{key: a, operator: Has}]\n';
  assert.deepEqual(problems(yaml), ['test.yaml:6: L2Advertisement/l2: spec.nodeSelectors[0].matchExpressions[0].operator: expected one of In, NotIn, Exists, DoesNotExist, found the string "Has"']);
});
