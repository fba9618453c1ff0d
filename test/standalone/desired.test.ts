import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/domain/config/index.js';
import type { ConfigSet } from '../../src/domain/config/types.js';
import { desiredState } from '../../src/standalone/desired.js';

function config(yaml: string): ConfigSet {
  const parsed = loadConfig([{ file: 'test.yaml', text: yaml }]);
  assert.deepEqual(parsed.issues, [], 'the fixture itself is valid');
  return parsed.config;
}

const pool = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: [192.168.1.240-192.168.1.250, "fd00:1::240/124"]
`;

function service(name: string, extra = ''): string {
  return `
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default${extra} }
spec:
  type: LoadBalancer
  ports: [{ port: 80, protocol: TCP }]
`;
}

const advertiseAll = `
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: all, namespace: metallb-system }
`;

function node(name: string, labels: Record<string, string>): string {
  const text = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `
---
apiVersion: v1
kind: Node
metadata: { name: ${name}, labels: { ${text} } }
`;
}

test('without Node objects this node announces every allocated VIP on every interface', () => {
  const d = desiredState({ config: config(pool + advertiseAll + service('web') + service('db')), node: 'pi1', previous: [] });
  assert.equal(d.node, 'assumed');
  assert.deepEqual(
    d.announce.map((v) => [v.ip, v.services, v.allInterfaces]),
    [
      ['192.168.1.240', ['default/db'], true],
      ['192.168.1.241', ['default/web'], true],
    ],
  );
  assert.deepEqual(d.elsewhere, []);
});

test('without an L2Advertisement nothing is announced and the reason says so', () => {
  const d = desiredState({ config: config(pool + service('web')), node: 'pi1', previous: [] });
  assert.deepEqual(d.announce, []);
  assert.deepEqual(d.elsewhere.map((e) => [e.ip, e.node, e.reason]), [['192.168.1.240', null, 'no-l2-advertisement']]);
});

test('nodeSelectors are matched against the Node objects: an unselected node announces nothing', () => {
  const adv = `
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: wired, namespace: metallb-system }
spec:
  nodeSelectors: [{ matchLabels: { network: ethernet } }]
  interfaces: [eth0]
`;
  const c = config(pool + adv + service('web') + node('pi1', { network: 'ethernet' }) + node('pi2', { network: 'wifi' }));
  const wired = desiredState({ config: c, node: 'pi1', previous: [] });
  assert.equal(wired.node, 'listed');
  assert.deepEqual(wired.announce.map((v) => [v.ip, v.allInterfaces, v.interfaces]), [['192.168.1.240', false, ['eth0']]]);
  const wifi = desiredState({ config: c, node: 'pi2', previous: [] });
  assert.deepEqual(wifi.announce, []);
  assert.deepEqual(wifi.elsewhere.map((e) => [e.ip, e.node]), [['192.168.1.240', 'pi1']]);
});

test('with several eligible nodes each VIP is announced by exactly one of them', () => {
  const services = Array.from({ length: 8 }, (_, i) => service(`s${i}`)).join('');
  const c = config(pool + advertiseAll + services + node('a', { x: 'y' }) + node('b', { x: 'y' }) + node('c', { x: 'y' }));
  const byNode = ['a', 'b', 'c'].map((n) => desiredState({ config: c, node: n, previous: [] }).announce.map((v) => v.ip));
  const all = byNode.flat().sort();
  assert.equal(all.length, 8, 'every VIP has one announcer');
  assert.equal(new Set(all).size, 8, 'no VIP has two');
});

test('a node missing from the Node objects is reported as missing and announces nothing', () => {
  const d = desiredState({ config: config(pool + advertiseAll + service('web') + node('other', { a: 'b' })), node: 'pi1', previous: [] });
  assert.equal(d.node, 'missing');
  assert.deepEqual(d.announce, []);
});

test('the assumed node carries kubernetes.io/hostname, so hostname selectors work without Node objects', () => {
  const adv = `
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: one, namespace: metallb-system }
spec:
  nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: pi1 } }]
`;
  const c = config(pool + adv + service('web'));
  assert.equal(desiredState({ config: c, node: 'pi1', previous: [] }).announce.length, 1);
  assert.equal(desiredState({ config: c, node: 'pi9', previous: [] }).announce.length, 0);
});

test('previous assignments are restored, so a new Service sorting first does not take an existing address', () => {
  const before = desiredState({ config: config(pool + advertiseAll + service('web')), node: 'n', previous: [] });
  assert.deepEqual(before.allocations.map((a) => a.ips), [['192.168.1.240']]);
  const previous = before.allocations.map((a) => ({ namespace: a.namespace, name: a.name, ips: a.ips }));
  const after = desiredState({ config: config(pool + advertiseAll + service('aaa') + service('web')), node: 'n', previous });
  const ips = Object.fromEntries(after.allocations.map((a) => [a.name, a.ips]));
  assert.deepEqual(ips, { aaa: ['192.168.1.241'], web: ['192.168.1.240'] });
});

test('a dual-stack Service gets both VIPs announced by the same node', () => {
  const dual = service('dual').replace('type: LoadBalancer', 'type: LoadBalancer\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]');
  const d = desiredState({ config: config(pool + advertiseAll + dual), node: 'n', previous: [] });
  assert.deepEqual(d.announce.map((v) => v.ip), ['192.168.1.240', 'fd00:1::240']);
});

test('Services sharing a VIP make one announcement listing both', () => {
  const shared = ', annotations: { metallb.io/allow-shared-ip: k, metallb.io/loadBalancerIPs: 192.168.1.245 }';
  const udp = service('dns-udp', shared).replace('protocol: TCP', 'protocol: UDP');
  const d = desiredState({ config: config(pool + advertiseAll + service('dns-tcp', shared) + udp), node: 'n', previous: [] });
  assert.deepEqual(d.announce.map((v) => [v.ip, v.services]), [['192.168.1.245', ['default/dns-tcp', 'default/dns-udp']]]);
});
