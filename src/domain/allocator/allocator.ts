import type { IPAddressPool, Namespace, Service } from '../config/types.js';
import { formatIpValue, parseIp, type Ip, type IpFamily } from '../net/ip.js';
import { AddressSpace } from './address-space.js';
import { fail, type Failure } from './failure.js';
import { confusesBuggyFirmware, PoolSet, type Pool } from './pools.js';
import { ANNOTATION, readRequest, serviceKey, unhandledReason, type AllocationRequest } from './request.js';
import { checkSharing, type Sharer } from './sharing.js';

export type AssignResult = { readonly ok: true; readonly ips: readonly string[]; readonly pool: string } | Failure;

/** One Service's addresses, as persisted in a state file or printed by `airlb plan`. */
export interface AssignmentRecord {
  readonly namespace: string;
  readonly name: string;
  /** Primary family first. */
  readonly ips: readonly string[];
  readonly pool: string;
}

export interface ReloadResult {
  /** Services whose addresses are no longer in one pool; released, to be assigned again. */
  readonly released: readonly AssignmentRecord[];
}

export interface AllocatorOptions {
  /** The spec.loadBalancerClass airlb answers to besides "no class"; null = only classless Services. */
  readonly loadBalancerClass?: string | null;
}

/** Allocation state of one pool: a free-address structure and a sharing index per family. */
interface PoolState {
  readonly pool: Pool;
  readonly spaces: { readonly 4: AddressSpace; readonly 6: AddressSpace };
  /** sharing index: "sharingKey\0backendKey" → addresses of this pool held under that key. */
  readonly shared: { readonly 4: Map<string, Set<bigint>>; readonly 6: Map<string, Set<bigint>> };
}

/** A Service's hold on its addresses. Mutable: refreshed in place when the Service changes. */
interface Assignment extends Sharer {
  readonly namespace: string;
  readonly name: string;
  sharingKey: string;
  backendKey: string;
  ports: readonly string[];
  /** Primary family first; replaced (never mutated) so results handed out stay valid. */
  ips: readonly Ip[];
  texts: readonly string[];
  state: PoolState;
}

/** Who holds an address: one Assignment, or several sharing it (the common case needs no array). */
type Holders = Assignment | Assignment[];

function holderList(h: Holders): readonly Assignment[] {
  return Array.isArray(h) ? h : [h];
}

function firstHolder(h: Holders): Assignment {
  return Array.isArray(h) ? h[0]! : h;
}

/** Ports matter only between Services that share; not keeping them otherwise saves memory. */
const NO_PORTS: readonly string[] = [];

/** Text of an address; IPv4 through plain number arithmetic, as this runs once per allocation. */
function textOf(ip: Ip): string {
  if (ip.family === 6) return formatIpValue(6, ip.value);
  const n = Number(ip.value);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

type Validation = { readonly ok: true; readonly state: PoolState } | Failure;

const familyName = (f: IpFamily): string => (f === 4 ? 'IPv4' : 'IPv6');

function shareIndexKey(s: Sharer): string {
  return `${s.sharingKey}\0${s.backendKey}`;
}

/**
 * MetalLB-compatible IPAM: pools, and which Service holds which addresses. Pure and
 * deterministic (no I/O, no clock): the same calls in the same order give the same addresses.
 *
 * Usage: `setPools` on every config change, then `assign` every LoadBalancer Service (an
 * assignment that still satisfies its Service is kept as is, so reloads move nothing); `release`
 * on delete. After a restart, `restore` the addresses Services already had (status or state file)
 * before assigning any new Service, so that nothing moves.
 */
export class Allocator {
  private pools: PoolSet = new PoolSet([], []);
  private readonly states = new Map<Pool, PoolState>();
  private readonly holders: { readonly 4: Map<bigint, Holders>; readonly 6: Map<bigint, Holders> } = {
    4: new Map(),
    6: new Map(),
  };
  private readonly byService = new Map<string, Assignment>();
  private readonly loadBalancerClass: string | null;

  constructor(options: AllocatorOptions = {}) {
    this.loadBalancerClass = options.loadBalancerClass ?? null;
  }

  /**
   * Replaces the pools (and namespace labels used by namespaceSelectors). Assignments whose
   * addresses are still in one pool are kept, whatever the pool is now called; the others are
   * released and returned. Throws AirlbError (`invalid-pool-address`, `pool-overlap`,
   * `duplicate-pool`) without changing anything when the pools are invalid.
   */
  setPools(pools: readonly IPAddressPool[], namespaces: readonly Namespace[]): ReloadResult {
    this.pools = new PoolSet(pools, namespaces);
    this.states.clear();
    for (const pool of this.pools.ordered) this.states.set(pool, this.newState(pool));
    const released: Assignment[] = [];
    for (const a of this.byService.values()) {
      const owner = this.pools.ownerOf(a.ips[0]!);
      const state = owner === null ? undefined : this.states.get(owner);
      if (state === undefined || a.ips.some((ip) => this.pools.ownerOf(ip) !== owner)) {
        released.push(a);
      } else {
        a.state = state;
      }
    }
    for (const a of released) this.drop(a, false);
    for (const family of [4, 6] as const) {
      for (const [value, h] of this.holders[family]) this.index(firstHolder(h), family, value, true);
    }
    return { released: released.map(recordOf).sort(byNamespaceName) };
  }

  /**
   * Gives the Service its addresses: keeps a current assignment that still satisfies it, else
   * takes the requested addresses, else allocates from the requested pool or the first pool
   * (in priority order) that can serve it, lowest free (or legally shared) address first.
   * A Service that is not ours, or whose request cannot be met, loses any address it held.
   */
  assign(service: Service): AssignResult {
    const key = serviceKey(service.metadata.namespace, service.metadata.name);
    const read = this.readOurs(service);
    if (!read.ok) {
      this.releaseKey(key);
      return read;
    }
    const req = read.request;
    const sharer = sharerOf(key, req);
    const existing = this.byService.get(key);
    if (existing !== undefined) {
      const kept = this.validate(service, req, existing.ips, sharer);
      if (kept.ok) {
        this.refresh(existing, sharer);
        if (req.mode === 'prefer' && existing.ips.length === 1 && req.ips.length === 0) this.addMissingFamily(existing, req);
        return resultOf(existing);
      }
      this.releaseKey(key);
    }
    if (req.ips.length > 0) {
      const checked = this.validate(service, req, req.ips, sharer);
      if (!checked.ok) return checked;
      return resultOf(this.hold(service, sharer, orderByFamily(req.ips, req.families), checked.state));
    }
    return this.allocate(service, req, sharer);
  }

  /**
   * Re-establishes addresses the Service held before a restart (from status.loadBalancerIngress
   * or a state file), provided they still satisfy its request and the pools; otherwise returns
   * why and changes nothing (the caller then assigns the Service afresh).
   */
  restore(service: Service, ips: readonly string[]): AssignResult {
    const key = serviceKey(service.metadata.namespace, service.metadata.name);
    const read = this.readOurs(service);
    if (!read.ok) return read;
    const req = read.request;
    const parsed: Ip[] = [];
    for (const text of ips) {
      const ip = parseIp(text);
      if (ip === null) return fail('invalid-request', `Service ${key}: recorded address "${text}" is not an IP address`);
      parsed.push(ip);
    }
    if (parsed.length === 0) return fail('invalid-request', `Service ${key}: no recorded address to restore`);
    if (req.ips.length > 0 && !sameAddresses(req.ips, parsed)) {
      return fail(
        'stale-assignment',
        `Service ${key} had ${ips.join(', ')} but now requests ${req.ips.map(textOf).join(', ')}`,
      );
    }
    const sharer = sharerOf(key, req);
    const checked = this.validate(service, req, parsed, sharer);
    if (!checked.ok) return checked;
    this.releaseKey(key);
    return resultOf(this.hold(service, sharer, orderByFamily(parsed, req.families), checked.state));
  }

  /** Frees the Service's addresses (Service deleted). False when it held none. */
  release(namespace: string, name: string): boolean {
    return this.releaseKey(serviceKey(namespace, name));
  }

  assignmentOf(namespace: string, name: string): AssignmentRecord | null {
    const a = this.byService.get(serviceKey(namespace, name));
    return a === undefined ? null : recordOf(a);
  }

  /** Every assignment, by namespace then name: what a state file persists. */
  assignments(): AssignmentRecord[] {
    return [...this.byService.values()].map(recordOf).sort(byNamespaceName);
  }

  // ------------------------------------------------------------------ internals

  private newState(pool: Pool): PoolState {
    const space = (family: IpFamily): AddressSpace => {
      const used = this.holders[family];
      return new AddressSpace(family, pool.ranges[family], pool.avoidBuggyIPs, (v) => used.has(v));
    };
    return { pool, spaces: { 4: space(4), 6: space(6) }, shared: { 4: new Map(), 6: new Map() } };
  }

  private readOurs(service: Service): { ok: true; request: AllocationRequest } | Failure {
    return unhandledReason(service, this.loadBalancerClass) ?? readRequest(service);
  }

  /**
   * Whether `ips` may be (or stay) the Service's addresses: right families, all in one pool,
   * that pool the requested one and serving the Service, and sharing allowed by every holder.
   */
  private validate(service: Service, req: AllocationRequest, ips: readonly Ip[], sharer: Sharer): Validation {
    const who = sharer.key;
    const list = (x: readonly Ip[], sep = ', '): string => x.map(textOf).join(sep);
    if (ips.length > 2 || (ips.length === 2 && ips[0]!.family === ips[1]!.family)) {
      return fail('too-many-ips', `Service ${who}: ${list(ips)} is more than one address per family`);
    }
    if (ips.some((ip) => !req.families.includes(ip.family))) {
      return fail('family-mismatch', `Service ${who} is ${req.families.map(familyName).join('/')}; ${list(ips)} do not fit`);
    }
    if (req.mode === 'require' && ips.length < 2) {
      return fail('family-mismatch', `Service ${who} requires both IPv4 and IPv6 but has only ${list(ips)}`);
    }
    if (req.ips.length > 0 && !sameAddresses(req.ips, ips)) {
      return fail('stale-assignment', `Service ${who} requests ${list(req.ips)}, not ${list(ips)}`);
    }
    const owners = ips.map((ip) => this.pools.ownerOf(ip));
    const missing = owners.indexOf(null);
    if (missing >= 0) {
      const ip = ips[missing]!;
      const buggy = confusesBuggyFirmware(ip.family, ip.value)
        ? ' (a .0 or .255 address is not in a pool that sets avoidBuggyIPs)'
        : '';
      return fail('ip-not-in-pool', `${textOf(ip)} requested by Service ${who} is in no IPAddressPool${buggy}; add it to a pool or request another address`);
    }
    const pool = owners[0]!;
    if (owners.some((p) => p !== pool)) {
      return fail('different-pools', `Service ${who}: ${list(ips, ' and ')} are in pools ${owners.map((p) => p!.name).join(' and ')}; both addresses must come from one pool`);
    }
    if (req.pool !== null && req.pool !== pool.name) {
      if (!this.pools.byName.has(req.pool)) return this.unknownPool(who, req.pool);
      return fail('ip-not-in-requested-pool', `${list(ips)} of Service ${who} belongs to pool ${pool.name}, not to the requested pool ${req.pool}`);
    }
    if (!this.pools.serves(pool, service)) return this.notAllowed(who, pool);
    for (const ip of ips) {
      const h = this.holders[ip.family].get(ip.value);
      // The Service alone on its own address (every re-assign) needs no sharing check.
      if (h === undefined || (!Array.isArray(h) && h.key === who)) continue;
      const refused = checkSharing(textOf(ip), holderList(h), sharer);
      if (refused !== null) return refused;
    }
    return { ok: true, state: this.states.get(pool)! };
  }

  private unknownPool(who: string, name: string): Failure {
    const known = [...this.pools.byName.keys()].sort();
    return fail('unknown-pool', `Service ${who} asks for pool ${name}, which does not exist (pools: ${known.length > 0 ? known.join(', ') : 'none'})`);
  }

  private notAllowed(who: string, pool: Pool): Failure {
    return fail('pool-not-allowed', `pool ${pool.name} does not serve Service ${who}: its serviceAllocation selects other namespaces or Services`);
  }

  /**
   * Automatic allocation, MetalLB's way: walk the candidate pools in order and take the first
   * that has a usable address of every needed family; a PreferDualStack Service that finds no
   * such pool takes one address, primary family first, from the first pool that has one.
   */
  private allocate(service: Service, req: AllocationRequest, sharer: Sharer): AssignResult {
    const who = sharer.key;
    let candidates: Pool[];
    if (req.pool !== null) {
      const pool = this.pools.byName.get(req.pool);
      if (pool === undefined) return this.unknownPool(who, req.pool);
      if (!this.pools.serves(pool, service)) return this.notAllowed(who, pool);
      candidates = [pool];
    } else {
      candidates = this.pools.ordered.filter((p) => p.autoAssign && this.pools.serves(p, service));
      if (candidates.length === 0) return this.noPool(service, who);
    }
    const [primary, secondary] = req.families;
    let servable = false;
    let fallback: { state: PoolState; ip: Ip } | null = null;
    let secondaryFallback: { state: PoolState; ip: Ip } | null = null;
    for (const pool of candidates) {
      const state = this.states.get(pool)!;
      const first = this.lowestCandidate(state, primary!, sharer);
      const second = secondary === undefined ? undefined : this.lowestCandidate(state, secondary, sharer);
      const hasFamilies = first !== undefined && (req.mode !== 'require' || second !== undefined);
      if (hasFamilies || (req.mode === 'prefer' && second !== undefined)) servable = true;
      if (req.mode === 'single') {
        if (first !== undefined && first !== null) return resultOf(this.hold(service, sharer, [{ family: primary!, value: first }], state));
        continue;
      }
      if (first !== undefined && first !== null && second !== undefined && second !== null) {
        return resultOf(this.hold(service, sharer, [{ family: primary!, value: first }, { family: secondary!, value: second }], state));
      }
      if (req.mode === 'prefer') {
        if (fallback === null && first !== undefined && first !== null) fallback = { state, ip: { family: primary!, value: first } };
        if (secondaryFallback === null && second !== undefined && second !== null) {
          secondaryFallback = { state, ip: { family: secondary!, value: second } };
        }
      }
    }
    const single = fallback ?? secondaryFallback;
    if (single !== null) return resultOf(this.hold(service, sharer, [single.ip], single.state));
    const names = candidates.map((p) => p.name).join(', ');
    const needed = req.mode === 'prefer' ? 'IPv4 or IPv6' : req.families.map(familyName).join(' and ');
    if (!servable) {
      if (req.pool !== null) return fail('pool-lacks-family', `pool ${req.pool} has no ${needed} range for Service ${who}`);
      return fail('no-pool-for-service', `no pool that serves Service ${who} automatically has ${needed} addresses (tried ${names})`);
    }
    return fail('pool-exhausted', `no free ${needed} address for Service ${who} in ${candidates.length > 1 ? 'pools' : 'pool'} ${names}`);
  }

  private noPool(service: Service, who: string): Failure {
    if (this.pools.ordered.length === 0) return fail('no-pool-for-service', `no IPAddressPool is configured, so Service ${who} gets no address`);
    const why = this.pools.ordered.slice(0, 6).map((p) => {
      if (!this.pools.serves(p, service)) return `${p.name} (serviceAllocation excludes namespace ${service.metadata.namespace} or these labels)`;
      return `${p.name} (autoAssign: false)`;
    });
    const more = this.pools.ordered.length > 6 ? ', ...' : '';
    return fail('no-pool-for-service', `no pool assigns addresses to Service ${who} automatically: ${why.join(', ')}${more}; add a pool or the ${ANNOTATION.addressPool[0]} annotation`);
  }

  /**
   * The lowest address of `family` in the pool the Service may take: the lowest free one, or a
   * lower one already held under the Service's sharing key when sharing is legal (MetalLB scans
   * upwards and stops at the first address either free or shareable). undefined when the pool
   * has no such family, null when nothing is usable.
   */
  private lowestCandidate(state: PoolState, family: IpFamily, sharer: Sharer): bigint | null | undefined {
    const space = state.spaces[family];
    if (space.isEmpty) return undefined;
    let best = space.lowestFree();
    if (sharer.sharingKey !== '') {
      const sharedHere = state.shared[family].get(shareIndexKey(sharer));
      if (sharedHere !== undefined) {
        for (const v of sharedHere) {
          if (best !== null && v >= best) continue;
          if (checkSharing('', holderList(this.holders[family].get(v)!), sharer) === null) best = v;
        }
      }
    }
    return best;
  }

  private hold(service: Service, sharer: Sharer, ips: Ip[], state: PoolState): Assignment {
    const a: Assignment = {
      key: sharer.key,
      namespace: service.metadata.namespace,
      name: service.metadata.name,
      sharingKey: sharer.sharingKey,
      backendKey: sharer.backendKey,
      ports: sharer.ports,
      ips,
      texts: ips.map(textOf),
      state,
    };
    for (const ip of ips) this.holdOne(a, ip);
    this.byService.set(a.key, a);
    return a;
  }

  private holdOne(a: Assignment, ip: Ip): void {
    const map = this.holders[ip.family];
    const h = map.get(ip.value);
    if (h === undefined) {
      map.set(ip.value, a);
      this.index(a, ip.family, ip.value, true);
    } else if (Array.isArray(h)) {
      h.push(a);
    } else {
      map.set(ip.value, [h, a]);
    }
  }

  /** Updates a kept assignment to the Service's current ports and keys. */
  private refresh(a: Assignment, sharer: Sharer): void {
    // Validation let the keys change only if the Service is alone on its addresses (MetalLB
    // allows that too), so the sharing index entries are its own to move.
    const moved = a.sharingKey !== sharer.sharingKey || a.backendKey !== sharer.backendKey;
    if (moved) for (const ip of a.ips) this.index(a, ip.family, ip.value, false);
    a.sharingKey = sharer.sharingKey;
    a.backendKey = sharer.backendKey;
    a.ports = sharer.ports;
    if (moved) for (const ip of a.ips) this.index(a, ip.family, ip.value, true);
  }

  /** MetalLB gives a PreferDualStack Service holding one family the other when its pool has one free. */
  private addMissingFamily(a: Assignment, req: AllocationRequest): void {
    const missing = req.families.find((f) => f !== a.ips[0]!.family)!;
    const value = this.lowestCandidate(a.state, missing, a);
    if (value === undefined || value === null) return;
    const ip: Ip = { family: missing, value };
    a.ips = orderByFamily([...a.ips, ip], req.families);
    a.texts = a.ips.map(textOf);
    this.holdOne(a, ip);
  }

  /** Adds or removes `value` in the sharing index of the pool, under the holder's keys. */
  private index(holder: Assignment, family: IpFamily, value: bigint, add: boolean): void {
    if (holder.sharingKey === '') return;
    const map = holder.state.shared[family];
    const key = shareIndexKey(holder);
    let set = map.get(key);
    if (add) {
      if (set === undefined) map.set(key, (set = new Set()));
      set.add(value);
    } else if (set !== undefined) {
      set.delete(value);
      if (set.size === 0) map.delete(key);
    }
  }

  private releaseKey(key: string): boolean {
    const a = this.byService.get(key);
    if (a === undefined) return false;
    this.drop(a, true);
    return true;
  }

  /** Removes the assignment; `free` tells the pool's address space (false while it is being rebuilt). */
  private drop(a: Assignment, free: boolean): void {
    this.byService.delete(a.key);
    for (const ip of a.ips) {
      const map = this.holders[ip.family];
      const h = map.get(ip.value)!;
      if (Array.isArray(h)) {
        h.splice(h.indexOf(a), 1);
        if (h.length === 1) map.set(ip.value, h[0]!);
        continue;
      }
      map.delete(ip.value);
      if (free) {
        this.index(a, ip.family, ip.value, false);
        a.state.spaces[ip.family].free(ip.value);
      }
    }
  }
}

function recordOf(a: Assignment): AssignmentRecord {
  return { namespace: a.namespace, name: a.name, ips: a.texts, pool: a.state.pool.name };
}

function resultOf(a: Assignment): AssignResult {
  return { ok: true, ips: a.texts, pool: a.state.pool.name };
}

function sharerOf(key: string, req: AllocationRequest): Sharer {
  return { key, sharingKey: req.sharingKey, backendKey: req.backendKey, ports: req.sharingKey === '' ? NO_PORTS : req.ports };
}

function byNamespaceName(a: AssignmentRecord, b: AssignmentRecord): number {
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sameAddresses(a: readonly Ip[], b: readonly Ip[]): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => x.family === y.family && x.value === y.value));
}

function orderByFamily(ips: readonly Ip[], families: readonly IpFamily[]): Ip[] {
  return [...ips].sort((x, y) => families.indexOf(x.family) - families.indexOf(y.family));
}

