import { AirlbError } from '../../errors.js';

/**
 * The probing half of a claim: how long a VIP is listened for before it is ours. Names follow
 * RFC 5227 §1.1. Milliseconds except the count.
 */
export interface ClaimTimings {
  /** First probe after a random delay in [0, probeWaitMs] (PROBE_WAIT). */
  readonly probeWaitMs: number;
  /** Probes sent before claiming (PROBE_NUM); 0 claims at once without probing. */
  readonly probeCount: number;
  /** Random spacing between probes, in [probeMinMs, probeMaxMs] (PROBE_MIN, PROBE_MAX). */
  readonly probeMinMs: number;
  readonly probeMaxMs: number;
  /** Silence after the last probe before the VIP is claimed (ANNOUNCE_WAIT). */
  readonly announceWaitMs: number;
}

/**
 * Which claim a VIP gets. 'takeover': the VIP was another node's and membership says that node is
 * dead (src/domain/election/takeover.ts); 'normal': every other claim — the first one, and a move
 * away from a live owner (rebalancing, a failed verification), whose owner may still answer.
 */
export type ClaimProfile = 'normal' | 'takeover';

/**
 * The timers of claiming a VIP: probe, claim, announce, refresh, defend, back off. Names follow
 * RFC 5227 §1.1 where one exists. All values are milliseconds except the counts. The top-level
 * probe timings are the normal claim; `takeover` replaces them for a takeover claim.
 */
export interface AnnounceTimings extends ClaimTimings {
  /** The claim after the previous owner died (ClaimProfile 'takeover'). */
  readonly takeover: ClaimTimings;
  /** Announcements after the one sent at the claim (ANNOUNCE_NUM − 1), burstIntervalMs apart. */
  readonly burstCount: number;
  readonly burstIntervalMs: number;
  /** Periodic re-announcement after the burst, because APs and clients forget; 0 = never. */
  readonly refreshIntervalMs: number;
  /** A second conflict within this long of the previous one makes us yield (DEFEND_INTERVAL). */
  readonly defendIntervalMs: number;
  /** Wait before probing again after the first conflict; doubles per consecutive conflict. */
  readonly backoffInitialMs: number;
  /** Cap of that wait (RFC 5227 rate-limits to one attempt per RATE_LIMIT_INTERVAL = 60 s). */
  readonly backoffMaxMs: number;
}

/**
 * The takeover claim: one probe after at most 10 ms, then 30 ms of silence — the VIP answers
 * 30–40 ms after the election instead of 200–300 ms; BFD has already spent its Detection Time
 * (~150 ms) noticing the death, and the target is 200 ms from failure to the new owner's
 * reply. Why shortening is safe here: probing (RFC 5227 §2.1.1) exists to hear a host that
 * already uses the address, and the host that used it — the previous owner — is known dead, so it
 * cannot answer however long we listen. One probe still catches anyone else on the address (a
 * statically configured host) before we poison caches with an announcement: a wired reply comes
 * back in well under 1 ms, a WiFi one within milliseconds, so 30 ms is ample. An owner wrongly
 * declared dead (a partition that BFD saw and the LAN did not) still answers that probe like any
 * holder; if its answer is lost or late, it keeps announcing and answering, and ongoing conflict
 * detection (RFC 5227 §2.4) catches it after the claim: the normal defend/yield and backoff apply,
 * and every retry after a conflict probes with the normal claim, since the conflict proves that
 * somebody alive holds the address. The random wait stays (≤ 10 ms) to spread the probes of many
 * VIPs taken over at the same instant.
 */
export const TAKEOVER_CLAIM: ClaimTimings = {
  probeWaitMs: 10,
  probeCount: 1,
  probeMinMs: 0,
  probeMaxMs: 0,
  announceWaitMs: 30,
};

/**
 * The default. RFC 5227's timings (≈7 s from first probe to claim) protect a host joining a
 * network, which can wait; airlb claims a VIP because its owner just failed, and every second of
 * probing is a second of outage. Three probes 50–90 ms apart after at most 20 ms, then 100 ms of
 * silence: the claim comes 200–300 ms after the election, still long enough for any host on a LAN
 * (wired round trips are well under 1 ms) to answer a probe. A defender that misses that window —
 * a WiFi client asleep in power save — is still caught later by ongoing detection (RFC 5227 §2.4).
 * The burst (every second for 5 s, like MetalLB's ≈1.1 s × 5 s) covers lossy air; the refresh
 * every 30 s re-teaches APs and clients that age their caches out.
 */
export const FAST_TIMINGS: AnnounceTimings = {
  probeWaitMs: 20,
  probeCount: 3,
  probeMinMs: 50,
  probeMaxMs: 90,
  announceWaitMs: 100,
  takeover: TAKEOVER_CLAIM,
  burstCount: 5,
  burstIntervalMs: 1000,
  refreshIntervalMs: 30_000,
  defendIntervalMs: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
};

/** RFC 5227 §1.1's constants, for networks where being polite matters more than failover time. */
export const RFC5227_TIMINGS: AnnounceTimings = {
  probeWaitMs: 1000,
  probeCount: 3,
  probeMinMs: 1000,
  probeMaxMs: 2000,
  announceWaitMs: 2000,
  // Polite means no shortcut: a takeover probes like any claim.
  takeover: { probeWaitMs: 1000, probeCount: 3, probeMinMs: 1000, probeMaxMs: 2000, announceWaitMs: 2000 },
  burstCount: 1,
  burstIntervalMs: 2000,
  refreshIntervalMs: 30_000,
  defendIntervalMs: 10_000,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
};

const MAX_MS = 24 * 3600 * 1000;

/**
 * FAST_TIMINGS with `overrides` applied (an overriding `takeover` replaces the whole takeover
 * claim), checked; throws AirlbError('l2-bad-timings').
 */
export function announceTimings(overrides: Partial<AnnounceTimings> = {}): AnnounceTimings {
  const t: AnnounceTimings = { ...FAST_TIMINGS, ...overrides };
  const { takeover, ...flat } = t;
  checkWholeMs(flat, '');
  checkWholeMs(takeover, 'takeover.');
  for (const [claim, prefix] of [[t, ''], [takeover, 'takeover.']] as const) {
    if (claim.probeMinMs > claim.probeMaxMs) {
      throw new AirlbError('l2-bad-timings', `${prefix}probeMinMs (${claim.probeMinMs}) is above ${prefix}probeMaxMs (${claim.probeMaxMs}); swap them`);
    }
  }
  if (t.burstCount > 0 && t.burstIntervalMs === 0) {
    throw new AirlbError('l2-bad-timings', 'burstIntervalMs is 0 with a burst of announcements; set an interval (1000 is usual) or burstCount 0');
  }
  if (t.backoffInitialMs === 0 || t.backoffMaxMs < t.backoffInitialMs) {
    throw new AirlbError('l2-bad-timings', `backoff must start above 0 and be capped at or above its start (got ${t.backoffInitialMs} and ${t.backoffMaxMs})`);
  }
  return t;
}

function checkWholeMs(values: object, prefix: string): void {
  for (const [key, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_MS) {
      throw new AirlbError('l2-bad-timings', `announce timing ${prefix}${key} is ${String(value)}; it must be a whole number from 0 to ${MAX_MS}`);
    }
  }
}
