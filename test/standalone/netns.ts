// Network namespaces for the standalone tests and benchmarks: a bridge namespace playing the LAN
// switch, a client namespace and node namespaces each joined to it by a veth whose end in the node
// is called eth0 (not veth*, which MetalLB's default exclusions skip). Everything is named with one
// prefix (alb + 4 hex) and removed by `remove()`, which also sweeps by prefix, so a failed test
// leaves nothing behind. Nothing touches the host's own interfaces: links are created directly
// inside the namespaces.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand } from '../support/cli.js';

export interface CmdResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (no shell), bounded by a timeout. Never throws for a non-zero exit. */
export function run(argv: readonly string[], timeoutMs = 15_000): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function must(argv: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await run(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`'${argv.join(' ')}' failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface Member {
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly mac: string;
}

export const SUBNET4 = '10.213.0';
export const SUBNET6 = 'fd00:a1b:213';

/** Polls `check` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class Segment {
  readonly prefix: string;
  readonly bridgeNs: string;
  readonly members = new Map<string, Member>();
  private readonly children = new Set<ChildProcess>();
  readonly dir: string;

  private constructor(prefix: string, dir: string) {
    this.prefix = prefix;
    this.bridgeNs = `${prefix}-br`;
    this.dir = dir;
  }

  /** A segment with a bridge; call `remove()` in `after`, also when this throws half-way. */
  static async create(): Promise<Segment> {
    const prefix = `alb${randomBytes(2).toString('hex')}`;
    const seg = new Segment(prefix, await mkdtemp(join(tmpdir(), `${prefix}-`)));
    return seg;
  }

  async init(): Promise<void> {
    await must(['ip', 'netns', 'add', this.bridgeNs]);
    await must(['ip', '-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await must(['ip', '-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
  }

  /** Adds a namespace NAME (`${prefix}-NAME`) with eth0 on the segment, host number `host`. */
  async add(name: string, host: number): Promise<Member> {
    const ns = `${this.prefix}-${name}`;
    const port = `p${name}`;
    await must(['ip', 'netns', 'add', ns]);
    // IPv6 DAD would hold the node's link-local address tentative for a second; not under test here.
    await must(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    await must(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.bridgeNs]);
    await must(['ip', '-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
    const ipv4 = `${SUBNET4}.${host}`;
    const ipv6 = `${SUBNET6}::${host.toString(16)}`;
    await must(['ip', '-n', ns, 'addr', 'add', `${ipv4}/24`, 'dev', 'eth0']);
    await must(['ip', '-n', ns, 'addr', 'add', `${ipv6}/64`, 'dev', 'eth0', 'nodad']);
    await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await must(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    const mac = (await must(['ip', 'netns', 'exec', ns, 'cat', '/sys/class/net/eth0/address'])).trim();
    await waitFor(`${ns} link-local address`, async () => ((await must(['ip', '-n', ns, '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'])).includes('fe80') ? true : undefined));
    const member = { ns, ipv4, ipv6, mac };
    this.members.set(name, member);
    return member;
  }

  member(name: string): Member {
    const m = this.members.get(name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  exec(name: string, argv: readonly string[], timeoutMs?: number): Promise<CmdResult> {
    return run(['ip', 'netns', 'exec', this.member(name).ns, ...argv], timeoutMs);
  }

  /** Writes files into a fresh config folder and returns its path. */
  async configDir(name: string, files: Readonly<Record<string, string>>): Promise<string> {
    const dir = join(this.dir, name);
    await must(['mkdir', '-p', dir]);
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    return dir;
  }

  /** Starts `airlb standalone` in the member's namespace; `command` runs the CLI (default: from source). */
  speaker(name: string, configDir: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}, command: readonly string[] = cliCommand()): Speaker {
    const member = this.member(name);
    const statusFile = join(this.dir, `${name}-status.json`);
    const stateFile = join(this.dir, `${name}-state.json`);
    const argv = [
      'ip', 'netns', 'exec', member.ns, ...command,
      'standalone', '-f', configDir, '--node', name, '--state', stateFile, '--status-file', statusFile, '--log-format', 'json', ...extra,
    ];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return new Speaker(child, statusFile, stateFile);
  }

  /** Stops every speaker, deletes every namespace with the prefix, removes the temp folder. */
  async remove(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    const list = await run(['ip', 'netns', 'list']);
    const names = list.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${this.prefix}-`));
    for (const ns of names) await run(['ip', 'netns', 'del', ns]);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export class Speaker {
  private stderrText = '';
  private readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly statusFile: string,
    readonly stateFile: string,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderrText += d));
    child.stdout!.resume();
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get logs(): string {
    return this.stderrText;
  }

  async status(): Promise<SpeakerStatusView | undefined> {
    try {
      return JSON.parse(await readFile(this.statusFile, 'utf8')) as SpeakerStatusView;
    } catch {
      return undefined;
    }
  }

  /** Waits until the status shows `vip` in `state` (default claimed). */
  async waitVip(vip: string, state = 'claimed', timeoutMs = 20_000): Promise<SpeakerStatusView> {
    return waitFor(`${vip} ${state} (logs: ${this.stderrText.slice(-2000)})`, async () => {
      if (this.child.exitCode !== null) throw new Error(`speaker exited with ${this.child.exitCode}: ${this.stderrText}`);
      const s = await this.status();
      return s?.vips.some((v) => v.ip === vip && v.state === state) === true ? s : undefined;
    }, timeoutMs);
  }

  /** Sends SIGTERM and waits for the exit code (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

/** The parts of the status file the tests read (src/standalone/speaker.ts SpeakerStatus). */
export interface SpeakerStatusView {
  readonly running: boolean;
  readonly config: { readonly generation: number; readonly rejected: readonly string[] };
  readonly vips: readonly { readonly ip: string; readonly state: string; readonly answeringOn: readonly string[]; readonly interfaces: readonly string[] }[];
  readonly interfaces: readonly { readonly name: string; readonly kind: string; readonly promiscuous: boolean }[];
  readonly conflicts: readonly { readonly vip: string; readonly mac: string; readonly evidence: string; readonly action: string }[];
  readonly counters: { readonly malformed: number; readonly arp: Record<string, number>; readonly ns: Record<string, number>; readonly sent: Record<string, number> };
  readonly allocations: readonly { readonly name: string; readonly ips: readonly string[] }[];
}

/** A config with one pool, an L2Advertisement for every node, optional Nodes, and Services. */
export function standaloneConfig(options: {
  pool: readonly string[];
  services: readonly { name: string; ip?: string; dual?: boolean }[];
  nodes?: readonly { name: string; labels: Readonly<Record<string, string>> }[];
  nodeSelector?: Readonly<Record<string, string>>;
}): string {
  const docs: string[] = [
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: [${options.pool.map((a) => JSON.stringify(a)).join(', ')}]
`,
    `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan, namespace: metallb-system }
spec:
  ipAddressPools: [lan]
${options.nodeSelector === undefined ? '' : `  nodeSelectors: [{ matchLabels: ${JSON.stringify(options.nodeSelector)} }]\n`}`,
  ];
  for (const n of options.nodes ?? []) {
    docs.push(`apiVersion: v1
kind: Node
metadata: { name: ${n.name}, labels: ${JSON.stringify(n.labels)} }
`);
  }
  for (const s of options.services) {
    const annotations = s.ip === undefined ? '' : `, annotations: { metallb.io/loadBalancerIPs: "${s.ip}" }`;
    const dual = s.dual === true ? '  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n' : '';
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: ${s.name}, namespace: default${annotations} }
spec:
  type: LoadBalancer
${dual}  ports: [{ port: 80, protocol: TCP }]
`);
  }
  return docs.join('---\n');
}
