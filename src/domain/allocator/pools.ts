import { AirlbError } from '../../errors.js';
import type { IPAddressPool, Namespace, Service, ServiceAllocation } from '../config/types.js';
import { formatIpValue, parseAddressRange, type Ip, type IpFamily, type IpRange } from '../net/ip.js';
import { anySelectorMatches } from '../selector.js';

/** One IPAddressPool, compiled: its ranges per family sorted and merged. */
export interface Pool {
  readonly name: string;
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly allocation: ServiceAllocation | null;
  /** Ascending, disjoint, non-adjacent ranges. */
  readonly ranges: { readonly 4: readonly IpRange[]; readonly 6: readonly IpRange[] };
}

/**
 * MetalLB's avoidBuggyIPs: IPv4 addresses ending in .0 or .255 are skipped because some consumer
 * routers' smurf-attack protection drops traffic to them (they look like directed broadcasts,
 * RFC 919 / RFC 2644). IPv6 has no broadcast addresses (RFC 4291 §2), so nothing is skipped there.
 */
export function confusesBuggyFirmware(family: IpFamily, value: bigint): boolean {
  if (family !== 4) return false;
  const last = value & 0xffn;
  return last === 0n || last === 0xffn;
}

/** A pool's priority; MetalLB treats 0 like an absent priority (the CRD default). */
function priorityOf(pool: Pool): number {
  const p = pool.allocation?.priority ?? null;
  return p === null || p === 0 ? Number.POSITIVE_INFINITY : p;
}

/** Whether serviceAllocation restricts the pool to some namespaces or Services. */
function isLimited(pool: Pool): boolean {
  const a = pool.allocation;
  return a !== null && (a.namespaces.length > 0 || a.namespaceSelectors.length > 0 || a.serviceSelectors.length > 0);
}

function mergeRanges(ranges: IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: IpRange[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.first <= prev.last + 1n) {
      if (r.last > prev.last) out[out.length - 1] = { family: prev.family, first: prev.first, last: r.last };
    } else {
      out.push(r);
    }
  }
  return out;
}

function compilePool(resource: IPAddressPool): Pool {
  const byFamily: { 4: IpRange[]; 6: IpRange[] } = { 4: [], 6: [] };
  resource.spec.addresses.forEach((text, i) => {
    const range = parseAddressRange(text);
    if (range === null) {
      throw new AirlbError(
        'invalid-pool-address',
        `${resource.origin.file}:${resource.origin.fieldLines.get(`spec.addresses[${i}]`) ?? resource.origin.line}: IPAddressPool/${resource.metadata.name}: spec.addresses[${i}]: "${text}" is neither a CIDR nor a "first-last" range; run \`airlb validate\``,
      );
    }
    byFamily[range.family].push(range);
  });
  return {
    name: resource.metadata.name,
    autoAssign: resource.spec.autoAssign,
    avoidBuggyIPs: resource.spec.avoidBuggyIPs,
    allocation: resource.spec.serviceAllocation,
    ranges: { 4: mergeRanges(byFamily[4]), 6: mergeRanges(byFamily[6]) },
  };
}

interface Segment {
  readonly first: bigint;
  readonly last: bigint;
  readonly pool: Pool;
}

/** Namespace labels, with the `kubernetes.io/metadata.name` label the API server sets on every namespace. */
function namespaceLabels(namespaces: readonly Namespace[]): Map<string, Readonly<Record<string, string>>> {
  const out = new Map<string, Readonly<Record<string, string>>>();
  for (const ns of namespaces) {
    out.set(ns.metadata.name, { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name });
  }
  return out;
}

/**
 * The configured pools: lookup by name, by address (binary search over every pool's ranges), and
 * the order in which automatic allocation tries them.
 */
export class PoolSet {
  readonly byName: ReadonlyMap<string, Pool>;
  /** Lower priority number first; no priority after; then limited pools; then by name. */
  readonly ordered: readonly Pool[];
  private readonly segments: { readonly 4: readonly Segment[]; readonly 6: readonly Segment[] };
  private readonly nsLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;

  /** Throws AirlbError `invalid-pool-address` or `pool-overlap` on input the validator refuses. */
  constructor(resources: readonly IPAddressPool[], namespaces: readonly Namespace[]) {
    const pools = resources.map(compilePool);
    const byName = new Map<string, Pool>();
    for (const pool of pools) {
      if (byName.has(pool.name)) {
        throw new AirlbError('duplicate-pool', `IPAddressPool/${pool.name} is defined twice; rename one`);
      }
      byName.set(pool.name, pool);
    }
    this.byName = byName;
    this.ordered = [...pools].sort(
      (a, b) =>
        priorityOf(a) - priorityOf(b) ||
        Number(isLimited(b)) - Number(isLimited(a)) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    this.segments = { 4: segmentsOf(pools, 4), 6: segmentsOf(pools, 6) };
    this.nsLabels = namespaceLabels(namespaces);
  }

  /**
   * The pool that owns the address, or null. As MetalLB, a .0/.255 address of a pool with
   * avoidBuggyIPs belongs to no pool.
   */
  ownerOf(ip: Ip): Pool | null {
    const segs = this.segments[ip.family];
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid]!;
      if (ip.value < s.first) hi = mid - 1;
      else if (ip.value > s.last) lo = mid + 1;
      else return s.pool.avoidBuggyIPs && confusesBuggyFirmware(ip.family, ip.value) ? null : s.pool;
    }
    return null;
  }

  /**
   * MetalLB's serviceAllocation filter: the namespace must be listed in `namespaces` or match a
   * `namespaceSelectors` entry (no restriction when both are empty), and the Service's labels must
   * match one of `serviceSelectors` (no restriction when empty).
   */
  serves(pool: Pool, service: Service): boolean {
    const a = pool.allocation;
    if (a === null) return true;
    const ns = service.metadata.namespace;
    if (a.namespaces.length > 0 || a.namespaceSelectors.length > 0) {
      const labels = this.nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
      const listed = a.namespaces.includes(ns);
      const selected = a.namespaceSelectors.length > 0 && anySelectorMatches(a.namespaceSelectors, labels);
      if (!listed && !selected) return false;
    }
    return anySelectorMatches(a.serviceSelectors, service.metadata.labels);
  }
}

function segmentsOf(pools: readonly Pool[], family: IpFamily): Segment[] {
  const segs: Segment[] = [];
  for (const pool of pools) for (const r of pool.ranges[family]) segs.push({ first: r.first, last: r.last, pool });
  segs.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  for (let i = 1; i < segs.length; i++) {
    const prev = segs[i - 1]!;
    const cur = segs[i]!;
    if (cur.first <= prev.last) {
      throw new AirlbError(
        'pool-overlap',
        `IPAddressPool/${prev.pool.name} and IPAddressPool/${cur.pool.name} both contain ${formatIpValue(family, cur.first)}; an address may belong to one pool only`,
      );
    }
  }
  return segs;
}
