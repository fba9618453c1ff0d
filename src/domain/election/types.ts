import type { EndpointSlice, IPAddressPool, L2Advertisement, Node, Service } from '../config/types.js';

/**
 * How a node reaches the LAN. WiFi stations suffer AP proxy ARP, ARP suppression, client isolation
 * and firmware ARP offload (see docs/election.md), so a wired uplink is preferred; 'unknown' sits
 * between the two because it may be either.
 */
export type Uplink = 'wired' | 'wireless' | 'unknown';

/** What airlb knows about the speaker on one node, beyond what the Kubernetes Node says. */
export interface SpeakerFacts {
  readonly node: string;
  /** The speaker is a live cluster member (MetalLB: a memberlist member). */
  readonly alive: boolean;
  readonly uplink: Uplink;
  /** VIPs whose announcement from this node failed verification (nobody on the LAN heard it). */
  readonly verificationFailed: ReadonlySet<string>;
}

/** The allocator's answer for one Service: its VIPs, in status.loadBalancer.ingress order. */
export interface ServiceAssignment {
  readonly service: Service;
  /** One address per family; ips[0] is the one MetalLB hashes (its "first ingress IP"). */
  readonly ips: readonly string[];
  readonly pool: string;
}

export interface ElectionInput {
  readonly assignments: readonly ServiceAssignment[];
  readonly nodes: readonly Node[];
  readonly pools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly speakers: readonly SpeakerFacts[];
  /**
   * False when nothing reports endpoints (standalone mode, or `plan` on manifests without
   * EndpointSlices): every Service then counts as served on every node. Default true, as in a
   * cluster, where a Service without a serving endpoint is not announced (MetalLB's rule).
   */
  readonly endpointsTracked?: boolean;
}

/**
 * Why a VIP has, or has no, announcing node.
 * - elected: a candidate won.
 * - no-serving-endpoint: no endpoint of the Service can serve anywhere, so MetalLB announces nothing.
 * - no-l2-advertisement: no L2Advertisement covers the VIP's pool and selects the Service (serviceSelectors).
 * - no-eligible-node: advertisements apply, but every node was excluded (see explainL2 for why).
 */
export type ElectionReason = 'elected' | 'no-serving-endpoint' | 'no-l2-advertisement' | 'no-eligible-node';

/** The announcement plan for one VIP. Both VIPs of a dual-stack Service get the same node. */
export interface L2Announcement {
  readonly ip: string;
  /** "namespace/name". */
  readonly service: string;
  readonly pool: string;
  readonly node: string | null;
  /** MetalLB's IPAdvertisement shape: every eligible interface, or only the listed ones. */
  readonly allInterfaces: boolean;
  /** Sorted; empty when allInterfaces is true or nobody announces. */
  readonly interfaces: readonly string[];
  readonly reason: ElectionReason;
}

/**
 * Why a node is not a candidate for a VIP, in the order the checks run (MetalLB's speakersForPool,
 * then the externalTrafficPolicy Local filter).
 */
export type Exclusion =
  | 'no-speaker'
  | 'speaker-down'
  | 'not-a-node'
  | 'network-unavailable'
  | 'excluded-from-load-balancers'
  | 'not-selected'
  | 'no-local-endpoint';

export interface CandidateVerdict {
  readonly node: string;
  /** 1-based position among ranked candidates (1 announces); null when excluded. */
  readonly rank: number | null;
  readonly excluded: Exclusion | null;
  readonly uplink: Uplink;
  /** This node failed verification for one of the Service's VIPs: it ranks after every other. */
  readonly verificationFailed: boolean;
  /** Hex sha256(node + "#" + firstIP): MetalLB's order within a tier. */
  readonly hash: string;
}

/** One VIP's plan with every node's verdict: ranked candidates first, in order, then the excluded. */
export interface L2Explanation extends L2Announcement {
  readonly candidates: readonly CandidateVerdict[];
}
