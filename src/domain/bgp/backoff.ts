/**
 * How long an Idle session waits before its next automatic start (RFC 4271 §8.1.1
 * DampPeerOscillations / IdleHoldTimer): doubling from `initialMs` with each consecutive failure,
 * never longer than `maxMs`. A peer that refuses or resets connections is retried quickly at
 * first and then ever less often, instead of being hammered every ConnectRetryTime.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** `failures` is the number of consecutive falls to Idle since the session was last Established (≥ 1). */
export function idleHoldMs(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(policy.initialMs * 2 ** exponent, Math.max(policy.maxMs, policy.initialMs));
}
