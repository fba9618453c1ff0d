import type { CheckId, CheckResult } from './checks.js';
import type { DoctorFacts } from './facts.js';

export type Cause =
  | 'healthy'
  | 'ap-arp-proxy'
  | 'ap-client-isolation'
  | 'ap-garp-filter'
  | 'node-wifi-arp-offload'
  | 'ip-conflict'
  | 'split-brain'
  | 'no-advertisement'
  | 'pool-exhausted'
  | 'unknown';

export interface Verdict {
  readonly cause: Cause;
  /** The detail lines of the checks that decided it, in the order they were weighed. */
  readonly evidence: readonly string[];
}

/**
 * Names the cause, walking from the configuration outwards to the air: an address that was never
 * allocated or announced cannot answer; a stranger or a second node answering is a conflict or a
 * split brain whatever the AP does; then, with the VIP silent while the node's own address answers,
 * the capture on the node tells where the request was lost — at the AP (never arrives), in the
 * firmware (arrives only when promiscuous) — or where the reply was (leaves, never arrives: the
 * AP's ARP/MAC filter). Client isolation explains a node that no station can reach.
 */
export function decideVerdict(facts: DoctorFacts, checks: readonly CheckResult[]): Verdict {
  const by = new Map(checks.map((c) => [c.id, c]));
  const get = (id: CheckId): CheckResult => by.get(id)!;
  const is = (id: CheckId, status: CheckResult['status']): boolean => get(id).status === status;
  const verdict = (cause: Cause, ...ids: CheckId[]): Verdict => ({ cause, evidence: ids.map((id) => get(id).detail) });

  if (is('allocation', 'problem')) {
    return verdict(facts.allocation?.reason === 'pool-exhausted' ? 'pool-exhausted' : 'no-advertisement', 'allocation');
  }
  if (is('announcement', 'problem')) return verdict('no-advertisement', 'announcement', 'excluded-nodes');
  if (is('conflict', 'problem')) return verdict('ip-conflict', 'conflict', 'probe-vip');
  if (is('split-brain', 'problem')) {
    return is('kube-proxy-strict-arp', 'problem') ? verdict('split-brain', 'split-brain', 'kube-proxy-strict-arp') : verdict('split-brain', 'split-brain');
  }
  if (is('probe-vip', 'ok')) {
    if (is('gratuitous-arp', 'problem')) return verdict('ap-garp-filter', 'gratuitous-arp', 'probe-vip');
    return verdict('healthy', 'probe-vip', 'announcement');
  }
  if (is('probe-vip', 'not-run')) return verdict('unknown', 'probe-vip');

  // The VIP is silent from here.
  if (is('probe-node-ip', 'problem')) {
    if (is('client-isolation', 'problem')) return verdict('ap-client-isolation', 'client-isolation', 'probe-node-ip', 'probe-vip');
    return verdict('unknown', 'probe-node-ip', 'probe-vip');
  }
  if (is('firmware-filter', 'problem')) return verdict('node-wifi-arp-offload', 'firmware-filter', 'probe-vip', 'probe-node-ip');
  const capture = facts.capture;
  if (capture !== null && capture.requestsForVip === 0) {
    // Requests for the node's address get through but not for the VIP, and promiscuous mode does
    // not bring them (or was already on): the AP does not forward them — proxy ARP / suppression.
    return verdict('ap-arp-proxy', 'capture', 'probe-vip', 'probe-node-ip', 'uplink');
  }
  if (capture !== null && capture.repliesForVip !== null && capture.repliesForVip > 0) return verdict('ap-garp-filter', 'capture', 'probe-vip');
  if (is('client-isolation', 'problem')) return verdict('ap-client-isolation', 'client-isolation', 'probe-vip');
  return verdict('unknown', 'probe-vip', 'probe-node-ip', 'capture');
}
