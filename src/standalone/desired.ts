import { planAllocations, type PlanEntry, type PreviousAssignment } from '../domain/allocator/plan.js';
import type { ConfigSet, Node } from '../domain/config/types.js';
import { electL2 } from '../domain/election/elect.js';
import type { HashOrderMemo } from '../domain/election/hash-order.js';
import { vipsAnnouncedBy, type NodeVip } from '../domain/election/node-vips.js';
import { assumedSpeakers } from '../domain/election/speakers.js';
import { takeoverVips } from '../domain/election/takeover.js';
import type { ElectionInput, ElectionReason, ServiceAssignment, SpeakerFacts } from '../domain/election/types.js';

/**
 * What standalone mode should be doing, computed from the configuration alone: every Service's
 * addresses (to persist), and the VIPs this node announces with the interfaces the
 * L2Advertisements allow. Pure: no sockets, files or clock; the engine turns it into announcers.
 */

/** Every Kubernetes node carries this label with its own name; users select nodes by it. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** One VIP this node announces. */
export interface DesiredVip extends NodeVip {
  /**
   * The VIP was another node's in the previous election and membership says that node is dead
   * (src/domain/election/takeover.ts): the engine claims it with the short takeover claim.
   * Absent or false: the normal claim.
   */
  readonly takeover?: boolean;
}

/** A VIP some other node announces, or nobody, and why. */
export interface ElsewhereVip {
  readonly ip: string;
  readonly service: string;
  /** The elected node; null when nobody announces. */
  readonly node: string | null;
  readonly reason: ElectionReason;
}

export interface DesiredState {
  /** Every LoadBalancer Service airlb handles, with its addresses or why it has none. */
  readonly allocations: readonly PlanEntry[];
  /** Sorted by IP text. */
  readonly announce: readonly DesiredVip[];
  readonly elsewhere: readonly ElsewhereVip[];
  /**
   * VIPs other nodes announce that this node would announce if it took them over (the election
   * with every other speaker dead), with this node's interfaces; empty without membership, where
   * nothing fails over. The engine keeps sockets open on their interfaces, so a takeover does not
   * wait for a socket and its eBPF ARP responder to be set up (12–20 ms measured).
   */
  readonly standby: readonly DesiredVip[];
  /**
   * 'listed': the node is one of the Node objects; 'assumed': there are no Node objects, so this
   * node stands for the whole cluster; 'missing': there are Node objects and this node is not one
   * of them, so it announces nothing (MetalLB's rule: a speaker without a Node is no candidate).
   */
  readonly node: 'listed' | 'assumed' | 'missing';
}

export interface DesiredInput {
  readonly config: ConfigSet;
  /** This node's name (--node). */
  readonly node: string;
  /** Addresses from the state file, restored so that IPs stay put across restarts. */
  readonly previous: readonly PreviousAssignment[];
  /** Pass the same memo to every call: it caches MetalLB's hash order between reloads. */
  readonly memo?: HashOrderMemo;
  /**
   * Liveness and failed verifications from multi-node membership (src/io/node-membership.ts);
   * without it every listed node is assumed alive.
   */
  readonly speakers?: readonly SpeakerFacts[];
  /**
   * The election this node acted on before (the last DesiredState it computed): whom each VIP
   * belonged to, so that VIPs won from a now-dead owner are marked `takeover`. Absent: a first
   * election, nothing is a takeover.
   */
  readonly before?: Pick<DesiredState, 'announce' | 'elsewhere'>;
}

/** VIP → owning node in an election this node computed (VIPs nobody announced are left out). */
function electionOwners(node: string, election: Pick<DesiredState, 'announce' | 'elsewhere'>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const e of election.elsewhere) if (e.node !== null) owners.set(e.ip, e.node);
  for (const v of election.announce) owners.set(v.ip, node);
  return owners;
}

/** The Node that stands for this host when the configuration lists none. */
export function assumedNode(name: string): Node {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name, namespace: '', labels: { [HOSTNAME_LABEL]: name }, annotations: {} },
    origin: { file: '(--node)', line: 0, fieldLines: new Map() },
    status: { conditions: [], addresses: [] },
  };
}

/**
 * Allocates, then elects: each node runs the same election on the same files and reaches the same
 * answer, as MetalLB does, with `speakers` from multi-node membership when it runs (BFD liveness,
 * verification; docs/failover.md) and every listed node assumed alive otherwise. Endpoints are not tracked: a Service counts as served on every node.
 * With `before`, VIPs won from an owner membership now says is dead are marked `takeover`.
 * Throws AirlbError when the pools are invalid (loadConfig reports that first).
 */
export function desiredState(input: DesiredInput): DesiredState {
  const { config } = input;
  const allocations = planAllocations({
    pools: config.pools,
    services: config.services,
    namespaces: config.namespaces,
    previous: input.previous,
  });
  const listed = config.nodes.some((n) => n.metadata.name === input.node);
  const nodes = config.nodes.length > 0 ? config.nodes : [assumedNode(input.node)];
  const services = new Map(config.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const assignments: ServiceAssignment[] = [];
  for (const entry of allocations) {
    const service = services.get(`${entry.namespace}/${entry.name}`);
    if (service === undefined || entry.pool === null || entry.ips.length === 0) continue;
    assignments.push({ service, ips: entry.ips, pool: entry.pool });
  }
  const election: ElectionInput = {
    assignments,
    nodes,
    pools: config.pools,
    l2Advertisements: config.l2Advertisements,
    endpointSlices: [],
    speakers: input.speakers ?? assumedSpeakers(nodes),
    endpointsTracked: false,
  };
  const plan = electL2(election, input.memo);
  const elsewhere: ElsewhereVip[] = plan
    .filter((a) => a.node !== input.node)
    .map((a) => ({ ip: a.ip, service: a.service, node: a.node, reason: a.reason }));
  const won = vipsAnnouncedBy(input.node, plan);
  const takeover = takeoverVips({
    self: input.node,
    won: won.map((v) => v.ip),
    previousOwners: input.before === undefined ? new Map() : electionOwners(input.node, input.before),
    speakers: input.speakers,
  });
  const announce: DesiredVip[] = won.map((v) => (takeover.has(v.ip) ? { ...v, takeover: true } : v));
  const standby = input.speakers === undefined ? [] : standbyVips(input.node, election, announce, input.memo);
  return { allocations, announce, elsewhere, standby, node: listed ? 'listed' : config.nodes.length === 0 ? 'assumed' : 'missing' };
}

/**
 * What `node` would announce if every other speaker died, minus what it announces already: the
 * VIPs it may take over, with the interfaces the L2Advertisements give it for them.
 */
function standbyVips(node: string, election: ElectionInput, announce: readonly DesiredVip[], memo: HashOrderMemo | undefined): DesiredVip[] {
  const held = new Set(announce.map((v) => v.ip));
  const alone = election.speakers.map((s) => ({ ...s, alive: s.node === node }));
  return vipsAnnouncedBy(node, electL2({ ...election, speakers: alone }, memo)).filter((v) => !held.has(v.ip));
}
