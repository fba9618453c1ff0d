import type { EngineStatus } from './engine.js';

/**
 * The VIPs the engine answers for right now (an interface answering for each): what a speaker
 * publishes as its claims to the other speakers (src/proto/peer-status). Not the desired VIPs: a
 * VIP still probing, or backing off a conflict (RFC 5227 §2.4), is not answered, so a peer
 * probing it would count misses against this node for a VIP it does not hold.
 */
export function claimedVips(status: Pick<EngineStatus, 'vips'>): string[] {
  return status.vips.filter((v) => v.answeringOn.length > 0).map((v) => v.ip);
}
