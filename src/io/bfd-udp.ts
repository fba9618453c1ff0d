import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Clock } from '../domain/clock.js';
import { BfdSession, type BfdSessionConfig, type BfdStateChange } from '../domain/bfd/session.js';
import type { DetectMultChoice } from '../domain/bfd/adaptive.js';
import { BfdDecodeError, decodeControl, encodeControl, type BfdControlPacket } from '../proto/bfd/control.js';
import { canonicalIp } from '../domain/net/ip.js';
import { AirlbError } from '../errors.js';
import { systemClock } from './system-clock.js';

/**
 * BFD over UDP, single hop (RFC 5881): Control packets to destination port 3784, from a source
 * port in 49152–65535 that stays the same for the whole session (§4), with IP TTL / hop limit 255
 * (§5). One listening socket per endpoint demultiplexes to one BfdSession per peer address.
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

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

export class BfdUdpEndpoint {
  private readonly peers = new Map<string, Peer>();
  private readonly byDiscriminator = new Map<number, Peer>();
  private readonly type: 'udp4' | 'udp6';
  private readonly clock: Clock;
  private readonly random: () => number;
  private closed = false;

  private constructor(
    private readonly options: BfdUdpOptions,
    private readonly listener: dgram.Socket,
  ) {
    this.type = isIPv4(options.localAddress) ? 'udp4' : 'udp6';
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    listener.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address));
    listener.on('error', (err) => this.warn('listening socket error', { error: err.message }));
  }

  /** Binds the listening socket on localAddress:3784. Needs CAP_NET_BIND_SERVICE (port < 1024). */
  static async open(options: BfdUdpOptions): Promise<BfdUdpEndpoint> {
    const local = canonicalIp(options.localAddress);
    if (local === null) throw new BfdUdpError(`local address '${options.localAddress}' is not an IP address`);
    const socket = dgram.createSocket({ type: isIPv4(local) ? 'udp4' : 'udp6' });
    try {
      await bind(socket, options.port ?? BFD_CONTROL_PORT, local);
    } catch (err) {
      socket.close();
      throw new BfdUdpError(`cannot listen on ${local} port ${options.port ?? BFD_CONTROL_PORT}: ${(err as Error).message}; is another BFD daemon running in this network namespace?`, { cause: err });
    }
    return new BfdUdpEndpoint({ ...options, localAddress: local }, socket);
  }

  /** The session of a peer, if one was added. */
  session(peerAddress: string): BfdSession | undefined {
    const key = canonicalIp(peerAddress);
    return key === null ? undefined : this.peers.get(key)?.session;
  }

  /** Starts a session with `peerAddress` on its own source port (RFC 5881 §4). */
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
    const session = new BfdSession(
      { ...config, localDiscriminator: this.freeDiscriminator() },
      {
        clock: this.clock,
        random: this.random,
        send: (packet) => send(encodeControl(packet)),
        ...(handlers.onStateChange ? { onStateChange: handlers.onStateChange } : {}),
        ...(handlers.onDetectMultChange ? { onDetectMultChange: handlers.onDetectMultChange } : {}),
      },
    );
    const peer: Peer = { address, session, socket, inFlight: 0, removed: false };
    this.peers.set(address, peer);
    this.byDiscriminator.set(session.localDiscriminator, peer);
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
    this.byDiscriminator.delete(peer.session.localDiscriminator);
  }

  /** Removes every peer (telling each with AdminDown when `adminDown`) and stops listening. */
  close(adminDown = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const address of [...this.peers.keys()]) this.removePeer(address, adminDown);
    this.listener.close();
  }

  /**
   * §6.8.6 session selection: by Your Discriminator when it is set, otherwise by source address.
   * Single hop also requires the source to be the session's peer (RFC 5881 §3 demultiplexing).
   */
  private onMessage(msg: Buffer, from: string): void {
    let packet: BfdControlPacket;
    try {
      packet = decodeControl(msg);
    } catch (err) {
      if (err instanceof BfdDecodeError) {
        this.warn('discarded a malformed BFD packet', { from, error: err.message });
        return;
      }
      throw err;
    }
    const source = canonicalIp(from) ?? from;
    const peer = packet.yourDiscriminator !== 0 ? this.byDiscriminator.get(packet.yourDiscriminator) : this.peers.get(source);
    if (peer === undefined || peer.address !== source) {
      this.warn('discarded a BFD packet for no known session', { from: source, yourDiscriminator: packet.yourDiscriminator });
      return;
    }
    const result = peer.session.receive(packet);
    if (!result.accepted && result.reason !== 'admin-down') {
      this.warn('discarded a BFD packet', { from: source, reason: result.reason });
    }
  }

  private freeDiscriminator(): number {
    for (;;) {
      const d = randomInt(1, 0xffffffff);
      if (!this.byDiscriminator.has(d)) return d;
    }
  }

  /** A socket on a free random port in 49152–65535 (RFC 5881 §4); the kernel's own range differs. */
  private async bindSourcePort(): Promise<dgram.Socket> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const socket = dgram.createSocket({ type: this.type });
      try {
        await bind(socket, randomInt(BFD_SOURCE_PORT_MIN, BFD_SOURCE_PORT_MAX + 1), this.options.localAddress);
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
