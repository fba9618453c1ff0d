import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { defaultTopology, findNode, parseTopology } from '../../src/lab/topology.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/lab/${name}`, import.meta.url), 'utf8');

function problems(text: string, file = 'topo.yaml'): string[] {
  try {
    parseTopology(text, file);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'lab-topology-invalid');
    return (err as Error).message.split('\n');
  }
  assert.fail('expected the topology to be rejected');
}

test('the default topology written out as YAML parses to exactly the built-in default', () => {
  assert.deepEqual(parseTopology(fixture('default.yaml'), 'default.yaml'), defaultTopology());
});

test('the default topology has a router, a wired Pi, two WiFi Pis, a WiFi and a wired client', () => {
  const t = defaultTopology();
  assert.deepEqual(
    t.nodes.map((n) => `${n.name}:${n.role}:${n.port}:${n.ipv4}`),
    ['router:router:wired:192.168.1.1', 'pi1:node:wired:192.168.1.11', 'pi2:node:wifi:192.168.1.12', 'pi3:node:wifi:192.168.1.13', 'laptop:client:wifi:192.168.1.50', 'desktop:client:wired:192.168.1.51'],
  );
  assert.deepEqual(findNode(t, 'pi2').behaviours, { proxyArp: true, isolation: false, garpFilter: true, loss: 0, firmwareFilter: true });
  assert.equal(findNode(t, 'laptop').behaviours?.firmwareFilter, false, 'a laptop is not a Pi');
  assert.equal(findNode(t, 'pi1').behaviours, null, 'wired ports have no AP behaviours');
});

test('wifiDefaults apply to every WiFi port and a port\'s own behaviours override them', () => {
  const t = parseTopology(fixture('isolated-ap.yaml'), 'isolated-ap.yaml');
  assert.deepEqual(findNode(t, 'pia').behaviours, { proxyArp: true, isolation: true, garpFilter: true, loss: 5, firmwareFilter: true });
  assert.deepEqual(findNode(t, 'pib').behaviours, { proxyArp: true, isolation: true, garpFilter: true, loss: 0, firmwareFilter: false });
  assert.equal(findNode(t, 'pib').iface, 'wlp1s0');
  assert.equal(findNode(t, 'gw').port, 'wired', 'port defaults to wired');
  assert.equal(t.lan.ipv6, null);
  assert.deepEqual(findNode(t, 'pia').labels, { 'topology.kubernetes.io/zone': 'attic' });
});

test('every problem in a topology is reported at once with file, line, node and field', () => {
  assert.deepEqual(problems(fixture('invalid.yaml'), 'invalid.yaml'), [
    'invalid.yaml:2: Lab: lan.ipv4: expected an IPv4 prefix with host bits zero, e.g. 192.168.1.0/24',
    'invalid.yaml:5: Lab: vipPool: expected an IPv4 range "first-last" or prefix inside the LAN, e.g. 192.168.1.200-192.168.1.210',
    'invalid.yaml:9: Node/router: nodes[0].port: the router is wired to the AP',
    'invalid.yaml:11: Node/Pi-1: nodes[1].name: expected 1-15 lowercase letters and digits starting with a letter',
    'invalid.yaml:17: Node/pi2: nodes[2].behaviours: AP behaviours apply to wifi ports only (set port: wifi)',
    'invalid.yaml:20: Node/pi3: nodes[3].ipv4: 192.168.1.12 is already used by node pi2',
    'invalid.yaml:23: Node/pi3: nodes[3].behaviours.colour: unknown field (expected one of: proxyArp, isolation, garpFilter, loss, firmwareFilter)',
    'invalid.yaml:22: Node/pi3: nodes[3].behaviours.loss: expected a whole percentage from 0 to 100',
  ]);
});

test('addresses must lie inside the LAN, be unique and stay out of the VIP pool', () => {
  const text = `lan: {ipv4: 192.168.1.0/24}
ap: {ipv4: 192.168.1.2}
vipPool: 192.168.1.200-192.168.1.210
nodes:
  - {name: r, role: router, ipv4: 192.168.1.1}
  - {name: a, ipv4: 10.0.0.1}
  - {name: b, ipv4: 192.168.1.1}
  - {name: c, ipv4: 192.168.1.205}
  - {name: d, ipv4: 192.168.1.255}
`;
  assert.deepEqual(problems(text), [
    'topo.yaml:6: Node/a: nodes[1].ipv4: 10.0.0.1 is not inside the LAN 192.168.1.0/24',
    'topo.yaml:7: Node/b: nodes[2].ipv4: 192.168.1.1 is already used by node r',
    'topo.yaml:8: Node/c: nodes[3].ipv4: 192.168.1.205 lies inside the vipPool 192.168.1.200-192.168.1.210',
    'topo.yaml:9: Node/d: nodes[4].ipv4: 192.168.1.255 is the network or broadcast address of 192.168.1.0/24',
  ]);
});

test('a topology needs exactly one router and names that fit a namespace and a port', () => {
  assert.deepEqual(problems('lan: {ipv4: 10.0.0.0/24}\nap: {ipv4: 10.0.0.2}\nnodes:\n  - {name: ap, ipv4: 10.0.0.3}\n'), [
    "topo.yaml:4: Node/ap: nodes[0].name: 'ap' is reserved for the AP",
    'topo.yaml:4: Lab: nodes: expected exactly one node with role: router (found 0)',
  ]);
  assert.deepEqual(problems('lan: {ipv4: 10.0.0.0/24}\nap: {ipv4: 10.0.0.2}\nnodes:\n  - {name: r, role: router, ipv4: 10.0.0.1}\n  - {name: r, ipv4: 10.0.0.3}\n'), [
    'topo.yaml:5: Node/r: nodes[1].name: duplicate node name',
  ]);
});

test('IPv6 addresses are required when the LAN has an IPv6 prefix and refused when it has none', () => {
  const withV6 = 'lan: {ipv4: 10.0.0.0/24, ipv6: "fd00::/64"}\nap: {ipv4: 10.0.0.2, ipv6: "fd00::2"}\nnodes:\n  - {name: r, role: router, ipv4: 10.0.0.1}\n';
  assert.deepEqual(problems(withV6), ['topo.yaml:4: Node/r: nodes[0].ipv6: expected an IP address']);
  const withoutV6 = 'lan: {ipv4: 10.0.0.0/24}\nap: {ipv4: 10.0.0.2}\nnodes:\n  - {name: r, role: router, ipv4: 10.0.0.1, ipv6: "fd00::1"}\n';
  assert.deepEqual(problems(withoutV6), ['topo.yaml:4: Node/r: nodes[0].ipv6: the LAN has no ipv6 prefix (add lan.ipv6)']);
});

test('YAML syntax errors and duplicate keys point at their line', () => {
  const [first] = problems('lan:\n  ipv4: 10.0.0.0/24\n  ipv4: 10.0.1.0/24\n');
  assert.match(first!, /^topo\.yaml:3: /);
});
