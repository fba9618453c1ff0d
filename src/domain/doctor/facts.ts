/**
 * What the doctor collects before it judges: plain values gathered by src/io (probes, captures,
 * the plan, the kernel) or loaded from a recording. Every check is a pure function of these, so
 * the verdicts are tested with recorded facts as well as live in the lab. A fact that could not be
 * collected is null, and the checks that need it report "not-run" instead of guessing.
 */
export type Uplink = 'wired' | 'wireless' | 'unknown';

/** ARP requests (or NS) sent to one address from where the doctor runs, and who answered. */
export interface ProbeResult {
  readonly target: string;
  readonly sent: number;
  readonly replies: number;
  /** Distinct MACs that answered, lower-case. */
  readonly macs: readonly string[];
}

export interface AllocationFacts {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
  readonly pool: string | null;
  /** The allocator's failure code (pool-exhausted, no-pool-for-service, ...) when pending. */
  readonly reason: string | null;
  readonly error: string | null;
}

export interface AnnouncementFacts {
  /** The node elected to answer for the VIP, null when nobody is. */
  readonly node: string | null;
  /** The election's reason (elected, no-l2-advertisement, no-eligible-node, no-serving-endpoint). */
  readonly reason: string;
  readonly interface: string | null;
  readonly mac: string | null;
  readonly uplink: Uplink;
  readonly nodeIp: string | null;
}

/** A capture on the announcing node's interface while the doctor probed the VIP. */
export interface CaptureFacts {
  readonly promiscuous: boolean;
  readonly requestsForVip: number;
  /**
   * Replies for the VIP that left the interface; null when outgoing frames could not be seen (the
   * packet socket ignores its host's own frames, so counting them needs tcpdump on the node).
   */
  readonly repliesForVip: number | null;
}

export interface DoctorFacts {
  readonly vip: string | null;
  readonly allocation: AllocationFacts | null;
  readonly announcement: AnnouncementFacts | null;
  /** MAC → node name for every node the doctor knows, to tell a second airlb node from a stranger. */
  readonly nodeMacs: Readonly<Record<string, string>>;
  readonly probeVip: ProbeResult | null;
  readonly probeNodeIp: ProbeResult | null;
  /** Capture with the interface as the speaker runs it (promiscuous or not). */
  readonly capture: CaptureFacts | null;
  /** The same capture with promiscuous mode forced on: shows a firmware ARP filter. */
  readonly capturePromiscuous: CaptureFacts | null;
  /** Node-to-node and node-to-gateway reachability (ping) between WiFi stations. */
  readonly nodeToNode: { readonly from: string; readonly to: string; readonly reachable: boolean } | null;
  readonly nodeToGateway: { readonly from: string; readonly reachable: boolean } | null;
  /** A gratuitous ARP sent by the announcer and whether an observer's neighbour table took it. */
  readonly garp: { readonly observerUpdated: boolean } | null;
  readonly kubeProxy: { readonly mode: string | null; readonly strictARP: boolean | null } | null;
  /** Nodes labelled node.kubernetes.io/exclude-from-external-load-balancers. */
  readonly excludedNodes: readonly string[];
  /** Nodes that advertise the VIP to BGP peers: a routed VIP needs no ARP announcer. */
  readonly bgpNodes: readonly string[];
}

/** Facts with nothing collected: the recording format's defaults. */
export function emptyFacts(vip: string | null): DoctorFacts {
  return {
    vip,
    allocation: null,
    announcement: null,
    nodeMacs: {},
    probeVip: null,
    probeNodeIp: null,
    capture: null,
    capturePromiscuous: null,
    nodeToNode: null,
    nodeToGateway: null,
    garp: null,
    kubeProxy: null,
    excludedNodes: [],
    bgpNodes: [],
  };
}
