import type { Node } from '../domain/config/types.js';
import { internalAddress } from '../domain/membership/peers.js';
import { canonicalIp } from '../domain/net/ip.js';
import { toResource } from './convert.js';
import { isJsonObject, metaOf, type JsonObject } from './json.js';
import { L2_STATUS_LABELS } from './l2-status.js';
import { RESOURCES } from './resources.js';
import { ingressIps } from './service-status.js';

/**
 * Who announces a VIP in layer 2, as the cluster tells it, for `airlb arp-pin --kubeconfig`. Pure.
 *
 * The VIP's Services are those whose status.loadBalancer.ingress holds it; the nodes announcing
 * them are the ones whose ServiceL2Status (one per node and Service, MetalLB's shape) names one of
 * those Services. Normally that is one node. During a failover, or after a speaker died without
 * removing its objects, it can be two: the newest object is the most likely owner (a takeover
 * creates one), and the caller settles it with an ARP probe for the VIP when it can.
 */

export interface ReportedOwner {
  readonly node: string;
  /** The node's IPv4 InternalIP, where the caller learns its MAC; null when the Node publishes none. */
  readonly address: string | null;
  /** The ServiceL2Status object's creationTimestamp: when this node started announcing. */
  readonly since: string;
}

/** The nodes reporting `vip`, newest report first; [] when no Service has it or nobody reports it. */
export function reportedOwners(vip: string, services: readonly JsonObject[], l2Statuses: readonly JsonObject[], nodes: readonly JsonObject[]): ReportedOwner[] {
  const ip = canonicalIp(vip);
  const keys = new Set(services.filter((s) => ingressIps(s).some((i) => canonicalIp(i) === ip)).map((s) => `${metaOf(s).namespace}/${metaOf(s).name}`));
  const byName = new Map<string, Node>();
  for (const obj of nodes) {
    const node = toResource(RESOURCES.node, obj);
    if (node?.kind === 'Node') byName.set(node.metadata.name, node);
  }
  const newest = new Map<string, string>();
  for (const obj of l2Statuses) {
    const labels = metaOf(obj).labels;
    const key = `${labels[L2_STATUS_LABELS.serviceNamespace] ?? ''}/${labels[L2_STATUS_LABELS.serviceName] ?? ''}`;
    const status = obj['status'];
    const node = isJsonObject(status) && typeof status['node'] === 'string' ? status['node'] : (labels[L2_STATUS_LABELS.node] ?? '');
    if (!keys.has(key) || node === '') continue;
    const meta = obj['metadata'];
    const since = isJsonObject(meta) && typeof meta['creationTimestamp'] === 'string' ? meta['creationTimestamp'] : '';
    if ((newest.get(node) ?? '') <= since) newest.set(node, since);
  }
  return [...newest]
    .map(([node, since]) => {
      const n = byName.get(node);
      return { node, since, address: n === undefined ? null : internalAddress(n, 4) };
    })
    .sort((a, b) => (a.since !== b.since ? (a.since < b.since ? 1 : -1) : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/**
 * One owner among the reported ones whose MAC is known (newest first): the only one; else the one
 * whose MAC alone answered an ARP request for the VIP (`vipMacs`, null when not probed); else the
 * newest.
 */
export function chooseOwner(candidates: readonly { readonly node: string; readonly mac: string }[], vipMacs: readonly string[] | null): { node: string; mac: string } | null {
  if (candidates.length <= 1) return candidates[0] ?? null;
  const answering = candidates.filter((c) => vipMacs?.includes(c.mac) === true);
  return answering.length === 1 ? answering[0]! : candidates[0]!;
}
