import type { SpeakerFacts } from '../election/types.js';

/**
 * A conflict whose other MAC belongs to another airlb speaker is not RFC 5227's case (an unknown
 * host that configured our address) but two speakers disagreeing about liveness: each elected
 * itself because it counts the other dead — a BFD session lost on both sides at once under load,
 * or a partition of UDP 3784 while ARP still flows. RFC 5227 §2.4 (b) on both sides makes both
 * defend once and yield to the second conflict, then both back off and probe into each other
 * again: for seconds nobody answers the VIP.
 *
 * Both speakers can compute the same order for the VIP, so they arbitrate instead: the one the
 * election ranks first between the two keeps the VIP ('defend'), the other gives it up at once
 * ('yield') and probes again after a short, capped backoff, so that it takes over within about a
 * second if the first one really dies.
 *
 * The order is the election's with only the two counted alive and no failed verification: liveness
 * is what the two disagree about, and each side's verification tally may lack the other's reports
 * while they cannot talk. What remains — eligibility, uplink tier, MetalLB's hash — comes from the
 * configuration both run, so both reach the same verdict with opposite signs. A speaker whose
 * configuration has neither or only one of them as a candidate gets no verdict (RFC 5227 applies).
 *
 * The frame is not taken as proof that the peer is alive (it does not feed membership): it proves
 * that a process with the peer's MAC sends ARP on this segment, not that the peer's BFD path works,
 * and ARP is unauthenticated where BFD and the status messages can be. Liveness moves every VIP;
 * the arbitration settles only the VIP in conflict, for as long as the conflict lasts. A peer that
 * answers on the LAN but is cut from the other speakers is what announcement verification handles.
 */

export type PeerVerdict = 'defend' | 'yield';

/** What the arbiter decided about one conflicting frame from another speaker. */
export interface PeerArbitration {
  /** The node whose speaker owns the conflicting MAC. */
  readonly peer: string;
  readonly verdict: PeerVerdict;
}

/**
 * The engine's hook: for a conflict on `vip` with `mac`, the arbitration when `mac` is a known
 * peer speaker's and both rank for the VIP; null for an unknown host (RFC 5227 unchanged).
 */
export type ConflictArbiter = (vip: string, mac: string) => PeerArbitration | null;

/** How a speaker that yielded to a better-ranked peer retries, and how often a winner re-announces. */
export interface PeerConflictTimings {
  /** First retry after yielding to a peer; doubles per consecutive conflict. */
  readonly retryInitialMs: number;
  /** Cap of that wait: if the peer dies, the VIP is claimed again within this plus one probing. */
  readonly retryMaxMs: number;
  /**
   * At most one defensive announcement against peers per this long (RFC 5227 §2.4 (c) rate-limits
   * defending forever, so that two speakers that both think they rank first cannot flood the link).
   */
  readonly defendIntervalMs: number;
}

/**
 * 250 ms doubling to 1 s: the worse-ranked speaker probes (3 ARP probes, 200–300 ms) about once a
 * second while the other holds the VIP, and claims it about 1.3 s at most after the other stops
 * answering. Defending once a second covers every re-claim of a worse-ranked peer that missed the
 * replies to its probes (it cannot re-claim more often than its retry plus probing).
 */
export const PEER_CONFLICT_TIMINGS: PeerConflictTimings = {
  retryInitialMs: 250,
  retryMaxMs: 1_000,
  defendIntervalMs: 1_000,
};

/**
 * The verdict for `self` against `peer`, given `winner`: the node the election picks for the VIP
 * with `pairSpeakers(…, self, peer)`. null when the peer is not another speaker or when the
 * election picks neither (one of them is no candidate here: no basis both sides share).
 */
export function arbitratePeer(self: string, peer: string, winner: string | null): PeerVerdict | null {
  if (peer === self) return null;
  if (winner === self) return 'defend';
  if (winner === peer) return 'yield';
  return null;
}

/**
 * The election's speakers for arbitrating between `self` and `peer`: those two alive, everybody
 * else dead, nobody's verification failed; uplinks as they are.
 */
export function pairSpeakers(speakers: readonly SpeakerFacts[], self: string, peer: string): SpeakerFacts[] {
  const none: ReadonlySet<string> = new Set();
  return speakers.map((s) => ({ ...s, alive: s.node === self || s.node === peer, verificationFailed: none }));
}
