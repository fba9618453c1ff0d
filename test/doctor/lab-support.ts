// Shared pieces of the doctor's lab tests: the standalone configuration for the default lab, a
// speaker per node, a TCP service behind the VIP, and running the doctor/verify CLI in a node.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { cliCommand } from '../support/cli.js';

export const VIP = '192.168.1.200';
export const PORT = 8080;

/** The default lab's nodes as Node objects, with extra labels per node. */
function nodes(lab: Lab, extra: Readonly<Record<string, Readonly<Record<string, string>>>>): string[] {
  return lab
    .nodes()
    .filter((n) => n.role === 'node')
    .map((n) => `apiVersion: v1
kind: Node
metadata: { name: ${n.name}, labels: ${JSON.stringify({ ...n.labels, ...(extra[n.name] ?? {}) })} }
status:
  addresses: [{ type: InternalIP, address: ${n.ipv4} }]
`);
}

/** Pool, Service and Nodes; the L2Advertisement is written separately so a fix can replace it. */
export async function writeConfig(lab: Lab, dir: string, l2Advertisement: string, extraLabels: Readonly<Record<string, Readonly<Record<string, string>>>> = {}): Promise<void> {
  const docs = [
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: ["${VIP}-192.168.1.209"]
`,
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${VIP}" } }
spec:
  type: LoadBalancer
  ports: [{ port: ${PORT}, protocol: TCP }]
`,
    ...nodes(lab, extraLabels),
  ];
  await writeFile(join(dir, 'base.yaml'), docs.join('---\n'));
  await writeFile(join(dir, 'l2.yaml'), l2Advertisement);
}

/** An L2Advertisement for pool lan announced only from `node`. */
export function l2On(node: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan, namespace: metallb-system }
spec:
  ipAddressPools: [lan]
  nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: ${node} } }]
`;
}

/** The lab's "WiFi" links are veths: name them wireless for airlb's classifier. */
export const wirelessEnv = ['env', 'AIRLB_WIRELESS_INTERFACES=wlan0'];

export class LabSpeaker {
  private logs = '';
  constructor(
    readonly child: ChildProcess,
    readonly statusFile: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.logs = (this.logs + d).slice(-4000)));
    child.stdout?.resume();
  }

  async status(): Promise<{ running: boolean; vips: { ip: string; state: string }[] } | undefined> {
    try {
      return JSON.parse(await readFile(this.statusFile, 'utf8')) as { running: boolean; vips: { ip: string; state: string }[] };
    } catch {
      return undefined;
    }
  }

  /** Waits (bounded) until the status shows VIP in `state`, or VIP absent for state 'none'. */
  async waitVip(state: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      const v = s?.vips.find((x) => x.ip === VIP);
      if (s !== undefined && (state === 'none' ? v === undefined : v?.state === state)) return;
      assert.ok(Date.now() < deadline, `speaker did not reach ${VIP} ${state} in ${timeoutMs} ms; logs:\n${this.logs}`);
      assert.equal(this.child.exitCode, null, `speaker exited: ${this.logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export function startSpeaker(lab: Lab, node: string, configDir: string, statusDir: string, extra: readonly string[] = []): LabSpeaker {
  const statusFile = join(statusDir, `${node}-status.json`);
  const child = lab.spawn(node, [...wirelessEnv, ...cliCommand(), 'standalone', '-f', configDir, '--node', node, '--status-file', statusFile, '--log-format', 'json', ...extra]);
  return new LabSpeaker(child, statusFile);
}

/**
 * Makes a node serve TCP on the VIP the way kube-proxy would accept it: the VIP on `lo` (so the
 * kernel takes its packets) with arp_ignore=1 (so the kernel does not answer ARP for it — the
 * speaker does) and arp_announce=2 (so the node never puts the VIP in its own ARP requests).
 */
export async function serveVip(lab: Lab, node: string): Promise<void> {
  const iface = lab.node(node).iface;
  for (const argv of [
    ['sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', `net.ipv4.conf.${iface}.arp_ignore=1`, 'net.ipv4.conf.all.arp_announce=2', `net.ipv4.conf.${iface}.arp_announce=2`],
    ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo'],
  ]) {
    const r = await lab.exec(node, argv);
    assert.equal(r.code, 0, `${argv.join(' ')} on ${node}: ${r.stderr}`);
  }
  lab.spawn(node, [process.execPath, '-e', `require('net').createServer((s) => { s.on('error', () => {}); s.end('${node}\\n'); }).listen(${PORT})`]);
}

/** Runs the airlb CLI in a node's namespace. */
export async function cli(lab: Lab, node: string, args: readonly string[], timeoutMs = 40_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return lab.exec(node, [...cliCommand(), ...args], { timeoutMs });
}

/** The shell command that runs the doctor's node side on `node` from anywhere on this host. */
export function nodeCommand(lab: Lab, node: string, extra: readonly string[] = []): string {
  const argv = ['ip', 'netns', 'exec', lab.node(node).netns, ...wirelessEnv, ...cliCommand(), 'doctor', '--capture-on', lab.node(node).iface, '--vip', VIP, '--node', node, ...extra];
  return argv.map((a) => `'${a}'`).join(' ');
}
