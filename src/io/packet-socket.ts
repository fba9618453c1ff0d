import { EventEmitter } from 'node:events';
import { AirlbError } from '../errors.js';
import { ipv4ToBytes } from '../proto/arp/ipv4.js';
import { macFromBytes, macToBytes } from '../proto/ethernet/mac.js';
import { nativeAddon, type NativePacketHandle } from './native.js';

/**
 * A raw Ethernet socket on one interface (AF_PACKET through the native addon): receives the frames
 * of one EtherType that pass an optional BPF filter (src/io/bpf.ts), sends whole frames, joins
 * link-layer multicast groups and can hold the interface in promiscuous mode while open.
 */

/**
 * sll_pkttype (linux/if_packet.h): how the frame was addressed. 'otherhost' (unicast to another
 * MAC) is seen when the interface is promiscuous or does not filter (veth); 'other' stands for the
 * values that do not occur on a bound Ethernet socket (outgoing, loopback, ...).
 */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'other';
const PACKET_TYPES: readonly PacketType[] = ['host', 'broadcast', 'multicast', 'otherhost'];
/** One fast-path table entry in the addon: IPv4 address (4 octets) then MAC (6). */
const ARP_ENTRY_SIZE = 10;

/**
 * ETH_P_ALL (linux/if_ether.h) as a socket's protocol: every frame, and received ones before tc
 * ingress — so also the ARP requests an eBPF program there answers and consumes, which an
 * ETH_P_ARP socket (delivered after tc ingress) never sees.
 */
export const ALL_PROTOCOLS = 0x0003;

export interface PacketSocketOptions {
  readonly ifname: string;
  /** The EtherType to bind to (EtherType.arp, EtherType.ipv6, ...). */
  readonly ethertype: number;
  /** A compiled classic BPF program (compileBpf / arpFilter / neighborDiscoveryFilter). */
  readonly filter?: Buffer;
  /**
   * Hold the interface in promiscuous mode while the socket is open (PACKET_MR_PROMISC): the kernel
   * counts it as one more user and undoes it on close, crash included.
   */
  readonly promiscuous?: boolean;
}

export interface PacketSocketEvents {
  /** `answered`: the ARP fast path (setArpReplies) already sent the reply to this frame. */
  frame: [frame: Buffer, packetType: PacketType, answered: boolean];
  /** Receive errors, e.g. ENETDOWN when the interface goes down; the socket stays open. */
  error: [error: PacketSocketError];
}

/**
 * Failures of the packet socket. `code` is 'needs-cap-net-raw' when the process lacks CAP_NET_RAW,
 * 'no-such-interface' for a missing interface, 'not-ethernet' for one without Ethernet framing
 * (loopback, tun), otherwise 'packet-socket'; `errno` is the errno name.
 */
export class PacketSocketError extends AirlbError {
  readonly errno: string;

  constructor(code: string, errno: string, message: string, cause: unknown) {
    super(code, message, { cause });
    this.name = 'PacketSocketError';
    this.errno = errno;
  }
}

/** Wraps an errno-carrying addon error; argument errors (TypeError, code 'EARGS') are bugs and pass through. */
function translate(err: unknown, ifname: string): unknown {
  if (!(err instanceof Error) || err instanceof TypeError) return err;
  const errno = (err as { code?: unknown }).code;
  if (typeof errno !== 'string' || !/^E[A-Z0-9]+$/.test(errno)) return err;
  const code =
    errno === 'EPERM' || errno === 'EACCES' ? 'needs-cap-net-raw' : errno === 'ENODEV' ? 'no-such-interface' : errno === 'ENOTETHER' ? 'not-ethernet' : 'packet-socket';
  return new PacketSocketError(code, errno, `${ifname}: ${err.message}`, err);
}

export class PacketSocket extends EventEmitter<PacketSocketEvents> {
  readonly ifname: string;
  readonly ifindex: number;
  /** The interface's MAC, lowercase colon form; replies must be sent from it. */
  readonly mac: string;
  #handle: NativePacketHandle | null;

  /** Use openPacketSocket(). */
  constructor(options: PacketSocketOptions) {
    super();
    const addon = nativeAddon();
    this.ifname = options.ifname;
    try {
      this.#handle = addon.packetOpen(options.ifname, options.ethertype, options.filter ?? null, options.promiscuous ?? false, (error, frame, packetType, answered) => {
        if (error !== null) this.emit('error', new PacketSocketError('packet-socket', error.code ?? 'EIO', `${this.ifname}: ${error.message}`, error));
        else if (frame !== undefined) this.emit('frame', frame, PACKET_TYPES[packetType ?? -1] ?? 'other', answered === true);
      });
    } catch (err) {
      throw translate(err, options.ifname);
    }
    this.ifindex = this.#handle.ifindex;
    this.mac = macFromBytes(this.#handle.mac);
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  /** Sends one whole Ethernet frame (header included) out of the interface. */
  send(frame: Buffer): void {
    this.#call((addon, handle) => addon.packetSend(handle, frame));
  }

  /** Receives frames sent to `mac`, a multicast MAC such as a solicited-node group (RFC 2464 §7). */
  addMembership(mac: string): void {
    this.#call((addon, handle) => addon.packetMembership(handle, macToBytes(mac), true));
  }

  dropMembership(mac: string): void {
    this.#call((addon, handle) => addon.packetMembership(handle, macToBytes(mac), false));
  }

  /**
   * Installs the ARP fast path's table, replacing the previous one: from the next received frame
   * on, an ARP request (RFC 826, op 1) whose target is a key of `replies` is answered in the addon
   * from that MAC before the frame is emitted (with answered = true) — unless its sender IP equals
   * its target IP (an RFC 5227 §3 announcement) or its sender MAC is one of `ownMacs`. These are
   * the rules of decideArp (src/domain/l2/responder-policy.ts); the caller decides what goes in.
   * An empty map turns the fast path off. Only meaningful on a socket bound to EtherType.arp.
   */
  setArpReplies(replies: ReadonlyMap<string, string>, ownMacs: Iterable<string>): void {
    const entries = Buffer.alloc(replies.size * ARP_ENTRY_SIZE);
    let offset = 0;
    for (const [ip, mac] of replies) {
      ipv4ToBytes(ip).copy(entries, offset);
      macToBytes(mac).copy(entries, offset + 4);
      offset += ARP_ENTRY_SIZE;
    }
    const macs = Buffer.concat([...ownMacs].map((m) => macToBytes(m)));
    this.#call((addon, handle) => addon.packetSetArpReplies(handle, entries, macs));
  }

  /** Stops receiving (queued frames are dropped, no 'frame' event follows) and releases the socket. Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    nativeAddon().packetClose(this.#handle);
    this.#handle = null;
  }

  #call(action: (addon: ReturnType<typeof nativeAddon>, handle: NativePacketHandle) => unknown): void {
    if (this.#handle === null) throw new PacketSocketError('packet-socket', 'EBADF', `${this.ifname}: the packet socket is closed`, null);
    try {
      action(nativeAddon(), this.#handle);
    } catch (err) {
      throw translate(err, this.ifname);
    }
  }
}

/** Opens a packet socket; throws PacketSocketError (see its codes) or AirlbError 'native-addon-missing'. */
export function openPacketSocket(options: PacketSocketOptions): PacketSocket {
  return new PacketSocket(options);
}
