import net from 'node:net';
import type { Clock } from '../domain/clock.js';
import type { BFDProfile, BGPPeer } from '../domain/config/types.js';
import type { BgpAnnouncement } from '../domain/bgp/announcements.js';
import { routesForPeer } from '../domain/bgp/route.js';
import type { BgpStateName } from '../domain/bgp/fsm.js';
import { fsmConfigOf } from '../domain/bgp/peer-config.js';
import { CeaseSubcode } from '../proto/bgp/index.js';
import { canonicalIp, parseIp } from '../domain/net/ip.js';
import { AirlbError, describeError } from '../errors.js';
import { BgpSession, plainAddress, type BgpSessionStatus } from './bgp-session.js';
import { BfdUdpEndpoint } from './bfd-udp.js';
import type { Logger } from './logger.js';
import type { NativeAddon } from './native.js';

/**
 * The BGP side of one node: a session per BGPPeer that selects this node, one listening socket
 * for the peers' own connections (collisions are resolved per session), BFD for peers that name
 * a BFDProfile, and `setRoutes` to hand every session its part of planBgp's output.
 */

export interface BgpSpeakerOptions {
  readonly node: string;
  /** The BGPPeers of this node (peersOfNode), with passwordSecret already resolved into password. */
  readonly peers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  /** BGP Identifier for peers whose BGPPeer names no routerID (normally the node's IPv4 address). */
  readonly routerId: string;
  /** The node's addresses: next hops of the family a session's own addresses are not, and BFD's source. */
  readonly nodeAddresses: { readonly v4: string | null; readonly v6: string | null };
  /** Where to accept the peers' connections (port 179 normally), or null to only connect out. */
  readonly listen: { readonly address: string; readonly port: number } | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly native: NativeAddon | null;
  /** Told of every session state change (for the status file, metrics, tests). */
  readonly onStateChange?: (change: { readonly peer: string; readonly from: BgpStateName; readonly to: BgpStateName; readonly reason: string }) => void;
}

export class BgpSpeakerError extends AirlbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bgp-speaker', `BGP: ${message}`, options);
    this.name = 'BgpSpeakerError';
  }
}

function listen(server: net.Server, how: { fd: number } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(how, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

interface Entry {
  readonly peer: BGPPeer;
  readonly session: BgpSession;
  /** The local address of the BFD endpoint the peer's BFD session lives on; null without BFD, or until it started. */
  bfdLocal: string | null;
}

export class BgpSpeaker {
  private readonly sessions = new Map<string, Entry>();
  private server: net.Server | null = null;
  /** The [address, password] pairs the listening socket was opened with. */
  private listenerKeys = '';
  /**
   * BFD endpoints by local address. Each joins the process's listener on that address's UDP 3784
   * (src/io/bfd-listener.ts), which multi-node membership shares when it runs on the same address.
   */
  private readonly bfd = new Map<string, BfdUdpEndpoint>();
  private announcements: readonly BgpAnnouncement[] = [];
  private readonly log: Logger;

  private constructor(private readonly options: BgpSpeakerOptions) {
    this.log = options.logger.child({ component: 'bgp' });
  }

  /** Creates the sessions, opens the listener and BFD, and starts connecting. */
  static async start(options: BgpSpeakerOptions): Promise<BgpSpeaker> {
    const speaker = new BgpSpeaker(options);
    try {
      await speaker.setPeers(options.peers);
    } catch (err) {
      await speaker.stop();
      throw err;
    }
    return speaker;
  }

  /**
   * Applies a new list of this node's BGPPeers: a removed peer is told Cease / Peer
   * De-configured, a changed one Cease / Other Configuration Change and is started again with
   * the new settings (RFC 4486 §4), new ones are started; unchanged sessions are left alone.
   */
  async setPeers(peers: readonly BGPPeer[]): Promise<void> {
    const wanted = new Map<string, BGPPeer>();
    for (const peer of peers) {
      const address = canonicalIp(peer.spec.peerAddress);
      if (address === null) throw new BgpSpeakerError(`BGPPeer ${peer.metadata.name}: peerAddress "${peer.spec.peerAddress}" is not an IP address`);
      if (wanted.has(address)) throw new BgpSpeakerError(`two BGPPeers of node ${this.options.node} have peerAddress ${address}`);
      wanted.set(address, peer);
    }
    const fresh: Entry[] = [];
    const stopping: Promise<void>[] = [];
    for (const [address, entry] of [...this.sessions]) {
      const next = wanted.get(address);
      if (next !== undefined && JSON.stringify(next.spec) === JSON.stringify(entry.peer.spec) && next.metadata.name === entry.peer.metadata.name) continue;
      this.sessions.delete(address);
      if (entry.bfdLocal !== null) this.bfd.get(entry.bfdLocal)?.removePeer(address);
      const subcode = next === undefined ? CeaseSubcode.peerDeconfigured : CeaseSubcode.otherConfigurationChange;
      this.log.info(next === undefined ? 'BGPPeer removed' : 'BGPPeer changed: restarting its session', { peer: entry.peer.metadata.name });
      stopping.push(entry.session.stop(subcode));
    }
    await Promise.all(stopping);
    for (const [address, peer] of wanted) {
      if (this.sessions.has(address)) continue;
      const entry: Entry = { peer, session: this.newSession(address, peer), bfdLocal: null };
      this.sessions.set(address, entry);
      fresh.push(entry);
    }
    await this.syncListener();
    const failed: string[] = [];
    for (const entry of fresh) {
      if (entry.peer.spec.bfdProfile !== null) {
        try {
          entry.bfdLocal = await this.startBfd(entry.peer, entry.session);
        } catch (err) {
          // Not started, and forgotten so the next setPeers tries it again; the other peers still start.
          this.sessions.delete(canonicalIp(entry.peer.spec.peerAddress)!);
          failed.push(describeError(err));
          continue;
        }
      }
      entry.session.set(routesForPeer(this.announcements, this.options.node, entry.peer.metadata.name));
      entry.session.start();
    }
    if (failed.length > 0) throw new BgpSpeakerError(failed.join('; '));
  }

  private newSession(address: string, peer: BGPPeer): BgpSession {
    const { options } = this;
    const s = peer.spec;
    return new BgpSession(
      {
        name: peer.metadata.name,
        peerAddress: address,
        peerPort: s.peerPort,
        sourceAddress: s.sourceAddress,
        password: s.password,
        ebgpMultiHop: s.ebgpMultiHop,
        fsm: fsmConfigOf(peer, options.routerId),
        nextHopV4: options.nodeAddresses.v4,
        nextHopV6: options.nodeAddresses.v6,
      },
      {
        clock: options.clock,
        logger: this.log,
        native: options.native,
        onStateChange: (change) => options.onStateChange?.({ peer: peer.metadata.name, ...change }),
      },
    );
  }

  /** (Re)opens the listener when there is none yet or the peers' MD5 keys changed (they live on the listening socket). */
  private async syncListener(): Promise<void> {
    const where = this.options.listen;
    if (where === null) return;
    const keyed = [...this.sessions.entries()].filter(([, e]) => e.peer.spec.password !== null).map(([address, e]) => [address, e.peer.spec.password!] as const);
    const keys = JSON.stringify(keyed);
    if (this.server !== null && keys === this.listenerKeys) return;
    await this.closeListener();
    const server = net.createServer((socket) => this.onConnection(socket));
    server.on('error', (err) => this.log.error('listening socket error', { error: err.message }));
    try {
      if (keyed.length > 0) {
        // The keys must be on the listening socket before the peers' SYNs arrive (RFC 2385).
        if (this.options.native === null) throw new BgpSpeakerError('a BGPPeer has a password, which needs the native addon (TCP MD5); run `npm rebuild`');
        const fd = this.options.native.tcpMd5Listen(where.address, where.port, 64, keyed.map(([address, key]) => [address, Buffer.from(key, 'utf8')] as const));
        await listen(server, { fd });
      } else {
        await listen(server, { host: where.address, port: where.port });
      }
    } catch (err) {
      server.close();
      if (err instanceof AirlbError) throw err;
      throw new BgpSpeakerError(`cannot listen on [${where.address}]:${where.port}: ${describeError(err)}; another BGP daemon may own the port, or ports below 1024 need CAP_NET_BIND_SERVICE`, { cause: err });
    }
    this.server = server;
    this.listenerKeys = keys;
    this.log.info('listening for BGP peers', { address: where.address, port: where.port, md5Peers: keyed.length });
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    const remote = plainAddress(socket.remoteAddress ?? '');
    const entry = this.sessions.get(remote);
    if (entry === undefined) {
      this.log.warn('connection from an address that is not a BGPPeer of this node: closed', { remote });
      socket.destroy();
      return;
    }
    entry.session.accept(socket);
  }

  /**
   * RFC 5882 §3.2: BFD going down from Up takes the BGP session down at once. Returns the local
   * address the session runs on. Throws when that listener has a session with the peer's address
   * already — multi-node membership's, if the router's address is also a speaker Node's InternalIP.
   */
  private async startBfd(peer: BGPPeer, session: BgpSession): Promise<string> {
    const profile = this.options.bfdProfiles.find((p) => p.metadata.name === peer.spec.bfdProfile);
    if (profile === undefined) throw new BgpSpeakerError(`BGPPeer ${peer.metadata.name}: bfdProfile "${peer.spec.bfdProfile}" does not exist`);
    const family = parseIp(session.config.peerAddress)!.family;
    const configured = peer.spec.sourceAddress ?? (family === 4 ? this.options.nodeAddresses.v4 : this.options.nodeAddresses.v6);
    const local = configured === null ? null : canonicalIp(configured);
    if (local === null) throw new BgpSpeakerError(`BGPPeer ${peer.metadata.name}: BFD needs a local IPv${family} address (sourceAddress or the node's)`);
    let endpoint = this.bfd.get(local);
    if (endpoint === undefined) {
      endpoint = await BfdUdpEndpoint.open({
        localAddress: local,
        user: 'bgp',
        clock: this.options.clock,
        onWarning: (message, fields) => this.log.warn(`BFD: ${message}`, fields),
      });
      this.bfd.set(local, endpoint);
    }
    const p = profile.spec;
    await endpoint.addPeer(
      session.config.peerAddress,
      { desiredMinTxMs: p.transmitIntervalMs, requiredMinRxMs: p.receiveIntervalMs, detectMult: p.detectMultiplier, passive: p.passiveMode },
      {
        onStateChange: (change) => {
          this.log.info(`BFD ${change.from} → ${change.to}`, { peer: peer.metadata.name, diag: change.diag });
          if (change.from === 'Up' && change.to !== 'Up') session.pathDown(`BFD session went ${change.to} (diag ${change.diag})`);
        },
      },
    );
    return local;
  }

  /** Hands every session the routes planBgp says this node sends to its peer. */
  setRoutes(announcements: readonly BgpAnnouncement[]): void {
    this.announcements = announcements;
    for (const { peer, session } of this.sessions.values()) session.set(routesForPeer(announcements, this.options.node, peer.metadata.name));
  }

  status(): BgpSessionStatus[] {
    return [...this.sessions.values()].map(({ session }) => session.status());
  }

  /** Cease / Administrative Shutdown (RFC 4486, with an RFC 9003 message) to every peer, then closes everything. */
  async stop(message = 'airlb speaker shutting down'): Promise<void> {
    await Promise.all([...this.sessions.values()].map(({ session }) => session.stop(CeaseSubcode.administrativeShutdown, message)));
    this.sessions.clear();
    for (const endpoint of this.bfd.values()) endpoint.close();
    this.bfd.clear();
    await this.closeListener();
  }
}
