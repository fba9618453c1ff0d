import net from 'node:net';
import type { Clock, Timer } from '../domain/clock.js';
import { BgpFsm, type BgpFsmConfig, type BgpStateName, type FsmAction } from '../domain/bgp/fsm.js';
import { AdjRibOut } from '../domain/bgp/adj-rib-out.js';
import { collisionSurvivor, type ConnectionDirection } from '../domain/bgp/collision.js';
import type { BgpRoute } from '../domain/bgp/route.js';
import type { Negotiated } from '../domain/bgp/negotiate.js';
import { CeaseSubcode, ErrorCode, encodeNotification, ipFamilyOf, openAsn, type OpenMessage } from '../proto/bgp/index.js';
import { canonicalIp, parseIp, type Ip } from '../domain/net/ip.js';
import { describeError } from '../errors.js';
import type { Logger } from './logger.js';
import type { NativeAddon } from './native.js';

/**
 * One BGP session with one peer over TCP: the FSM (src/domain/bgp/fsm.ts) for each connection,
 * the Adj-RIB-Out, and the sockets. It connects (unless passive), takes the peer's connections
 * handed over by the speaker's listener, and resolves collisions between the two (RFC 4271 §6.8).
 * With a password the sockets come from the native addon with an RFC 2385 key; the TTL of what
 * we send is 1 towards a directly connected eBGP peer and 255 with ebgpMultiHop (through the addon).
 */

export interface BgpSessionConfig {
  /** The BGPPeer's name, for logs and status. */
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  /** Local address to connect from, or null for the kernel's choice. */
  readonly sourceAddress: string | null;
  /** RFC 2385 key, or null. */
  readonly password: string | null;
  readonly ebgpMultiHop: boolean;
  readonly fsm: BgpFsmConfig;
  /**
   * Next hops for routes of the family the session's own addresses are not: an IPv4 session
   * carrying IPv6 routes needs this node's IPv6 address, and the other way round. Null: such
   * routes are not sent (they are counted as unsendable).
   */
  readonly nextHopV4: string | null;
  readonly nextHopV6: string | null;
}

export interface BgpSessionDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The native addon, needed for a password and for the TTL; null when it is not built. */
  readonly native: NativeAddon | null;
  /** Told on every state change of the session (the connection that counts). */
  readonly onStateChange?: (change: { readonly from: BgpStateName; readonly to: BgpStateName; readonly reason: string }) => void;
}

export interface BgpSessionStatus {
  readonly peer: string;
  readonly address: string;
  readonly state: BgpStateName;
  /** Clock time of the last state change (ms). */
  readonly sinceMs: number;
  /** How long the session has been Established, or null. */
  readonly uptimeMs: number | null;
  readonly prefixesSent: number;
  /** Desired routes this session cannot carry (family not negotiated, or no next hop). */
  readonly prefixesUnsendable: number;
  readonly updatesSent: number;
  readonly updateBytesSent: number;
  readonly lastError: string | null;
  readonly negotiated: Negotiated | null;
}

/** TTL towards a directly connected eBGP peer (RFC 4271 has none; every implementation uses 1). */
const EBGP_DIRECT_TTL = 1;
const MULTIHOP_TTL = 255;
/** How long a closing socket may take to flush a NOTIFICATION before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

interface Connection {
  readonly fsm: BgpFsm;
  direction: ConnectionDirection;
  socket: net.Socket | null;
  /** MD5 sockets give no 'connect' event: the first write that completes proves the connection. */
  confirmTimer: Timer | null;
}

/** The kernel's file descriptor behind a net.Socket (Node keeps it on the libuv handle). */
function socketFd(socket: net.Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** "::ffff:192.0.2.1" (an IPv4 peer on a dual-stack socket) → "192.0.2.1". */
export function plainAddress(address: string): string {
  const canonical = canonicalIp(address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);
  return canonical ?? address;
}

export class BgpSession {
  private primary: Connection;
  private readonly connections: Connection[] = [];
  private readonly ribOut = new AdjRibOut();
  private stateSince: number;
  private establishedAt: number | null = null;
  private updatesSent = 0;
  private updateBytesSent = 0;
  private warnedNative = false;
  private readonly log: Logger;

  constructor(
    readonly config: BgpSessionConfig,
    private readonly deps: BgpSessionDeps,
  ) {
    this.log = deps.logger.child({ peer: config.name, address: config.peerAddress });
    this.stateSince = deps.clock.now();
    this.primary = this.newConnection('outgoing');
  }

  get state(): BgpStateName {
    return this.primary.fsm.state;
  }

  /** ManualStart: connect (or wait for the peer when passive) and keep retrying. */
  start(): void {
    this.primary.fsm.start();
  }

  /**
   * Replaces the routes this session announces; the difference goes out at once when
   * Established, and the whole set when it next gets there.
   */
  set(routes: readonly BgpRoute[]): void {
    this.ribOut.setDesired(routes);
    this.sendUpdates(this.ribOut.flush());
  }

  /** A connection the peer opened to our listener (the speaker matched its address to us). */
  accept(socket: net.Socket): void {
    if (this.primary.fsm.state === 'Established' && this.primary.fsm.negotiated?.gracefulRestart === true) {
      // RFC 4724 §4.2: with Graceful Restart, a new connection while Established means the peer
      // restarted and the old connection is dead: drop it and take the new one.
      this.log.info('peer reconnected while Established: it restarted (RFC 4724 §4.2)', { remote: socket.remoteAddress });
      this.detach(this.primary);
      this.primary.fsm.tcpFailed('the peer restarted (new connection while Established, RFC 4724 §4.2)');
    }
    const state = this.primary.fsm.state;
    if (state === 'Established') {
      // §6.8: a connection colliding with an Established one is closed.
      this.log.info('refusing a second connection while Established', { remote: socket.remoteAddress });
      socket.end(encodeNotification({ code: ErrorCode.cease, subcode: CeaseSubcode.connectionCollisionResolution, data: Buffer.alloc(0) }));
      return;
    }
    if (state === 'OpenSent' || state === 'OpenConfirm') {
      // Both sides connected: run the peer's connection beside ours until an OPEN tells which survives.
      const other = this.newConnection('incoming');
      this.attach(other, socket);
      other.fsm.accept();
      return;
    }
    this.detach(this.primary);
    this.primary.direction = 'incoming';
    this.attach(this.primary, socket);
    if (state === 'Idle') this.primary.fsm.accept();
    else this.primary.fsm.tcpConnected();
  }

  /** BFD declared the path down (RFC 5882 §3.2): the session goes down without waiting for the hold timer. */
  pathDown(reason: string): void {
    for (const c of [...this.connections]) {
      this.detach(c);
      c.fsm.tcpFailed(reason);
    }
  }

  /**
   * ManualStop with a Cease (RFC 4486): Administrative Shutdown when airlb stops, Peer
   * De-configured when the BGPPeer was removed. Resolves once the sockets are closed.
   */
  async stop(subcode: number = CeaseSubcode.administrativeShutdown, message = ''): Promise<void> {
    const sockets = this.connections.map((c) => c.socket).filter((s): s is net.Socket => s !== null);
    for (const c of [...this.connections]) {
      c.fsm.stop(subcode, message);
      c.fsm.dispose();
    }
    await Promise.all(sockets.map((s) => (s.closed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve())))));
  }

  status(): BgpSessionStatus {
    const fsm = this.primary.fsm;
    return {
      peer: this.config.name,
      address: this.config.peerAddress,
      state: fsm.state,
      sinceMs: this.stateSince,
      uptimeMs: this.establishedAt === null ? null : this.deps.clock.now() - this.establishedAt,
      prefixesSent: this.ribOut.sentCount,
      prefixesUnsendable: this.ribOut.unsendableCount,
      updatesSent: this.updatesSent,
      updateBytesSent: this.updateBytesSent,
      lastError: fsm.lastError,
      negotiated: fsm.negotiated,
    };
  }

  private newConnection(direction: ConnectionDirection): Connection {
    const holder: { conn?: Connection } = {};
    const fsm = new BgpFsm(this.config.fsm, {
      clock: this.deps.clock,
      act: (action) => this.onAction(holder.conn!, action),
      onOpen: (open) => this.onOpen(holder.conn!, open),
    });
    const conn: Connection = { fsm, direction, socket: null, confirmTimer: null };
    holder.conn = conn;
    this.connections.push(conn);
    return conn;
  }

  /** §6.8: decides, on the peer's OPEN, which of two connections survives. */
  private onOpen(conn: Connection, open: OpenMessage): boolean {
    const other = this.connections.find((c) => c !== conn && (c.fsm.state === 'OpenSent' || c.fsm.state === 'OpenConfirm' || c.fsm.state === 'Established'));
    if (other === undefined) return true;
    if (other.fsm.state === 'Established') return false;
    const keep = collisionSurvivor({ bgpId: this.config.fsm.bgpId, asn: this.config.fsm.localAsn }, { bgpId: open.bgpId, asn: openAsn(open) });
    this.log.info('connection collision', { keeping: keep });
    if (conn.direction !== keep) return false;
    // This connection wins: it becomes the session's, the other one is closed with Cease 7.
    this.remove(other);
    this.primary = conn;
    other.fsm.collisionLost();
    return true;
  }

  private remove(conn: Connection): void {
    conn.fsm.dispose();
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
  }

  private onAction(conn: Connection, action: FsmAction): void {
    switch (action.type) {
      case 'connect':
        this.connect(conn);
        return;
      case 'send':
        this.write(conn, action.data);
        return;
      case 'close':
        this.close(conn);
        return;
      case 'warning':
        this.log.warn(action.message);
        return;
      case 'route-refresh':
        this.log.info('route refresh requested', { afi: action.family.afi, safi: action.family.safi });
        this.sendUpdates(this.ribOut.refresh(action.family));
        return;
      case 'established':
        this.onEstablished(conn, action.negotiated);
        return;
      case 'state':
        this.onState(conn, action.from, action.to, action.reason);
        return;
    }
  }

  private onState(conn: Connection, from: BgpStateName, to: BgpStateName, reason: string): void {
    if (conn !== this.primary) {
      // A collision's second connection that failed before winning: forget it.
      if (to === 'Idle') this.remove(conn);
      return;
    }
    this.stateSince = this.deps.clock.now();
    if (from === 'Established') {
      this.ribOut.close();
      this.establishedAt = null;
    }
    const level = to === 'Idle' && from !== 'Connect' && from !== 'Active' ? 'warn' : 'info';
    this.log[level](`BGP ${from} → ${to}`, { reason });
    this.deps.onStateChange?.({ from, to, reason });
  }

  private onEstablished(conn: Connection, negotiated: Negotiated): void {
    // Any other connection still opening lost the race: the peer already accepted this one.
    for (const other of this.connections.filter((c) => c !== conn)) {
      this.remove(other);
      other.fsm.collisionLost();
    }
    this.primary = conn;
    this.establishedAt = this.deps.clock.now();
    const local = conn.socket?.localAddress;
    const localIp = local === undefined ? null : parseIp(plainAddress(local));
    const configured = (text: string | null): Ip | null => (text === null ? null : parseIp(text));
    const nextHopV4 = localIp?.family === 4 ? localIp : configured(this.config.nextHopV4);
    const v6 = localIp?.family === 6 ? localIp : configured(this.config.nextHopV6);
    const families = negotiated.families.filter((f) => ipFamilyOf(f) !== null);
    this.log.info('session established', {
      peerAsn: negotiated.peerAsn,
      holdTimeS: negotiated.holdTimeS,
      keepaliveS: negotiated.keepaliveS,
      families: families.map((f) => (ipFamilyOf(f) === 4 ? 'ipv4-unicast' : 'ipv6-unicast')),
      gracefulRestart: negotiated.gracefulRestart,
    });
    const messages = this.ribOut.open({
      localAsn: this.config.fsm.localAsn,
      ebgp: negotiated.ebgp,
      fourOctetAs: negotiated.fourOctetAs,
      families,
      nextHopV4,
      nextHopV6: v6 === null ? null : [v6],
    });
    this.sendUpdates(messages);
    if (this.ribOut.unsendableCount > 0) {
      this.log.warn('some routes cannot be sent on this session', { count: this.ribOut.unsendableCount, hint: 'the family was not negotiated, or no next hop of that family is configured' });
    }
  }

  private sendUpdates(messages: readonly Buffer[]): void {
    if (messages.length === 0) return;
    if (!this.primary.fsm.sendUpdates(messages)) return;
    this.updatesSent += messages.length;
    for (const m of messages) this.updateBytesSent += m.length;
  }

  private connect(conn: Connection): void {
    this.detach(conn);
    conn.direction = 'outgoing';
    const { peerAddress, peerPort, sourceAddress, password } = this.config;
    const ttl = this.ttl();
    const native = password !== null || ttl !== 0 ? this.requireNative(password !== null ? 'a BGPPeer password (TCP MD5, RFC 2385)' : 'setting the TTL of eBGP packets') : null;
    if (password !== null && native === null) {
      conn.fsm.tcpFailed('a password is configured but the native addon (TCP MD5) is not built');
      return;
    }
    if (native === null) {
      const socket = net.connect({ host: peerAddress, port: peerPort, ...(sourceAddress !== null ? { localAddress: sourceAddress } : {}) });
      this.attach(conn, socket);
      socket.once('connect', () => {
        if (conn.socket === socket) conn.fsm.tcpConnected();
      });
      return;
    }
    // The addon sets the key and the TTL before the SYN leaves (the key must sign the SYN).
    let fd: number;
    try {
      fd = native.tcpMd5Connect(peerAddress, peerPort, password === null ? Buffer.alloc(0) : Buffer.from(password, 'utf8'), sourceAddress, ttl);
    } catch (err) {
      conn.fsm.tcpFailed(`cannot open a TCP connection: ${describeError(err)}`);
      return;
    }
    const socket = new net.Socket({ fd, readable: true, writable: true });
    this.attach(conn, socket);
    // No 'connect' event for an adopted fd: the OPEN waits in the socket until the handshake
    // completes (the first completed write clears this timer), and the timer gives up if it never does.
    conn.confirmTimer = this.deps.clock.setTimeout(() => {
      conn.confirmTimer = null;
      if (conn.socket !== socket) return;
      this.detach(conn);
      const hint = password === null ? '' : ' (with TCP MD5 a wrong or missing key on either side drops every segment)';
      conn.fsm.tcpFailed(`TCP connection to ${peerAddress} not established within ${this.config.fsm.connectRetryMs} ms${hint}`);
    }, this.config.fsm.connectRetryMs);
    conn.fsm.tcpConnected();
  }

  private attach(conn: Connection, socket: net.Socket): void {
    conn.socket = socket;
    socket.setNoDelay(true);
    // A connection the peer opened: its TTL is set now (ours got it before the SYN).
    if (conn.direction === 'incoming') this.applyTtl(socketFd(socket));
    let lastError: string | null = null;
    socket.on('data', (chunk: Buffer) => {
      if (conn.socket !== socket) return;
      try {
        conn.fsm.receive(chunk);
      } catch (err) {
        this.log.error('internal error while handling received data; dropping the connection', { error: describeError(err) });
        this.detach(conn);
        conn.fsm.tcpFailed(`internal error: ${describeError(err)}`);
      }
    });
    socket.on('error', (err) => {
      lastError = err.message;
    });
    socket.on('close', () => {
      if (conn.socket !== socket) return;
      conn.socket = null;
      this.clearConfirm(conn);
      conn.fsm.tcpFailed(lastError === null ? 'connection closed by the peer' : `connection failed: ${lastError}`);
    });
  }

  private write(conn: Connection, data: Buffer): void {
    const socket = conn.socket;
    if (socket === null || socket.destroyed) return;
    socket.write(data, (err) => {
      if (err === undefined || err === null) this.clearConfirm(conn);
    });
  }

  /** Stops using the connection's socket: flush what was written, then close (destroy if it hangs). */
  private close(conn: Connection): void {
    const socket = conn.socket;
    this.clearConfirm(conn);
    conn.socket = null;
    if (socket === null) return;
    if (socket.connecting) {
      socket.destroy();
      return;
    }
    const timer = this.deps.clock.setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once('close', () => timer.cancel());
    socket.end();
  }

  /** Destroys the connection's socket without telling the FSM (its events are ignored from now on). */
  private detach(conn: Connection): void {
    this.clearConfirm(conn);
    conn.socket?.destroy();
    conn.socket = null;
  }

  private clearConfirm(conn: Connection): void {
    conn.confirmTimer?.cancel();
    conn.confirmTimer = null;
  }

  /** TTL 1 towards a directly connected eBGP peer, 255 with ebgpMultiHop; 0 (the system default) for iBGP. */
  private ttl(): number {
    if (this.config.ebgpMultiHop) return MULTIHOP_TTL;
    const peerAsn = this.config.fsm.peerAsn;
    const ebgp = peerAsn === 'external' || (typeof peerAsn === 'number' && peerAsn !== this.config.fsm.localAsn);
    return ebgp ? EBGP_DIRECT_TTL : 0;
  }

  private applyTtl(fd: number | null): void {
    const ttl = this.ttl();
    if (ttl === 0 || fd === null) return;
    const native = this.requireNative('setting the TTL of eBGP packets');
    if (native === null) return;
    try {
      native.setTtl(fd, ttl);
    } catch (err) {
      this.log.warn('cannot set the TTL of the BGP connection', { error: describeError(err) });
    }
  }

  private requireNative(what: string): NativeAddon | null {
    if (this.deps.native !== null) return this.deps.native;
    if (!this.warnedNative) {
      this.warnedNative = true;
      this.log.error(`${what} needs the native addon, which is not built; run \`npm rebuild\``);
    }
    return null;
  }
}
