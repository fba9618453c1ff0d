import { AirlbError } from '../../errors.js';
import type { Clock, Timer } from '../clock.js';
import type { ClaimPhase, Conflict } from './conflict.js';
import { PEER_CONFLICT_TIMINGS, type PeerArbitration, type PeerConflictTimings } from './peer-conflict.js';
import { FAST_TIMINGS, type AnnounceTimings, type ClaimProfile, type ClaimTimings } from './timings.js';

/**
 * The life of one VIP on this node, as a state machine driven by the injected Clock:
 *
 *   idle ─start→ probing ─(no conflict)→ claimed: announce, burst, then refresh ─release→ released
 *                   │  ↑                    │ conflict: defend once; a second within
 *          conflict ↓  │ timer              ↓ defendIntervalMs: yield
 *                  backoff ←────────────────┘
 *
 * It sends nothing itself: frames go out through `actions` (an ARP Probe or, for IPv6, a DAD NS
 * from '::' to the solicited-node address; a gratuitous ARP in request and reply forms or an
 * unsolicited NA with Override), and `onAnswering` tells the responder which interfaces answer for
 * the VIP. Conflicts come in from conflict.ts through observeConflict. Randomness is injected, so a
 * test with a fixed `random` and a manual clock sees an exact timeline.
 *
 * `start('takeover')` probes with the short takeover claim (timings.ts TAKEOVER_CLAIM) because the
 * previous owner is known dead; conflicts are handled the same in both profiles, and any probing
 * after a conflict uses the normal claim.
 *
 * A conflict with another airlb speaker comes with the arbitration (peer-conflict.ts) and skips
 * RFC 5227's defend-once-then-yield: the better-ranked speaker keeps probing or holding the VIP
 * and re-announces at most once per peer defendIntervalMs; the other backs off at once (yielding
 * if it held the VIP) and probes again after the peer retry (≤ 1 s).
 */
export type AnnouncerState = 'idle' | 'probing' | 'backoff' | 'claimed' | 'released';

/** Why an announcement is sent. */
export type AnnounceReason = 'claim' | 'burst' | 'refresh' | 'defend' | 'new-interface';

/** Why the set of interfaces that answer for the VIP changed. */
export type AnsweringChange = 'claimed' | 'interfaces-changed' | 'released' | 'yielded';

export interface ConflictReport {
  readonly vip: string;
  readonly ifname: string;
  /** The other host's MAC. */
  readonly mac: string;
  readonly evidence: Conflict['evidence'];
  readonly phase: ClaimPhase;
  /**
   * backoff: probing found an owner; defend: we re-announced; yield: we stopped answering; keep:
   * we rank before the conflicting speaker and go on probing or holding the VIP without sending
   * anything (still probing, or a defensive announcement went out less than the peer
   * defendIntervalMs ago).
   */
  readonly action: 'backoff' | 'defend' | 'yield' | 'keep';
  /** For backoff and yield, when probing starts again; null for defend. */
  readonly retryInMs: number | null;
  /** Conflicts that ended a probe or a claim since the last successful claim. */
  readonly consecutive: number;
  /** The airlb speaker the MAC belongs to (the conflict was arbitrated); null: an unknown host. */
  readonly peer: string | null;
}

export interface AnnouncerActions {
  sendProbe(vip: string, ifname: string): void;
  sendGratuitous(vip: string, ifname: string, why: AnnounceReason): void;
  /** Called before any announcement goes out, so queries it triggers are answered. */
  onAnswering(vip: string, ifnames: readonly string[], why: AnsweringChange): void;
  /** Log it, count it, and later put it in an event/status. */
  onConflict(report: ConflictReport): void;
}

export interface AnnouncerOptions {
  readonly vip: string;
  readonly ifnames: readonly string[];
  readonly clock: Clock;
  /** Uniform in [0, 1), like Math.random; injected for deterministic tests. */
  readonly random: () => number;
  readonly timings?: AnnounceTimings;
  /** Retries and defences in conflicts with other speakers (default PEER_CONFLICT_TIMINGS). */
  readonly peerTimings?: PeerConflictTimings;
  readonly actions: AnnouncerActions;
}

export class VipAnnouncer {
  readonly vip: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly t: AnnounceTimings;
  private readonly peerTimings: PeerConflictTimings;
  private readonly actions: AnnouncerActions;
  private ifnames: string[];
  private current: AnnouncerState = 'idle';
  /** The claim the current probing uses. */
  private claimProfile: ClaimProfile = 'normal';
  private timer: Timer | null = null;
  private consecutive = 0;
  private lastConflictAt: number | null = null;
  /** The last defensive announcement against another speaker, for the peer rate limit. */
  private lastPeerDefenceAt: number | null = null;

  constructor(options: AnnouncerOptions) {
    this.vip = options.vip;
    this.clock = options.clock;
    this.random = options.random;
    this.t = options.timings ?? FAST_TIMINGS;
    this.peerTimings = options.peerTimings ?? PEER_CONFLICT_TIMINGS;
    this.actions = options.actions;
    this.ifnames = [...new Set(options.ifnames)];
  }

  get state(): AnnouncerState {
    return this.current;
  }

  /** The interfaces answering for the VIP right now: all of them once claimed, none otherwise. */
  get answeringOn(): readonly string[] {
    return this.current === 'claimed' ? this.ifnames : [];
  }

  /** The claim profile of the last or current probing. */
  get profile(): ClaimProfile {
    return this.claimProfile;
  }

  /**
   * The holder this announcer backed off from is known dead (membership): probe again now with the
   * takeover claim instead of waiting out the backoff. Only from 'backoff'; true when it restarted.
   * The conflict count stays, so a live holder found again still backs off longer each time.
   */
  takeOver(): boolean {
    if (this.current !== 'backoff') return false;
    this.cancelTimer();
    this.claimProfile = 'takeover';
    this.beginProbing();
    return true;
  }

  /**
   * Begins probing for the VIP, with the takeover claim when the caller knows the previous owner
   * is dead; does nothing while already probing, backing off or claimed.
   */
  start(profile: ClaimProfile = 'normal'): void {
    if (this.current !== 'idle' && this.current !== 'released') return;
    this.consecutive = 0;
    this.claimProfile = profile;
    this.beginProbing();
  }

  /** Stops at once: no further frames, and the responder is told to stop answering. */
  release(): void {
    this.cancelTimer();
    const wasClaimed = this.current === 'claimed';
    this.current = 'released';
    if (wasClaimed) this.actions.onAnswering(this.vip, [], 'released');
  }

  /** Rescanned interfaces: once claimed, new ones are announced on at once. */
  setInterfaces(ifnames: readonly string[]): void {
    const next = [...new Set(ifnames)];
    const added = next.filter((name) => !this.ifnames.includes(name));
    const changed = added.length > 0 || next.length !== this.ifnames.length;
    this.ifnames = next;
    if (this.current !== 'claimed' || !changed) return;
    this.actions.onAnswering(this.vip, this.ifnames, 'interfaces-changed');
    for (const ifname of added) this.actions.sendGratuitous(this.vip, ifname, 'new-interface');
  }

  /**
   * Another host claims the VIP. While probing: back off and probe again later (RFC 5227 §2.1.1).
   * While claimed, RFC 5227 §2.4 (b): defend with one announcement unless another conflict came
   * within defendIntervalMs, in which case yield — stop answering, report, and probe again after a
   * backoff. Option (b) rather than (c, defend forever) because two hosts that both believe they
   * own a VIP (a speaker whose MACs this one does not know, another VRRP-like tool) would otherwise
   * re-announce against each other for as long as that lasts; with (b) on both sides the first to
   * see two conflicts yields and the other keeps the VIP. Conflicts on interfaces we do not
   * announce on, or while idle, backing off or released, change nothing (null).
   *
   * With `arbitration` (the MAC is another airlb speaker's, peer-conflict.ts) the verdict decides
   * instead, in both phases: 'yield' backs off at once with the short peer retry, 'defend' keeps
   * the VIP (see peerConflict). Such conflicts leave RFC 5227's defend-interval record alone: an
   * unknown host showing up later still gets its defence first.
   */
  observeConflict(conflict: Conflict, arbitration: PeerArbitration | null = null): ConflictReport | null {
    if (conflict.vip !== this.vip) {
      throw new AirlbError('l2-wrong-vip', `conflict for ${conflict.vip} was given to the announcer of ${this.vip}`);
    }
    if (!this.ifnames.includes(conflict.ifname)) return null;
    if (this.current !== 'probing' && this.current !== 'claimed') return null;
    if (arbitration !== null) return this.peerConflict(conflict, this.current, arbitration);
    if (this.current === 'probing') return this.backOff(conflict, 'probing', 'backoff', null);
    const now = this.clock.now();
    const previous = this.lastConflictAt;
    this.lastConflictAt = now;
    if (previous !== null && now - previous < this.t.defendIntervalMs) {
      this.actions.onAnswering(this.vip, [], 'yielded');
      return this.backOff(conflict, 'claimed', 'yield', null);
    }
    const report = this.report(conflict, 'claimed', 'defend', null, null);
    this.actions.sendGratuitous(this.vip, conflict.ifname, 'defend');
    return report;
  }

  /**
   * A conflict with another speaker. The worse-ranked one gives the VIP up at once — no defence
   * round, which would only have the two announce against each other — and retries soon, so it
   * takes over quickly if the better-ranked one dies. The better-ranked one ignores the other's
   * probes (RFC 5227 §2.1.1 would make both back off) and, holding the VIP, re-announces so that
   * caches the other's claim poisoned point back to it: once per peer defendIntervalMs at most,
   * RFC 5227 §2.4 (c)'s rate limit for defending without ever yielding.
   */
  private peerConflict(conflict: Conflict, phase: ClaimPhase, arbitration: PeerArbitration): ConflictReport {
    if (arbitration.verdict === 'yield') {
      if (phase === 'claimed') this.actions.onAnswering(this.vip, [], 'yielded');
      return this.backOff(conflict, phase, phase === 'claimed' ? 'yield' : 'backoff', arbitration.peer);
    }
    const now = this.clock.now();
    const rested = this.lastPeerDefenceAt === null || now - this.lastPeerDefenceAt >= this.peerTimings.defendIntervalMs;
    if (phase === 'probing' || !rested) return this.report(conflict, phase, 'keep', null, arbitration.peer);
    this.lastPeerDefenceAt = now;
    const report = this.report(conflict, phase, 'defend', null, arbitration.peer);
    this.actions.sendGratuitous(this.vip, conflict.ifname, 'defend');
    return report;
  }

  private get claimTimings(): ClaimTimings {
    return this.claimProfile === 'takeover' ? this.t.takeover : this.t;
  }

  private beginProbing(): void {
    this.current = 'probing';
    const c = this.claimTimings;
    if (c.probeCount === 0) {
      this.claim();
      return;
    }
    this.schedule(this.randomIn(0, c.probeWaitMs), () => this.probe(1));
  }

  private probe(n: number): void {
    for (const ifname of this.ifnames) this.actions.sendProbe(this.vip, ifname);
    const c = this.claimTimings;
    if (n < c.probeCount) {
      this.schedule(this.randomIn(c.probeMinMs, c.probeMaxMs), () => this.probe(n + 1));
    } else {
      this.schedule(c.announceWaitMs, () => this.claim());
    }
  }

  private claim(): void {
    this.current = 'claimed';
    this.consecutive = 0;
    this.lastConflictAt = null;
    this.lastPeerDefenceAt = null;
    this.actions.onAnswering(this.vip, this.ifnames, 'claimed');
    this.announceAll('claim');
    this.burst(1);
  }

  private burst(k: number): void {
    if (k > this.t.burstCount) {
      this.refresh();
      return;
    }
    this.schedule(this.t.burstIntervalMs, () => {
      this.announceAll('burst');
      this.burst(k + 1);
    });
  }

  private refresh(): void {
    if (this.t.refreshIntervalMs === 0) return;
    this.schedule(this.t.refreshIntervalMs, () => {
      this.announceAll('refresh');
      this.refresh();
    });
  }

  /** `peer`: yielding to that speaker, with the peer retry instead of RFC 5227's backoff. */
  private backOff(conflict: Conflict, phase: ClaimPhase, action: 'backoff' | 'yield', peer: string | null): ConflictReport {
    this.cancelTimer();
    this.consecutive += 1;
    // Somebody alive answered for the VIP, so "the previous owner is dead" no longer holds.
    this.claimProfile = 'normal';
    const [initial, max] = peer === null ? [this.t.backoffInitialMs, this.t.backoffMaxMs] : [this.peerTimings.retryInitialMs, this.peerTimings.retryMaxMs];
    const delay = Math.min(max, initial * 2 ** Math.min(this.consecutive - 1, 40));
    this.current = 'backoff';
    this.schedule(delay, () => this.beginProbing());
    return this.report(conflict, phase, action, delay, peer);
  }

  private report(conflict: Conflict, phase: ClaimPhase, action: ConflictReport['action'], retryInMs: number | null, peer: string | null): ConflictReport {
    const report: ConflictReport = {
      vip: this.vip,
      ifname: conflict.ifname,
      mac: conflict.mac,
      evidence: conflict.evidence,
      phase,
      action,
      retryInMs,
      consecutive: this.consecutive,
      peer,
    };
    this.actions.onConflict(report);
    return report;
  }

  private announceAll(why: AnnounceReason): void {
    for (const ifname of this.ifnames) this.actions.sendGratuitous(this.vip, ifname, why);
  }

  /** A whole number of milliseconds in [lo, hi], from the injected random source. */
  private randomIn(lo: number, hi: number): number {
    const r = Math.min(Math.max(this.random(), 0), 1 - Number.EPSILON);
    return lo + Math.floor(r * (hi - lo + 1));
  }

  private schedule(ms: number, fn: () => void): void {
    this.cancelTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
