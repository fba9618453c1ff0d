import type { Node } from '../config/types.js';
import { canonicalIp, parseIp, type IpFamily } from '../net/ip.js';

/**
 * Who this speaker watches with BFD: every other Node, at its first InternalIP of the family the
 * speaker itself uses (BFD single hop runs over one family per endpoint, RFC 5881 §2). The
 * addresses come from status.addresses, the same place kubelet publishes them and the place a
 * standalone YAML writes them, so every speaker derives the same peer list from the same objects.
 */

/** The Kubernetes address type of the node network. */
export const INTERNAL_IP = 'InternalIP';

export interface SpeakerPeer {
  readonly node: string;
  /** Canonical text; null when the Node publishes no InternalIP of the speaker's family. */
  readonly address: string | null;
}

/** The Node's first InternalIP of `family`, canonical, or null. */
export function internalAddress(node: Node, family: IpFamily): string | null {
  for (const a of node.status.addresses) {
    if (a.type !== INTERNAL_IP) continue;
    const ip = parseIp(a.address);
    if (ip !== null && ip.family === family) return canonicalIp(a.address);
  }
  return null;
}

/** The node's own first InternalIP of either family (IPv4 first: it is what every LAN has). */
export function ownAddress(node: Node): string | null {
  return internalAddress(node, 4) ?? internalAddress(node, 6);
}

/** Every Node but `self`, sorted by name, with its address in `family`. */
export function speakerPeers(nodes: readonly Node[], self: string, family: IpFamily): SpeakerPeer[] {
  return nodes
    .filter((n) => n.metadata.name !== self)
    .map((n) => ({ node: n.metadata.name, address: internalAddress(n, family) }))
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}
