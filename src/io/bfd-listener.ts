import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { BfdSession } from '../domain/bfd/session.js';
import { BfdDecodeError, decodeControl, type BfdControlPacket } from '../proto/bfd/control.js';
import { canonicalIp } from '../domain/net/ip.js';
import { AirlbError, describeError } from '../errors.js';

/**
 * The listening side of single-hop BFD (RFC 5881 §4): ONE socket per (local address, port) in the
 * process, shared by every user of BFD — multi-node membership (speaker ↔ speaker) and BGP's BFD
 * (node ↔ router) both listen on UDP 3784 of the node's address, and the kernel lets only one
 * socket bind it. Each user (a BfdUdpEndpoint) acquires the listener, registers its sessions, and
 * releases it; the socket closes with the last release.
 *
 * Demultiplexing (RFC 5880 §6.3, §6.8.6; RFC 5881 §3): a packet with a non-zero Your Discriminator
 * goes to the session with that local discriminator, so discriminators are allocated here, unique
 * across all users; a packet with Your Discriminator 0 (the peer has not learnt ours yet) goes to
 * the session whose peer is the source address — single hop, one interface per local address, so
 * source address alone names the session, and one peer address can have only one session per
 * listener whoever its user is. Either way the source must be the session's peer. Packets that
 * match no session are dropped and counted.
 */

export interface BfdListenerCounters {
  /** Control packets received on the socket. */
  readonly received: number;
  /** Dropped: not a valid BFD Control packet (§6.8.6 first checks). */
  readonly malformed: number;
  /** Dropped: no session has this Your Discriminator, or (when 0) this source address, or the source is not that session's peer. */
  readonly noSession: number;
}

/** One session as the listener knows it. */
export interface BfdListenerEntry {
  readonly peerAddress: string;
  readonly session: BfdSession;
  /** Who runs the session ('membership', 'bgp'…): named when another user wants the same peer. */
  readonly user: string;
  /** Packets the session itself discarded (wrong state, AdminDown…), for its user's log. */
  readonly onDiscard: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

export type BfdWarningSink = (message: string, fields: Readonly<Record<string, unknown>>) => void;

export class BfdListenerError extends AirlbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bfd-udp', `BFD: ${message}`, options);
    this.name = 'BfdListenerError';
  }
}

/** Binds exclusively (no SO_REUSEPORT sharing with another process), rejecting with the bind error. */
export function bindUdp(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** The process's listeners by `address|port`; a pending bind is shared too, so two users opening at once get one socket. */
const listeners = new Map<string, Promise<BfdListener>>();

export class BfdListener {
  private readonly byPeer = new Map<string, BfdListenerEntry>();
  private readonly byDiscriminator = new Map<number, BfdListenerEntry>();
  /** One warning sink per user holding the listener; its size is the reference count. */
  private readonly users = new Set<BfdWarningSink>();
  private count = { received: 0, malformed: 0, noSession: 0 };

  private constructor(
    readonly localAddress: string,
    readonly port: number,
    private readonly socket: dgram.Socket,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address));
    socket.on('error', (err) => this.warn('listening socket error', { error: err.message }));
  }

  /**
   * The listener on localAddress:port (canonical address), binding it if no user holds it yet.
   * `warn` receives the listener's own warnings (socket errors, packets for no session) until release(warn).
   */
  static async acquire(localAddress: string, port: number, warn: BfdWarningSink): Promise<BfdListener> {
    const key = `${localAddress}|${port}`;
    let pending = listeners.get(key);
    if (pending === undefined) {
      pending = BfdListener.bindNew(localAddress, port);
      listeners.set(key, pending);
      pending.catch(() => listeners.delete(key));
    }
    const listener = await pending;
    listener.users.add(warn);
    return listener;
  }

  private static async bindNew(localAddress: string, port: number): Promise<BfdListener> {
    const socket = dgram.createSocket({ type: isIPv4(localAddress) ? 'udp4' : 'udp6' });
    try {
      await bindUdp(socket, port, localAddress);
    } catch (err) {
      socket.close();
      throw new BfdListenerError(`cannot listen on ${localAddress} port ${port}: ${describeError(err)}; is another BFD daemon running in this network namespace?`, { cause: err });
    }
    return new BfdListener(localAddress, port, socket);
  }

  /** Drops a user's hold; the last one closes the socket (its sessions must be removed first). */
  release(warn: BfdWarningSink): void {
    if (!this.users.delete(warn) || this.users.size > 0) return;
    listeners.delete(`${this.localAddress}|${this.port}`);
    this.socket.close();
  }

  /**
   * Registers the session `create` builds with a fresh local discriminator (§6.8.1: unique among
   * this system's sessions, here among every user's). Throws when `peerAddress` has a session
   * already, whoever runs it: with Your Discriminator 0 the two could not be told apart.
   */
  add(peerAddress: string, user: string, create: (localDiscriminator: number) => BfdSession, onDiscard: BfdListenerEntry['onDiscard']): BfdSession {
    const existing = this.byPeer.get(peerAddress);
    if (existing !== undefined) {
      throw new BfdListenerError(
        existing.user === user
          ? `a BFD session with ${peerAddress} exists already`
          : `${user} wants a BFD session with ${peerAddress}, but ${existing.user} runs one with that address on ${this.localAddress} port ${this.port} already; one address has one single-hop session (RFC 5881 §3)`,
      );
    }
    const entry: BfdListenerEntry = { peerAddress, user, session: create(this.freeDiscriminator()), onDiscard };
    this.byPeer.set(peerAddress, entry);
    this.byDiscriminator.set(entry.session.localDiscriminator, entry);
    return entry.session;
  }

  /** Forgets a session: packets for it count as noSession from now on. */
  remove(peerAddress: string): void {
    const entry = this.byPeer.get(peerAddress);
    if (entry === undefined) return;
    this.byPeer.delete(peerAddress);
    this.byDiscriminator.delete(entry.session.localDiscriminator);
  }

  counters(): BfdListenerCounters {
    return { ...this.count };
  }

  /** §6.8.6 session selection; see the file comment. */
  private onMessage(msg: Buffer, from: string): void {
    this.count.received++;
    let packet: BfdControlPacket;
    try {
      packet = decodeControl(msg);
    } catch (err) {
      if (!(err instanceof BfdDecodeError)) throw err;
      this.count.malformed++;
      this.warn('discarded a malformed BFD packet', { from, error: err.message });
      return;
    }
    // Peers are stored canonical (IPv6 text has many spellings).
    const source = canonicalIp(from) ?? from;
    const entry = packet.yourDiscriminator !== 0 ? this.byDiscriminator.get(packet.yourDiscriminator) : this.byPeer.get(source);
    if (entry === undefined || entry.peerAddress !== source) {
      this.count.noSession++;
      this.warn('discarded a BFD packet for no known session', { from: source, yourDiscriminator: packet.yourDiscriminator });
      return;
    }
    const result = entry.session.receive(packet);
    if (!result.accepted && result.reason !== 'admin-down') entry.onDiscard('discarded a BFD packet', { from: source, reason: result.reason });
  }

  private freeDiscriminator(): number {
    for (;;) {
      const d = randomInt(1, 0xffffffff);
      if (!this.byDiscriminator.has(d)) return d;
    }
  }

  private warn(message: string, fields: Readonly<Record<string, unknown>>): void {
    for (const sink of this.users) sink(message, fields);
  }
}
