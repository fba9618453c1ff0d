import type { IPAddressPool, Namespace, Service } from '../config/types.js';
import { Allocator, type AssignResult } from './allocator.js';
import type { AllocationFailure } from './failure.js';
import { readRequest, serviceKey, unhandledReason } from './request.js';

/** Addresses a Service held before (a state file written from `Allocator.assignments()`). */
export interface PreviousAssignment {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
}

export interface PlanInput {
  readonly pools: readonly IPAddressPool[];
  readonly services: readonly Service[];
  readonly namespaces: readonly Namespace[];
  readonly previous?: readonly PreviousAssignment[];
  /** The loadBalancerClass airlb answers to besides "no class" (see AllocatorOptions). */
  readonly loadBalancerClass?: string | null;
}

/** One LoadBalancer Service airlb handles: its addresses, or why it has none. */
export interface PlanEntry {
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
  readonly pool: string | null;
  readonly error: string | null;
  readonly reason: AllocationFailure | null;
}

function byNamespaceName(a: Service, b: Service): number {
  const x = a.metadata;
  const y = b.metadata;
  return x.namespace < y.namespace ? -1 : x.namespace > y.namespace ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
}

/**
 * Allocates every Service in a fixed order so that the result depends only on the input:
 * 1. addresses Services already have (status.loadBalancerIngress, else `previous`) are restored,
 *    so nothing moves across restarts;
 * 2. Services requesting specific addresses;
 * 3. Services requesting a pool;
 * 4. every other Service.
 * Within each step Services go by namespace, then name; a Service whose old addresses cannot be
 * restored (conflict, pool removed) is allocated afresh in the later steps.
 * Services of another type or loadBalancerClass are not listed. Throws AirlbError when the pools
 * themselves are invalid (see Allocator.setPools).
 */
export function planAllocations(input: PlanInput): PlanEntry[] {
  const allocator = new Allocator({ loadBalancerClass: input.loadBalancerClass ?? null });
  allocator.setPools(input.pools, input.namespaces);
  const ours = input.services
    .filter((s) => unhandledReason(s, input.loadBalancerClass ?? null) === null)
    .sort(byNamespaceName);
  const previous = new Map<string, readonly string[]>();
  for (const p of input.previous ?? []) previous.set(serviceKey(p.namespace, p.name), p.ips);

  const results = new Map<Service, AssignResult>();
  for (const service of ours) {
    const key = serviceKey(service.metadata.namespace, service.metadata.name);
    const recorded = [service.status.loadBalancerIngress, previous.get(key) ?? []].filter((ips) => ips.length > 0);
    for (const ips of recorded) {
      const restored = allocator.restore(service, ips);
      if (restored.ok) {
        results.set(service, restored);
        break;
      }
    }
  }
  const pending = ours
    .filter((s) => !results.has(s))
    .map((service) => {
      const read = readRequest(service);
      const step = !read.ok ? 3 : read.request.ips.length > 0 ? 1 : read.request.pool !== null ? 2 : 3;
      return { service, step };
    });
  for (const current of [1, 2, 3]) {
    for (const { service, step } of pending) {
      if (step === current) results.set(service, allocator.assign(service));
    }
  }
  return ours.map((service) => {
    const r = results.get(service)!;
    const { namespace, name } = service.metadata;
    return r.ok
      ? { namespace, name, ips: r.ips, pool: r.pool, error: null, reason: null }
      : { namespace, name, ips: [], pool: null, error: r.message, reason: r.reason };
  });
}
