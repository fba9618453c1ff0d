/**
 * How long a peer whose BFD session came Up must stay Up before it counts as alive again.
 *
 * Failing is immediate (that is the point of BFD); coming back is not. A node that comes back wins
 * back the VIPs MetalLB's hash gives it, so every return moves VIPs; a session that flaps would
 * move them back and forth on every flap. The rule, in the manner of BGP route-flap damping
 * (RFC 2439 §4, a penalty that grows with each flap and decays with time), but with a hold instead
 * of a penalty figure:
 *
 *   hold = min(maxHoldMs, baseHoldMs × 2^(d − 1)),  d = Up→Down transitions in the last flapWindowMs
 *
 * and baseHoldMs when d is 0 (a node seen Up for the first time). With the defaults a node that
 * restarted once waits 5 s, one that went down twice in two minutes 10 s, then 20 s, 40 s, and at
 * most 60 s. 5 s is longer than any BFD Detection Time airlb uses (≤ 450 ms) and than the time a
 * session needs to come Up after a restart (two slow 1 s packets, RFC 5880 §6.8.3), so a session
 * that is not really stable has every chance to fail within the hold, and short enough that a
 * rebooted node takes its share back before anyone notices the imbalance.
 */

export interface HoldOptions {
  readonly baseHoldMs: number;
  readonly maxHoldMs: number;
  readonly flapWindowMs: number;
}

export const DEFAULT_HOLD: HoldOptions = { baseHoldMs: 5_000, maxHoldMs: 60_000, flapWindowMs: 120_000 };

/** Drops the Down times older than the window; `downsMs` is ascending. */
export function recentDowns(downsMs: readonly number[], nowMs: number, options: HoldOptions): number[] {
  return downsMs.filter((t) => nowMs - t < options.flapWindowMs);
}

/** The hold for a session that came Up at `nowMs` after the Down transitions in `downsMs`. */
export function holdAfterUp(downsMs: readonly number[], nowMs: number, options: HoldOptions): number {
  const d = recentDowns(downsMs, nowMs, options).length;
  if (d <= 1) return options.baseHoldMs;
  // 2^(d−1) overflows nothing for d ≤ 64, and the cap applies long before.
  return Math.min(options.maxHoldMs, options.baseHoldMs * 2 ** Math.min(d - 1, 32));
}
