import { createRequire } from 'node:module';
import { AirlbError } from '../errors.js';

/**
 * The C addon (native/, built by node-gyp during `npm ci` / `npm install` from binding.gyp). This
 * file only loads it and describes its functions; src/io/packet-socket.ts wraps the packet socket
 * and the BGP/BFD code calls the TCP MD5 and TTL helpers directly.
 *
 * Errors thrown by the addon are plain Errors whose `code` is the errno name ('EPERM', 'ENODEV', ...)
 * and whose message names the failed step (and CAP_NET_RAW when that is what is missing).
 */

/** An open AF_PACKET socket as the addon returns it; only pass it back to the addon. */
export interface NativePacketHandle {
  /** The interface's MAC address (SIOCGIFHWADDR). */
  readonly mac: Buffer;
  readonly ifindex: number;
}

/**
 * Called for every received frame (error null) and for socket errors such as ENETDOWN (frame
 * undefined). `answered` is true when the ARP fast path already sent the reply to this frame.
 */
export type NativeFrameCallback = (error: (Error & { code?: string }) | null, frame?: Buffer, packetType?: number, answered?: boolean) => void;

export interface NativeAddon {
  /** Opens, filters (`filter` = packed struct sock_filter[]), binds and starts receiving. */
  packetOpen(ifname: string, ethertype: number, filter: Buffer | null, promiscuous: boolean, onFrame: NativeFrameCallback): NativePacketHandle;
  /** Sends one whole Ethernet frame; returns the bytes sent. */
  packetSend(handle: NativePacketHandle, frame: Buffer): number;
  /** Joins (add) or leaves a link-layer multicast group (PACKET_ADD/DROP_MEMBERSHIP). */
  packetMembership(handle: NativePacketHandle, mac: Buffer, add: boolean): void;
  /**
   * Replaces the ARP fast path's table (native/arp_fast_path.c): `entries` is n × 10 octets (IPv4
   * address, reply MAC), `ownMacs` m × 6 octets whose requests are never answered. Empty buffers
   * turn it off. Effective for the next received frame.
   */
  packetSetArpReplies(handle: NativePacketHandle, entries: Buffer, ownMacs: Buffer): void;
  /** Idempotent; no callback runs afterwards. */
  packetClose(handle: NativePacketHandle): void;
  /**
   * TCP socket with an RFC 2385 key for the peer (none when `key` is empty) and, unless `ttl` is 0,
   * that IP TTL / hop limit, both set before the SYN; the connect is started (non-blocking) and
   * the fd returned for `new net.Socket({ fd })`, which emits no 'connect' event.
   */
  tcpMd5Connect(remoteAddress: string, remotePort: number, key: Buffer, localAddress: string | null, ttl: number): number;
  /** Listening TCP socket with one RFC 2385 key per [peer address, key]; returns the fd for `server.listen({ fd })`. */
  tcpMd5Listen(address: string, port: number, backlog: number, peers: ReadonlyArray<readonly [string, Buffer]>): number;
  /** Installs a peer's key on an existing socket, or removes it when `key` is empty. */
  tcpMd5SetKey(fd: number, peerAddress: string, key: Buffer): void;
  /** IP_MINTTL (and IPV6_MINHOPCOUNT on IPv6 sockets): drop packets arriving with a lower TTL (RFC 5082). */
  setMinTtl(fd: number, ttl: number): void;
  /** IP_TTL (and IPV6_UNICAST_HOPS on IPv6 sockets) for what the socket sends. */
  setTtl(fd: number, ttl: number): void;
  /**
   * In-kernel ARP responder (native/arp_ebpf.c): creates its maps and loads the tc program, nothing
   * attached; returns [progFd, tableFd, ownMacsFd, counterFd] (all O_CLOEXEC).
   */
  arpEbpfLoad(): [number, number, number, number];
  /**
   * Attaches the program at `ifname`'s ingress through a TCX link (Linux ≥ 6.6), in the namespace
   * of `netnsPath` when given; returns the link fd, whose close (or the process's death) detaches it.
   */
  arpEbpfAttach(progFd: number, ifname: string, netnsPath?: string): number;
  /** Adds (present) or removes one of the node's own MACs (6 octets): their requests are never answered. */
  arpEbpfOwnMac(ownMacsFd: number, mac: Buffer, present: boolean): void;
  /** Answers ARP requests for `address` (4 octets, network order) with `mac` (6 octets). */
  arpEbpfUpdate(tableFd: number, address: Buffer, mac: Buffer): void;
  /** Stops answering for `address`; absent addresses are not an error. */
  arpEbpfDelete(tableFd: number, address: Buffer): void;
  /** Replies the program has sent, summed over CPUs. */
  arpEbpfCount(counterFd: number): number;
  arpEbpfClose(fd: number): void;
}

/** From src/io/ (tsx) and dist/io/ (compiled) alike, two levels up is the repository root. */
const ADDON_PATH = '../../build/Release/airlb_native.node';

let loaded: NativeAddon | null = null;

/** Loads the addon once; throws AirlbError 'native-addon-missing' when it was not built. */
export function nativeAddon(): NativeAddon {
  if (loaded !== null) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require(ADDON_PATH) as NativeAddon;
    return loaded;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new AirlbError(
        'native-addon-missing',
        'the native addon build/Release/airlb_native.node is not built (raw packet sockets and TCP MD5 need it); run `npm ci` or `npm rebuild` on Linux with gcc, make and python3 installed',
        { cause: err },
      );
    }
    throw new AirlbError(
      'native-addon-broken',
      `build/Release/airlb_native.node does not load: ${(err as Error).message}; rebuild it with \`npm rebuild\``,
      { cause: err },
    );
  }
}
