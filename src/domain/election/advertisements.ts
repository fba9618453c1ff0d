import type { IPAddressPool, L2Advertisement, LabelSelector, Node, Service } from '../config/types.js';
import { anySelectorMatches, selectorMatches } from '../selector.js';

/** What L2Advertisement and BGPAdvertisement share: the pools and the Services they cover. */
export interface PoolScopedAdvertisement {
  readonly spec: {
    readonly ipAddressPools: readonly string[];
    readonly ipAddressPoolSelectors: readonly LabelSelector[];
    readonly serviceSelectors?: readonly LabelSelector[];
  };
}

/**
 * The L2Advertisements (or BGPAdvertisements: the rule is the same) that cover a pool, by MetalLB's rule (internal/config: an advertisement with
 * neither ipAddressPools nor ipAddressPoolSelectors covers every pool; otherwise it covers the pools
 * it names plus those whose labels match one of its selectors — a selector list that matches
 * nothing does not fall back to "all"). The Service is not looked at here: serviceSelectors narrow
 * the result per Service (advertisementsForService). `pool` is undefined when the pool is not in
 * the configuration: then only advertisements naming it or covering all pools apply.
 */
export function advertisementsForPool<A extends PoolScopedAdvertisement>(
  poolName: string,
  pool: IPAddressPool | undefined,
  advertisements: readonly A[],
): A[] {
  const labels = pool?.metadata.labels ?? {};
  return advertisements.filter((adv) => {
    const { ipAddressPools, ipAddressPoolSelectors } = adv.spec;
    if (ipAddressPools.length === 0 && ipAddressPoolSelectors.length === 0) return true;
    if (ipAddressPools.includes(poolName)) return true;
    return pool !== undefined && ipAddressPoolSelectors.some((s) => selectorMatches(s, labels));
  });
}

/** Whether the advertisement narrows by Service at all (a non-empty serviceSelectors). */
export function selectsServices(adv: PoolScopedAdvertisement): boolean {
  return (adv.spec.serviceSelectors ?? []).length > 0;
}

/**
 * The advertisements that apply to `service`, by MetalLB's serviceSelectors (PR #2917, on both
 * L2Advertisement and BGPAdvertisement): an advertisement applies to the Services whose labels
 * match one of its selectors; an empty or absent list applies to every Service. The match is on the
 * Service's labels, so every IP of a dual-stack Service gets the same advertisements.
 */
export function advertisementsForService<A extends PoolScopedAdvertisement>(service: Service, advertisements: readonly A[]): A[] {
  return advertisements.filter((adv) => anySelectorMatches(adv.spec.serviceSelectors ?? [], service.metadata.labels));
}

/** Whether any of the advertisements selects the node (MetalLB's poolMatchesNodeL2). */
export function advertisedFrom(advertisements: readonly L2Advertisement[], node: Node): boolean {
  return advertisements.some((adv) => anySelectorMatches(adv.spec.nodeSelectors, node.metadata.labels));
}

/**
 * The interfaces a node announces a VIP on (MetalLB's ipAdvertisementFor): only advertisements that
 * select the node count; one of them without `interfaces` means every interface, otherwise the
 * union of their lists.
 */
export function interfacesOn(
  advertisements: readonly L2Advertisement[],
  node: Node,
): { readonly allInterfaces: boolean; readonly interfaces: readonly string[] } {
  const names = new Set<string>();
  for (const adv of advertisements) {
    if (!anySelectorMatches(adv.spec.nodeSelectors, node.metadata.labels)) continue;
    if (adv.spec.interfaces.length === 0) return { allInterfaces: true, interfaces: [] };
    for (const name of adv.spec.interfaces) names.add(name);
  }
  return { allInterfaces: false, interfaces: [...names].sort() };
}
