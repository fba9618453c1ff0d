// ARP reply latency of `airlb standalone` against the kernel answering for an address on its own
// interface: same namespaces, same link, same client. Target: our median ≤ 1.5 × the kernel's.
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run (root): node --import tsx bench/arp-latency.ts [requests] [--arp-offload auto|kernel|native] [--family 4|6]
// (default 10000 requests per target; --arp-offload is passed to the speaker, default its own: auto;
// --family 6 measures IPv6 Neighbor Solicitation → Advertisement instead, which the engine answers
// in JavaScript whatever the ARP offload).
//
// Method: a client written in Node with the packet socket (src/io/packet-socket.ts) runs in the
// client namespace and sends ARP requests (--family 6: Neighbor Solicitations to the solicited-node group, answered by NAs) back-to-back — the next one as soon as the reply to the
// previous one arrives — timestamping send and reply with process.hrtime. Chosen over `arping`,
// which prints milliseconds with three decimals and adds a process start per run: the client's
// own overhead (a send syscall and a poll wake-up) is the same for both responders and shows up
// in every column. The targets alternate in blocks of 500 so drift in machine load hits
// both alike; 200 warm-up requests per target are discarded. With --arp-offload auto or kernel
// (the default) airlb's replies come from its eBPF program at tc ingress (native/arp_ebpf.c,
// attached by a TCX link), which like the kernel answers inside the client's own send() (softirq);
// with native they come from the addon's fast path (native/arp_fast_path.c) in the socket's poll
// callback, which pays a process wake-up — on a VM the wake-up of an idle vCPU dominates that
// median: run several times and compare minRatio, which is the cost of the path itself.
// `answeredBy` says which path answered (a fallback of auto is logged by the speaker as a warning).
import { spawn } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { arpFilter, neighborDiscoveryFilter } from '../src/io/bpf.js';
import { openPacketSocket, type PacketSocket } from '../src/io/packet-socket.js';
import { arpRequest } from '../src/proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../src/proto/arp/frame.js';
import { ArpOp } from '../src/proto/arp/packet.js';
import { EtherType } from '../src/proto/ethernet/frame.js';
import { decodeNeighborFrame, encodeNeighborFrame } from '../src/proto/ndp/frame.js';
import { solicitedNodeAddress } from '../src/proto/ndp/solicited-node.js';
import { Segment, standaloneConfig } from '../test/standalone/netns.js';

/** Per family: the VIP airlb answers, its pool, and the address the kernel answers for on the same eth0. */
const TARGETS = {
  4: { vip: '10.213.0.200', pool: '10.213.0.200-10.213.0.209', kernel: '10.213.0.150', prefix: 24 },
  6: { vip: 'fd00:a1b:213::200', pool: 'fd00:a1b:213::200-fd00:a1b:213::209', kernel: 'fd00:a1b:213::150', prefix: 64 },
} as const;
const BLOCK = 500;
const WARMUP = 200;
const TIMEOUT_MS = 1000;

interface ClientResult {
  readonly samplesUs: Record<string, number[]>;
  readonly lost: Record<string, number>;
}

/** Client mode (inside the client namespace): sends `count` requests per target, prints the samples. */
/** What the client sends for `target` and whether a received frame answers it: ARP (RFC 826) or NS/NA (RFC 4861 §7.2.2, §7.2.4). */
interface Query {
  readonly socket: PacketSocket;
  request(target: string): Buffer;
  answers(frame: Buffer, target: string): boolean;
}

function arpQuery(senderIp: string): Query {
  const socket = openPacketSocket({ ifname: 'eth0', ethertype: EtherType.arp, filter: arpFilter() });
  return {
    socket,
    request: (target) => encodeArpFrame(arpRequest({ senderMac: socket.mac, senderIp, targetIp: target })),
    answers: (frame, target) => {
      const { arp } = decodeArpFrame(frame);
      return arp.op === ArpOp.reply && arp.senderIp === target && arp.targetMac === socket.mac;
    },
  };
}

function nsQuery(senderIp: string): Query {
  const socket = openPacketSocket({ ifname: 'eth0', ethertype: EtherType.ipv6, filter: neighborDiscoveryFilter() });
  return {
    socket,
    request: (target) =>
      encodeNeighborFrame({ kind: 'ns', source: senderIp, destination: solicitedNodeAddress(target), target, sourceLinkAddr: socket.mac }, socket.mac),
    answers: (frame, target) => {
      const { ethernet, message } = decodeNeighborFrame(frame);
      return message.kind === 'na' && message.target === target && ethernet.destination === socket.mac;
    },
  };
}

async function client(targets: readonly string[], count: number, senderIp: string): Promise<void> {
  const query = senderIp.includes(':') ? nsQuery(senderIp) : arpQuery(senderIp);
  const socket = query.socket;
  const frames = new Map(targets.map((t) => [t, query.request(t)]));
  let waiting: { target: string; resolve: (ok: boolean) => void } | null = null;
  let receivedAt = 0n;
  socket.on('frame', (frame) => {
    if (waiting === null) return;
    if (query.answers(frame, waiting.target)) {
      receivedAt = process.hrtime.bigint();
      const w = waiting;
      waiting = null;
      w.resolve(true);
    }
  });
  const once = (target: string): Promise<number | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting = null;
        resolve(null);
      }, TIMEOUT_MS);
      waiting = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve(Number(receivedAt - sent) / 1000);
        },
      };
      const sent = process.hrtime.bigint();
      socket.send(frames.get(target)!);
    });
  const samplesUs: Record<string, number[]> = {};
  const lost: Record<string, number> = {};
  for (const t of targets) {
    samplesUs[t] = [];
    lost[t] = 0;
    for (let i = 0; i < WARMUP; i++) await once(t);
  }
  for (let done = 0; done < count; done += BLOCK) {
    for (const t of targets) {
      for (let i = 0; i < Math.min(BLOCK, count - done); i++) {
        const us = await once(t);
        if (us === null) lost[t]! += 1;
        else samplesUs[t]!.push(us);
      }
    }
  }
  socket.close();
  process.stdout.write(JSON.stringify({ samplesUs, lost } satisfies ClientResult));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: readonly number[], lost: number): { median: number; p99: number; min: number; count: number; lost: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { median: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), min: round(sorted[0] ?? NaN), count: sorted.length, lost };
}

async function main(count: number, family: 4 | 6, offloadArgs: readonly string[]): Promise<void> {
  const { vip: VIP, pool, kernel: KERNEL_IP, prefix } = TARGETS[family];
  const seg = await Segment.create();
  try {
    await seg.init();
    const c = await seg.add('client', 10);
    await seg.add('n1', 11);
    // The kernel's own address for the comparison, on the same interface the VIP is answered on.
    await seg.exec('n1', ['ip', 'addr', 'add', `${KERNEL_IP}/${prefix}`, 'dev', 'eth0', ...(family === 6 ? ['nodad'] : [])]);
    // IPv6: a dual-stack Service (an IPv4-only one is the default), so the pool has both families.
    const config = family === 6 ? standaloneConfig({ pool: [TARGETS[4].pool, pool], services: [{ name: 'web', dual: true }] }) : standaloneConfig({ pool: [pool], services: [{ name: 'web' }] });
    const dir = await seg.configDir('config', { 'lan.yaml': config });
    const speaker = seg.speaker('n1', dir, ['--log-level', 'warn', ...offloadArgs]);
    await speaker.waitVip(VIP);
    const self = fileURLToPath(import.meta.url);
    const child = spawn('ip', ['netns', 'exec', c.ns, process.execPath, '--import', 'tsx', self, '--client', String(count), family === 6 ? c.ipv6 : c.ipv4, VIP, KERNEL_IP], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`client exited with ${code}`);
    const result = JSON.parse(out) as ClientResult;
    await speaker.stop();
    const airlb = summary(result.samplesUs[VIP]!, result.lost[VIP]!);
    const kernel = summary(result.samplesUs[KERNEL_IP]!, result.lost[KERNEL_IP]!);
    const mode = offloadArgs[1] ?? 'auto (default)';
    // NS has no fast path: the engine answers it in JS whatever --arp-offload says.
    const answeredBy =
      family === 6
        ? 'engine (JavaScript)'
        : offloadArgs[1] === 'native' || /kernel responder unavailable/.test(speaker.logs)
          ? 'native fast path (addon)'
          : 'eBPF at tc ingress (TCX link)';
    process.stdout.write(
      `${JSON.stringify({
        benchmark: family === 6 ? 'ns-latency' : 'arp-latency',
        method:
          'Node packet-socket client in a client netns sends ARP requests (--family 6: Neighbor Solicitations to the solicited-node group, answered by NAs) back-to-back over a veth/bridge to the node netns; round trip from send to reply callback (process.hrtime), microseconds; airlb standalone answers the VIP, the kernel answers an address configured on the same eth0; targets alternate in blocks of 500 after 200 warm-up requests each; airlb replies come from the responder --arp-offload selects (answeredBy)',
        inputs: { requestsPerTarget: count, family, vip: VIP, kernelAddress: KERNEL_IP, arpOffload: mode, speaker: `node --import tsx src/cli/main.ts standalone ${offloadArgs.join(' ')}`.trim() },
        result: {
          answeredBy,
          airlbUs: airlb,
          kernelUs: kernel,
          medianRatio: Math.round((airlb.median / kernel.median) * 100) / 100,
          p99Ratio: Math.round((airlb.p99 / kernel.p99) * 100) / 100,
          // The fastest round trips: the cost of the path itself, without the scheduler's wake-up delays.
          minRatio: Math.round((airlb.min / kernel.min) * 100) / 100,
          target: 'medianRatio <= 1.5',
        },
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() },
      })}\n`,
    );
  } finally {
    await seg.remove();
  }
}

const args = process.argv.slice(2);
if (args[0] === '--client') {
  const [, count, senderIp, ...targets] = args;
  await client(targets, Number(count), senderIp!);
} else {
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at === -1 ? undefined : (args[at + 1] ?? '');
  };
  const offload = flag('--arp-offload');
  const family = flag('--family') === '6' ? 6 : 4;
  const requests = args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--'));
  await main(requests === undefined ? 10_000 : Number(requests), family, offload === undefined ? [] : ['--arp-offload', offload]);
}
