import type { Node } from '../config/types.js';
import type { SpeakerFacts } from './types.js';

/**
 * Speaker facts when nothing is known beyond the Node objects (an offline `airlb plan`): a live
 * speaker on every node, uplink unknown, no failed verification. This is MetalLB's own assumption
 * when memberlist is disabled ("all nodes eligible, a speaker runs on every node").
 */
export function assumedSpeakers(nodes: readonly Node[]): SpeakerFacts[] {
  return nodes.map((n) => ({ node: n.metadata.name, alive: true, uplink: 'unknown', verificationFailed: new Set<string>() }));
}
