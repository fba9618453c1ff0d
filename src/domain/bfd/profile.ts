import type { BFDProfile } from '../config/types.js';
import type { BfdSessionConfig } from './session.js';

/**
 * Turns a MetalLB BFDProfile (issue 6) into the timers of one BGP peer's BFD session. What airlb
 * cannot honour is returned as reasons, never silently dropped: the caller logs them.
 */

export type BfdProfileGap =
  /** echoMode: true. airlb has no Echo function (RFC 5880 §6.4); detection uses Control packets only. */
  | 'echo-mode-unsupported'
  /**
   * minimumTtl below 255 asks to accept packets that crossed routers. Single-hop BFD (RFC 5881 §5)
   * sends with TTL 255, and airlb cannot check received TTL yet (no IP_MINTTL; src/io/bfd-udp.ts).
   */
  | 'minimum-ttl-not-enforced';

export interface BfdProfileSession {
  readonly config: Omit<BfdSessionConfig, 'localDiscriminator'>;
  readonly gaps: readonly BfdProfileGap[];
}

export function sessionFromProfile(profile: BFDProfile): BfdProfileSession {
  const spec = profile.spec;
  const gaps: BfdProfileGap[] = [];
  if (spec.echoMode) gaps.push('echo-mode-unsupported');
  // Nothing checks received TTL yet, so any configured minimum is a promise airlb does not keep.
  gaps.push('minimum-ttl-not-enforced');
  return {
    config: {
      desiredMinTxMs: spec.transmitIntervalMs,
      requiredMinRxMs: spec.receiveIntervalMs,
      detectMult: spec.detectMultiplier,
      passive: spec.passiveMode,
    },
    gaps,
  };
}
