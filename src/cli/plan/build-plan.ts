import type { ConfigSet } from '../../domain/config/types.js';
import { planAllocations, type PlanEntry, type PreviousAssignment } from '../../domain/allocator/plan.js';
import { electL2 } from '../../domain/election/elect.js';
import { assumedSpeakers } from '../../domain/election/speakers.js';
import type { ElectionReason, ServiceAssignment } from '../../domain/election/types.js';
import { planBgp, type BgpAnnouncement } from '../../domain/bgp/announcements.js';

/** One VIP of the Layer 2 announcement plan. */
export interface L2PlanEntry {
  readonly ip: string;
  readonly service: string;
  readonly node: string | null;
  /** Empty with allInterfaces true: every eligible interface of the node. */
  readonly interfaces: readonly string[];
  readonly allInterfaces: boolean;
  readonly reason: ElectionReason;
}

export interface Plan {
  readonly services: readonly PlanEntry[];
  readonly l2: readonly L2PlanEntry[];
  readonly bgp: readonly BgpAnnouncement[];
}

/**
 * The whole offline plan: allocate every Service as the controller would, then elect the announcing
 * node of every VIP (Layer 2) and list the routes every node sends its BGP peers, as the speakers would. Nodes are assumed live (no speaker facts offline); when the
 * inputs hold no EndpointSlice at all, endpoints are not tracked and every Service counts as served.
 */
export function buildPlan(config: ConfigSet, previous: readonly PreviousAssignment[] = []): Plan {
  const services = planAllocations({ pools: config.pools, services: config.services, namespaces: config.namespaces, previous });
  const byKey = new Map(config.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const assignments: ServiceAssignment[] = [];
  for (const entry of services) {
    const service = byKey.get(`${entry.namespace}/${entry.name}`);
    if (service !== undefined && entry.pool !== null && entry.ips.length > 0) {
      assignments.push({ service, ips: entry.ips, pool: entry.pool });
    }
  }
  const speakers = assumedSpeakers(config.nodes);
  const endpointsTracked = config.endpointSlices.length > 0;
  const announcements = electL2({
    assignments,
    nodes: config.nodes,
    pools: config.pools,
    l2Advertisements: config.l2Advertisements,
    endpointSlices: config.endpointSlices,
    speakers,
    endpointsTracked,
  });
  const bgp = planBgp({ ...config, assignments, speakers, endpointsTracked });
  const l2 = announcements.map((a) => ({
    ip: a.ip,
    service: a.service,
    node: a.node,
    interfaces: a.interfaces,
    allInterfaces: a.allInterfaces,
    reason: a.reason,
  }));
  return { services, l2, bgp };
}
