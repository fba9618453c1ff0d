import { execFile, execFileSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseIp } from '../domain/net/ip.js';
import { AirlbError } from '../errors.js';
import { nativeAddon } from './native.js';

/**
 * The in-kernel ARP responder (native/arp_ebpf.c) on one interface: an eBPF classifier at tc
 * ingress that answers ARP requests for the addresses in its table inside the sender's softirq,
 * without waking airlb. The TypeScript policy still decides which addresses are answered; this
 * class only keeps the kernel table equal to what it is given.
 *
 * Counting: a request the program answers is redirected before the protocol handlers run, so a
 * packet socket bound to ETH_P_ARP never sees it. Sockets bound to ETH_P_ALL do: the kernel hands
 * them every received frame before tc ingress. The caller observes with one of those and asks
 * `answers(frame)` — the program's rules against the same table — to count those requests as
 * answered; `replies()` reads the program's own per-CPU counter. Requests it passes on (not in the
 * table, from ourselves, gratuitous) reach the ETH_P_ARP socket as before.
 *
 * Attachment: a clsact qdisc (created when absent, removed on close only if we created it) and
 * one filter at preference FILTER_PREF loading the program pinned at /sys/fs/bpf/airlb_arp_[<netns>_]<ifname>.
 * A crashed run leaves that filter and pin behind; `open` removes both first.
 */

const run = promisify(execFile);
/** airlb's tc filter preference on clsact ingress: fixed so a restart finds its predecessor's filter. */
const FILTER_PREF = '4901';
const PIN_DIR = '/sys/fs/bpf';
/** Ethernet header + IPv4-over-Ethernet ARP packet (RFC 826). */
const ARP_FRAME_SIZE = 42;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;
/** statfs(2) f_type of a bpf filesystem (linux/magic.h BPF_FS_MAGIC). */
const BPF_FS_MAGIC = 0xcafe4a11;

export interface KernelArpResponderOptions {
  /** Run the tc commands in this named network namespace (nsenter --net, which keeps this mount view and so /sys/fs/bpf; `ip netns exec` remounts /sys). */
  readonly netns?: string;
}

export class KernelArpResponder {
  private readonly table = new Map<string, string>();
  private closed = false;

  private constructor(
    readonly ifname: string,
    private readonly pinPath: string,
    private readonly fds: readonly [number, number, number],
    private readonly createdQdisc: boolean,
    private readonly netns: string | undefined,
  ) {}

  /** Loads and attaches the program; throws AirlbError 'arp-offload-unavailable' with the reason. */
  static async open(ifname: string, options: KernelArpResponderOptions = {}): Promise<KernelArpResponder> {
    const tc = (args: readonly string[]) => tcCommand(options.netns, args);
    const pinPath = `${PIN_DIR}/airlb_arp_${options.netns === undefined ? '' : `${options.netns}_`}${ifname}`;
    await tc(['filter', 'del', 'dev', ifname, 'ingress', 'pref', FILTER_PREF]).catch(() => undefined);
    await ensureBpffs();
    rmSync(pinPath, { force: true });
    let fds: [number, number, number];
    try {
      fds = nativeAddon().arpEbpfLoad(pinPath);
    } catch (err) {
      throw new AirlbError('arp-offload-unavailable', `the kernel ARP responder does not load: ${(err as Error).message}`, { cause: err });
    }
    const addon = nativeAddon();
    let createdQdisc = false;
    try {
      createdQdisc = await tc(['qdisc', 'add', 'dev', ifname, 'clsact']).then(() => true, () => false);
      await tc(['filter', 'add', 'dev', ifname, 'ingress', 'pref', FILTER_PREF, 'bpf', 'direct-action', 'object-pinned', pinPath]);
    } catch (err) {
      if (createdQdisc) await tc(['qdisc', 'del', 'dev', ifname, 'clsact']).catch(() => undefined);
      rmSync(pinPath, { force: true });
      fds.forEach((fd) => addon.arpEbpfClose(fd));
      throw new AirlbError('arp-offload-unavailable', `tc cannot attach the kernel ARP responder to ${ifname}: ${(err as Error).message}`, { cause: err });
    }
    return new KernelArpResponder(ifname, pinPath, fds, createdQdisc, options.netns);
  }

  /** Makes the kernel table equal to `entries` (IPv4 dotted quad → MAC "aa:bb:.."). */
  setReplies(entries: ReadonlyMap<string, string>): void {
    const addon = nativeAddon();
    for (const address of this.table.keys()) {
      if (!entries.has(address)) addon.arpEbpfDelete(this.fds[1], ipv4Octets(address));
    }
    for (const [address, mac] of entries) {
      if (this.table.get(address) !== mac) addon.arpEbpfUpdate(this.fds[1], ipv4Octets(address), macOctets(mac));
    }
    this.table.clear();
    for (const [address, mac] of entries) this.table.set(address, mac);
  }

  /**
   * Whether the program answers this received frame: the checks of native/arp_ebpf.c, in the same
   * order (RFC 826 IPv4-over-Ethernet request, sender IP ≠ target IP, target IP in the table,
   * sender MAC ≠ the table's MAC).
   */
  answers(frame: Buffer): boolean {
    if (frame.length < ARP_FRAME_SIZE || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return false;
    if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== ETHERTYPE_IPV4) return false;
    if (frame[18] !== 6 || frame[19] !== 4 || frame.readUInt16BE(20) !== 1) return false;
    if (frame.readUInt32BE(28) === frame.readUInt32BE(38)) return false;
    const mac = this.table.get(frame.subarray(38, 42).join('.'));
    return mac !== undefined && !macOctets(mac).equals(frame.subarray(22, 28));
  }

  /** ARP replies the kernel program has sent since it was loaded. */
  replies(): number {
    return nativeAddon().arpEbpfCount(this.fds[2]);
  }

  /**
   * Detaches the filter, removes the qdisc when we created it, unpins and closes the maps.
   * Synchronous on purpose: it runs on the way out, and a filter left behind keeps answering for
   * VIPs after the speaker is gone. Idempotent; a missing filter or qdisc is not an error.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const tc = (args: readonly string[]): void => {
      const argv = tcArgv(this.netns, args);
      try {
        execFileSync(argv[0]!, argv.slice(1), { timeout: 5000, stdio: 'ignore' });
      } catch {
        // Already gone (the interface was deleted, or someone removed the qdisc).
      }
    };
    tc(['filter', 'del', 'dev', this.ifname, 'ingress', 'pref', FILTER_PREF]);
    if (this.createdQdisc) tc(['qdisc', 'del', 'dev', this.ifname, 'clsact']);
    rmSync(this.pinPath, { force: true });
    const addon = nativeAddon();
    this.fds.forEach((fd) => addon.arpEbpfClose(fd));
  }
}

/**
 * Pinning needs bpffs at /sys/fs/bpf; `ip netns exec` gives its command a fresh /sys without it,
 * so mount one in that (private) view when it is missing.
 */
async function ensureBpffs(): Promise<void> {
  if (statfsSync(PIN_DIR, { bigint: false }).type === BPF_FS_MAGIC) return;
  await run('mount', ['-t', 'bpf', 'bpf', PIN_DIR], { timeout: 5000 }).catch((err: Error) => {
    throw new AirlbError('arp-offload-unavailable', `no bpf filesystem at ${PIN_DIR} and mounting one failed: ${err.message}`, { cause: err });
  });
}

function tcArgv(netns: string | undefined, args: readonly string[]): string[] {
  return netns === undefined ? ['tc', ...args] : ['nsenter', `--net=/run/netns/${netns}`, 'tc', ...args];
}

async function tcCommand(netns: string | undefined, args: readonly string[]): Promise<void> {
  const argv = tcArgv(netns, args);
  await run(argv[0]!, argv.slice(1), { timeout: 5000 });
}

function ipv4Octets(address: string): Buffer {
  const ip = parseIp(address);
  if (ip === null || ip.family !== 4) throw new AirlbError('arp-offload-address', `not an IPv4 address: ${address}`);
  const octets = Buffer.alloc(4);
  octets.writeUInt32BE(Number(ip.value));
  return octets;
}

function macOctets(mac: string): Buffer {
  const octets = Buffer.from(mac.replace(/[:-]/g, ''), 'hex');
  if (octets.length !== 6) throw new AirlbError('arp-offload-mac', `not a MAC address: ${mac}`);
  return octets;
}
