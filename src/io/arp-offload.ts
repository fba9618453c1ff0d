import { release } from 'node:os';
import { parseIp } from '../domain/net/ip.js';
import { AirlbError } from '../errors.js';
import { nativeAddon } from './native.js';

/**
 * The in-kernel ARP responder (native/arp_ebpf.c) on one interface: an eBPF program at tc ingress
 * that answers ARP requests for the addresses in its table inside the sender's softirq, without
 * waking airlb. The TypeScript policy still decides which addresses are answered
 * (decideArp, src/domain/l2/responder-policy.ts); this class only keeps the kernel's tables equal
 * to what it is given: the table (claimed VIP → reply MAC, for this interface only) and the node's
 * own MACs (whose requests are never answered).
 *
 * Attachment: a TCX link (bpf(BPF_LINK_CREATE, BPF_TCX_INGRESS), Linux ≥ 6.6), neither pinned nor a
 * tc filter. The kernel detaches the program when the last fd of the link closes, which is when
 * this process closes it or dies — SIGKILL included — so a dead speaker stops answering for its VIPs
 * at once instead of splitting the brain with the node that takes them over. bpf(2) returns every
 * fd O_CLOEXEC, so children started with exec do not keep the program alive either.
 *
 * Counting: a request the program answers is redirected before the protocol handlers run, so a
 * packet socket bound to ETH_P_ARP never sees it. Sockets bound to ETH_P_ALL do: the kernel hands
 * them every received frame before tc ingress. The caller observes with one of those and asks
 * `answers(frame)` — the program's rules against the same tables — to count those requests as
 * answered; `replies()` reads the program's own per-CPU counter. Requests it passes on (not in the
 * table, from ourselves, gratuitous) reach the ETH_P_ARP socket as before.
 */

/** Ethernet header + IPv4-over-Ethernet ARP packet (RFC 826). */
const ARP_FRAME_SIZE = 42;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;

/** bpf(BPF_LINK_CREATE) for TCX ingress, as the addon does it; returns the link fd. */
export type TcxAttach = (progFd: number, ifname: string, netnsPath?: string) => number;

export interface KernelArpResponderOptions {
  /** Attach in this named network namespace (/run/netns/NAME) instead of the process's own. */
  readonly netns?: string;
  /** Replaces the addon's attach (tests inject the errors of older kernels and missing capabilities). */
  readonly attach?: TcxAttach;
}

/** The fds arpEbpfLoad returns, plus the TCX link. */
interface Fds {
  readonly prog: number;
  readonly table: number;
  readonly ownMacs: number;
  readonly counter: number;
  readonly link: number;
}

export class KernelArpResponder {
  private readonly table = new Map<string, string>();
  private readonly ownMacs = new Set<string>();
  private closed = false;

  private constructor(
    readonly ifname: string,
    private readonly fds: Fds,
  ) {}

  /**
   * Loads the program and attaches it to `ifname`'s ingress; it answers nothing until setReplies.
   * Throws AirlbError 'arp-offload-unavailable' whose message says why (offloadUnavailableReason).
   */
  static open(ifname: string, options: KernelArpResponderOptions = {}): KernelArpResponder {
    const addon = nativeAddon();
    const attach: TcxAttach = options.attach ?? ((prog, name, netns) => addon.arpEbpfAttach(prog, name, netns));
    let loaded: [number, number, number, number];
    try {
      loaded = addon.arpEbpfLoad();
    } catch (err) {
      throw unavailable(ifname, 'load', err);
    }
    const [prog, table, ownMacs, counter] = loaded;
    let link: number;
    try {
      link = attach(prog, ifname, options.netns === undefined ? undefined : `/run/netns/${options.netns}`);
    } catch (err) {
      loaded.forEach((fd) => addon.arpEbpfClose(fd));
      throw unavailable(ifname, 'attach', err);
    }
    return new KernelArpResponder(ifname, { prog, table, ownMacs, counter, link });
  }

  /** Makes the kernel table equal to `entries` (IPv4 dotted quad → MAC "aa:bb:.."). */
  setReplies(entries: ReadonlyMap<string, string>): void {
    const addon = nativeAddon();
    for (const address of this.table.keys()) {
      if (!entries.has(address)) addon.arpEbpfDelete(this.fds.table, ipv4Octets(address));
    }
    for (const [address, mac] of entries) {
      if (this.table.get(address) !== mac) addon.arpEbpfUpdate(this.fds.table, ipv4Octets(address), macOctets(mac));
    }
    this.table.clear();
    for (const [address, mac] of entries) this.table.set(address, mac);
  }

  /** Makes the kernel's own-MAC set equal to `macs` (decideArp's ctx.ownMacs: self-sender, probe-from-us). */
  setOwnMacs(macs: ReadonlySet<string>): void {
    const addon = nativeAddon();
    const next = new Set([...macs].map(normalMac));
    for (const mac of this.ownMacs) if (!next.has(mac)) addon.arpEbpfOwnMac(this.fds.ownMacs, macOctets(mac), false);
    for (const mac of next) if (!this.ownMacs.has(mac)) addon.arpEbpfOwnMac(this.fds.ownMacs, macOctets(mac), true);
    this.ownMacs.clear();
    for (const mac of next) this.ownMacs.add(mac);
  }

  /**
   * Whether the program answers this received frame: the checks of native/arp_ebpf.c (RFC 826
   * IPv4-over-Ethernet request, sender IP ≠ target IP, sender MAC none of ours, target IP in the
   * table). The order differs from the program's, the outcome does not: all but the last ignore.
   */
  answers(frame: Buffer): boolean {
    if (frame.length < ARP_FRAME_SIZE || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return false;
    if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== ETHERTYPE_IPV4) return false;
    if (frame[18] !== 6 || frame[19] !== 4 || frame.readUInt16BE(20) !== 1) return false;
    if (frame.readUInt32BE(28) === frame.readUInt32BE(38)) return false;
    if (this.ownMacs.has(formatMac(frame.subarray(22, 28)))) return false;
    return this.table.has(frame.subarray(38, 42).join('.'));
  }

  /** ARP replies the kernel program has sent since it was loaded. */
  replies(): number {
    return nativeAddon().arpEbpfCount(this.fds.counter);
  }

  /**
   * Closes the link first — the kernel detaches the program there and then — and then the program
   * and maps. Synchronous on purpose: it runs on the way out. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const addon = nativeAddon();
    for (const fd of [this.fds.link, this.fds.prog, this.fds.table, this.fds.ownMacs, this.fds.counter]) addon.arpEbpfClose(fd);
  }
}

/**
 * Why the in-kernel responder is unavailable, from the errno of the step that failed, in words an
 * operator can act on. BPF_LINK_CREATE answers EINVAL on kernels before 6.6, which do not know
 * the attach type BPF_TCX_INGRESS (46); a tc program needs CAP_BPF and CAP_NET_ADMIN (or
 * CAP_SYS_ADMIN), else EPERM.
 */
export function offloadUnavailableReason(step: 'load' | 'attach', code: string | undefined, ifname: string, kernel: string): string {
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return 'missing privileges: loading and attaching a tc eBPF program needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN, or root)';
    case 'ENOSYS':
      return `this kernel (${kernel}) has no bpf() syscall (CONFIG_BPF_SYSCALL)`;
    case 'ENODEV':
    case 'ENXIO':
      return `no interface ${ifname}`;
    case 'EINVAL':
      if (step === 'attach') return `this kernel (${kernel}) has no TCX links (BPF_TCX_INGRESS needs Linux 6.6 or later)`;
      return `this kernel (${kernel}) refused the program (EINVAL)`;
    default:
      return `bpf() failed (${code ?? 'unknown error'})`;
  }
}

function unavailable(ifname: string, step: 'load' | 'attach', err: unknown): AirlbError {
  const code = (err as { code?: unknown }).code;
  const reason = offloadUnavailableReason(step, typeof code === 'string' ? code : undefined, ifname, release());
  const detail = err instanceof Error ? err.message : String(err);
  return new AirlbError('arp-offload-unavailable', `the kernel ARP responder cannot ${step} on ${ifname}: ${reason} [${detail}]`, { cause: err });
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

function formatMac(octets: Buffer): string {
  return [...octets].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function normalMac(mac: string): string {
  return formatMac(macOctets(mac));
}
