import { lossUpperBound } from '../bfd/adaptive.js';
import type { Clock, Timer } from '../clock.js';
import { canonicalIp } from '../net/ip.js';

/*
 * Announcement verification (issue 5, part 4): is anybody hearing the VIPs the other nodes
 * announce? A VIP on a WiFi node behind an access point with proxy ARP is elected and announced,
 * yet the AP drops every ARP request for it (the AP answers only for addresses it learned by DHCP
 * snooping), so the LAN never reaches it; BFD between the nodes stays Up because node addresses
 * are known to the AP. Only asking for the VIP tells.
 *
 * Local part (VipProber): every interval this speaker sends an ARP request (IPv4) or a Neighbor
 * Solicitation (IPv6) for each VIP owned by another node and watches for a reply whose sender
 * (ARP sender hardware address, NA target link-layer address option) is one of the owner's MACs.
 * A probe not answered before the next one is a miss; enough misses in a row make the verdict
 * 'unheard', any reply from the owner makes it 'heard' again. "Enough" adapts to loss the way
 * BFD's Detect Mult does (src/domain/bfd/adaptive.ts): on a path that loses a fraction q of
 * probes (measured over the last MISS_WINDOW probes, before the current streak, plus a
 * confidence margin) a streak of m misses happens by chance with probability q^m per probe, so m
 * is the smallest with q^m ≤ falseFailTarget, between missesToFail and maxMissesToFail. At 5 %
 * frame loss a probe crosses four lossy ports (request and reply, each out of one node and into
 * another), q ≈ 0.19, its bound with 200 probes ≈ 0.25, and m reaches the cap of 10: an unheard
 * VIP is still found within 10 s, and a healthy one is misjudged by one voter about once in
 * 2·10^7 probes (0.19^10), by two at once practically never. An 'unheard' mark outlives
 * the VIP moving away (`failedHoldMs`): once the VIP is elsewhere nobody probes the old owner for
 * it, and forgetting at once would hand the VIP straight back and move it every few seconds.
 *
 * Agreement without a central server: each speaker publishes its own verdicts (heard or unheard,
 * per VIP and owner) to every peer in a small status message (src/proto/peer-status). Only a
 * speaker whose BFD session with the owner is Up votes on that owner: it reaches the owner's node
 * address, so a miss means the announcement specifically is not heard, not that the two nodes are
 * cut apart (a liveness question, BFD's job). A VIP fails for its owner when, among the fresh
 * reports of live voters, 'unheard' outnumbers 'heard' (strict majority, at least one). Every
 * speaker receives the same reports and applies the same rule, so all reach the same
 * verificationFailed sets; electL2 then ranks the owner last for that VIP and moves it only when
 * another candidate exists.
 *
 * A miss counts only against an owner that claims the VIP (claimedTargets). Each speaker probes
 * the owners of its own election, and while two speakers' liveness views disagree (one still
 * holds a peer out after a BFD flap) one of them elects, and would probe, a node that never
 * claimed the VIP: nobody answers with that node's MAC, and a vote "unheard" would rank it last
 * for failedHoldMs. So each speaker publishes the VIPs it answers for, and a VIP is probed only
 * against an owner whose latest status claims it. The check is on the probing, not on the tally:
 * an unheard mark must keep counting after its owner released the VIP (that hold is what stops
 * the VIP from being handed straight back), so the tally cannot drop votes whose owner no longer
 * claims; a mark made while the owner claimed is a real one.
 */

export type ProbeVerdict = 'pending' | 'heard' | 'unheard';

export interface VerificationOptions {
  /** Time between probes of one VIP; a reply must arrive within it (default 1 s). */
  readonly intervalMs: number;
  /** Misses in a row that make a VIP unheard on a clean path (default 3). */
  readonly missesToFail: number;
  /** The most misses in a row ever required, however lossy the path (default 10). */
  readonly maxMissesToFail: number;
  /** Chance per probe of a false 'unheard' the streak length is chosen for (default 1e-6). */
  readonly falseFailTarget: number;
  /** How long an unheard mark stays after the last miss (default 30 min). */
  readonly failedHoldMs: number;
}

export const DEFAULT_VERIFICATION: VerificationOptions = {
  intervalMs: 1_000,
  missesToFail: 3,
  maxMissesToFail: 10,
  falseFailTarget: 1e-6,
  failedHoldMs: 30 * 60_000,
};

/** Probes the miss rate of a target is measured over. */
export const MISS_WINDOW = 200;
/** Probes measured before the measurement is trusted over missesToFail. */
const MIN_MEASURED = 20;

/** A VIP another node announces, which this speaker probes. */
export interface ProbeTarget {
  readonly ip: string;
  readonly owner: string;
  /** The owner's announcing MACs, lower-case colon form (from its status message). */
  readonly ownerMacs: ReadonlySet<string>;
}

/** One verdict this speaker publishes. */
export interface LocalVerdict {
  readonly ip: string;
  readonly owner: string;
  readonly verdict: ProbeVerdict;
  /** Misses in a row now (0 after a reply). */
  readonly misses: number;
  /** Misses in a row that make this VIP unheard, from its measured miss rate. */
  readonly missesNeeded: number;
  /** A MAC other than the owner's that answered the last probe (proxy ARP, a conflict), or null. */
  readonly foreignMac: string | null;
}

export interface ProberDeps {
  readonly clock: Clock;
  /** Sends one ARP request / NS for the VIP (the caller picks the interface and the frame). */
  readonly sendProbe: (target: ProbeTarget) => void;
  /** Told when a verdict changes between heard and unheard (for logs, metrics, the status message). */
  readonly onVerdictChange?: (verdict: LocalVerdict) => void;
}

interface TargetState {
  target: ProbeTarget;
  awaiting: boolean;
  misses: number;
  /** Settled probes, oldest first, at most MISS_WINDOW: true for a miss. */
  outcomes: boolean[];
  heard: boolean;
  foreignMac: string | null;
}

function record(s: TargetState, miss: boolean): void {
  s.outcomes.push(miss);
  if (s.outcomes.length > MISS_WINDOW) s.outcomes.shift();
}

function key(owner: string, ip: string): string {
  return `${owner}\u0000${ip}`;
}

export class VipProber {
  private readonly o: VerificationOptions;
  private readonly targets = new Map<string, TargetState>();
  /** owner+ip → time the unheard mark ends. */
  private readonly marks = new Map<string, { ip: string; owner: string; untilMs: number }>();
  private timer: Timer | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ProberDeps,
    options: Partial<VerificationOptions> = {},
  ) {
    this.o = { ...DEFAULT_VERIFICATION, ...options };
  }

  /** The VIPs to probe now. Kept targets keep their counts; a VIP whose owner changed starts over. */
  setTargets(targets: readonly ProbeTarget[]): void {
    const next = new Map<string, TargetState>();
    for (const t of targets) {
      const k = key(t.owner, t.ip);
      const kept = this.targets.get(k);
      if (kept !== undefined) {
        kept.target = t;
        next.set(k, kept);
      } else next.set(k, { target: t, awaiting: false, misses: 0, outcomes: [], heard: false, foreignMac: null });
    }
    this.targets.clear();
    for (const [k, v] of next) this.targets.set(k, v);
    if (this.targets.size > 0 && this.timer === null && !this.stopped) this.tick();
    if (this.targets.size === 0) {
      this.timer?.cancel();
      this.timer = null;
    }
  }

  /** A reply for `ip` was seen, its sender being `mac` (ARP sender, or NA target link-layer address). */
  reply(ip: string, mac: string): void {
    const lower = mac.toLowerCase();
    for (const state of this.targets.values()) {
      if (state.target.ip !== ip || !state.awaiting) continue;
      if (!state.target.ownerMacs.has(lower)) {
        state.foreignMac = lower;
        continue;
      }
      state.awaiting = false;
      state.misses = 0;
      state.foreignMac = null;
      record(state, false);
      const k = key(state.target.owner, ip);
      const wasUnheard = this.marks.has(k);
      this.marks.delete(k);
      if (!state.heard || wasUnheard) {
        state.heard = true;
        this.deps.onVerdictChange?.(this.verdictOf(state));
      }
    }
  }

  /**
   * Forgets what is known about `owner` (its speaker restarted or its MACs changed): its marks
   * go, and its VIPs are probed afresh.
   */
  forgetOwner(owner: string): void {
    for (const [k, m] of this.marks) if (m.owner === owner) this.marks.delete(k);
    for (const s of this.targets.values()) {
      if (s.target.owner !== owner) continue;
      s.misses = 0;
      s.outcomes = [];
      s.heard = false;
      s.awaiting = false;
      s.foreignMac = null;
    }
  }

  /** Every current verdict: one per target, plus unheard marks for VIPs that have moved away. */
  verdicts(): LocalVerdict[] {
    const now = this.deps.clock.now();
    const out: LocalVerdict[] = [];
    for (const s of this.targets.values()) out.push(this.verdictOf(s));
    for (const [k, m] of this.marks) {
      if (m.untilMs <= now) {
        this.marks.delete(k);
        continue;
      }
      if (!this.targets.has(k)) out.push({ ip: m.ip, owner: m.owner, verdict: 'unheard', misses: 0, missesNeeded: this.o.missesToFail, foreignMac: null });
    }
    return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private verdictOf(s: TargetState): LocalVerdict {
    const marked = this.marks.get(key(s.target.owner, s.target.ip));
    const verdict: ProbeVerdict = marked !== undefined && marked.untilMs > this.deps.clock.now() ? 'unheard' : s.heard ? 'heard' : 'pending';
    return { ip: s.target.ip, owner: s.target.owner, verdict, misses: s.misses, missesNeeded: this.missesNeeded(s), foreignMac: s.foreignMac };
  }

  /** The streak that makes `s` unheard: see the rule at the top of this file. */
  private missesNeeded(s: TargetState): number {
    // The current streak is left out: it is what is being judged, and counting it would make a
    // VIP that just became unheard look like a lossy path and push its own threshold up.
    const settled = s.outcomes.length - s.misses;
    if (settled < MIN_MEASURED) return this.o.missesToFail;
    let lost = 0;
    for (let i = 0; i < settled; i++) if (s.outcomes[i]) lost++;
    const bound = lossUpperBound(lost / settled, settled);
    const needed = bound >= 1 ? Infinity : Math.ceil(Math.log(this.o.falseFailTarget) / Math.log(bound) - 1e-9);
    return Math.min(this.o.maxMissesToFail, Math.max(this.o.missesToFail, needed));
  }

  /** One probe round: an unanswered previous probe is a miss, then every target is probed again. */
  private tick(): void {
    const now = this.deps.clock.now();
    for (const s of this.targets.values()) {
      if (s.awaiting) {
        s.misses++;
        record(s, true);
        if (s.misses >= this.missesNeeded(s)) {
          const k = key(s.target.owner, s.target.ip);
          const wasUnheard = this.marks.has(k);
          this.marks.set(k, { ip: s.target.ip, owner: s.target.owner, untilMs: now + this.o.failedHoldMs });
          s.heard = false;
          if (!wasUnheard) this.deps.onVerdictChange?.(this.verdictOf(s));
        }
      }
      s.awaiting = true;
      this.deps.sendProbe(s.target);
    }
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      if (!this.stopped && this.targets.size > 0) this.tick();
    }, this.o.intervalMs);
  }
}

/**
 * The targets worth probing: those whose owner claims the VIP. `claimsOf` gives an owner's
 * claimed VIPs from its latest status message, in canonical form, or undefined when unknown (its
 * speaker predates claims, or none of its messages arrived yet): such an owner is probed as
 * before, since nothing says it does not answer.
 */
export function claimedTargets<T extends { readonly ip: string; readonly owner: string }>(targets: readonly T[], claimsOf: (owner: string) => ReadonlySet<string> | undefined): T[] {
  return targets.filter((t) => {
    const claims = claimsOf(t.owner);
    return claims === undefined || claims.has(canonicalIp(t.ip) ?? t.ip);
  });
}

/** One speaker's published verdicts, as received (src/proto/peer-status). */
export interface PeerReport {
  readonly reporter: string;
  readonly receivedAtMs: number;
  readonly verdicts: readonly { readonly ip: string; readonly owner: string; readonly heard: boolean }[];
}

export interface AgreementInput {
  /** The latest report of each speaker, this one's own included. */
  readonly reports: readonly PeerReport[];
  /** Live speakers in this speaker's membership view: only they vote. */
  readonly alive: ReadonlySet<string>;
  readonly nowMs: number;
  /** Reports older than this are ignored (default: 3 status intervals, set by the caller). */
  readonly maxAgeMs: number;
}

export interface VipTally {
  readonly ip: string;
  readonly owner: string;
  readonly heard: readonly string[];
  readonly unheard: readonly string[];
  readonly failed: boolean;
}

/** Counts the votes per VIP and owner; `failed` when unheard strictly outnumbers heard. */
export function tallyVerification(input: AgreementInput): VipTally[] {
  const byKey = new Map<string, { ip: string; owner: string; heard: string[]; unheard: string[] }>();
  for (const report of input.reports) {
    if (!input.alive.has(report.reporter) || input.nowMs - report.receivedAtMs > input.maxAgeMs) continue;
    for (const v of report.verdicts) {
      // An owner's opinion of its own announcement proves nothing: it hears itself.
      if (v.owner === report.reporter) continue;
      const k = key(v.owner, v.ip);
      let entry = byKey.get(k);
      if (entry === undefined) {
        entry = { ip: v.ip, owner: v.owner, heard: [], unheard: [] };
        byKey.set(k, entry);
      }
      (v.heard ? entry.heard : entry.unheard).push(report.reporter);
    }
  }
  return [...byKey.values()]
    .map((e) => ({ ...e, heard: e.heard.sort(), unheard: e.unheard.sort(), failed: e.unheard.length > e.heard.length }))
    .sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
}

/** The failed VIPs per owner, as SpeakerFacts.verificationFailed wants them. */
export function verificationFailures(tallies: readonly VipTally[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of tallies) {
    if (!t.failed) continue;
    let set = out.get(t.owner);
    if (set === undefined) {
      set = new Set();
      out.set(t.owner, set);
    }
    set.add(t.ip);
  }
  return out;
}

/**
 * What a speaker publishes from its prober: settled verdicts only ('pending' votes for nothing),
 * and only about owners its BFD session is Up with (see the agreement rule above).
 */
export function publishableVerdicts(verdicts: readonly LocalVerdict[], reachableOwners: ReadonlySet<string>): PeerReport['verdicts'] {
  return verdicts
    .filter((v) => v.verdict !== 'pending' && reachableOwners.has(v.owner))
    .map((v) => ({ ip: v.ip, owner: v.owner, heard: v.verdict === 'heard' }));
}
