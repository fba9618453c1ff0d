import type { BGPPeer } from '../config/types.js';
import { AirlbError } from '../../errors.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../proto/bgp/index.js';
import { parseIp } from '../net/ip.js';
import { SUPPORTED_FAMILIES, type BgpFsmConfig } from './fsm.js';

/** How a MetalLB BGPPeer's fields (and their defaults) become the session FSM's parameters. */

/** RFC 4271 §10 suggests 90 s; MetalLB's default too. */
export const DEFAULT_HOLD_TIME_MS = 90_000;
/** Longest wait between connection attempts, and longest a TCP connect may take (§10 suggests 120 s; a home lab wants faster). */
export const DEFAULT_CONNECT_RETRY_MS = 10_000;
/** First wait after a failure; doubles up to the connect retry time. */
export const IDLE_HOLD_INITIAL_MS = 1000;
/** Restart Time advertised with Graceful Restart (RFC 4724 §3; FRR's and so MetalLB's default). */
export const GRACEFUL_RESTART_TIME_S = 120;

export class BgpPeerConfigError extends AirlbError {
  constructor(peer: BGPPeer, message: string) {
    super('bgp-peer-config', `BGPPeer ${peer.metadata.name}: ${message}`);
    this.name = 'BgpPeerConfigError';
  }
}

/**
 * The FSM parameters of one BGPPeer. `defaultRouterId` is the BGP Identifier when the peer
 * names no routerID (normally the node's IPv4 address).
 */
export function fsmConfigOf(peer: BGPPeer, defaultRouterId: string): BgpFsmConfig {
  const s = peer.spec;
  const address = parseIp(s.peerAddress);
  if (address === null) throw new BgpPeerConfigError(peer, `peerAddress "${s.peerAddress}" is not an IP address`);
  const idText = s.routerID ?? defaultRouterId;
  const id = parseIp(idText);
  // RFC 6286 §2.1: the BGP Identifier is a non-zero 32-bit value, written as an IPv4 address.
  if (id === null || id.family !== 4 || id.value === 0n) {
    throw new BgpPeerConfigError(peer, `${s.routerID !== null ? 'routerID' : "the node's router ID"} "${idText}" is not a non-zero IPv4 address (RFC 6286 §2.1)`);
  }
  const holdTimeS = Math.round((s.holdTimeMs ?? DEFAULT_HOLD_TIME_MS) / 1000);
  if (holdTimeS !== 0 && (holdTimeS < 3 || holdTimeS > 0xffff)) throw new BgpPeerConfigError(peer, `holdTime ${holdTimeS}s must be 0 or 3..65535 seconds (RFC 4271 §4.2)`);
  const connectRetryMs = s.connectTimeMs ?? DEFAULT_CONNECT_RETRY_MS;
  return {
    localAsn: s.myASN,
    peerAsn: s.dynamicASN ?? s.peerASN,
    bgpId: Number(id.value),
    holdTimeS,
    keepaliveS: s.keepaliveTimeMs === null ? null : Math.max(1, Math.round(s.keepaliveTimeMs / 1000)),
    // disableMP: each session carries only the family of its own addresses, as MetalLB does.
    families: s.disableMP ? [address.family === 4 ? IPV4_UNICAST : IPV6_UNICAST] : SUPPORTED_FAMILIES,
    gracefulRestartS: s.enableGracefulRestart ? GRACEFUL_RESTART_TIME_S : null,
    connectRetryMs,
    idleHoldInitialMs: Math.min(IDLE_HOLD_INITIAL_MS, connectRetryMs),
    passive: false,
  };
}
