// Failover of a VIP between three nodes, airlb against keepalived (VRRPv3, Debian package) in the
// same lab topology (issue 5). Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run (root): node --import tsx bench/failover.ts [--trials N] [--loss-minutes M] [--loss-percent P]
//             [--systems airlb,keepalived-1,keepalived-0.1] [--scenarios kill,cut,loss-kill,loss-stable]
//             [--prefix P]   (the lab's namespace prefix; default alb + 4 random hex digits)
// AIRLB_BENCH_DEBUG=1 sends the speakers' logs (info level) and each trial's times to stderr.
//
// Method. The lab (src/lab) puts three nodes n1–n3 and a client on one AP bridge; the node ports
// are WiFi ports with every AP misbehaviour off, so `Lab.setLoss` can drop frames on them (nft
// `numgen random`, each direction) and `Lab.partition` can cut a node's link at the AP. A client
// in its own namespace sends an ARP request for the VIP every 10 ms with a packet socket and logs
// each reply's arrival (performance.timeOrigin + performance.now, sub-millisecond) and sender MAC.
// Chosen over `arping -i 0.01`: arping prints no timestamps, so times would be those of its lines
// reaching this process through a pipe (buffered), and it stops at the first unanswered request
// only with -w; the packet-socket prober records the time of each reply as it is read.
//
// - kill: every trial starts the three speakers afresh, waits until the replies have come from
//   one MAC for 2 s, SIGKILLs every process in the owner's namespace, and measures the time from
//   the kill until the first reply from another node's MAC.
// - cut: the same, cutting the owner's link at the AP instead (`Lab.partition`).
// - loss-kill: the kill trials with P % loss on every node port.
// - loss-stable: P % loss on every node port for M minutes, no node failing; counts the changes
//   of the replying MAC (VIP moves).
// keepalived runs in each node namespace as `keepalived -n -l -P -f CONF -p PID -r VRRPPID` with
// its own files under a temporary folder, VRRPv3, priorities 100/90/80, advert_int 1 and 0.1.
// airlb runs `airlb standalone` in each namespace with the same YAML (three Node objects with
// InternalIPs, one pool, one Service).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { arpFilter } from '../src/io/bpf.js';
import { openPacketSocket } from '../src/io/packet-socket.js';
import { Lab } from '../src/lab/lab.js';
import type { LabNodeSpec, Topology } from '../src/lab/topology.js';
import { arpRequest } from '../src/proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../src/proto/arp/frame.js';
import { ArpOp } from '../src/proto/arp/packet.js';
import { EtherType } from '../src/proto/ethernet/frame.js';
import { oneVipManifests } from '../src/lab/one-vip-manifests.js';

const VIP = '192.168.1.200';
const PROBE_INTERVAL_MS = 10;
const STABLE_MS = 2_000;
const START_TIMEOUT_MS = 30_000;
const FAILOVER_TIMEOUT_MS = 10_000;
const NODES = ['n1', 'n2', 'n3'] as const;
const root = fileURLToPath(new URL('..', import.meta.url));
/** AIRLB_BENCH_DEBUG=1: the speakers log at info level to stderr, with each trial's times. */
const debug = process.env.AIRLB_BENCH_DEBUG === '1';
const self = fileURLToPath(import.meta.url);

// ------------------------------------------------------------------ the client's prober

/** Prober mode (inside the client namespace): one line "epochMs mac" per reply, until killed. */
function prober(ifname: string, senderIp: string): void {
  const socket = openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() });
  const request = encodeArpFrame(arpRequest({ senderMac: socket.mac, senderIp, targetIp: VIP }));
  socket.on('frame', (frame) => {
    const at = performance.timeOrigin + performance.now();
    const { arp } = decodeArpFrame(frame);
    if (arp.op === ArpOp.reply && arp.senderIp === VIP && arp.targetMac === socket.mac) process.stdout.write(`${at.toFixed(3)} ${arp.senderMac}\n`);
  });
  setInterval(() => socket.send(request), PROBE_INTERVAL_MS);
}

interface Reply {
  readonly atMs: number;
  readonly mac: string;
}

class ReplyLog {
  readonly replies: Reply[] = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [at, mac] = line.split(' ');
      this.replies.push({ atMs: Number(at), mac: mac! });
    });
  }
  /** The MAC every reply of the last `ms` came from, if there were replies and only one MAC. */
  stableMac(ms: number): string | null {
    const since = Date.now() - ms;
    const recent = this.replies.filter((r) => r.atMs >= since);
    // At 10 ms, 2 s should bring ~200 replies; demand most of them so a silent VIP is not "stable".
    if (recent.length < (ms / PROBE_INTERVAL_MS) * 0.5) return null;
    const macs = new Set(recent.map((r) => r.mac));
    return macs.size === 1 ? recent[0]!.mac : null;
  }
  firstOtherAfter(atMs: number, mac: string): Reply | undefined {
    return this.replies.find((r) => r.atMs >= atMs && r.mac !== mac);
  }
  movesBetween(fromMs: number, toMs: number): number {
    let moves = 0;
    let last: string | null = null;
    for (const r of this.replies) {
      if (r.atMs < fromMs || r.atMs > toMs) continue;
      if (last !== null && r.mac !== last) moves++;
      last = r.mac;
    }
    return moves;
  }
}

// ------------------------------------------------------------------ the systems under test

type SystemName = 'airlb' | 'keepalived-1' | 'keepalived-0.1';

interface Running {
  readonly children: ChildProcess[];
}

function topology(): Topology {
  const node = (name: string, host: number, role: LabNodeSpec['role'], port: LabNodeSpec['port']): LabNodeSpec => ({
    name,
    role,
    port,
    iface: port === 'wifi' ? 'wlan0' : 'eth0',
    ipv4: `192.168.1.${host}`,
    ipv6: null,
    labels: role === 'node' ? { 'kubernetes.io/hostname': name } : {},
    behaviours: port === 'wifi' ? { proxyArp: false, isolation: false, garpFilter: false, loss: 0, firmwareFilter: false } : null,
  });
  return {
    lan: { ipv4: '192.168.1.0/24', ipv6: null },
    ap: { ipv4: '192.168.1.2', ipv6: null },
    vipPool: '192.168.1.200-192.168.1.210',
    nodes: [node('router', 1, 'router', 'wired'), ...NODES.map((n, i) => node(n, 11 + i, 'node', 'wifi')), node('client', 50, 'client', 'wired')],
  };
}

function airlbConfig(lab: Lab): string {
  return oneVipManifests(VIP, NODES.map((name) => ({ name, address: lab.node(name).ipv4 })));
}

function keepalivedConfig(lab: Lab, node: string, priority: number, advertInt: number): string {
  const info = lab.node(node);
  return `global_defs {
  router_id ${node}
  vrrp_version 3
  script_user root
}
vrrp_instance airlb_bench {
  state BACKUP
  interface ${info.iface}
  virtual_router_id 51
  priority ${priority}
  advert_int ${advertInt}
  virtual_ipaddress {
    ${VIP}/24 dev ${info.iface}
  }
}
`;
}

async function startSystem(lab: Lab, system: SystemName, parent: string): Promise<Running> {
  const children: ChildProcess[] = [];
  // A folder per start: a SIGKILLed keepalived leaves its pid files, and the next one would
  // refuse to start ("daemon is already running").
  const dir = await mkdtemp(join(parent, `${system}-`));
  if (system === 'airlb') {
    const config = join(dir, 'airlb.yaml');
    await writeFile(config, airlbConfig(lab));
    for (const n of NODES) {
      children.push(lab.spawn(n, [process.execPath, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'standalone', '-f', config, '--node', n, '--log-level', debug ? 'info' : 'warn', '--no-wifi-promiscuous']));
    }
  } else {
    const advertInt = system === 'keepalived-1' ? 1 : 0.1;
    for (const [i, n] of NODES.entries()) {
      const conf = join(dir, `${n}.conf`);
      await writeFile(conf, keepalivedConfig(lab, n, 100 - 10 * i, advertInt));
      children.push(lab.spawn(n, ['keepalived', '-n', '-l', '-P', '-f', conf, '-p', join(dir, `${n}.pid`), '-r', join(dir, `${n}.vrrp.pid`)]));
    }
  }
  for (const c of children) for (const s of [c.stdout, c.stderr]) s?.on('data', (d: Buffer) => void (debug && process.stderr.write(d)));
  return { children };
}

async function stopSystem(lab: Lab): Promise<void> {
  for (const n of NODES) await lab.kill(n);
  // keepalived removes its VIP on exit; a SIGKILLed one leaves it on the interface.
  for (const n of NODES) await lab.exec(n, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', lab.node(n).iface]);
}

// ------------------------------------------------------------------ trials

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitStable(log: ReplyLog): Promise<string> {
  const start = Date.now();
  while (Date.now() - start < START_TIMEOUT_MS) {
    const mac = log.stableMac(STABLE_MS);
    if (mac !== null) return mac;
    await sleep(100);
  }
  const recent = log.replies.filter((r) => r.atMs >= Date.now() - STABLE_MS);
  throw new Error(`no stable owner of ${VIP} within ${START_TIMEOUT_MS} ms: ${recent.length} replies in the last ${STABLE_MS} ms from ${[...new Set(recent.map((r) => r.mac))].join(', ') || 'nobody'}`);
}

function ownerOf(lab: Lab, mac: string): string {
  const n = NODES.find((x) => lab.node(x).mac === mac);
  if (n === undefined) throw new Error(`${mac} is not a node's MAC`);
  return n;
}

/** One failover: the gap in ms, or null when no other node answered within the timeout. */
async function trial(lab: Lab, log: ReplyLog, system: SystemName, how: 'kill' | 'cut', dir: string): Promise<number | null> {
  await startSystem(lab, system, dir);
  try {
    const mac = await waitStable(log);
    const owner = ownerOf(lab, mac);
    const failedAt = Date.now();
    if (how === 'kill') await lab.kill(owner);
    else await lab.partition(owner);
    const deadline = Date.now() + FAILOVER_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const next = log.firstOtherAfter(failedAt, mac);
      if (next !== undefined) {
        if (debug) process.stderr.write(`# trial: ${how} ${owner} at ${new Date(failedAt).toISOString()}, ${ownerOf(lab, next.mac)} answered after ${Math.round(next.atMs - failedAt)} ms\n`);
        return next.atMs - failedAt;
      }
      await sleep(20);
    }
    if (debug) process.stderr.write(`# trial: ${how} ${owner} at ${new Date(failedAt).toISOString()}, nobody else answered\n`);
    return null;
  } finally {
    await stopSystem(lab);
    for (const n of NODES) await lab.heal(n);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(gaps: readonly (number | null)[]): { medianMs: number; p99Ms: number; maxMs: number; trials: number; timeouts: number } {
  const ok = gaps.filter((g): g is number => g !== null).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { medianMs: round(percentile(ok, 50)), p99Ms: round(percentile(ok, 99)), maxMs: round(ok.at(-1) ?? NaN), trials: gaps.length, timeouts: gaps.length - ok.length };
}

async function setLossAll(lab: Lab, percent: number): Promise<void> {
  for (const n of NODES) await lab.setLoss(n, percent);
}

interface Options {
  trials: number;
  lossMinutes: number;
  lossPercent: number;
  systems: SystemName[];
  scenarios: string[];
  /** The lab's namespace prefix (src/lab/naming.ts). */
  prefix: string;
}

async function main(o: Options): Promise<void> {
  const prefix = o.prefix;
  const dir = await mkdtemp(join(tmpdir(), 'airlb-failover-'));
  const lab = await Lab.up(topology(), { prefix, stateDir: dir, watchIntervalMs: 0 });
  const client = lab.node('client');
  const proberChild = lab.spawn('client', [process.execPath, '--import', 'tsx', self, '--prober', client.iface, client.ipv4]);
  const log = new ReplyLog(proberChild);
  const results: Record<string, Record<string, unknown>> = {};
  try {
    for (const system of o.systems) {
      const r: Record<string, unknown> = {};
      for (const scenario of o.scenarios) {
        if (scenario === 'kill' || scenario === 'cut' || scenario === 'loss-kill') {
          if (scenario === 'loss-kill') await setLossAll(lab, o.lossPercent);
          const gaps: (number | null)[] = [];
          for (let i = 0; i < o.trials; i++) gaps.push(await trial(lab, log, system, scenario === 'cut' ? 'cut' : 'kill', dir));
          if (scenario === 'loss-kill') await setLossAll(lab, 0);
          r[scenario] = { ...summary(gaps), gapsMs: gaps.map((g) => (g === null ? null : Math.round(g * 10) / 10)) };
        } else if (scenario === 'loss-stable') {
          await startSystem(lab, system, dir);
          try {
            await waitStable(log);
            await setLossAll(lab, o.lossPercent);
            const from = Date.now();
            await sleep(o.lossMinutes * 60_000);
            const to = Date.now();
            await setLossAll(lab, 0);
            const answered = log.replies.filter((x) => x.atMs >= from && x.atMs <= to).length;
            r[scenario] = { moves: log.movesBetween(from, to), seconds: Math.round((to - from) / 1000), replies: answered };
          } finally {
            await stopSystem(lab);
          }
        }
      }
      results[system] = r;
    }
  } finally {
    proberChild.kill('SIGKILL');
    await lab.down();
    await rm(dir, { recursive: true, force: true });
  }
  const ratios: Record<string, Record<string, number>> = {};
  const airlb = results['airlb'];
  if (airlb !== undefined) {
    for (const k of ['keepalived-1', 'keepalived-0.1'] as const) {
      const other = results[k];
      if (other === undefined) continue;
      ratios[`airlb/${k}`] = {};
      for (const s of ['kill', 'cut', 'loss-kill']) {
        const a = airlb[s] as { medianMs: number } | undefined;
        const b = other[s] as { medianMs: number } | undefined;
        if (a !== undefined && b !== undefined) ratios[`airlb/${k}`]![`${s}Median`] = Math.round((a.medianMs / b.medianMs) * 100) / 100;
      }
    }
  }
  const keepalivedVersion = spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? 'unknown';
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'failover',
      method:
        'src/lab: three nodes and a client on one AP bridge (node ports as WiFi ports with every AP misbehaviour off, so loss and partition apply); a packet-socket client ARPs for the VIP every 10 ms and timestamps replies; each failover trial starts the speakers afresh, waits for 2 s of replies from one MAC, then SIGKILLs the owner namespace (kill) or drops its port at the AP (cut); gap = failure to first reply from another MAC. loss-stable: P % loss each direction on every node port for M minutes with no failure, counting changes of the replying MAC',
      inputs: { trials: o.trials, lossPercent: o.lossPercent, lossMinutes: o.lossMinutes, systems: o.systems, scenarios: o.scenarios, vip: VIP, probeIntervalMs: PROBE_INTERVAL_MS, keepalived: keepalivedVersion, airlb: 'node --import tsx src/cli/main.ts standalone, SPEAKER_BFD_DEFAULTS' },
      result: { ...results, ratios, targets: 'airlb kill/cut median <= 200 ms, p99 <= 400 ms; loss-stable moves 0; loss-kill median <= 500 ms' },
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() },
    })}\n`,
  );
}

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

const args = process.argv.slice(2);
if (args[0] === '--prober') {
  prober(args[1]!, args[2]!);
} else {
  await main({
    trials: Number(flag(args, '--trials', '20')),
    lossMinutes: Number(flag(args, '--loss-minutes', '10')),
    lossPercent: Number(flag(args, '--loss-percent', '5')),
    systems: flag(args, '--systems', 'airlb,keepalived-1,keepalived-0.1').split(',') as SystemName[],
    scenarios: flag(args, '--scenarios', 'kill,cut,loss-kill,loss-stable').split(','),
    prefix: flag(args, '--prefix', `alb${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`),
  });
}
