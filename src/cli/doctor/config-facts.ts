import type { AllocationFacts, AnnouncementFacts, Uplink } from '../../domain/doctor/facts.js';
import type { FixContext } from '../../domain/doctor/fixes.js';
import type { ConfigSet, Node } from '../../domain/config/types.js';
import { EXCLUDE_FROM_LB_LABEL } from '../../domain/election/eligibility.js';
import { UsageError } from '../../errors.js';
import type { Plan } from '../plan/build-plan.js';

/** What the configuration (and its offline plan) says about one VIP. */
export interface ConfigFacts {
  /** The VIP diagnosed: the one asked for, or the one the configuration points at. */
  readonly vip: string | null;
  readonly allocation: AllocationFacts | null;
  readonly announcement: AnnouncementFacts | null;
  readonly excludedNodes: readonly string[];
  readonly bgpNodes: readonly string[];
  readonly ctx: FixContext;
}

/**
 * A node's uplink from its labels: airlb's own `airlb.io/uplink` (wired|wireless), the lab's
 * `airlb.io/link` (wired|wifi), or the field guide's `network: ethernet`.
 */
export function uplinkFromLabels(labels: Readonly<Record<string, string>>): Uplink {
  const value = labels['airlb.io/uplink'] ?? labels['airlb.io/link'];
  if (value === 'wired' || labels['network'] === 'ethernet') return 'wired';
  if (value === 'wireless' || value === 'wifi') return 'wireless';
  return 'unknown';
}

export function internalIpv4(node: Node | undefined): string | null {
  const addresses = node?.status.addresses ?? [];
  const v4 = addresses.filter((a) => !a.address.includes(':'));
  return (v4.find((a) => a.type === 'InternalIP') ?? v4[0])?.address ?? null;
}

/**
 * The VIP to diagnose when none is given: a pending Service first (its problem is the
 * configuration's), else the only announced address. More than one: the user must pick.
 */
function pickVip(plan: Plan): { vip: string | null; pending: AllocationFacts | null } {
  const pending = plan.services.find((s) => s.ips.length === 0);
  if (pending !== undefined) return { vip: null, pending: { ...pending } };
  const vips = [...new Set(plan.services.flatMap((s) => s.ips))];
  if (vips.length === 1) return { vip: vips[0]!, pending: null };
  throw new UsageError(
    vips.length === 0
      ? "doctor: the configuration has no LoadBalancer Service with an address; give --vip IP (see 'airlb doctor --help')"
      : `doctor: which address? give --vip with one of ${vips.join(', ')}`,
  );
}

export function configFacts(config: ConfigSet, plan: Plan, vip: string | null): ConfigFacts {
  let allocation: AllocationFacts | null = null;
  if (vip === null) {
    const picked = pickVip(plan);
    vip = picked.vip;
    allocation = picked.pending;
  }
  const target = vip;
  const entry = target === null ? undefined : plan.services.find((s) => s.ips.includes(target));
  if (entry !== undefined) allocation = { namespace: entry.namespace, name: entry.name, ips: entry.ips, pool: entry.pool, reason: entry.reason, error: entry.error };
  const nodes = new Map(config.nodes.map((n) => [n.metadata.name, n]));
  const l2 = target === null ? undefined : plan.l2.find((a) => a.ip === target);
  // A VIP routed by BGP needs no ARP: "no L2Advertisement" is then no problem.
  const bgpNodes = entry === undefined ? [] : [...new Set(plan.bgp.filter((r) => r.services.includes(`${entry.namespace}/${entry.name}`)).map((r) => r.node))].sort();
  const routed = bgpNodes.length > 0;
  let announcement: AnnouncementFacts | null = null;
  if (l2 !== undefined && (l2.node !== null || !routed)) {
    const node = l2.node === null ? undefined : nodes.get(l2.node);
    announcement = {
      node: l2.node,
      reason: l2.reason,
      interface: l2.interfaces.length === 1 ? l2.interfaces[0]! : null,
      mac: null,
      uplink: node === undefined ? 'unknown' : uplinkFromLabels(node.metadata.labels),
      nodeIp: internalIpv4(node),
    };
  }
  const pool = allocation?.pool ?? config.pools[0]?.metadata.name ?? null;
  const namespace = config.pools.find((p) => p.metadata.name === pool)?.metadata.namespace ?? 'metallb-system';
  return {
    vip,
    allocation,
    announcement,
    bgpNodes,
    excludedNodes: config.nodes.filter((n) => n.metadata.labels[EXCLUDE_FROM_LB_LABEL] !== undefined).map((n) => n.metadata.name),
    ctx: { pool, namespace, wiredNodes: config.nodes.filter((n) => uplinkFromLabels(n.metadata.labels) === 'wired').map((n) => n.metadata.name) },
  };
}
