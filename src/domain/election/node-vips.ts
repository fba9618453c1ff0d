import type { L2Announcement } from './types.js';

/** One VIP a node announces, with every Service on it. */
export interface NodeVip {
  /** Canonical text, as the allocator formats it. */
  readonly ip: string;
  /** "namespace/name" of every Service on the VIP, sorted (several when they share it). */
  readonly services: readonly string[];
  readonly pool: string;
  /** MetalLB's IPAdvertisement shape: every eligible interface, or only `interfaces`. */
  readonly allInterfaces: boolean;
  /** Sorted; empty when allInterfaces is true. */
  readonly interfaces: readonly string[];
}

/**
 * The VIPs `node` won in an election, one entry per address, sorted by IP text. Services sharing
 * a VIP (allow-shared-ip) come from one pool, so they have the same advertisements; the VIP is
 * announced once, on the union of their interfaces to be safe.
 */
export function vipsAnnouncedBy(node: string, elected: readonly L2Announcement[]): NodeVip[] {
  const byIp = new Map<string, { services: string[]; pool: string; allInterfaces: boolean; interfaces: Set<string> }>();
  for (const a of elected) {
    if (a.node !== node) continue;
    const seen = byIp.get(a.ip);
    if (seen === undefined) {
      byIp.set(a.ip, { services: [a.service], pool: a.pool, allInterfaces: a.allInterfaces, interfaces: new Set(a.interfaces) });
    } else {
      seen.services.push(a.service);
      seen.allInterfaces ||= a.allInterfaces;
      for (const name of a.interfaces) seen.interfaces.add(name);
    }
  }
  return [...byIp]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([ip, v]) => ({
      ip,
      services: v.services.sort(),
      pool: v.pool,
      allInterfaces: v.allInterfaces,
      interfaces: v.allInterfaces ? [] : [...v.interfaces].sort(),
    }));
}
