import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { planAllocations } from '../../src/domain/allocator/plan.js';
import { fsmConfigOf } from '../../src/domain/bgp/peer-config.js';
import { formatWarning } from '../../src/domain/config/index.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/proto/bgp/index.js';
import { runCli } from '../support/cli.js';
import { load, problems } from './helpers.js';

// MetalLB fields that airlb used to refuse (issue 2/7): each is now accepted, honoured where
// airlb can, and otherwise reported as a warning at its FILE:LINE and field path.

function warnings(yaml: string, file = 'test.yaml'): string[] {
  return load(yaml, file).warnings.map(formatWarning);
}


describe('IPAddressPool spec.serviceAllocation', () => {
  test('priority, namespaces, namespaceSelectors and serviceSelectors load cleanly and steer allocation as in MetalLB', () => {
    const yaml = [
      'apiVersion: metallb.io/v1beta1',
      'kind: IPAddressPool',
      'metadata: {name: front}',
      'spec:',
      '  addresses: [10.0.0.1/32]',
      '  serviceAllocation:',
      '    priority: 1',
      '    namespaces: [apps]',
      '    serviceSelectors:',
      '      - matchLabels: {tier: front}',
      '---',
      'apiVersion: metallb.io/v1beta1',
      'kind: IPAddressPool',
      'metadata: {name: team}',
      'spec:',
      '  addresses: [10.0.1.1/32]',
      '  serviceAllocation:',
      '    priority: 2',
      '    namespaceSelectors:',
      '      - matchLabels: {team: home}',
      '---',
      'apiVersion: metallb.io/v1beta1',
      'kind: IPAddressPool',
      'metadata: {name: rest}',
      'spec:',
      '  addresses: [10.0.2.0/30]',
      '---',
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: home, labels: {team: home}}',
      ...[
        ['apps', 'web', 'front'],
        ['other', 'web', 'front'],
        ['home', 'nas', 'back'],
      ].flatMap(([ns, name, tier]) => ['---', 'apiVersion: v1', 'kind: Service', `metadata: {name: ${name}, namespace: ${ns}, labels: {tier: ${tier}}}`, 'spec: {type: LoadBalancer, ports: [{port: 80}]}']),
    ].join('\n');
    const { config, issues, warnings: warned } = load(yaml);
    assert.deepEqual(issues, []);
    assert.deepEqual(warned, [], 'serviceAllocation is fully honoured, so nothing to warn about');
    const plan = planAllocations({ pools: config.pools, services: config.services, namespaces: config.namespaces });
    const where = Object.fromEntries(plan.map((e) => [`${e.namespace}/${e.name}`, e.pool]));
    assert.deepEqual(where, {
      'apps/web': 'front', // namespace listed and service selector matched
      'other/web': 'rest', // service selector matches, but the namespace is not listed
      'home/nas': 'team', // namespace picked by its labels
    });
  });
});

describe('L2Advertisement and BGPAdvertisement spec.serviceSelectors', () => {
  const l2 = [
    'apiVersion: metallb.io/v1beta1', // 1
    'kind: L2Advertisement', //          2
    'metadata: {name: l2}', //           3
    'spec:', //                          4
    '  ipAddressPools: []', //           5
    '  serviceSelectors:', //            6
    '    - matchLabels: {expose: lan}', // 7
  ].join('\n');

  test('a non-empty list on an L2Advertisement is accepted and read into the model; honoured (test/election), so no warning', () => {
    const { config, issues } = load(l2);
    assert.deepEqual(issues, []);
    assert.deepEqual(config.l2Advertisements[0]!.spec.serviceSelectors, [{ matchLabels: { expose: 'lan' }, matchExpressions: [] }]);
    assert.deepEqual(warnings(l2), []);
  });

  test('an empty list means every Service, and needs no warning either', () => {
    const yaml = 'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  serviceSelectors: []\n';
    assert.deepEqual(problems(yaml), []);
    assert.deepEqual(warnings(yaml), []);
  });

  test('on a BGPAdvertisement its selectors are checked like every other selector, and it is honoured (test/bgp), so no warning', () => {
    const yaml = [
      'apiVersion: metallb.io/v1beta1', //                          1
      'kind: BGPAdvertisement', //                                  2
      'metadata: {name: b}', //                                     3
      'spec:', //                                                   4
      '  serviceSelectors:', //                                     5
      '    - matchExpressions: [{key: expose, operator: In}]', //   6
    ].join('\n');
    assert.deepEqual(problems(yaml), [
      'test.yaml:6: BGPAdvertisement/b: spec.serviceSelectors[0].matchExpressions[0].values: operator In needs at least one value; add values or use Exists/DoesNotExist',
    ]);
    assert.deepEqual(warnings(yaml.replace('operator: In}', 'operator: In, values: [lan]}')), []);
  });

  test('a serviceSelectors of the wrong type is one error, with no warning on top', () => {
    const yaml = 'apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n  serviceSelectors: web\n';
    const { issues, warnings: warned } = load(yaml);
    assert.deepEqual(issues.map((i) => `${i.line}: ${i.path}`), ['5: spec.serviceSelectors']);
    assert.deepEqual(warned, []);
  });
});

function peer(extra: readonly string[], apiVersion = 'metallb.io/v1beta2'): string {
  return [`apiVersion: ${apiVersion}`, 'kind: BGPPeer', 'metadata: {name: r}', 'spec:', '  myASN: 64500', '  peerASN: 64501', ...extra.map((l) => `  ${l}`)].join('\n');
}

describe('BGPPeer spec.dualStackAddressFamily', () => {
  const familiesOf = (yaml: string) => {
    const { config, issues, warnings: warned } = load(yaml);
    assert.deepEqual(issues, []);
    assert.deepEqual(warned, [], 'honoured, so never a warning');
    return fsmConfigOf(config.bgpPeers[0]!, '10.0.0.2').families;
  };

  test('true: one session offers IPv4 and IPv6 unicast by Multiprotocol BGP (RFC 4760), even with the deprecated disableMP: true', () => {
    assert.deepEqual(familiesOf(peer(['peerAddress: 192.0.2.1', 'dualStackAddressFamily: true'])), [IPV4_UNICAST, IPV6_UNICAST]);
    assert.deepEqual(familiesOf(peer(['peerAddress: 192.0.2.1', 'disableMP: true', 'dualStackAddressFamily: true'])), [IPV4_UNICAST, IPV6_UNICAST]);
  });

  test('false: the session carries only the family of peerAddress, as in MetalLB, whatever disableMP says', () => {
    assert.deepEqual(familiesOf(peer(['peerAddress: 192.0.2.1', 'dualStackAddressFamily: false'])), [IPV4_UNICAST]);
    assert.deepEqual(familiesOf(peer(['peerAddress: 2001:db8::1', 'disableMP: false', 'dualStackAddressFamily: false'])), [IPV6_UNICAST]);
  });

  test('unset: disableMP keeps its meaning (default both families)', () => {
    assert.deepEqual(familiesOf(peer(['peerAddress: 192.0.2.1'])), [IPV4_UNICAST, IPV6_UNICAST]);
    assert.deepEqual(familiesOf(peer(['peerAddress: 192.0.2.1', 'disableMP: true'])), [IPV4_UNICAST]);
  });

  test('it is a boolean', () => {
    assert.deepEqual(problems(peer(['peerAddress: 192.0.2.1', 'dualStackAddressFamily: "yes"'])), ['test.yaml:8: BGPPeer/r: spec.dualStackAddressFamily: expected true or false, found the string "yes"']);
  });
});

describe('BGPPeer spec.interface (unnumbered peering)', () => {
  test('alone, it is accepted and read into the model, with a warning at its line that no session can be opened', () => {
    const yaml = peer(['interface: eth1']);
    const { config, issues } = load(yaml);
    assert.deepEqual(issues, []);
    assert.equal(config.bgpPeers[0]!.spec.interface, 'eth1');
    assert.equal(config.bgpPeers[0]!.spec.peerAddress, '');
    assert.deepEqual(warnings(yaml, 'peer.yaml'), [
      `peer.yaml:7: warning: BGPPeer/r: spec.interface: unnumbered peering (interface "eth1") is not supported yet: airlb cannot open a session with this peer, so nothing is announced to it; set peerAddress to the router's address on that link instead`,
    ]);
  });

  test('an empty interface is unset, as for MetalLB (omitempty), so peerAddress is still needed', () => {
    const { config, issues, warnings: warned } = load(peer(['interface: ""', 'peerAddress: 192.0.2.1']));
    assert.deepEqual(issues, []);
    assert.deepEqual(warned, []);
    assert.equal(config.bgpPeers[0]!.spec.interface, undefined);
  });

  test('with peerAddress too it is an error (MetalLB: mutually exclusive), not a warning', () => {
    const yaml = peer(['peerAddress: 192.0.2.1', 'interface: eth1']);
    assert.deepEqual(problems(yaml), ['test.yaml:8: BGPPeer/r: spec.interface: peerAddress and interface are both set; keep only one: peerAddress for a router at a known address, interface for unnumbered peering']);
    assert.deepEqual(warnings(yaml), []);
  });

  test('a v1beta2 peer with neither peerAddress nor interface is an error at spec', () => {
    assert.deepEqual(problems(peer([])), ["test.yaml:4: BGPPeer/r: spec.peerAddress: peerAddress is missing; set the router's IP address, or interface for unnumbered peering"]);
  });

  test('v1beta1 has no interface: there peerAddress stays required and interface is an unknown field', () => {
    assert.deepEqual(problems(peer([], 'metallb.io/v1beta1')), ['test.yaml:4: BGPPeer/r: spec.peerAddress: required field "peerAddress" is missing; add it']);
    assert.deepEqual(
      problems(peer(['peerAddress: 192.0.2.1', 'interface: eth1'], 'metallb.io/v1beta1')).map((p) => p.split(': unknown field')[0]),
      ['test.yaml:8: BGPPeer/r: spec.interface'],
    );
  });
});

describe('airlb validate with warnings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-warn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'metallb.yaml');
  writeFileSync(
    file,
    [
      peer(['interface: eth1']), //                 lines 1-7, interface at 7
      '---', //                                     8
      peer(['interface: eth2']).replace('{name: r}', '{name: r2}'), // lines 9-15, interface at 15
      '---', //                                     16
      'apiVersion: metallb.io/v1beta1', //          17
      'kind: L2Advertisement', //                   18
      'metadata: {name: l2}', //                    19
      'spec:', //                                   20
      '  serviceSelectors: [{matchLabels: {a: b}}]', // 21: honoured, no warning
    ].join('\n'),
  );

  test('prints each warning as FILE:LINE: warning: Kind/name: path: message and still exits 0', async () => {
    const result = await runCli(['validate', '-f', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'valid: 1 file checked, 2 warnings\n');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(`^${file.replace(/[.]/g, '\\.')}:7: warning: BGPPeer/r: spec\\.interface: unnumbered peering`));
    assert.match(lines[1]!, new RegExp(`^${file.replace(/[.]/g, '\\.')}:15: warning: BGPPeer/r2: spec\\.interface: unnumbered peering \\(interface "eth2"\\)`));
  });

  test('--json keeps valid: true and lists the warnings with the issue fields', async () => {
    const result = await runCli(['validate', '-f', file, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { valid: boolean; errors: unknown[]; warnings: Record<string, unknown>[] };
    assert.equal(report.valid, true);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.warnings.map((w) => [w['file'], w['line'], w['kind'], w['name'], w['path']]),
      [
        [file, 7, 'BGPPeer', 'r', 'spec.interface'],
        [file, 15, 'BGPPeer', 'r2', 'spec.interface'],
      ],
    );
  });

  test('with an error as well, it exits 1 and prints errors and warnings in line order', async () => {
    const mixed = join(dir, 'mixed.yaml');
    writeFileSync(mixed, `${peer(['interface: eth1', 'holdTime: 1s'])}\n`);
    const result = await runCli(['validate', '-f', mixed]);
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.pop(), '1 problem found, 1 warning');
    assert.deepEqual(lines.map((l) => l.slice(mixed.length).split(': ').slice(0, 3).join(': ')), [':7: warning: BGPPeer/r', ':8: BGPPeer/r: spec.holdTime']);
  });
});
