import type { Clock, Timer } from '../clock.js';
import {
  BgpDecodeError,
  BgpFramer,
  CeaseSubcode,
  ErrorCode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  decodeMessage,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  makeOpen,
  sameFamily,
  shutdownCommunication,
  shutdownNotification,
  type AfiSafi,
  type BgpMessage,
  type NotificationFields,
  type OpenMessage,
} from '../../proto/bgp/index.js';
import { idleHoldMs } from './backoff.js';
import { negotiate, type LocalOpenParams, type Negotiated } from './negotiate.js';
import { describeNotification } from './notification-text.js';

/**
 * One BGP connection's finite state machine (RFC 4271 §8.2.2), without DelayOpen and with
 * automatic restart after a failure (§8.1.1 AllowAutomaticStart + DampPeerOscillations, using
 * the IdleHoldTimer as an exponential backoff). It is fed events — start/stop, TCP connection
 * up or down, received bytes — and answers with actions through `deps.act`; timers run on the
 * injected Clock. It owns no socket: the caller opens and closes TCP connections when told to.
 *
 * Received bytes are framed and decoded here, so every error the codec reports becomes the
 * NOTIFICATION the RFC asks for, in one place.
 */

export type BgpStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Finite State Machine Error subcodes (RFC 6608 §3). */
export const FsmSubcode = {
  unspecified: 0,
  unexpectedInOpenSent: 1,
  unexpectedInOpenConfirm: 2,
  unexpectedInEstablished: 3,
} as const;

/** §10 suggests 4 minutes for the HoldTimer while waiting for the peer's OPEN. */
export const OPEN_SENT_HOLD_MS = 240_000;

export interface BgpFsmConfig extends LocalOpenParams {
  /** ConnectRetryTime (§10): how long one TCP connection attempt may take, and the longest backoff. */
  readonly connectRetryMs: number;
  /** First IdleHoldTime of the backoff (doubles per consecutive failure up to connectRetryMs). */
  readonly idleHoldInitialMs: number;
  /** Never initiate a TCP connection; wait for the peer's (§8.1.1 PassiveTcpEstablishment). */
  readonly passive: boolean;
}

export type FsmAction =
  /** Open a TCP connection to the peer (dropping any earlier attempt). */
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly data: Buffer }
  /** Close the TCP connection once what was sent has been flushed. */
  | { readonly type: 'close' }
  | { readonly type: 'state'; readonly from: BgpStateName; readonly to: BgpStateName; readonly reason: string }
  | { readonly type: 'established'; readonly negotiated: Negotiated }
  /** The peer asked for our routes of `family` again (RFC 2918 §4). */
  | { readonly type: 'route-refresh'; readonly family: AfiSafi }
  /** Something to log that did not change the state (RFC 7606 errors handled without a reset). */
  | { readonly type: 'warning'; readonly message: string };

export interface BgpFsmDeps {
  readonly clock: Clock;
  readonly act: (action: FsmAction) => void;
  /**
   * Called with the peer's OPEN once it is acceptable, before the FSM answers it. Returning false
   * means this connection lost a collision (§6.8): it sends Cease / Connection Collision
   * Resolution and closes. Without the hook every OPEN is taken.
   */
  readonly onOpen?: (open: OpenMessage) => boolean;
}

/** The families airlb can announce. */
export const SUPPORTED_FAMILIES: readonly AfiSafi[] = [IPV4_UNICAST, IPV6_UNICAST];

export class BgpFsm {
  private stateName: BgpStateName = 'Idle';
  private framer = new BgpFramer();
  private negotiatedParams: Negotiated | null = null;
  private connectRetry: Timer | null = null;
  private hold: Timer | null = null;
  private keepalive: Timer | null = null;
  private idleHold: Timer | null = null;
  /** Consecutive falls to Idle since the last Established (drives the backoff). */
  private failures = 0;
  /** ManualStart seen and no ManualStop since: Idle restarts by itself. */
  private started = false;
  private connected = false;
  private lastErrorText: string | null = null;

  constructor(
    private readonly config: BgpFsmConfig,
    private readonly deps: BgpFsmDeps,
  ) {
    if (config.holdTimeS !== 0 && (config.holdTimeS < 3 || config.holdTimeS > 0xffff)) {
      throw new RangeError(`hold time ${config.holdTimeS}s must be 0 or 3..65535 (RFC 4271 §4.2)`);
    }
  }

  get state(): BgpStateName {
    return this.stateName;
  }

  /** What the OPENs agreed on, while OpenConfirm or Established. */
  get negotiated(): Negotiated | null {
    return this.negotiatedParams;
  }

  /** Why the session last went down, for status output. */
  get lastError(): string | null {
    return this.lastErrorText;
  }

  /** The OPEN airlb sends: every capability it supports (RFC 5492). */
  localOpen(): OpenMessage {
    const c = this.config;
    return makeOpen({
      asn: c.localAsn,
      holdTime: c.holdTimeS,
      bgpId: c.bgpId,
      capabilities: {
        multiprotocol: [...c.families],
        routeRefresh: true,
        // RFC 4724 §3: the F bit is set because the node keeps forwarding (kube-proxy does not
        // depend on the speaker) while the speaker restarts.
        gracefulRestart:
          c.gracefulRestartS === null
            ? null
            : { restarting: false, notification: false, restartTime: c.gracefulRestartS, families: c.families.map((f) => ({ ...f, forwardingPreserved: true })) },
        other: [],
      },
    });
  }

  /** Events 1/3/4/5 (ManualStart, AutomaticStart, with PassiveTcpEstablishment when configured). */
  start(): void {
    this.started = true;
    if (this.stateName !== 'Idle') return;
    this.idleHold?.cancel();
    this.idleHold = null;
    this.beginConnecting('start');
  }

  /**
   * Event 2 (ManualStop): Cease with `subcode` (RFC 4486) — and an RFC 9003 message for
   * Administrative Shutdown/Reset — if the OPEN was sent; then Idle, with no automatic restart.
   */
  stop(subcode: number = CeaseSubcode.administrativeShutdown, message = ''): void {
    this.started = false;
    this.idleHold?.cancel();
    this.idleHold = null;
    if (this.stateName === 'Idle') return;
    const notification =
      subcode === CeaseSubcode.administrativeShutdown || subcode === CeaseSubcode.administrativeReset
        ? shutdownNotification(subcode, message)
        : { code: ErrorCode.cease, subcode, data: Buffer.alloc(0) };
    this.fail(`stopped: ${describeNotification(notification)}`, this.sentOpen() ? notification : null, false);
  }

  /**
   * Events 16/17: a TCP connection to the peer is up (ours connected, or the peer's accepted).
   * Without DelayOpen the OPEN goes out at once (§8.2.2 Connect/Active state).
   */
  tcpConnected(): void {
    if (this.stateName === 'Idle' && this.started) {
      // A peer's connection arriving while we wait out the backoff: take it (a restart now).
      this.idleHold?.cancel();
      this.idleHold = null;
    } else if (this.stateName !== 'Connect' && this.stateName !== 'Active') {
      return;
    }
    this.connectRetry?.cancel();
    this.connectRetry = null;
    this.connected = true;
    this.framer = new BgpFramer();
    this.send(encodeOpen(this.localOpen()));
    this.restartHold(OPEN_SENT_HOLD_MS);
    this.moveTo('OpenSent', 'TCP connection up, OPEN sent');
  }

  /**
   * Starts on a connection the peer opened (ManualStart with PassiveTcpEstablishment followed at
   * once by Event 17): the second FSM of a connection collision (§6.8) begins this way.
   */
  accept(): void {
    this.started = true;
    this.tcpConnected();
  }

  /** Event 18 (TcpConnectionFails), also used when BFD declares the path down (RFC 5882 §3.2). */
  tcpFailed(reason: string): void {
    if (this.stateName === 'Idle') return;
    this.connected = false;
    this.fail(reason, null, true);
  }

  /** The connection lost a collision decided elsewhere (§6.8): Cease 7, close, Idle. */
  collisionLost(): void {
    if (this.stateName === 'Idle') return;
    this.fail('connection collision: the other connection was kept', this.collisionNotice(), true);
  }

  /** Bytes received on the TCP connection. */
  receive(chunk: Buffer): void {
    if (!this.connected) return;
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      if (err instanceof BgpDecodeError) return this.fail(err.message, err.notification, true);
      throw err;
    }
    for (const raw of messages) {
      // A message may have closed the session (a NOTIFICATION, an error): ignore the rest.
      if (!this.connected) return;
      let message: BgpMessage;
      try {
        message = decodeMessage(raw, { fourOctetAs: this.negotiatedParams?.fourOctetAs ?? false, ebgp: this.negotiatedParams?.ebgp ?? false });
      } catch (err) {
        // Decoding a NOTIFICATION cannot fail past the header checks, so §6.4 (never answer a
        // NOTIFICATION with one) holds without a special case here.
        if (err instanceof BgpDecodeError) return this.fail(err.message, err.notification, true);
        throw err;
      }
      this.onMessage(message);
    }
  }

  /**
   * Sends UPDATEs (already encoded). Only in Established; each one also restarts the
   * KeepaliveTimer (§8.2.2: an UPDATE counts as a sign of life). Returns false when not Established.
   */
  sendUpdates(messages: readonly Buffer[]): boolean {
    if (this.stateName !== 'Established') return false;
    if (messages.length === 0) return true;
    this.send(messages.length === 1 ? messages[0]! : Buffer.concat(messages));
    this.restartKeepalive();
    return true;
  }

  /** Stops every timer for good (the owner is dropping this FSM). */
  dispose(): void {
    this.started = false;
    for (const t of [this.connectRetry, this.hold, this.keepalive, this.idleHold]) t?.cancel();
    this.connectRetry = this.hold = this.keepalive = this.idleHold = null;
  }

  private onMessage(message: BgpMessage): void {
    if (message.kind === 'notification') {
      const text = describeNotification(message.notification);
      const shutdown = shutdownCommunication(message.notification);
      this.fail(`peer sent NOTIFICATION ${text}${shutdown === null ? '' : ` "${shutdown}"`}`, null, true);
      return;
    }
    switch (this.stateName) {
      case 'OpenSent':
        if (message.kind === 'open') return this.onOpen(message.open);
        return this.unexpected(message.kind, FsmSubcode.unexpectedInOpenSent);
      case 'OpenConfirm':
        if (message.kind === 'keepalive') {
          this.failures = 0;
          this.restartHold();
          this.moveTo('Established', 'KEEPALIVE received');
          this.deps.act({ type: 'established', negotiated: this.negotiatedParams! });
          return;
        }
        return this.unexpected(message.kind, FsmSubcode.unexpectedInOpenConfirm);
      case 'Established':
        if (message.kind === 'open') return this.unexpected(message.kind, FsmSubcode.unexpectedInEstablished);
        // §8.2.2: KEEPALIVE and UPDATE restart the HoldTimer; so does a ROUTE-REFRESH (any message proves the peer alive).
        this.restartHold();
        if (message.kind === 'update') {
          for (const p of message.update.problems) this.deps.act({ type: 'warning', message: `UPDATE from peer: ${p.message} (${p.handling})` });
        } else if (message.kind === 'route-refresh') {
          const family = { afi: message.routeRefresh.afi, safi: message.routeRefresh.safi };
          // RFC 2918 §4: a family that was not negotiated is ignored.
          if (this.negotiatedParams!.families.some((f) => sameFamily(f, family))) this.deps.act({ type: 'route-refresh', family });
          else this.deps.act({ type: 'warning', message: `ROUTE-REFRESH for AFI ${family.afi} SAFI ${family.safi}, which was not negotiated: ignored` });
        }
        return;
      default:
        // Idle/Connect/Active have no connection that could deliver a message.
        return;
    }
  }

  private onOpen(open: OpenMessage): void {
    const result = negotiate(this.config, open);
    if (!result.ok) return this.fail(`peer's OPEN refused: ${result.reason}`, result.notification, true);
    if (this.deps.onOpen !== undefined && !this.deps.onOpen(open)) {
      return this.fail('connection collision: the other connection was kept', this.collisionNotice(), true);
    }
    this.negotiatedParams = result.negotiated;
    this.send(encodeKeepalive());
    this.restartKeepalive();
    this.restartHold();
    this.moveTo('OpenConfirm', 'OPEN accepted, KEEPALIVE sent');
  }

  private unexpected(kind: BgpMessage['kind'], subcode: number): void {
    this.fail(`unexpected ${kind.toUpperCase()} in state ${this.stateName}`, { code: ErrorCode.fsm, subcode, data: Buffer.alloc(0) }, true);
  }

  private collisionNotice(): NotificationFields {
    return { code: ErrorCode.cease, subcode: CeaseSubcode.connectionCollisionResolution, data: Buffer.alloc(0) };
  }

  private sentOpen(): boolean {
    return this.stateName === 'OpenSent' || this.stateName === 'OpenConfirm' || this.stateName === 'Established';
  }

  /** Enters Connect (initiating TCP) or Active (waiting for the peer's connection). */
  private beginConnecting(reason: string): void {
    this.connected = false;
    this.negotiatedParams = null;
    this.connectRetry?.cancel();
    this.connectRetry = this.deps.clock.setTimeout(() => this.onConnectRetryExpired(), this.config.connectRetryMs);
    if (this.config.passive) {
      this.moveTo('Active', `${reason}; waiting for the peer to connect`);
    } else {
      this.moveTo('Connect', `${reason}; connecting`);
      this.deps.act({ type: 'connect' });
    }
  }

  /** Event 9: the attempt took too long (Connect: retry) or the peer stayed silent (Active: keep waiting, or connect). */
  private onConnectRetryExpired(): void {
    this.connectRetry = null;
    if (this.stateName !== 'Connect' && this.stateName !== 'Active') return;
    if (this.stateName === 'Connect') this.deps.act({ type: 'close' });
    this.beginConnecting('ConnectRetryTimer expired');
  }

  /**
   * Every way down: send `notification` if any, close, cancel timers, Idle; then, when
   * `restart` and still started, an automatic start after the backoff delay.
   */
  private fail(reason: string, notification: NotificationFields | null, restart: boolean): void {
    if (notification !== null && this.connected) this.send(encodeNotification(notification));
    if (this.connected || this.stateName === 'Connect') this.deps.act({ type: 'close' });
    this.connected = false;
    this.negotiatedParams = null;
    for (const t of [this.connectRetry, this.hold, this.keepalive]) t?.cancel();
    this.connectRetry = this.hold = this.keepalive = null;
    this.lastErrorText = reason;
    this.moveTo('Idle', reason);
    if (!restart || !this.started) return;
    this.failures++;
    const delay = idleHoldMs(this.failures, { initialMs: this.config.idleHoldInitialMs, maxMs: this.config.connectRetryMs });
    this.idleHold?.cancel();
    this.idleHold = this.deps.clock.setTimeout(() => {
      this.idleHold = null;
      if (this.stateName === 'Idle' && this.started) this.beginConnecting(`automatic restart after ${delay} ms`);
    }, delay);
  }

  private restartHold(ms?: number): void {
    this.hold?.cancel();
    this.hold = null;
    const holdMs = ms ?? (this.negotiatedParams?.holdTimeS ?? 0) * 1000;
    if (holdMs === 0) return;
    this.hold = this.deps.clock.setTimeout(() => {
      this.hold = null;
      // §6.5 Hold Timer Expired: code 4, no subcode.
      this.fail(`hold timer expired (${holdMs / 1000} s without a message)`, { code: ErrorCode.holdTimerExpired, subcode: 0, data: Buffer.alloc(0) }, true);
    }, holdMs);
  }

  private restartKeepalive(): void {
    this.keepalive?.cancel();
    this.keepalive = null;
    const ms = (this.negotiatedParams?.keepaliveS ?? 0) * 1000;
    if (ms === 0) return;
    this.keepalive = this.deps.clock.setTimeout(() => {
      this.keepalive = null;
      this.send(encodeKeepalive());
      this.restartKeepalive();
    }, ms);
  }

  private send(data: Buffer): void {
    this.deps.act({ type: 'send', data });
  }

  private moveTo(to: BgpStateName, reason: string): void {
    const from = this.stateName;
    this.stateName = to;
    if (from !== to) this.deps.act({ type: 'state', from, to, reason });
  }
}
