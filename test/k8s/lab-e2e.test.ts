import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { isJsonObject, type JsonObject } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { ingressIps } from '../../src/k8s/service-status.js';
import { startLab } from '../lab/support.js';
import { cliCommand } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { FakeApiServer } from './fake-apiserver.js';
import { service, waitFor, writeKubeconfig } from './helpers.js';

// Kubernetes mode end to end in `airlb lab` (the default home LAN: router, AP, wired pi1, WiFi pi2
// and pi3 whose Broadcom firmware filter is emulated, a wired desktop). The test API server listens
// in the router's namespace (a helper process makes the socket there and hands it over), `airlb
// controller` runs there too, one `airlb speaker` per Pi. The AP's proxy ARP and GARP filtering
// are off on the Pis' ports (the field guide's AP fix); the firmware filter stays on, so a WiFi Pi
// can answer only because its speaker holds promiscuous mode. Proves: a Service created → its VIP
// answers the desktop from the elected Pi (wired pi1); pi1 dies → a WiFi Pi answers; the
// controller restarts → the Service keeps its address.

const NS = 'metallb-system';
const API_PORT = 6443;
const PIS = ['pi1', 'pi2', 'pi3'] as const;
type Pi = (typeof PIS)[number];

let lab: Lab | undefined;
let cleanup: () => Promise<void> = async () => undefined;
let server: FakeApiServer | undefined;
let dir: string | undefined;
const logs = new Map<string, string>();

/** A listening TCP socket made inside `netns` (sockets stay in the namespace they were made in). */
function listenIn(netns: string, host: string, port: number): Promise<NetServer> {
  const script = `const s=require('net').createServer();s.listen(${port},'${host}',()=>process.send('listening',s,()=>process.exit(0)))`;
  const helper = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    helper.once('message', (_m, handle) => resolve(handle as NetServer));
    helper.once('exit', (code) => reject(new Error(`the listener helper in ${netns} exited with ${code}`)));
  });
}

function airlb(node: string, name: string, args: readonly string[]): ChildProcess {
  const child = lab!.spawn(node, [...cliCommand(), ...args]);
  logs.set(name, '');
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => logs.set(name, logs.get(name)! + d));
  return child;
}

/** The MACs answering the desktop's ARP requests for `ip`. */
async function arpOwners(ip: string): Promise<Set<string>> {
  const r = await lab!.exec('desktop', ['arping', '-c', '2', '-w', '2', '-I', lab!.node('desktop').iface, ip], { timeoutMs: 10_000 });
  return new Set([...r.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase()));
}

/** The one node among `alive` that answers for `ip` and says so in its ServiceL2Status, if any. */
async function owner(ip: string, alive: readonly Pi[]): Promise<Pi | undefined> {
  const macs = await arpOwners(ip);
  const node = alive.find((n) => macs.size === 1 && macs.has(lab!.node(n).mac));
  const reported = server!
    .list(RESOURCES.serviceL2Status)
    .map((o) => o['status'])
    .filter(isJsonObject)
    .map((s) => String(s['node']))
    .filter((n) => (alive as readonly string[]).includes(n));
  return node !== undefined && reported.length === 1 && reported[0] === node ? node : undefined;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function putNode(name: Pi, ready: boolean): void {
  const info = lab!.node(name);
  server!.put(RESOURCES.node, {
    metadata: { name, labels: { ...info.labels } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses: [{ type: 'InternalIP', address: info.ipv4 }] },
  });
}

before(async () => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'arping']);
  dir = mkdtempSync(join(tmpdir(), 'airlb-lab-e2e-'));
  ({ lab, cleanup } = await startLab());
  for (const pi of ['pi2', 'pi3']) await lab.setBehaviour(pi, { proxyArp: false, garpFilter: false });
  const router = lab.node('router');
  server = await FakeApiServer.start({ bookmarkMs: 500, listen: { handle: await listenIn(router.netns, router.ipv4, API_PORT), url: `http://${router.ipv4}:${API_PORT}` } });
});

after(async () => {
  await cleanup();
  await server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('in the lab, a Service VIP answers from the wired Pi, then from a WiFi Pi when it dies, and keeps its address across a controller restart', async () => {
  const s = server!;
  const kubeconfig = writeKubeconfig(dir!, s.url);
  s.put(RESOURCES.namespace, { metadata: { name: 'default' } });
  for (const pi of PIS) putNode(pi, true);
  s.put(RESOURCES.ipAddressPool, { metadata: { name: 'home-lab-pool', namespace: NS }, spec: { addresses: ['192.168.1.200-192.168.1.210'] } });
  s.put(RESOURCES.l2Advertisement, { metadata: { name: 'home-lab-l2', namespace: NS }, spec: { ipAddressPools: ['home-lab-pool'] } });
  s.put(RESOURCES.service, service('default', 'web'));
  s.put(RESOURCES.endpointSlice, {
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: PIS.map((n, i) => ({ addresses: [`10.42.${i}.5`], conditions: { ready: true }, nodeName: n })),
  });
  const common = ['--kubeconfig', kubeconfig, '--metrics-bind', '127.0.0.1:0', '--log-format', 'json'];
  try {
    let controller = airlb('router', 'controller', ['controller', ...common]);
    const web = (): JsonObject => s.get(RESOURCES.service, 'default', 'web')!;
    await waitFor('the controller to give the Service an address', () => ingressIps(web()).length === 1, 20_000);
    const vip = ingressIps(web())[0]!;
    assert.equal(vip, '192.168.1.200');

    for (const pi of PIS) {
      const wifi = lab!.node(pi).port === 'wifi' ? ['--wireless', lab!.node(pi).iface] : [];
      airlb(pi, pi, ['speaker', '--node', pi, ...wifi, ...common]);
    }
    // The election ranks wired uplinks first, once each speaker has labelled its Node.
    assert.equal(await until('the VIP to answer from one Pi', () => owner(vip, PIS), 20_000), 'pi1');
    assert.equal(JSON.stringify(s.get(RESOURCES.node, '', 'pi2')).includes('"airlb.io/uplink":"wireless"'), true);

    // pi1 dies: every process in it is killed, and the node lifecycle controller marks it NotReady.
    await lab!.kill('pi1');
    putNode('pi1', false);
    const next = await until('the VIP to answer from a WiFi Pi', () => owner(vip, ['pi2', 'pi3']), 20_000);
    assert.equal(lab!.node(next).port, 'wifi');
    assert.equal(lab!.firmwareFilter(next), 'lifted (promiscuous)', 'the WiFi Pi answers because its speaker holds promiscuous mode');

    const writes = s.count('patch-status', 'services');
    controller.kill('SIGKILL');
    controller = airlb('router', 'controller (restarted)', ['controller', ...common]);
    s.put(RESOURCES.service, service('default', 'api'));
    await waitFor('the restarted controller to allocate a new Service', () => ingressIps(s.get(RESOURCES.service, 'default', 'api')!).length === 1, 20_000);
    assert.deepEqual(ingressIps(web()), [vip]);
    assert.deepEqual(ingressIps(s.get(RESOURCES.service, 'default', 'api')!), ['192.168.1.201']);
    assert.equal(s.count('patch-status', 'services'), writes + 1, 'the restart rewrote no existing status');
    assert.deepEqual([...(await arpOwners(vip))], [lab!.node(next).mac]);
  } catch (err) {
    const text = [...logs].map(([name, log]) => `--- ${name} ---\n${log.slice(-2500)}`).join('\n');
    throw new Error(`${String(err)}\n${text}`);
  }
});
