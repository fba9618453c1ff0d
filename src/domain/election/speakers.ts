import type { Node } from '../config/types.js';
import type { SpeakerFacts, Uplink } from './types.js';

/**
 * The label a speaker puts on its Node to publish its uplink kind (and that a user may set by hand,
 * or a lab manifest carries): `airlb.io/uplink: wired | wireless`.
 */
export const UPLINK_LABEL = 'airlb.io/uplink';

function uplinkFromLabels(labels: Readonly<Record<string, string>>): Uplink {
  const value = labels[UPLINK_LABEL];
  return value === 'wired' || value === 'wireless' ? value : 'unknown';
}

/**
 * Speaker facts when nothing is known beyond the Node objects (an offline `airlb plan`, standalone
 * mode): a live speaker on every node, the uplink from the `airlb.io/uplink` label when present,
 * no failed verification. Without the label this is MetalLB's own assumption when memberlist is
 * disabled ("all nodes eligible, a speaker runs on every node").
 */
export function assumedSpeakers(nodes: readonly Node[]): SpeakerFacts[] {
  return nodes.map((n) => ({
    node: n.metadata.name,
    alive: true,
    uplink: uplinkFromLabels(n.metadata.labels),
    verificationFailed: new Set<string>(),
  }));
}
