import type { Clock, Timer } from '../clock.js';
import { BfdDiag, BfdState, bfdStateName, type BfdControlPacket, type BfdStateCode } from '../../proto/bfd/control.js';
import { AirlbError } from '../../errors.js';
import { LossMeter, adaptiveDetectMult, meanJitter, type AdaptiveOptions, type DetectMultChoice } from './adaptive.js';

/**
 * One BFD session in asynchronous mode: the state machine of RFC 5880 §6.8 with its timers on the
 * injected Clock. It sends through `send` and reports state changes through `onStateChange`; it
 * owns no socket. Demand mode and the Echo function are not implemented: airlb never sets D and
 * advertises Required Min Echo RX Interval 0, which §6.8.9 lets the peer read as "no echo".
 */

export type BfdStateName = (typeof bfdStateName)[BfdStateCode];

export interface BfdSessionConfig {
  /** bfd.LocalDiscr: non-zero and unique among this system's sessions (§6.8.1). */
  readonly localDiscriminator: number;
  /** bfd.DesiredMinTxInterval in ms while Up; 1 s at least while not Up (§6.8.3). */
  readonly desiredMinTxMs: number;
  /** bfd.RequiredMinRxInterval in ms; 0 means "do not send to me" (§6.8.1). */
  readonly requiredMinRxMs: number;
  /** bfd.DetectMult; with `adaptive` it is the smallest value the adaptation may choose. */
  readonly detectMult: number;
  /** Passive role (§6.1): speak only after the peer has. */
  readonly passive?: boolean;
  /** Choose Detect Mult from measured loss (src/domain/bfd/adaptive.ts). */
  readonly adaptive?: AdaptiveOptions;
}

export interface BfdStateChange {
  readonly from: BfdStateName;
  readonly to: BfdStateName;
  /** bfd.LocalDiag after the change: why the session went down (§4.1 Diag). */
  readonly diag: number;
  readonly atMs: number;
}

export interface BfdSessionDeps {
  readonly clock: Clock;
  /** Uniform in [0, 1); drives the §6.8.7 jitter. */
  readonly random: () => number;
  readonly send: (packet: BfdControlPacket) => void;
  readonly onStateChange?: (change: BfdStateChange) => void;
  /** Told when the adaptation changes Detect Mult (for logs and metrics). */
  readonly onDetectMultChange?: (choice: DetectMultChoice) => void;
}

/** Why a received packet was not applied (§6.8.6), for counters and logs. */
export type BfdDiscardReason =
  | 'zero-detect-mult'
  | 'multipoint'
  | 'zero-my-discriminator'
  | 'wrong-your-discriminator'
  | 'zero-your-discriminator-while-not-down'
  | 'authentication-not-configured'
  | 'admin-down'
  | 'stopped';

export type BfdReceiveResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: BfdDiscardReason };

/** §6.8.3: the floor on bfd.DesiredMinTxInterval while the session is not Up. */
export const SLOW_TX_US = 1_000_000;
/** After an adaptive change, how long before Detect Mult may go down again (avoids Poll churn). */
const ADAPTIVE_DECREASE_HOLD_MS = 30_000;
/** How often the adaptation reconsiders Detect Mult. */
const ADAPTIVE_EVALUATE_MS = 1_000;

interface Advertised {
  readonly txUs: number;
  readonly rxUs: number;
  readonly detectMult: number;
}

export class BfdSessionConfigError extends AirlbError {
  constructor(message: string) {
    super('bfd-config', `BFD session: ${message}`);
    this.name = 'BfdSessionConfigError';
  }
}

function checkConfig(config: BfdSessionConfig): void {
  const d = config.localDiscriminator;
  if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) throw new BfdSessionConfigError(`localDiscriminator ${d} must be an integer in 1..4294967295 (RFC 5880 §6.8.1)`);
  if (!Number.isInteger(config.detectMult) || config.detectMult < 1 || config.detectMult > 255) {
    throw new BfdSessionConfigError(`detectMult ${config.detectMult} must be an integer in 1..255`);
  }
  // Intervals go on the wire in µs as 32-bit values (§4.1).
  if (!(config.desiredMinTxMs > 0) || config.desiredMinTxMs * 1000 > 0xffffffff) {
    throw new BfdSessionConfigError(`desiredMinTxMs ${config.desiredMinTxMs} must be positive and below 4294967 ms (RFC 5880 §6.8.1: never 0)`);
  }
  if (!(config.requiredMinRxMs >= 0) || config.requiredMinRxMs * 1000 > 0xffffffff) {
    throw new BfdSessionConfigError(`requiredMinRxMs ${config.requiredMinRxMs} must be 0 or positive and below 4294967 ms`);
  }
}

export class BfdSession {
  // §6.8.1 state variables.
  private sessionState: BfdStateCode = BfdState.down;
  private remoteSessionState: BfdStateCode = BfdState.down;
  private remoteDiscr = 0;
  private localDiag: number = BfdDiag.none;
  private desiredMinTxUs: number;
  private requiredMinRxUs: number;
  private remoteMinRxUs = 1;
  private remoteDemandMode = false;
  private detectMultValue: number;
  // What the peer last told us, for the Detection Time (§6.8.4).
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMult = 0;
  // Values in force while a Poll Sequence is pending (§6.8.3).
  private txInUseUs: number;
  private rxForDetectUs: number;
  private pollActive = false;
  /** Parameters changed again after this Poll Sequence began: its Final acknowledges older values. */
  private pollStale = false;

  private running = false;
  private txTimer: Timer | undefined;
  private txBaseUs = 0;
  private lastTxAtMs: number | undefined;
  private detectTimer: Timer | undefined;
  private detectionTimeUs = 0;

  private readonly meter = new LossMeter();
  private meterIntervalMs = 0;
  private lastAdaptiveEvalMs = -Infinity;
  private lastAdaptiveChangeMs = -Infinity;

  constructor(
    private readonly config: BfdSessionConfig,
    private readonly deps: BfdSessionDeps,
  ) {
    checkConfig(config);
    this.desiredMinTxUs = Math.round(config.desiredMinTxMs * 1000);
    this.requiredMinRxUs = Math.round(config.requiredMinRxMs * 1000);
    this.detectMultValue = config.detectMult;
    if (config.adaptive !== undefined) {
      // Before any measurement the choice is the prior (higher on wireless uplinks).
      this.detectMultValue = this.adaptiveChoice().detectMult;
    }
    const adv = this.advertised();
    this.txInUseUs = adv.txUs;
    this.rxForDetectUs = adv.rxUs;
  }

  get state(): BfdStateName {
    return bfdStateName[this.sessionState];
  }
  get remoteState(): BfdStateName {
    return bfdStateName[this.remoteSessionState];
  }
  get diag(): number {
    return this.localDiag;
  }
  get localDiscriminator(): number {
    return this.config.localDiscriminator;
  }
  get remoteDiscriminator(): number {
    return this.remoteDiscr;
  }
  get detectMult(): number {
    return this.detectMultValue;
  }
  get pollInProgress(): boolean {
    return this.pollActive;
  }
  /** The Detection Time now in force for the remote system, in ms; 0 before the peer spoke (§6.8.4). */
  get detectionTimeMs(): number {
    return this.detectionTimeUs / 1000;
  }
  /** The nominal periodic transmission interval before jitter, in ms (§6.8.7). */
  get txIntervalMs(): number {
    return Math.max(this.txInUseUs, this.remoteMinRxUs) / 1000;
  }
  /** How long the peer takes to declare us down: our Detect Mult × the interval it receives at (§6.8.4). */
  get remoteDetectionTimeMs(): number {
    return (this.detectMultValue * Math.max(this.remoteMinRxUs, this.advertised().txUs)) / 1000;
  }

  /** Starts transmitting (active role) and listening. The first packet goes out at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleTx(true);
  }

  /** Stops every timer; the session sends nothing more. Use when tearing the peer down. */
  stop(): void {
    this.running = false;
    this.txTimer?.cancel();
    this.txTimer = undefined;
    this.detectTimer?.cancel();
    this.detectTimer = undefined;
  }

  /** §6.8.16: AdminDown with Diag 7; the peer sees it and must not count it as a failure. */
  setAdminDown(): void {
    if (this.sessionState === BfdState.adminDown) return;
    this.detectTimer?.cancel();
    this.detectTimer = undefined;
    this.transition(BfdState.adminDown, BfdDiag.administrativelyDown);
  }

  /**
   * Ends a session that is being deleted: AdminDown (§6.8.16) sent once at once, then stop(). The
   * RFC has AdminDown repeated for a Detection Time, which a deleted session cannot do; one packet
   * lets the peer go Down with Diag 3 at once, and if it is lost the peer's timer does the same.
   */
  shutdown(): void {
    if (!this.running) return;
    this.setAdminDown();
    this.transmit(false);
    this.stop();
  }

  /** Leaves AdminDown for Down (§6.8.16). */
  setAdminUp(): void {
    if (this.sessionState !== BfdState.adminDown) return;
    this.transition(BfdState.down, BfdDiag.none);
  }

  /** Changes timing parameters; a Poll Sequence carries them to the peer (§6.8.3). */
  setParameters(params: { desiredMinTxMs?: number; requiredMinRxMs?: number; detectMult?: number }): void {
    const next: BfdSessionConfig = {
      ...this.config,
      desiredMinTxMs: params.desiredMinTxMs ?? this.desiredMinTxUs / 1000,
      requiredMinRxMs: params.requiredMinRxMs ?? this.requiredMinRxUs / 1000,
      detectMult: params.detectMult ?? this.detectMultValue,
    };
    checkConfig(next);
    const before = this.advertised();
    this.desiredMinTxUs = Math.round(next.desiredMinTxMs * 1000);
    this.requiredMinRxUs = Math.round(next.requiredMinRxMs * 1000);
    this.detectMultValue = next.detectMult;
    this.afterParameterChange(before);
  }

  /** Applies one decoded Control packet from this session's peer (§6.8.6). */
  receive(packet: BfdControlPacket): BfdReceiveResult {
    if (!this.running) return { accepted: false, reason: 'stopped' };
    if (packet.detectMult === 0) return { accepted: false, reason: 'zero-detect-mult' };
    if (packet.multipoint) return { accepted: false, reason: 'multipoint' };
    if (packet.myDiscriminator === 0) return { accepted: false, reason: 'zero-my-discriminator' };
    if (packet.yourDiscriminator !== 0 && packet.yourDiscriminator !== this.config.localDiscriminator) {
      return { accepted: false, reason: 'wrong-your-discriminator' };
    }
    if (packet.yourDiscriminator === 0 && packet.state !== BfdState.down && packet.state !== BfdState.adminDown) {
      return { accepted: false, reason: 'zero-your-discriminator-while-not-down' };
    }
    // bfd.AuthType is always zero here, so any packet with the A bit is discarded (§6.8.6).
    if (packet.auth !== undefined) return { accepted: false, reason: 'authentication-not-configured' };

    const now = this.deps.clock.now();
    this.remoteDiscr = packet.myDiscriminator;
    this.remoteSessionState = packet.state;
    this.remoteDemandMode = packet.demand;
    this.remoteMinRxUs = packet.requiredMinRxUs;
    this.remoteDesiredMinTxUs = packet.desiredMinTxUs;
    this.remoteDetectMult = packet.detectMult;
    if (packet.final && this.pollActive) this.terminatePoll();

    if (this.sessionState === BfdState.adminDown) {
      this.scheduleTx(false);
      return { accepted: false, reason: 'admin-down' };
    }
    // Before the state changes, so state-change observers see the Detection Time now in force.
    this.armDetection();

    if (packet.state === BfdState.adminDown) {
      if (this.sessionState !== BfdState.down) this.transition(BfdState.down, BfdDiag.neighborSignaledSessionDown);
    } else if (this.sessionState === BfdState.down) {
      if (packet.state === BfdState.down) this.transition(BfdState.init, BfdDiag.none);
      else if (packet.state === BfdState.init) this.transition(BfdState.up, BfdDiag.none);
    } else if (this.sessionState === BfdState.init) {
      if (packet.state === BfdState.init || packet.state === BfdState.up) this.transition(BfdState.up, BfdDiag.none);
    } else if (packet.state === BfdState.down) {
      this.transition(BfdState.down, BfdDiag.neighborSignaledSessionDown);
    }

    // §6.8.6: answer a Poll at once, whatever the transmit timer says.
    if (packet.poll) this.transmit(true);

    this.scheduleTx(false);
    if (this.config.adaptive !== undefined) this.adapt(now);
    return { accepted: true };
  }

  // ------------------------------------------------------------------ internals

  /** The values our packets carry now. */
  private advertised(): Advertised {
    const txUs = this.sessionState === BfdState.up ? this.desiredMinTxUs : Math.max(this.desiredMinTxUs, SLOW_TX_US);
    return { txUs, rxUs: this.requiredMinRxUs, detectMult: this.detectMultValue };
  }

  private transition(to: BfdStateCode, diag: number): void {
    const from = this.sessionState;
    const before = this.advertised();
    this.sessionState = to;
    this.localDiag = diag;
    if (to !== BfdState.up) this.meter.reset();
    this.afterParameterChange(before);
    this.deps.onStateChange?.({ from: bfdStateName[from], to: bfdStateName[to], diag, atMs: this.deps.clock.now() });
  }

  /**
   * §6.8.3: a change of DesiredMinTx or RequiredMinRx starts a Poll Sequence (Detect Mult changes
   * ride on it too, so the peer confirms it has seen them). While Up, a slower TX and a faster RX
   * take effect only when the Final arrives; otherwise at once.
   */
  private afterParameterChange(before: Advertised): void {
    const after = this.advertised();
    const up = this.sessionState === BfdState.up;
    if (!up || after.txUs < this.txInUseUs) this.txInUseUs = after.txUs;
    if (!up || after.rxUs > this.rxForDetectUs) this.rxForDetectUs = after.rxUs;
    if (after.txUs !== before.txUs || after.rxUs !== before.rxUs || after.detectMult !== before.detectMult) {
      if (this.pollActive) this.pollStale = true;
      this.pollActive = true;
    }
    this.scheduleTx(false);
  }

  /** §6.5: the Final ends the Poll Sequence; pending values take effect. */
  private terminatePoll(): void {
    if (this.pollStale) {
      // The Final may answer a Poll that carried older values: poll again for the newest.
      this.pollStale = false;
      return;
    }
    this.pollActive = false;
    const adv = this.advertised();
    this.txInUseUs = adv.txUs;
    this.rxForDetectUs = adv.rxUs;
  }

  /** §6.8.7: when periodic transmission is allowed at all. */
  private mayTransmitPeriodically(): boolean {
    if (!this.running) return false;
    if (this.remoteMinRxUs === 0) return false;
    if (this.config.passive === true && this.remoteDiscr === 0) return false;
    // Demand mode active on the remote system: cease periodic transmission (§6.8.7).
    if (this.remoteDemandMode && this.sessionState === BfdState.up && this.remoteSessionState === BfdState.up) return false;
    return true;
  }

  /**
   * Keeps the periodic timer in line with the current interval: the next packet is due one
   * jittered interval after the last one (§6.8.7: never sooner), rescheduled only when the
   * interval itself changed or nothing is scheduled.
   */
  private scheduleTx(immediately: boolean): void {
    if (!this.mayTransmitPeriodically()) {
      this.txTimer?.cancel();
      this.txTimer = undefined;
      return;
    }
    const baseUs = Math.max(this.txInUseUs, this.remoteMinRxUs);
    if (this.txTimer !== undefined && baseUs === this.txBaseUs && !immediately) return;
    this.txTimer?.cancel();
    this.txBaseUs = baseUs;
    const now = this.deps.clock.now();
    // §6.8.7: 75–100 % of the interval, or 75–90 % when bfd.DetectMult is 1.
    const spread = this.detectMultValue === 1 ? 0.15 : 0.25;
    const jittered = (baseUs / 1000) * (0.75 + spread * this.deps.random());
    const due = immediately || this.lastTxAtMs === undefined ? now : Math.max(now, this.lastTxAtMs + jittered);
    this.txTimer = this.deps.clock.setTimeout(() => {
      this.txTimer = undefined;
      this.transmit(false);
      this.scheduleTx(false);
    }, due - now);
  }

  private transmit(final: boolean): void {
    const adv = this.advertised();
    this.lastTxAtMs = this.deps.clock.now();
    this.deps.send({
      diag: this.localDiag,
      state: this.sessionState,
      // §6.5: P and F are never set together; a Final answer goes without P.
      poll: this.pollActive && !final,
      final,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMult: adv.detectMult,
      myDiscriminator: this.config.localDiscriminator,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTxUs: adv.txUs,
      requiredMinRxUs: adv.rxUs,
      requiredMinEchoRxUs: 0,
    });
  }

  /** §6.8.4: remote Detect Mult × max(our RequiredMinRx, the peer's last DesiredMinTx). */
  private armDetection(): void {
    this.detectTimer?.cancel();
    this.detectionTimeUs = this.remoteDetectMult * Math.max(this.rxForDetectUs, this.remoteDesiredMinTxUs);
    if (this.detectionTimeUs === 0) {
      this.detectTimer = undefined;
      return;
    }
    this.detectTimer = this.deps.clock.setTimeout(() => this.detectionExpired(), this.detectionTimeUs / 1000);
  }

  private detectionExpired(): void {
    this.detectTimer = undefined;
    // §6.8.1: bfd.RemoteDiscr resets to zero when the detection timer expires.
    this.remoteDiscr = 0;
    this.remoteSessionState = BfdState.down;
    if (this.sessionState === BfdState.init || this.sessionState === BfdState.up) {
      this.transition(BfdState.down, BfdDiag.controlDetectionTimeExpired);
    } else {
      this.scheduleTx(false);
    }
  }

  private adaptiveChoice(): DetectMultChoice {
    const adaptive = this.config.adaptive!;
    // The peer times us out at max(its RequiredMinRx, our DesiredMinTx) (§6.8.4) once Up.
    const intervalMs = Math.max(this.remoteMinRxUs, this.desiredMinTxUs) / 1000;
    return adaptiveDetectMult(this.meter, intervalMs, { minDetectMult: this.config.detectMult, ...adaptive });
  }

  /** Measures loss while both ends are Up and moves Detect Mult through a Poll Sequence. */
  private adapt(now: number): void {
    if (this.sessionState !== BfdState.up || this.remoteSessionState !== BfdState.up) return;
    // The peer sends every max(its DesiredMinTx, our RequiredMinRx), jittered (§6.8.7).
    const meanMs = (Math.max(this.remoteDesiredMinTxUs, this.requiredMinRxUs) / 1000) * meanJitter(this.remoteDetectMult);
    if (meanMs !== this.meterIntervalMs) {
      this.meter.reset();
      this.meterIntervalMs = meanMs;
    }
    this.meter.record(now, meanMs);
    if (now - this.lastAdaptiveEvalMs < ADAPTIVE_EVALUATE_MS) return;
    this.lastAdaptiveEvalMs = now;
    const choice = this.adaptiveChoice();
    const current = this.detectMultValue;
    if (choice.detectMult === current) return;
    if (choice.detectMult < current && now - this.lastAdaptiveChangeMs < ADAPTIVE_DECREASE_HOLD_MS) return;
    this.lastAdaptiveChangeMs = now;
    const before = this.advertised();
    this.detectMultValue = choice.detectMult;
    this.afterParameterChange(before);
    this.deps.onDetectMultChange?.(choice);
  }
}
