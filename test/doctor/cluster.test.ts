import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RESOURCES } from '../../src/k8s/resources.js';
import { FakeApiServer } from '../k8s/fake-apiserver.js';
import { writeKubeconfig } from '../k8s/helpers.js';
import { runCli } from '../support/cli.js';

// `airlb doctor --kubeconfig`: the same configuration checks as -f, read from an API server (the
// in-repo fake), plus kube-proxy's mode from its ConfigMap and the announcer from ServiceL2Status.

let server: FakeApiServer;
let dir: string;
let kubeconfig: string;

before(async () => {
  server = await FakeApiServer.start();
  dir = mkdtempSync(join(tmpdir(), 'airlb-doctor-k8s-'));
  kubeconfig = writeKubeconfig(dir, server.url);
  server.put(RESOURCES.ipAddressPool, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'lan', namespace: 'metallb-system' }, spec: { addresses: ['192.168.1.200-192.168.1.210'] } });
  server.put(RESOURCES.l2Advertisement, { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'lan', namespace: 'metallb-system' }, spec: { ipAddressPools: ['lan'] } });
  for (const [name, ip] of [['pi1', '192.168.1.11'], ['pi2', '192.168.1.12']] as const) {
    server.put(RESOURCES.node, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { addresses: [{ type: 'InternalIP', address: ip }] } });
  }
  server.put(RESOURCES.service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', annotations: { 'metallb.io/loadBalancerIPs': '192.168.1.200' } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
  });
  server.put(RESOURCES.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  strictARP: false\n' } });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface DoctorJson {
  checks: { id: string; status: string; detail: string }[];
  facts: { announcement: { node: string; reason: string; nodeIp: string | null } | null; kubeProxy: unknown };
}

async function doctor(): Promise<DoctorJson> {
  const r = await runCli(['doctor', '--kubeconfig', kubeconfig, '--vip', '192.168.1.200', '--no-probe', '--json']);
  assert.ok(r.stdout.startsWith('{'), `exit ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as DoctorJson;
}

test('kube-proxy in IPVS mode without strictARP is read from its ConfigMap and reported as a problem', async () => {
  const json = await doctor();
  assert.deepEqual(json.facts.kubeProxy, { mode: 'ipvs', strictARP: false });
  const check = json.checks.find((c) => c.id === 'kube-proxy-strict-arp')!;
  assert.equal(check.status, 'problem');
  assert.match(check.detail, /IPVS without strictARP/);
  assert.equal(json.checks.find((c) => c.id === 'allocation')!.status, 'ok');
});

test('the node in ServiceL2Status is the announcer, whatever the offline election says', async () => {
  const elected = (await doctor()).facts.announcement!;
  assert.equal(elected.reason, 'elected');
  const other = elected.node === 'pi1' ? 'pi2' : 'pi1';
  server.put(RESOURCES.serviceL2Status, {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'ServiceL2Status',
    metadata: { name: 'l2-web', namespace: 'metallb-system' },
    status: { node: other, serviceName: 'web', serviceNamespace: 'default', interfaces: [{ name: 'wlan0' }] },
  });
  const live = (await doctor()).facts.announcement!;
  assert.deepEqual([live.node, live.reason, live.nodeIp], [other, 'ServiceL2Status', other === 'pi1' ? '192.168.1.11' : '192.168.1.12']);
});
