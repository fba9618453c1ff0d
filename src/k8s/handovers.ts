import type { L2Announcement, SpeakerFacts } from '../domain/election/types.js';
import type { VipTally } from '../domain/l2/verification.js';

/**
 * What changed hands between two elections, and which verification failures are new. Pure: the
 * Kubernetes speaker turns these into metrics (airlb_l2_failovers_total,
 * airlb_l2_verification_failures_total) and Events (notHeard).
 */

/**
 * Why a VIP left its previous owner:
 * - owner-down: the previous owner is no longer a live speaker (BFD, or the control plane);
 * - not-heard: its announcement of the VIP failed verification (docs/failover.md);
 * - reelected: anything else (a node came back and wins its hash, a selector or endpoint changed).
 */
export type HandoverReason = 'owner-down' | 'not-heard' | 'reelected';

export interface Handover {
  readonly ip: string;
  readonly service: string;
  readonly from: string;
  readonly to: string;
  readonly reason: HandoverReason;
}

/** VIPs announced by one node before and by another one now; a VIP nobody announced before is no handover. */
export function handovers(before: readonly L2Announcement[], after: readonly L2Announcement[], speakers: readonly SpeakerFacts[]): Handover[] {
  const previous = new Map(before.map((a) => [`${a.service}\u0000${a.ip}`, a.node] as const));
  const facts = new Map(speakers.map((s) => [s.node, s] as const));
  const out: Handover[] = [];
  for (const a of after) {
    const from = previous.get(`${a.service}\u0000${a.ip}`) ?? null;
    if (a.node === null || from === null || from === a.node) continue;
    const old = facts.get(from);
    const reason: HandoverReason = old === undefined || !old.alive ? 'owner-down' : old.verificationFailed.has(a.ip) ? 'not-heard' : 'reelected';
    out.push({ ip: a.ip, service: a.service, from, to: a.node, reason });
  }
  return out;
}

/** The failed tallies not in `seen` (keys `ip@owner`), and the keys failed now, to pass next time. */
export function newFailures(seen: ReadonlySet<string>, tallies: readonly VipTally[]): { fresh: VipTally[]; failed: Set<string> } {
  const failed = new Set<string>();
  const fresh: VipTally[] = [];
  for (const t of tallies) {
    if (!t.failed) continue;
    const key = `${t.ip}@${t.owner}`;
    failed.add(key);
    if (!seen.has(key)) fresh.push(t);
  }
  return { fresh, failed };
}

/** The notHeard Event's message, naming who did not hear the owner and who did. */
export function notHeardMessage(t: VipTally): string {
  const list = (nodes: readonly string[]): string => (nodes.length === 0 ? 'none' : nodes.join(', '));
  return `announcements of ${t.ip} from node "${t.owner}" are not heard on the LAN (not heard by ${list(t.unheard)}; heard by ${list(t.heard)}); it moves to another candidate when one exists`;
}
