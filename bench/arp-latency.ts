// ARP reply latency of `airlb standalone` against the kernel answering for an address on its own
// interface: same namespaces, same link, same client. Target: our median ≤ 1.5 × the kernel's.
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run (root): node --import tsx bench/arp-latency.ts [requests]
//
// Method: a client written in Node with the packet socket (src/io/packet-socket.ts) runs in the
// client namespace and sends ARP requests back-to-back — the next one as soon as the reply to the
// previous one arrives — timestamping send and reply with process.hrtime. Chosen over `arping`,
// which prints milliseconds with three decimals and adds a process start per run: the client's
// own overhead (a send syscall and a poll wake-up) is the same for both responders and shows up
// in every column. The targets alternate in blocks of 500 so drift in machine load hits
// both alike; 200 warm-up requests per target are discarded. airlb answers ARP for a claimed VIP
// from the addon's fast path (native/arp_fast_path.c) in the socket's poll callback; the kernel
// answers inside the client's own send() (softirq), so its column has no process wake-up at all,
// and on a VM the wake-up of an idle vCPU dominates airlb's median: run several times and compare
// minRatio, which is the cost of the path itself.
// Third target: the in-kernel responder (native/arp_ebpf.c, src/io/arp-offload.ts) attached by this
// bench to the node's eth0 with a table of one address outside the speaker's pool, answered with
// the node's MAC: the same eBPF program `--arp-offload kernel` would run, measured side by side.
import { spawn } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KernelArpResponder } from '../src/io/arp-offload.js';
import { arpFilter } from '../src/io/bpf.js';
import { openPacketSocket } from '../src/io/packet-socket.js';
import { arpRequest } from '../src/proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../src/proto/arp/frame.js';
import { ArpOp } from '../src/proto/arp/packet.js';
import { EtherType } from '../src/proto/ethernet/frame.js';
import { Segment, standaloneConfig } from '../test/standalone/netns.js';

const VIP = '10.213.0.200';
const KERNEL_IP = '10.213.0.150';
/** Answered by the eBPF responder only: outside the speaker's pool, not on any interface. */
const OFFLOAD_IP = '10.213.0.220';
const BLOCK = 500;
const WARMUP = 200;
const TIMEOUT_MS = 1000;

interface ClientResult {
  readonly samplesUs: Record<string, number[]>;
  readonly lost: Record<string, number>;
}

/** Client mode (inside the client namespace): sends `count` requests per target, prints the samples. */
async function client(targets: readonly string[], count: number, senderIp: string): Promise<void> {
  const socket = openPacketSocket({ ifname: 'eth0', ethertype: EtherType.arp, filter: arpFilter() });
  const frames = new Map(targets.map((t) => [t, encodeArpFrame(arpRequest({ senderMac: socket.mac, senderIp, targetIp: t }))]));
  let waiting: { target: string; resolve: (ok: boolean) => void } | null = null;
  let receivedAt = 0n;
  socket.on('frame', (frame) => {
    if (waiting === null) return;
    const { arp } = decodeArpFrame(frame);
    if (arp.op === ArpOp.reply && arp.senderIp === waiting.target && arp.targetMac === socket.mac) {
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

async function main(count: number): Promise<void> {
  const seg = await Segment.create();
  try {
    await seg.init();
    const c = await seg.add('client', 10);
    const n1 = await seg.add('n1', 11);
    // The kernel's own address for the comparison, on the same interface the VIP is answered on.
    await seg.exec('n1', ['ip', 'addr', 'add', `${KERNEL_IP}/24`, 'dev', 'eth0']);
    const dir = await seg.configDir('config', { 'lan.yaml': standaloneConfig({ pool: ['10.213.0.200-10.213.0.209'], services: [{ name: 'web' }] }) });
    const speaker = seg.speaker('n1', dir, ['--log-level', 'warn']);
    await speaker.waitVip(VIP);
    const offload = await KernelArpResponder.open('eth0', { netns: n1.ns });
    offload.setReplies(new Map([[OFFLOAD_IP, n1.mac]]));
    const self = fileURLToPath(import.meta.url);
    const child = spawn('ip', ['netns', 'exec', c.ns, process.execPath, '--import', 'tsx', self, '--client', String(count), c.ipv4, VIP, KERNEL_IP, OFFLOAD_IP], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve)).finally(() => offload.close());
    if (code !== 0) throw new Error(`client exited with ${code}`);
    const result = JSON.parse(out) as ClientResult;
    await speaker.stop();
    const airlb = summary(result.samplesUs[VIP]!, result.lost[VIP]!);
    const kernel = summary(result.samplesUs[KERNEL_IP]!, result.lost[KERNEL_IP]!);
    const ebpf = summary(result.samplesUs[OFFLOAD_IP]!, result.lost[OFFLOAD_IP]!);
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'arp-latency',
        method:
          'Node packet-socket client in a client netns sends ARP requests back-to-back over a veth/bridge to the node netns; round trip from send to reply callback (process.hrtime), microseconds; airlb standalone answers the VIP, the kernel answers an address configured on the same eth0; targets alternate in blocks of 500 after 200 warm-up requests each; airlb replies come from the ARP fast path in the addon; a third target is answered by the eBPF tc-ingress responder (kernelOffload*)',
        inputs: { requestsPerTarget: count, vip: VIP, kernelAddress: KERNEL_IP, offloadAddress: OFFLOAD_IP, speaker: 'node --import tsx src/cli/main.ts standalone' },
        result: {
          airlbUs: airlb,
          kernelUs: kernel,
          medianRatio: Math.round((airlb.median / kernel.median) * 100) / 100,
          p99Ratio: Math.round((airlb.p99 / kernel.p99) * 100) / 100,
          // The fastest round trips: the cost of the path itself, without the scheduler's wake-up delays.
          minRatio: Math.round((airlb.min / kernel.min) * 100) / 100,
          // The in-kernel (eBPF, tc ingress) responder against the kernel's own answer.
          kernelOffloadUs: ebpf,
          kernelOffloadMedianRatio: Math.round((ebpf.median / kernel.median) * 100) / 100,
          kernelOffloadMinRatio: Math.round((ebpf.min / kernel.min) * 100) / 100,
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
  await main(args[0] === undefined ? 10_000 : Number(args[0]));
}
