import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/cli.js';

interface PlanJson {
  services: { namespace: string; name: string; ips: string[]; pool: string | null; error: string | null }[];
  l2: { ip: string; service: string; node: string | null; interfaces: string[]; allInterfaces: boolean; reason: string }[];
  bgp: { prefix: string; node: string; peers: string[]; communities: string[]; localPref: number | null }[];
}

test('plan on each field guide manifest (seed, verbatim) validates and computes an empty plan', async () => {
  for (const file of ['test/fixtures/seed/seed-l2-wired-node.yaml', 'test/fixtures/seed/seed-bgp.yaml']) {
    const r = await runCli(['plan', '-f', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout) as PlanJson, { services: [], l2: [], bgp: [] });
  }
});

test('the two seed manifests together are rejected: both pools claim the same range (MetalLB refuses overlaps)', async () => {
  const r = await runCli(['plan', '-f', 'test/fixtures/seed']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /seed-l2-wired-node\.yaml:10: IPAddressPool\/home-lab-pool: spec\.addresses\[0\]: .*overlaps/);
});

test('plan on the home-lab example allocates like MetalLB and puts every VIP on the labelled wired node', async () => {
  const r = await runCli(['plan', '-f', 'examples/home-lab', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as PlanJson;
  assert.deepEqual(
    plan.services.map((s) => [`${s.namespace}/${s.name}`, s.ips, s.pool, s.error]),
    [
      ['default/dns-tcp', ['192.168.1.210'], 'home-lab-pool', null],
      ['default/dns-udp', ['192.168.1.210'], 'home-lab-pool', null],
      ['default/web', ['192.168.1.200'], 'home-lab-pool', null],
    ],
  );
  assert.ok(plan.l2.length === 3 && plan.l2.every((a) => a.node === 'rpi-node-01' && a.reason === 'elected' && a.allInterfaces));
  const human = await runCli(['plan', '-f', 'examples/home-lab']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /default\/web\s+192\.168\.1\.200\s+home-lab-pool\s+allocated/);
});

test('plan reports a pending Service with its reason and still exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-plan-'));
  try {
    writeFileSync(
      join(dir, 'all.yaml'),
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: tiny, namespace: metallb-system}
spec: {addresses: [10.0.0.1/32]}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`,
    );
    const r = await runCli(['plan', '-f', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as PlanJson;
    assert.deepEqual(plan.services[0]!.ips, ['10.0.0.1']);
    assert.deepEqual(plan.services[1]!.ips, []);
    assert.equal(plan.services[1]!.pool, null);
    assert.match(plan.services[1]!.error ?? '', /exhausted|no free|available/i);
    // No L2Advertisement: the allocated VIP is announced by nobody, and the plan says why.
    assert.deepEqual(plan.l2.map((a) => [a.ip, a.node, a.reason]), [['10.0.0.1', null, 'no-l2-advertisement']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan refuses an invalid configuration with exit 1 and FILE:LINE errors, and usage errors exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-plan-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec:\n  addresses: [10.0.0.9-10.0.0.1]\n');
    const r = await runCli(['plan', '-f', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml:5: IPAddressPool\/p: spec\.addresses\[0\]: /);
    assert.equal((await runCli(['plan'])).code, 2);
    assert.equal((await runCli(['plan', '-f', dir, '--bogus'])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan --json lists the BGP routes each node sends its peers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-plan-'));
  try {
    writeFileSync(join(dir, 'bgp.yaml'), readFileSync(join(repoRoot, 'test/fixtures/seed/seed-bgp.yaml')));
    writeFileSync(join(dir, 'cluster.yaml'), readFileSync(join(repoRoot, 'examples/home-lab/nodes.yaml')));
    writeFileSync(join(dir, 'web.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n');
    const r = await runCli(['plan', '-f', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as PlanJson;
    assert.deepEqual(plan.services.map((s) => s.ips), [['192.168.1.200']]);
    assert.deepEqual(
      plan.bgp.map((b) => [b.prefix, b.node, b.peers, b.localPref]),
      ['rpi-node-01', 'rpi-node-02', 'rpi-node-03'].map((n) => ['192.168.1.200/32', n, ['home-router'], null]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test('plan prints configuration warnings on stderr as FILE:LINE: warning: ..., keeps --json stdout one document, and still plans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-plan-'));
  try {
    const file = join(dir, 'peer.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: metallb.io/v1beta2', //  1
        'kind: BGPPeer', //                   2
        'metadata: {name: r}', //             3
        'spec:', //                           4
        '  myASN: 64500', //                  5
        '  peerASN: 64501', //                6
        '  interface: eth1', //               7
        '---',
        'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: [10.0.0.1/32]}',
      ].join('\n'),
    );
    const warning = `${file}:7: warning: BGPPeer/r: spec.interface: unnumbered peering (interface "eth1") is not supported yet`;
    for (const args of [['--json'], []]) {
      const r = await runCli(['plan', '-f', file, ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.startsWith(warning), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      if (args.length > 0) assert.deepEqual(JSON.parse(r.stdout) as PlanJson, { services: [], l2: [], bgp: [] });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan honours advertisement serviceSelectors: L2 and BGP each announce only the Services they select, with no warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-plan-'));
  try {
    writeFileSync(join(dir, 'cluster.yaml'), readFileSync(join(repoRoot, 'examples/home-lab/nodes.yaml')));
    writeFileSync(
      join(dir, 'metallb.yaml'),
      `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec: {addresses: [192.168.1.200-192.168.1.201]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan-only, namespace: metallb-system}
spec:
  serviceSelectors: [{matchLabels: {expose: lan}}]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: routed-only, namespace: metallb-system}
spec:
  serviceSelectors: [{matchLabels: {expose: routed}}]
  nodeSelectors: [{matchLabels: {network: ethernet}}]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router, namespace: metallb-system}
spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.168.1.1}
---
apiVersion: v1
kind: Service
metadata: {name: lan, namespace: default, labels: {expose: lan}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: routed, namespace: default, labels: {expose: routed}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`,
    );
    const r = await runCli(['plan', '-f', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const plan = JSON.parse(r.stdout) as PlanJson;
    const ipOf = new Map(plan.services.map((s) => [s.name, s.ips[0]]));
    assert.deepEqual(plan.l2.map((a) => [a.service, a.node, a.reason]), [
      ['default/lan', 'rpi-node-01', 'elected'],
      ['default/routed', null, 'no-l2-advertisement'],
    ]);
    assert.deepEqual(plan.bgp.map((b) => [b.prefix, b.node, b.peers]), [[`${ipOf.get('routed')}/32`, 'rpi-node-01', ['router']]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
