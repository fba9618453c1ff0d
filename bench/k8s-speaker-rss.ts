// Speaker memory benchmark: resident set size of an idle `airlb speaker` (the compiled CLI in
// dist/, as the image runs it) watching 100 LoadBalancer Services with their EndpointSlices,
// 10 Nodes, a pool and an L2Advertisement, against the test API server. Target: ≤ 80 MB.
// The advertisement selects no node, so the speaker opens no packet socket and sends nothing on
// this machine's interfaces; everything else (informers, caches, election on every change) runs.
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run: npm run build && node --import tsx bench/k8s-speaker-rss.ts [services]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { RESOURCES } from '../src/k8s/resources.js';
import { FakeApiServer } from '../test/k8s/fake-apiserver.js';
import { service, waitFor, writeKubeconfig } from '../test/k8s/helpers.js';
import { repoRoot } from '../test/support/cli.js';

const SERVICES = Number(process.argv[2] ?? 100);
const NODES = 10;
const SETTLE_MS = 5000;
const SAMPLES = 10;
const TARGET_MB = 80;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

const main = join(repoRoot, 'dist/cli/main.js');
if (!existsSync(join(repoRoot, 'dist/cli/speaker/index.js'))) {
  console.error('k8s-speaker-rss: dist/ has no speaker command; run `npm run build` first');
  process.exit(2);
}

const server = await FakeApiServer.start({ bookmarkMs: 1000 });
const dir = mkdtempSync(join(tmpdir(), 'airlb-bench-'));
try {
  server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
  server.put(RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: 'metallb-system' }, spec: { addresses: ['10.77.0.0/16'] } });
  server.put(RESOURCES.l2Advertisement, {
    metadata: { name: 'l2', namespace: 'metallb-system' },
    spec: { ipAddressPools: ['home'], nodeSelectors: [{ matchLabels: { 'bench/announce': 'yes' } }] },
  });
  for (let n = 0; n < NODES; n++) {
    server.put(RESOURCES.node, {
      metadata: { name: `node-${n}`, labels: { 'kubernetes.io/hostname': `node-${n}` } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: `10.76.0.${n + 10}` }] },
    });
  }
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${i}`;
    const svc = service('default', name, { annotations: { 'metallb.io/ip-allocated-from-pool': 'home' } });
    server.put(RESOURCES.service, { ...svc, status: { loadBalancer: { ingress: [{ ip: `10.77.${i >> 8}.${i & 255}` }] } } });
    server.put(RESOURCES.endpointSlice, {
      metadata: { name: `${name}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [0, 1, 2].map((e) => ({ addresses: [`10.42.${e}.${i & 255}`], conditions: { ready: true }, nodeName: `node-${(i + e) % NODES}` })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  const kubeconfig = writeKubeconfig(dir, server.url);
  const args = ['speaker', '--kubeconfig', kubeconfig, '--node', 'node-0', '--no-uplink-label', '--metrics-bind', '127.0.0.1:0', '--log-format', 'json'];
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  try {
    await waitFor('the speaker to start', () => /"msg":"starting"/.test(log), 20_000);
    const port = Number(/"metricsPort":(\d+)/.exec(log)![1]);
    for (let ready = false; !ready; ) {
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const samples: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      samples.push(rssKb(child.pid!));
      await new Promise((r) => setTimeout(r, 500));
    }
    const maxMb = Math.max(...samples) / 1024;
    console.log(
      JSON.stringify({
        benchmark: 'k8s-speaker-rss',
        method: `node dist/cli/main.js speaker against the in-process test API server; VmRSS sampled ${SAMPLES}× every 500 ms after readiness + ${SETTLE_MS} ms; max reported`,
        inputs: { services: SERVICES, endpointSlices: SERVICES, nodes: NODES, node: process.version },
        result: { rssMaxMB: Number(maxMb.toFixed(1)), rssMinMB: Number((Math.min(...samples) / 1024).toFixed(1)), targetMB: TARGET_MB, withinTarget: maxMb <= TARGET_MB },
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGB: Math.round(totalmem() / 2 ** 30) },
      }),
    );
  } finally {
    child.kill('SIGTERM');
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
