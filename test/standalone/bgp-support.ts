import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import type { StandaloneBgpStatus } from '../../src/standalone/bgp.js';
import { cliCommand, runCli } from '../support/cli.js';

/**
 * What the BGP lab tests of `airlb standalone` share: the field guide's BGP manifests adapted to the
 * lab, `airlb standalone` on lab nodes, the router's config from `airlb router-config`, and
 * bounded waits.
 *
 * The adaptation: the guide's peer (192.168.1.1, AS 64500 → 64501) is the lab's router as written;
 * its pool 192.168.1.200-210 lies inside the LAN's /24, where a client ARPs for a VIP instead of
 * sending it to the router, so in BGP mode the pool moves to a prefix of its own, 192.168.100.200-210.
 */

export const POOL = '192.168.100.200-192.168.100.210';
export const VIP_A = '192.168.100.200';
export const VIP_B = '192.168.100.201';
export const NODES = ['pi1', 'pi2'] as const;

export function manifests(lab: Lab, extraPeerSpec = ''): string {
  const nodes = NODES.map((name) => {
    const n = lab.node(name);
    return `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/hostname: ${name}}}
status: {addresses: [{type: InternalIP, address: ${n.ipv4}}]}
`;
  });
  return [
    `# metallb-bgp-config.yaml - Layer 3 routing, no ARP needed
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: home-router
  namespace: metallb-system
spec:
  myASN: 64500
  peerASN: 64501
  peerAddress: ${lab.node('router').ipv4}
${extraPeerSpec}`,
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: bgp-pool
  namespace: metallb-system
spec:
  addresses:
    - ${POOL}
`,
    `apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: bgp-advertisement
  namespace: metallb-system
spec:
  ipAddressPools:
    - bgp-pool
`,
    ...nodes,
  ].join('---\n');
}

export function services(names: readonly (readonly [string, string])[]): string {
  return names
    .map(
      ([name, ip]) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default, annotations: {metallb.io/loadBalancerIPs: "${ip}"}}
spec:
  type: LoadBalancer
  ports: [{port: 8080, protocol: TCP}]
`,
    )
    .join('---\n');
}

/** Writes the config folder (bgp.yaml + services.yaml) and returns its path. */
export async function writeConfig(dir: string, bgp: string, svc: string): Promise<string> {
  const folder = join(dir, 'config');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'bgp.yaml'), bgp);
  await writeFile(join(folder, 'services.yaml'), svc);
  return folder;
}

/** `airlb router-config --for KIND -f FOLDER`: the router's config, generated from the same manifests. */
export async function routerConfig(kind: 'bird' | 'frr' | 'gobgp', folder: string): Promise<string> {
  const r = await runCli(['router-config', '--for', kind, '-f', folder], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `router-config --for ${kind} failed: ${r.stderr}`);
  return r.stdout;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs: number, stepMs = 100): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - start >= timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface StatusView {
  readonly running: boolean;
  readonly config: { readonly generation: number };
  readonly bgp: StandaloneBgpStatus;
}

/** `airlb standalone` on a lab node, from source, with its status file and collected logs. */
export class NodeSpeaker {
  private log = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly statusFile: string,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    child.stdout!.resume();
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(lab: Lab, name: string, folder: string, dir: string): NodeSpeaker {
    const statusFile = join(dir, `${name}-status.json`);
    const child = lab.spawn(name, [...cliCommand(), 'standalone', '-f', folder, '--node', name, '--status-file', statusFile, '--log-format', 'json']);
    return new NodeSpeaker(name, child, statusFile);
  }

  get logs(): string {
    return this.log;
  }

  async status(): Promise<StatusView | undefined> {
    try {
      return JSON.parse(await readFile(this.statusFile, 'utf8')) as StatusView;
    } catch {
      return undefined;
    }
  }

  /** Waits until the status file shows `peer` Established with `prefixes` sent. */
  async waitSession(peer: string, prefixes: number, timeoutMs = 20_000): Promise<StatusView> {
    return waitFor(`${this.name}: session ${peer} Established with ${prefixes} prefixes sent`, async () => {
      if (this.child.exitCode !== null) assert.fail(`airlb standalone on ${this.name} exited with ${this.child.exitCode}: ${this.log}`);
      const s = await this.status();
      const session = s?.bgp.sessions.find((x) => x.peer === peer);
      return session?.state === 'Established' && session.prefixesSent === prefixes ? s : undefined;
    }, timeoutMs);
  }

  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
