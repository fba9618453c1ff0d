import { AirlbError } from '../../errors.js';

/**
 * The timers of claiming a VIP: probe, claim, announce, refresh, defend, back off. Names follow
 * RFC 5227 §1.1 where one exists. All values are milliseconds except the counts.
 */
export interface AnnounceTimings {
  /** First probe after a random delay in [0, probeWaitMs] (PROBE_WAIT). */
  readonly probeWaitMs: number;
  /** Probes sent before claiming (PROBE_NUM); 0 claims at once without probing. */
  readonly probeCount: number;
  /** Random spacing between probes, in [probeMinMs, probeMaxMs] (PROBE_MIN, PROBE_MAX). */
  readonly probeMinMs: number;
  readonly probeMaxMs: number;
  /** Silence after the last probe before the VIP is claimed (ANNOUNCE_WAIT). */
  readonly announceWaitMs: number;
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
  burstCount: 1,
  burstIntervalMs: 2000,
  refreshIntervalMs: 30_000,
  defendIntervalMs: 10_000,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
};

const MAX_MS = 24 * 3600 * 1000;

/** FAST_TIMINGS with `overrides` applied, checked; throws AirlbError('l2-bad-timings'). */
export function announceTimings(overrides: Partial<AnnounceTimings> = {}): AnnounceTimings {
  const t: AnnounceTimings = { ...FAST_TIMINGS, ...overrides };
  for (const [key, value] of Object.entries(t)) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_MS) {
      throw new AirlbError('l2-bad-timings', `announce timing ${key} is ${String(value)}; it must be a whole number from 0 to ${MAX_MS}`);
    }
  }
  if (t.probeMinMs > t.probeMaxMs) {
    throw new AirlbError('l2-bad-timings', `probeMinMs (${t.probeMinMs}) is above probeMaxMs (${t.probeMaxMs}); swap them`);
  }
  if (t.burstCount > 0 && t.burstIntervalMs === 0) {
    throw new AirlbError('l2-bad-timings', 'burstIntervalMs is 0 with a burst of announcements; set an interval (1000 is usual) or burstCount 0');
  }
  if (t.backoffInitialMs === 0 || t.backoffMaxMs < t.backoffInitialMs) {
    throw new AirlbError('l2-bad-timings', `backoff must start above 0 and be capped at or above its start (got ${t.backoffInitialMs} and ${t.backoffMaxMs})`);
  }
  return t;
}
