/**
 * Why a Service did not get (or keep) an address. The codes are stable: tests, `airlb plan --json`
 * and events key on them; the message next to a code names the Service, address, pool or
 * annotation involved and what to change.
 */
export type AllocationFailure =
  /** spec.type is not LoadBalancer: nothing to allocate (the Service is released). */
  | 'not-load-balancer'
  /** spec.loadBalancerClass names another controller: airlb leaves the Service alone. */
  | 'other-class'
  /** An annotation or spec.loadBalancerIP is not a list of IP addresses. */
  | 'invalid-request'
  /** Both spec.loadBalancerIP and the loadBalancerIPs annotation are set. */
  | 'conflicting-requests'
  /** More than one requested address of a family, or more than two in all. */
  | 'too-many-ips'
  /** A requested address is of a family the Service does not use, or one family is missing. */
  | 'family-mismatch'
  /** A requested address is in no IPAddressPool (or is a .0/.255 of a pool that avoids them). */
  | 'ip-not-in-pool'
  /** A requested address is in a pool other than the one the address-pool annotation names. */
  | 'ip-not-in-requested-pool'
  /** The IPv4 and IPv6 addresses of a dual-stack Service would come from two pools. */
  | 'different-pools'
  /** The address-pool annotation names a pool that does not exist. */
  | 'unknown-pool'
  /** The pool's serviceAllocation (namespaces, namespace or service selectors) excludes the Service. */
  | 'pool-not-allowed'
  /** The pool has no range of a family the Service needs. */
  | 'pool-lacks-family'
  /** No pool with autoAssign serves the Service's namespace and labels (or none of its families). */
  | 'no-pool-for-service'
  /** Every address the Service could use is taken. */
  | 'pool-exhausted'
  /** The address is held by another Service that does not share it with this one. */
  | 'ip-in-use'
  /** Same sharing key, but another Service already uses one of the protocol/port pairs. */
  | 'port-conflict'
  /** Same sharing key, but externalTrafficPolicy/selector differ (Local needs the same selector). */
  | 'sharing-incompatible'
  /** Addresses being restored no longer match what the Service requests. */
  | 'stale-assignment';

export interface Failure {
  readonly ok: false;
  readonly reason: AllocationFailure;
  readonly message: string;
}

export function fail(reason: AllocationFailure, message: string): Failure {
  return { ok: false, reason, message };
}
