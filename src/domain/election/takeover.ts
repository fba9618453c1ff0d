import type { SpeakerFacts } from './types.js';

/**
 * Which of the VIPs a node just won it takes over from a dead owner, so that it may claim them with
 * the short takeover claim (src/domain/l2/timings.ts TAKEOVER_CLAIM) instead of the normal one.
 *
 * A VIP is a takeover when, in the election this node acted on before, another node owned it, and
 * membership now says that node is not alive (its BFD session went Down or AdminDown, or it is
 * held out after flapping): a dead owner cannot answer a probe, so long probing only adds outage.
 * Not a takeover:
 * - a first claim (no earlier election, or nobody owned the VIP in it): an unknown host may hold it;
 * - a move away from a live owner (a node came back and the hash hands it VIPs, a failed
 *   verification): that owner still answers until it releases the VIP at its own election;
 * - an owner that is no speaker any more (its Node left the configuration): it is not known dead,
 *   it may still run with the old configuration and announce;
 * - no membership at all (every node assumed alive): nobody is known dead.
 */
export function takeoverVips(input: {
  /** This node. */
  readonly self: string;
  /** The VIPs this node wins now. */
  readonly won: readonly string[];
  /** VIP → the node that owned it in the previous election (VIPs nobody owned are absent). */
  readonly previousOwners: ReadonlyMap<string, string>;
  /** Liveness now; absent: no membership runs, every node counts as alive. */
  readonly speakers?: readonly SpeakerFacts[];
}): Set<string> {
  const out = new Set<string>();
  if (input.speakers === undefined) return out;
  const dead = new Set(input.speakers.filter((s) => !s.alive).map((s) => s.node));
  for (const ip of input.won) {
    const owner = input.previousOwners.get(ip);
    if (owner !== undefined && owner !== input.self && dead.has(owner)) out.add(ip);
  }
  return out;
}
