import type { EndpointConditions, EndpointSlice, L2Advertisement, Node } from '../config/types.js';
import { advertisedFrom } from './advertisements.js';
import type { Exclusion, SpeakerFacts } from './types.js';

/** Kubernetes' well-known label (any value) that keeps a node out of external load balancers. */
export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * Why a node cannot announce a pool's VIPs, or null when it is a candidate. The checks follow
 * MetalLB's speakersForPool: a live speaker (memberlist member), a known Node, no
 * NetworkUnavailable=True condition, no exclude-from-external-load-balancers label, and selected by
 * one of the pool's advertisements.
 */
export function nodeExclusion(
  speaker: SpeakerFacts | undefined,
  node: Node | undefined,
  advertisements: readonly L2Advertisement[],
): Exclusion | null {
  if (speaker === undefined) return 'no-speaker';
  if (!speaker.alive) return 'speaker-down';
  if (node === undefined) return 'not-a-node';
  if (node.status.conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')) {
    return 'network-unavailable';
  }
  if (Object.prototype.hasOwnProperty.call(node.metadata.labels, EXCLUDE_FROM_LB_LABEL)) {
    return 'excluded-from-load-balancers';
  }
  if (!advertisedFrom(advertisements, node)) return 'not-selected';
  return null;
}

/**
 * MetalLB's EndpointCanServe (internal/k8s/epslices): ready unset or true, or else serving true.
 * A terminating endpoint that still serves counts, as in MetalLB.
 */
export function endpointCanServe(conditions: EndpointConditions): boolean {
  if (conditions.ready === null || conditions.ready) return true;
  return conditions.serving === true;
}

export interface ServingEndpoints {
  /** Some endpoint can serve, on any node or none: without one MetalLB announces nothing. */
  readonly any: boolean;
  /** Nodes hosting an endpoint that can serve (the externalTrafficPolicy Local candidates). */
  readonly nodes: ReadonlySet<string>;
}

/** Indexes the slices by "namespace/service" and summarizes which endpoints can serve. */
export function servingEndpointsByService(slices: readonly EndpointSlice[]): Map<string, ServingEndpoints> {
  const byService = new Map<string, { any: boolean; nodes: Set<string> }>();
  for (const slice of slices) {
    const key = `${slice.metadata.namespace}/${slice.serviceName}`;
    let entry = byService.get(key);
    if (entry === undefined) {
      entry = { any: false, nodes: new Set() };
      byService.set(key, entry);
    }
    for (const ep of slice.endpoints) {
      if (!endpointCanServe(ep.conditions)) continue;
      entry.any = true;
      if (ep.nodeName !== null) entry.nodes.add(ep.nodeName);
    }
  }
  return byService;
}
