import type { PlanEntry } from '../domain/allocator/plan.js';
import { planBgp, peersOfNode, type BgpAnnouncement } from '../domain/bgp/announcements.js';
import { issueAt } from '../domain/config/issue-builder.js';
import type { BFDProfile, BGPPeer, ConfigIssue, ConfigSet, Node } from '../domain/config/types.js';
import { assumedSpeakers } from '../domain/election/speakers.js';
import type { ServiceAssignment } from '../domain/election/types.js';
import { parseIp } from '../domain/net/ip.js';
import { assumedNode } from './desired.js';

/**
 * What the BGP side of `airlb standalone` should be doing, computed from the configuration alone
 * (pure, like desired.ts): the BGPPeers this node has sessions with, the routes planBgp gives this
 * node, and the node's own addresses as its Node manifest lists them. The speaker (bgp.ts) applies it.
 */
export interface StandaloneBgpPlan {
  /** The BGPPeers whose nodeSelectors select this node (none when the node is not a listed Node). */
  readonly peers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  /** planBgp's routes of this node only. */
  readonly announcements: readonly BgpAnnouncement[];
  /** From the Node's status.addresses (InternalIP before ExternalIP); null when it lists none of the family. */
  readonly nodeAddresses: { readonly v4: string | null; readonly v6: string | null };
}

export interface StandaloneBgpInput {
  readonly config: ConfigSet;
  readonly node: string;
  /** DesiredState.allocations: the addresses every Service got in this load. */
  readonly allocations: readonly PlanEntry[];
}

/** The Node's address of a family (InternalIP before ExternalIP), or null. */
export function addressOf(node: Node, family: 4 | 6): string | null {
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of node.status.addresses) {
      if (a.type === type && parseIp(a.address)?.family === family) return a.address;
    }
  }
  return null;
}

/**
 * The plan, or the issues that make the configuration unusable here. A `passwordSecret` is one:
 * standalone mode has no Kubernetes Secrets to read the key from, and a session started without
 * the key the router expects never comes up (RFC 2385: unsigned segments are dropped), so the
 * load is rejected with the fix instead. Every node rejects it, selected or not, so all nodes
 * reading the same folder agree on whether it loads.
 */
export function planStandaloneBgp(input: StandaloneBgpInput): { readonly plan: StandaloneBgpPlan; readonly issues: readonly ConfigIssue[] } {
  const { config } = input;
  const issues: ConfigIssue[] = [];
  for (const peer of config.bgpPeers) {
    const secret = peer.spec.passwordSecret;
    if (secret === null) continue;
    issues.push(
      issueAt(
        peer,
        'spec.passwordSecret',
        `standalone mode reads no Secrets (${secret.namespace}/${secret.name}): put the TCP MD5 key in spec.password instead, and keep the file readable by root only`,
      ),
    );
  }
  const listed = config.nodes.find((n) => n.metadata.name === input.node);
  // MetalLB's rule, as in desired.ts: with Node objects present, a node that is not one of them is no speaker.
  const self = listed ?? (config.nodes.length === 0 ? assumedNode(input.node) : null);
  if (self === null) {
    return { plan: { peers: [], bfdProfiles: config.bfdProfiles, announcements: [], nodeAddresses: { v4: null, v6: null } }, issues };
  }
  const nodes = config.nodes.length > 0 ? config.nodes : [self];
  const services = new Map(config.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const assignments: ServiceAssignment[] = [];
  for (const entry of input.allocations) {
    const service = services.get(`${entry.namespace}/${entry.name}`);
    if (service === undefined || entry.pool === null || entry.ips.length === 0) continue;
    assignments.push({ service, ips: entry.ips, pool: entry.pool });
  }
  // Endpoints are not tracked in standalone (no EndpointSlices): a Service counts as served on
  // every node, so every selected node announces it and the router spreads traffic (ECMP).
  const announcements = planBgp({
    assignments,
    nodes,
    pools: config.pools,
    bgpPeers: config.bgpPeers,
    bgpAdvertisements: config.bgpAdvertisements,
    communities: config.communities,
    endpointSlices: [],
    speakers: assumedSpeakers(nodes),
    endpointsTracked: false,
  }).filter((a) => a.node === input.node);
  return {
    plan: {
      peers: peersOfNode(config.bgpPeers, self),
      bfdProfiles: config.bfdProfiles,
      announcements,
      nodeAddresses: { v4: addressOf(self, 4), v6: addressOf(self, 6) },
    },
    issues,
  };
}
