import type { BFDProfile, BGPPeer, ConfigSet, Node } from '../config/types.js';
import { parseAddressRange, parseIp, prefixOf, rangeToCidrs, formatCidr, type IpFamily } from '../net/ip.js';
import { anySelectorMatches } from '../selector.js';
import { advertisementsForPool } from '../election/advertisements.js';

/**
 * The router's side of every BGPPeer, independent of the router software: what the renderers for
 * BIRD, FRR, GoBGP and OpenWrt turn into configuration. Seen from the router, a BGPPeer's peerASN is
 * its own AS, its peerAddress its own address, and every node the peer selects is a neighbour in
 * myASN.
 */
export interface RouterNeighbour {
  readonly node: string;
  /** The node's address of the session's family; null when the Node lists none (rendered as a TODO). */
  readonly address: string | null;
  readonly remoteAs: number;
}

/** A prefix the router accepts: `prefix` and exactly `length`-long routes inside it. */
export interface AcceptedPrefix {
  readonly family: IpFamily;
  readonly prefix: string;
  readonly length: number;
}

export interface RouterSession {
  /** The BGPPeer's name, used to name protocols, peer groups and filters. */
  readonly peer: string;
  readonly family: IpFamily;
  readonly localAs: number;
  readonly routerAddress: string;
  /** The port airlb connects to (BGPPeer peerPort); the router must listen there. */
  readonly listenPort: number;
  readonly neighbours: readonly RouterNeighbour[];
  readonly password: string | null;
  /** Set when the password is in a Secret this command cannot read. */
  readonly passwordSecret: string | null;
  readonly holdTimeSeconds: number | null;
  readonly keepaliveSeconds: number | null;
  readonly multihop: boolean;
  readonly bfd: BFDProfile | null;
  readonly accepted: readonly AcceptedPrefix[];
}

export interface RouterModel {
  readonly sessions: readonly RouterSession[];
  /** Things the user must know (a node without an address, a peer with no prefixes...). */
  readonly warnings: readonly string[];
}

function nodeAddress(node: Node, family: IpFamily): string | null {
  const candidates = [...node.status.addresses].sort((a, b) => Number(b.type === 'InternalIP') - Number(a.type === 'InternalIP'));
  for (const a of candidates) {
    if (a.type !== 'InternalIP' && a.type !== 'ExternalIP') continue;
    const ip = parseIp(a.address);
    if (ip !== null && ip.family === family) return a.address;
  }
  return null;
}

/**
 * The prefixes a peer may receive: every pool a BGPAdvertisement sends it, at that advertisement's
 * aggregation length, of the session's own address family (each family gets its own session).
 */
function acceptedPrefixes(peer: BGPPeer, family: IpFamily, config: ConfigSet): AcceptedPrefix[] {
  const out = new Map<string, AcceptedPrefix>();
  for (const pool of config.pools) {
    const advertisements = advertisementsForPool(pool.metadata.name, pool, config.bgpAdvertisements).filter(
      (adv) => adv.spec.peers.length === 0 || adv.spec.peers.includes(peer.metadata.name),
    );
    for (const adv of advertisements) {
      for (const text of pool.spec.addresses) {
        const range = parseAddressRange(text);
        if (range === null || range.family !== family) continue;
        const length = range.family === 4 ? adv.spec.aggregationLength : adv.spec.aggregationLengthV6;
        for (const cidr of rangeToCidrs(range)) {
          // A route is the VIP masked to `length`: inside the pool's CIDR when length is longer,
          // the covering aggregate when it is shorter.
          const container = length >= cidr.prefixLength ? cidr : prefixOf({ family: cidr.family, value: cidr.base }, length);
          const prefix = formatCidr(container);
          out.set(`${prefix}|${length}`, { family: range.family, prefix, length });
        }
      }
    }
  }
  return [...out.values()];
}

export function buildRouterModel(config: ConfigSet): RouterModel {
  const warnings: string[] = [];
  const bfdByName = new Map(config.bfdProfiles.map((b) => [b.metadata.name, b]));
  const sessions = config.bgpPeers.map((peer): RouterSession => {
    const routerIp = parseIp(peer.spec.peerAddress);
    const family: IpFamily = routerIp?.family ?? 4;
    const neighbours = config.nodes
      .filter((n) => anySelectorMatches(peer.spec.nodeSelectors, n.metadata.labels))
      .map((n) => ({ node: n.metadata.name, address: nodeAddress(n, family), remoteAs: peer.spec.myASN }));
    for (const n of neighbours) {
      if (n.address === null) warnings.push(`Node ${n.node} has no IPv${family} InternalIP in status.addresses: fill in its address for BGPPeer ${peer.metadata.name}`);
    }
    if (config.nodes.length === 0) warnings.push(`no Node manifests in the input: add them (kubectl get nodes -o yaml) so BGPPeer ${peer.metadata.name} gets one neighbour per node`);
    const accepted = acceptedPrefixes(peer, family, config);
    if (accepted.length === 0) warnings.push(`no BGPAdvertisement sends any pool to BGPPeer ${peer.metadata.name}: the router would accept nothing`);
    const secret = peer.spec.passwordSecret;
    return {
      peer: peer.metadata.name,
      family,
      localAs: peer.spec.peerASN,
      routerAddress: peer.spec.peerAddress,
      listenPort: peer.spec.peerPort,
      neighbours,
      password: peer.spec.password,
      passwordSecret: secret === null ? null : `${secret.namespace}/${secret.name}`,
      holdTimeSeconds: peer.spec.holdTimeMs === null ? null : Math.round(peer.spec.holdTimeMs / 1000),
      keepaliveSeconds: peer.spec.keepaliveTimeMs === null ? null : Math.round(peer.spec.keepaliveTimeMs / 1000),
      multihop: peer.spec.ebgpMultiHop,
      bfd: peer.spec.bfdProfile === null ? null : (bfdByName.get(peer.spec.bfdProfile) ?? null),
      accepted,
    };
  });
  if (sessions.length === 0) warnings.push('no BGPPeer in the input: there is nothing to configure on the router');
  return { sessions, warnings };
}

/** A name usable as an identifier in every router's syntax (letters, digits, underscores). */
export function identifier(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'x';
}
