import { readFile } from 'node:fs/promises';
import { AirlbError } from '../errors.js';
import { KernelArpResponder } from '../io/arp-offload.js';
import { arpFilter, neighborDiscoveryFilter } from '../io/bpf.js';
import type { Logger } from '../io/logger.js';
import { ALL_PROTOCOLS, openPacketSocket, type PacketSocket, type PacketSocketError } from '../io/packet-socket.js';
import { EtherType } from '../proto/ethernet/frame.js';
import type { LinkLayer, LinkPort } from './engine.js';

/**
 * The engine's LinkLayer on real interfaces: per interface one packet socket for ARP and one for
 * ICMPv6 Neighbor Discovery (a packet socket binds one EtherType), each with its BPF filter so the
 * process only wakes for the frames it may answer. Promiscuous mode is held by a third socket
 * bound to no EtherType — it receives nothing and exists only for its PACKET_MR_PROMISC
 * membership — so turning it on or off never reopens, and never loses frames on, the sockets that
 * answer. Closing a socket drops its memberships in the kernel, crash included. The ARP socket
 * carries the engine's fast-path table (setArpReplies), so claimed IPv4 VIPs are answered in the
 * addon's receive callback. With ARP offload 'auto' (the default) or 'kernel' the same table also
 * goes to the eBPF responder at tc ingress (src/io/arp-offload.ts), attached by a TCX link that dies
 * with the process; it answers before the ETH_P_ARP socket would see the request, so the native
 * table stays installed as the backstop and nothing is answered twice. The requests the program
 * answers are seen by an observer socket bound to ETH_P_ALL (those get frames before tc ingress)
 * and go to the engine as answered, so its counters and conflict checks see them as with the fast
 * path.
 */

/**
 * Who answers ARP for claimed VIPs: 'auto' the eBPF program, or the addon's fast path where it
 * cannot attach (older kernel, missing CAP_BPF; the reason is logged); 'kernel' the eBPF program or
 * nothing (the interface is not opened, with the reason); 'native' the addon's fast path.
 */
export const ARP_OFFLOAD_MODES = ['auto', 'kernel', 'native'] as const;
export type ArpOffloadMode = (typeof ARP_OFFLOAD_MODES)[number];

export function isArpOffloadMode(text: string): text is ArpOffloadMode {
  return (ARP_OFFLOAD_MODES as readonly string[]).includes(text);
}

/** EtherType 0 binds to no protocol: the socket receives nothing (packet(7)). */
const NO_PROTOCOL = 0;

class PacketLinkPort implements LinkPort {
  private readonly arp: PacketSocket;
  private readonly nd: PacketSocket;
  private holder: PacketSocket | null = null;
  private groups = new Set<string>();
  private kernel: KernelArpResponder | null = null;
  private observer: PacketSocket | null = null;

  constructor(
    private readonly ifname: string,
    onFrame: (frame: Buffer, answered: boolean) => void,
    private readonly onError: (ifname: string, err: PacketSocketError) => void,
    offload: ArpOffloadMode,
    private readonly log: Logger | undefined,
  ) {
    this.arp = this.watch(openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() }), onFrame);
    try {
      this.nd = this.watch(openPacketSocket({ ifname, ethertype: EtherType.ipv6, filter: neighborDiscoveryFilter() }), onFrame);
    } catch (err) {
      this.arp.close();
      throw err;
    }
    if (offload === 'native') {
      this.log?.info('ARP offload: native fast path', { ifname });
      return;
    }
    try {
      this.attachKernelResponder(onFrame);
    } catch (err) {
      if (offload === 'kernel') {
        this.arp.close();
        this.nd.close();
        throw err;
      }
      this.log?.warn('ARP offload: kernel responder unavailable, using the native fast path', { ifname, reason: (err as Error).message });
    }
  }

  private attachKernelResponder(onFrame: (frame: Buffer, answered: boolean) => void): void {
    const kernel = KernelArpResponder.open(this.ifname);
    // Outgoing frames (our replies included) come back as 'other' on an ETH_P_ALL socket: skipped.
    let observer: PacketSocket;
    try {
      observer = openPacketSocket({ ifname: this.ifname, ethertype: ALL_PROTOCOLS, filter: arpFilter() });
    } catch (err) {
      kernel.close();
      throw err;
    }
    observer.on('frame', (frame, packetType) => {
      if (packetType !== 'other' && kernel.answers(frame)) onFrame(frame, true);
    });
    observer.on('error', (err) => this.onError(this.ifname, err));
    this.observer = observer;
    this.kernel = kernel;
    this.log?.info('ARP offload: kernel (eBPF at tc ingress, TCX link)', { ifname: this.ifname });
  }

  send(frame: Buffer): void {
    const etherType = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
    (etherType === EtherType.arp ? this.arp : this.nd).send(frame);
  }

  setPromiscuous(on: boolean): void {
    if (on && this.holder === null) {
      this.holder = this.watch(openPacketSocket({ ifname: this.ifname, ethertype: NO_PROTOCOL, promiscuous: true }), () => undefined);
    } else if (!on && this.holder !== null) {
      this.holder.close();
      this.holder = null;
    }
  }

  /** Only ARP has a fast path: NDP replies still come from the engine. */
  setArpReplies(replies: ReadonlyMap<string, string>, ownMacs: ReadonlySet<string>): void {
    this.arp.setArpReplies(replies, ownMacs);
    this.kernel?.setOwnMacs(ownMacs);
    this.kernel?.setReplies(replies);
  }

  setMulticast(macs: readonly string[]): void {
    const next = new Set(macs);
    for (const mac of next) if (!this.groups.has(mac)) this.nd.addMembership(mac);
    for (const mac of this.groups) if (!next.has(mac)) this.nd.dropMembership(mac);
    this.groups = next;
  }

  close(): void {
    this.kernel?.close();
    this.kernel = null;
    this.observer?.close();
    this.observer = null;
    this.holder?.close();
    this.holder = null;
    this.arp.close();
    this.nd.close();
  }

  private watch(socket: PacketSocket, onFrame: (frame: Buffer, answered: boolean) => void): PacketSocket {
    socket.on('frame', (frame, _packetType, answered) => onFrame(frame, answered));
    // Receive errors (ENETDOWN while the link is down) leave the socket usable; report, never throw.
    socket.on('error', (err) => this.onError(this.ifname, err));
    return socket;
  }
}

/** Without `offload` the addon's fast path answers (mode 'native') and nothing about it is logged. */
export function packetLinkLayer(
  onError: (ifname: string, err: PacketSocketError) => void,
  offload?: { readonly mode: ArpOffloadMode; readonly logger: Logger },
): LinkLayer {
  return {
    open: (ifname, onFrame) => new PacketLinkPort(ifname, onFrame, onError, offload?.mode ?? 'native', offload?.logger),
  };
}

/** CAP_NET_RAW's bit in the capability sets (linux/capability.h). */
const CAP_NET_RAW = 13n;

/**
 * Fails early, with what to do, when the process may not open packet sockets: without it every
 * interface would fail later with one log line each and the speaker would run announcing nothing.
 * Reads the effective set from /proc/self/status (proc(5)).
 */
export async function requirePacketAccess(): Promise<void> {
  const status = await readFile('/proc/self/status', 'utf8');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_NET_RAW) & 1n) === 1n) return;
  throw new AirlbError(
    'needs-cap-net-raw',
    'answering ARP and NDP needs raw packet sockets (CAP_NET_RAW): run as root, with AmbientCapabilities=CAP_NET_RAW under systemd, or in a pod with hostNetwork and capabilities.add [NET_RAW]',
  );
}
