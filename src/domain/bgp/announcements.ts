import type { BGPAdvertisement, BGPPeer, Community, EndpointSlice, IPAddressPool, Node } from '../config/types.js';
import { formatCommunity, resolveCommunities } from '../config/community.js';
import { anySelectorMatches } from '../selector.js';
import { advertisementsForPool, advertisementsForService } from '../election/advertisements.js';
import { servingEndpointsByService } from '../election/eligibility.js';
import { EXCLUDE_FROM_LB_LABEL } from '../election/eligibility.js';
import type { ServiceAssignment, SpeakerFacts } from '../election/types.js';
import { formatCidr, parseIp, prefixOf } from '../net/ip.js';

export interface BgpPlanInput {
  readonly assignments: readonly ServiceAssignment[];
  readonly nodes: readonly Node[];
  readonly pools: readonly IPAddressPool[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly communities: readonly Community[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly speakers: readonly SpeakerFacts[];
  /** See ElectionInput.endpointsTracked: false when nothing reports endpoints. */
  readonly endpointsTracked?: boolean;
}

/**
 * One route as a node sends it to a group of its peers. Routes that differ only in the peers that
 * receive them are one entry; localPref differs between iBGP and eBGP peers of the same node, so
 * those are separate entries.
 */
export interface BgpAnnouncement {
  readonly prefix: string;
  readonly node: string;
  /** BGPPeer names, sorted. */
  readonly peers: readonly string[];
  /** Text form ("65000:100", "large:1:2:3"), sorted and without duplicates. */
  readonly communities: readonly string[];
  /** LOCAL_PREF is only sent to iBGP peers (RFC 4271 §5.1.5), so it is null towards eBGP peers. */
  readonly localPref: number | null;
  /** "namespace/name" of every Service behind the prefix (several with sharing or aggregation). */
  readonly services: readonly string[];
}

function nodeCanAnnounce(node: Node, speaker: SpeakerFacts | undefined): boolean {
  if (speaker === undefined || !speaker.alive) return false;
  if (node.status.conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')) return false;
  return !Object.prototype.hasOwnProperty.call(node.metadata.labels, EXCLUDE_FROM_LB_LABEL);
}

/** The BGPPeers a node has sessions with (MetalLB: peers whose nodeSelectors match; none = all nodes). */
export function peersOfNode(peers: readonly BGPPeer[], node: Node): BGPPeer[] {
  // A peer given by `interface` (BGP unnumbered) has no address to connect to; validation warns
  // that airlb cannot open it, and it must not reach the speakers as an empty peerAddress.
  return peers.filter((p) => p.spec.interface === undefined && anySelectorMatches(p.spec.nodeSelectors, node.metadata.labels));
}

function isInternal(peer: BGPPeer): boolean {
  if (peer.spec.dynamicASN !== null) return peer.spec.dynamicASN === 'internal';
  return peer.spec.myASN === peer.spec.peerASN;
}

interface Accumulated {
  prefix: string;
  node: string;
  localPref: number | null;
  communities: Set<string>;
  peers: Set<string>;
  services: Set<string>;
}

/**
 * What every node announces to every peer, with MetalLB's semantics: the BGPAdvertisements that
 * cover the VIP's pool (by name or selector, or all pools) and select the Service (serviceSelectors,
 * matched on the Service's labels, so every IP of a dual-stack Service alike), the nodes they
 * select, the peers they name (none = every peer of the node); with externalTrafficPolicy Local only nodes with a serving
 * endpoint announce, with Cluster every eligible node does (ECMP on the router); no serving
 * endpoint anywhere → nothing is announced. The prefix is the VIP masked to aggregationLength
 * (IPv4) or aggregationLengthV6, so several VIPs may share one announced prefix.
 */
export function planBgp(input: BgpPlanInput): BgpAnnouncement[] {
  const tracked = input.endpointsTracked !== false;
  const serving = servingEndpointsByService(input.endpointSlices);
  const speakers = new Map(input.speakers.map((s) => [s.node, s]));
  const pools = new Map(input.pools.map((p) => [p.metadata.name, p]));
  const acc = new Map<string, Accumulated>();

  for (const a of input.assignments) {
    const serviceName = `${a.service.metadata.namespace}/${a.service.metadata.name}`;
    const endpoints = serving.get(serviceName);
    if (tracked && (endpoints === undefined || !endpoints.any)) continue;
    const local = tracked && a.service.spec.externalTrafficPolicy === 'Local';
    const advertisements = advertisementsForService(a.service, advertisementsForPool(a.pool, pools.get(a.pool), input.bgpAdvertisements));
    if (advertisements.length === 0) continue;
    for (const node of input.nodes) {
      const name = node.metadata.name;
      if (!nodeCanAnnounce(node, speakers.get(name))) continue;
      if (local && endpoints?.nodes.has(name) !== true) continue;
      const nodePeers = peersOfNode(input.bgpPeers, node);
      for (const adv of advertisements) {
        if (!anySelectorMatches(adv.spec.nodeSelectors, node.metadata.labels)) continue;
        const peers = adv.spec.peers.length === 0 ? nodePeers : nodePeers.filter((p) => adv.spec.peers.includes(p.metadata.name));
        const communities = resolveCommunities(adv, input.communities).map(formatCommunity);
        for (const ipText of a.ips) {
          const ip = parseIp(ipText);
          if (ip === null) continue;
          const length = ip.family === 4 ? adv.spec.aggregationLength : adv.spec.aggregationLengthV6;
          const prefix = formatCidr(prefixOf(ip, length));
          for (const peer of peers) {
            const localPref = isInternal(peer) ? adv.spec.localPref : null;
            const key = `${prefix}|${name}|${localPref ?? ''}|${peer.metadata.name}`;
            // One route per (prefix, node, peer): advertisements that overlap add their communities.
            let entry = acc.get(key);
            if (entry === undefined) {
              entry = { prefix, node: name, localPref, communities: new Set(), peers: new Set([peer.metadata.name]), services: new Set() };
              acc.set(key, entry);
            }
            for (const c of communities) entry.communities.add(c);
            entry.services.add(serviceName);
          }
        }
      }
    }
  }
  return groupByAttributes([...acc.values()]);
}

/** Merges per-peer routes with identical attributes into one entry listing the peers. */
function groupByAttributes(routes: readonly Accumulated[]): BgpAnnouncement[] {
  const grouped = new Map<string, { base: Accumulated; peers: Set<string>; services: Set<string> }>();
  for (const r of routes) {
    const communities = [...r.communities].sort();
    const key = `${r.prefix}|${r.node}|${r.localPref ?? ''}|${communities.join(',')}`;
    let g = grouped.get(key);
    if (g === undefined) {
      g = { base: r, peers: new Set(), services: new Set() };
      grouped.set(key, g);
    }
    for (const p of r.peers) g.peers.add(p);
    for (const s of r.services) g.services.add(s);
  }
  return [...grouped.values()]
    .map(({ base, peers, services }) => ({
      prefix: base.prefix,
      node: base.node,
      peers: [...peers].sort(),
      communities: [...base.communities].sort(),
      localPref: base.localPref,
      services: [...services].sort(),
    }))
    .sort((x, y) => (x.prefix < y.prefix ? -1 : x.prefix > y.prefix ? 1 : x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
}
