import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Clock } from '../domain/clock.js';
import { BfdSession, type BfdSessionConfig, type BfdStateChange } from '../domain/bfd/session.js';
import type { DetectMultChoice } from '../domain/bfd/adaptive.js';
import { encodeControl } from '../proto/bfd/control.js';
import { canonicalIp } from '../domain/net/ip.js';
import { AirlbError } from '../errors.js';
import { BfdListener, bindUdp, type BfdListenerCounters, type BfdWarningSink } from './bfd-listener.js';
import { systemClock } from './system-clock.js';

/**
 * BFD over UDP, single hop (RFC 5881): Control packets to destination port 3784, from a source
 * port in 49152–65535 that stays the same for the whole session (§4), with IP TTL / hop limit 255
 * (§5). A BfdUdpEndpoint is one user's set of sessions (membership's, or BGP's); the listening
 * socket on localAddress:3784 is shared by every endpoint of the process with that address and
 * port (src/io/bfd-listener.ts), which demultiplexes received packets to the sessions.
 *
 * Known gap: RFC 5881 §5 also asks the receiver to drop packets whose TTL is below 255 (GTSM).
 * Node's dgram cannot read the received TTL or set IP_MINTTL, and the native setsockopt helper
 * (src/io/native.ts) does not exist yet, so received TTL is NOT checked here.
 */

/** RFC 5881 §4: single-hop Control packets go to this port. */
export const BFD_CONTROL_PORT = 3784;
/** RFC 5881 §4: the source port range. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;
/** RFC 5881 §5: sent with TTL / hop limit 255. */
export const BFD_TTL = 255;

export type BfdPeerConfig = Omit<BfdSessionConfig, 'localDiscriminator'>;

export interface BfdPeerHandlers {
  readonly onStateChange?: (change: BfdStateChange) => void;
  readonly onDetectMultChange?: (choice: DetectMultChoice) => void;
}

export interface BfdUdpOptions {
  /** The node address the peers send to (IPv4 or IPv6); the family of every peer must match. */
  readonly localAddress: string;
  /** Destination port to listen on; 3784 unless a test needs another. */
  readonly port?: number;
  /** Destination port peers listen on; 3784 unless a test needs another. */
  readonly peerPort?: number;
  /** Who runs these sessions ('membership', 'bgp'), named in errors when two users want one peer. */
  readonly user?: string;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Socket errors and discarded packets, for the caller's log. */
  readonly onWarning?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

export class BfdUdpError extends AirlbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bfd-udp', `BFD: ${message}`, options);
    this.name = 'BfdUdpError';
  }
}

interface Peer {
  readonly address: string;
  readonly session: BfdSession;
  readonly socket: dgram.Socket;
  /** Sends not yet handed to the kernel; the socket closes when this reaches 0 after removal. */
  inFlight: number;
  removed: boolean;
}

export class BfdUdpEndpoint {
  private readonly peers = new Map<string, Peer>();
  private readonly type: 'udp4' | 'udp6';
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly user: string;
  private closed = false;

  private constructor(
    private readonly options: BfdUdpOptions,
    private readonly listener: BfdListener,
    private readonly sink: BfdWarningSink,
  ) {
    this.type = isIPv4(options.localAddress) ? 'udp4' : 'udp6';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.user = options.user ?? 'bfd';
  }

  /**
   * Joins the process's listener on localAddress:3784, binding it when this is its first user.
   * Binding needs CAP_NET_BIND_SERVICE (port < 1024).
   */
  static async open(options: BfdUdpOptions): Promise<BfdUdpEndpoint> {
    const local = canonicalIp(options.localAddress);
    if (local === null) throw new BfdUdpError(`local address '${options.localAddress}' is not an IP address`);
    // A fresh function per endpoint: the listener counts its users by these.
    const sink: BfdWarningSink = (message, fields) => options.onWarning?.(message, fields);
    const listener = await BfdListener.acquire(local, options.port ?? BFD_CONTROL_PORT, sink);
    return new BfdUdpEndpoint({ ...options, localAddress: local }, listener, sink);
  }

  /** The session of a peer, if one was added. */
  session(peerAddress: string): BfdSession | undefined {
    const key = canonicalIp(peerAddress);
    return key === null ? undefined : this.peers.get(key)?.session;
  }

  /** The shared listener's counters: every user of this address and port counts into them. */
  counters(): BfdListenerCounters {
    return this.listener.counters();
  }

  /**
   * Starts a session with `peerAddress` on its own source port (RFC 5881 §4). Throws when the
   * address has a session already on this listener, also one another user runs.
   */
  async addPeer(peerAddress: string, config: BfdPeerConfig, handlers: BfdPeerHandlers = {}): Promise<BfdSession> {
    if (this.closed) throw new BfdUdpError('the endpoint is closed');
    const address = canonicalIp(peerAddress);
    if (address === null || isIPv4(address) !== (this.type === 'udp4')) {
      throw new BfdUdpError(`peer '${peerAddress}' is not an address of the same family as ${this.options.localAddress}`);
    }
    if (this.peers.has(address)) throw new BfdUdpError(`a BFD session with ${address} exists already`);
    const socket = await this.bindSourcePort();
    socket.setTTL(BFD_TTL);
    socket.on('error', (err) => this.warn('send socket error', { peer: address, error: err.message }));
    const peerPort = this.options.peerPort ?? BFD_CONTROL_PORT;
    const send = (wire: Buffer) => {
      peer.inFlight++;
      socket.send(wire, peerPort, address, () => {
        peer.inFlight--;
        if (peer.removed && peer.inFlight === 0) socket.close();
      });
    };
    let session: BfdSession;
    try {
      session = this.listener.add(
        address,
        this.user,
        (localDiscriminator) =>
          new BfdSession(
            { ...config, localDiscriminator },
            {
              clock: this.clock,
              random: this.random,
              send: (packet) => send(encodeControl(packet)),
              ...(handlers.onStateChange ? { onStateChange: handlers.onStateChange } : {}),
              ...(handlers.onDetectMultChange ? { onDetectMultChange: handlers.onDetectMultChange } : {}),
            },
          ),
        (message, fields) => this.warn(message, fields),
      );
    } catch (err) {
      socket.close();
      throw err;
    }
    const peer: Peer = { address, session, socket, inFlight: 0, removed: false };
    this.peers.set(address, peer);
    session.start();
    return session;
  }

  /**
   * Stops the session with `peerAddress` and frees its port. With `adminDown` the peer is told
   * first (one AdminDown packet, §6.8.16), so it goes Down at once instead of timing out.
   */
  removePeer(peerAddress: string, adminDown = false): void {
    const key = canonicalIp(peerAddress);
    const peer = key === null ? undefined : this.peers.get(key);
    if (peer === undefined) return;
    if (adminDown) peer.session.shutdown();
    else peer.session.stop();
    peer.removed = true;
    if (peer.inFlight === 0) peer.socket.close();
    this.peers.delete(peer.address);
    this.listener.remove(peer.address);
  }

  /**
   * Removes this user's peers (telling each with AdminDown when `adminDown`) and leaves the
   * listener; other users' sessions on it keep running.
   */
  close(adminDown = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const address of [...this.peers.keys()]) this.removePeer(address, adminDown);
    this.listener.release(this.sink);
  }

  /** A socket on a free random port in 49152–65535 (RFC 5881 §4); the kernel's own range differs. */
  private async bindSourcePort(): Promise<dgram.Socket> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const socket = dgram.createSocket({ type: this.type });
      try {
        await bindUdp(socket, randomInt(BFD_SOURCE_PORT_MIN, BFD_SOURCE_PORT_MAX + 1), this.options.localAddress);
        return socket;
      } catch (err) {
        socket.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new BfdUdpError(`cannot bind a source port: ${(err as Error).message}`, { cause: err });
      }
    }
    throw new BfdUdpError(`no free source port in ${BFD_SOURCE_PORT_MIN}–${BFD_SOURCE_PORT_MAX} after 64 tries`);
  }

  private warn(message: string, fields: Readonly<Record<string, unknown>>): void {
    this.options.onWarning?.(message, fields);
  }
}
