import { unhandledReason } from '../domain/allocator/request.js';
import { readAddressEntry } from '../domain/config/index.js';
import type { ConfigSet, IPAddressPool, Node, Service } from '../domain/config/types.js';
import { electL2 } from '../domain/election/elect.js';
import type { HashOrderMemo } from '../domain/election/hash-order.js';
import { vipsAnnouncedBy } from '../domain/election/node-vips.js';
import { assumedSpeakers } from '../domain/election/speakers.js';
import type { L2Announcement, ServiceAssignment, SpeakerFacts } from '../domain/election/types.js';
import { parseIp, rangeContains } from '../domain/net/ip.js';
import type { DesiredVip } from '../standalone/desired.js';
import { POOL_ANNOTATION } from './service-status.js';

/**
 * What a speaker in a cluster announces, from the cluster state alone. Pure.
 *
 * Unlike standalone mode the speaker allocates nothing: the controller's decision is the
 * Service's status.loadBalancer.ingress, and its pool is the metallb.io/ip-allocated-from-pool
 * annotation (or, for addresses written by an older controller, the pool that contains them).
 * Every speaker runs the same election over the same objects and reaches the same answer.
 */

export interface SpeakerPlanInput {
  readonly config: ConfigSet;
  readonly node: string;
  readonly loadBalancerClass: string | null;
  readonly memo?: HashOrderMemo;
  /** Liveness and verification from multi-node membership; default speakersOf(config.nodes). */
  readonly speakers?: readonly SpeakerFacts[];
}

export interface SpeakerPlan {
  /** This node's VIPs, sorted by address, for the engine. */
  readonly announce: readonly DesiredVip[];
  /** Every VIP's election, for ServiceL2Status and Events. */
  readonly elected: readonly L2Announcement[];
}

function poolContaining(ip: string, pools: readonly IPAddressPool[]): string | null {
  const addr = parseIp(ip);
  if (addr === null) return null;
  for (const pool of pools) {
    for (const text of pool.spec.addresses) {
      const entry = readAddressEntry(text);
      if (entry.ok && rangeContains(entry.range, addr)) return pool.metadata.name;
    }
  }
  return null;
}

/** Services whose addresses the controller published, with their pool. */
export function assignmentsFromStatus(services: readonly Service[], pools: readonly IPAddressPool[], loadBalancerClass: string | null): ServiceAssignment[] {
  const out: ServiceAssignment[] = [];
  for (const service of services) {
    const ips = service.status.loadBalancerIngress;
    if (ips.length === 0 || unhandledReason(service, loadBalancerClass) !== null) continue;
    const pool = service.metadata.annotations[POOL_ANNOTATION] ?? poolContaining(ips[0]!, pools);
    if (pool === null) continue;
    out.push({ service, ips, pool });
  }
  return out;
}

/**
 * Without multi-node membership (a single Node with an InternalIP, or membership not started), a
 * speaker is taken as alive while its Node is Ready (or reports no Ready condition at all, as
 * nodes without a kubelet do): the node lifecycle controller marks a dead node NotReady/Unknown
 * after its grace period (40 s by default). NetworkUnavailable is left to the election
 * (eligibility.ts), which names it as the reason.
 */
function nodeReady(node: Node): boolean {
  const ready = node.status.conditions.find((c) => c.type === 'Ready');
  return ready === undefined || ready.status === 'True';
}

export function speakersOf(nodes: readonly Node[]): SpeakerFacts[] {
  const ready = new Map(nodes.map((n) => [n.metadata.name, nodeReady(n)] as const));
  return assumedSpeakers(nodes).map((s) => ({ ...s, alive: ready.get(s.node) ?? false }));
}

export function speakerPlan(input: SpeakerPlanInput): SpeakerPlan {
  const { config } = input;
  const elected = electL2(
    {
      assignments: assignmentsFromStatus(config.services, config.pools, input.loadBalancerClass),
      nodes: config.nodes,
      pools: config.pools,
      l2Advertisements: config.l2Advertisements,
      endpointSlices: config.endpointSlices,
      speakers: input.speakers ?? speakersOf(config.nodes),
      endpointsTracked: true,
    },
    input.memo,
  );
  return { announce: vipsAnnouncedBy(input.node, elected), elected };
}
