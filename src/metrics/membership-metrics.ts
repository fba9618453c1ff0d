import { Counter, Gauge, type Registry } from 'prom-client';
import type { BfdStateName } from '../domain/bfd/session.js';
import type { MembershipStatus } from '../io/membership-runtime.js';
import type { HandoverReason } from '../k8s/handovers.js';

/** What the membership metrics read at scrape time (KubeSpeaker.membershipStatus()). */
export interface MembershipMetricsSource {
  readonly node: string;
  /** Null while multi-node membership does not run: the gauges are then absent. */
  status(): MembershipStatus | null;
}

/** The State field's values on the wire (RFC 5880 §4.1), so a dashboard reads the same numbers as a packet capture. */
const BFD_STATE_VALUE: Readonly<Record<BfdStateName, number>> = { AdminDown: 0, Down: 1, Init: 2, Up: 3 };

/**
 * Failover metrics of the speaker (docs/failover.md): the BFD session with each peer speaker, how
 * many peers count as alive, the liveness mode (BFD, or the control-plane fallback), and two
 * counters the speaker increments: VIPs taken over from another node, by reason, and announcement
 * verification failures. The BFD gauge is named for membership: BGP peers' BFD sessions are
 * another set of sessions with other peers.
 */
export function registerMembershipMetrics(registry: Registry, source: MembershipMetricsSource): { failovers: Counter<'reason'>; verificationFailures: Counter } {
  const registers = [registry];
  new Gauge({
    name: 'airlb_membership_bfd_session_state',
    help: 'BFD session with each peer speaker, as RFC 5880 numbers it: 0 AdminDown, 1 Down, 2 Init, 3 Up',
    labelNames: ['peer', 'address'],
    registers,
    collect() {
      this.reset();
      for (const m of source.status()?.members ?? []) {
        if (m.bfd !== null && m.address !== null) this.set({ peer: m.node, address: m.address }, BFD_STATE_VALUE[m.bfd]);
      }
    },
  });
  new Gauge({
    name: 'airlb_membership_peers_up',
    help: 'Other speakers this node counts as alive (BFD Up past the hold, or the control plane in the fallback)',
    registers,
    collect() {
      this.reset();
      const status = source.status();
      if (status !== null) this.set(status.members.filter((m) => m.node !== source.node && m.alive).length);
    },
  });
  new Gauge({
    name: 'airlb_membership_mode',
    help: 'Where liveness comes from (1 for the current mode): bfd, control-plane-fallback, starting, single-node',
    labelNames: ['mode'],
    registers,
    collect() {
      this.reset();
      const status = source.status();
      if (status !== null) this.set({ mode: status.mode }, 1);
    },
  });
  const failovers = new Counter<'reason'>({
    name: 'airlb_l2_failovers_total',
    help: 'VIPs this node took over from another node, by reason: owner-down, not-heard, reelected',
    labelNames: ['reason'],
    registers,
  });
  const reasons: readonly HandoverReason[] = ['owner-down', 'not-heard', 'reelected'];
  for (const reason of reasons) failovers.inc({ reason }, 0);
  const verificationFailures = new Counter({
    name: 'airlb_l2_verification_failures_total',
    help: 'Times a VIP failed announcement verification (its owner not heard by a majority of the other speakers), any owner',
    registers,
  });
  return { failovers, verificationFailures };
}
