import { rangeToCidrs, type IpFamily } from '../net/ip.js';
import { anySelectorMatches, selectorMatches } from '../selector.js';
import { communityAliases, parseCommunity, resolveCommunity } from './community.js';
import { checkNoRepeats, checkSelectors, fieldWhere, issueAt, known } from './issue-builder.js';
import { readAddressEntry } from './validate-pools.js';
import type { BGPAdvertisement, ConfigIssue, ConfigSet, IPAddressPool, L2Advertisement, LabelSelector } from './types.js';

/**
 * The pools an advertisement applies to, as MetalLB resolves them: the named ones plus those
 * matched by ipAddressPoolSelectors; neither given means every pool.
 */
export function advertisedPools(adv: L2Advertisement | BGPAdvertisement, pools: readonly IPAddressPool[]): IPAddressPool[] {
  const { ipAddressPools, ipAddressPoolSelectors } = adv.spec;
  if (ipAddressPools.length === 0 && ipAddressPoolSelectors.length === 0) return [...pools];
  return pools.filter(
    (p) => ipAddressPools.includes(p.metadata.name) || ipAddressPoolSelectors.some((s) => selectorMatches(s, p.metadata.labels)),
  );
}

function checkReferences(adv: L2Advertisement | BGPAdvertisement, config: ConfigSet, issues: ConfigIssue[]): void {
  const poolNames = new Set(config.pools.map((p) => p.metadata.name));
  adv.spec.ipAddressPools.forEach((name, i) => {
    if (!poolNames.has(name)) issues.push(issueAt(adv, `spec.ipAddressPools[${i}]`, `no IPAddressPool named "${name}"${known(poolNames)}; define it or fix the name`));
  });
  checkNoRepeats(adv, 'spec.ipAddressPools', adv.spec.ipAddressPools, issues);
  checkSelectors(adv, 'spec.ipAddressPoolSelectors', adv.spec.ipAddressPoolSelectors, issues);
  checkSelectors(adv, 'spec.nodeSelectors', adv.spec.nodeSelectors, issues);
  checkSelectors(adv, 'spec.serviceSelectors', adv.spec.serviceSelectors ?? [], issues);
}

function aggregationFor(adv: BGPAdvertisement, family: IpFamily): { length: number; path: string } {
  return family === 4 ? { length: adv.spec.aggregationLength, path: 'spec.aggregationLength' } : { length: adv.spec.aggregationLengthV6, path: 'spec.aggregationLengthV6' };
}

/**
 * MetalLB's rule: aggregating to a prefix shorter than an address entry's own prefixes would
 * announce addresses that are not in the pool. For a range the test uses its widest CIDR.
 */
function checkAggregation(adv: BGPAdvertisement, pools: readonly IPAddressPool[], issues: ConfigIssue[]): void {
  const v4 = adv.spec.aggregationLength;
  const v6 = adv.spec.aggregationLengthV6;
  // The CRD sets Minimum=1 for aggregationLength; a /0 aggregate would be a default route.
  const v4Ok = v4 >= 1 && v4 <= 32;
  const v6Ok = v6 >= 0 && v6 <= 128;
  if (!v4Ok) issues.push(issueAt(adv, 'spec.aggregationLength', `aggregationLength ${v4} is out of range 1-32`));
  if (!v6Ok) issues.push(issueAt(adv, 'spec.aggregationLengthV6', `aggregationLengthV6 ${v6} is out of range 0-128`));
  const reported = new Set<string>();
  for (const pool of pools) {
    pool.spec.addresses.forEach((text, i) => {
      const entry = readAddressEntry(text);
      if (!entry.ok) return;
      const { length, path } = aggregationFor(adv, entry.range.family);
      if ((entry.range.family === 4 && !v4Ok) || (entry.range.family === 6 && !v6Ok) || reported.has(path)) return;
      const widest = Math.min(...rangeToCidrs(entry.range).map((c) => c.prefixLength));
      if (length < widest) {
        reported.add(path);
        const field = path.slice('spec.'.length);
        issues.push(
          issueAt(
            adv,
            path,
            `${field} ${length} is shorter than the /${widest} of "${text}" in IPAddressPool "${pool.metadata.name}" (${fieldWhere(pool, `spec.addresses[${i}]`)}): the aggregate would announce addresses outside the pool; use ${widest} or more`,
          ),
        );
      }
    });
  }
}

function checkCommunities(adv: BGPAdvertisement, aliases: ReadonlyMap<string, string>, issues: ConfigIssue[]): void {
  adv.spec.communities.forEach((text, i) => {
    const parsed = resolveCommunity(text, aliases);
    if (!parsed.ok) issues.push(issueAt(adv, `spec.communities[${i}]`, `${parsed.message}; fix it or define the alias in a Community resource`));
  });
  checkNoRepeats(adv, 'spec.communities', adv.spec.communities, issues);
}

function sameSelectors(a: readonly LabelSelector[], b: readonly LabelSelector[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether two advertisements can announce from a common node. With Node objects in the input,
 * MetalLB's test (a node matched by both); without them, only what the selectors alone prove.
 */
function nodesMayOverlap(a: BGPAdvertisement, b: BGPAdvertisement, config: ConfigSet): boolean {
  if (config.nodes.length > 0) {
    return config.nodes.some((n) => anySelectorMatches(a.spec.nodeSelectors, n.metadata.labels) && anySelectorMatches(b.spec.nodeSelectors, n.metadata.labels));
  }
  return a.spec.nodeSelectors.length === 0 || b.spec.nodeSelectors.length === 0 || sameSelectors(a.spec.nodeSelectors, b.spec.nodeSelectors);
}

/**
 * MetalLB refuses two advertisements that would send the same prefix to the same peer from the
 * same node with different LOCAL_PREF (RFC 4271 §5.1.5): the route's preference would depend on
 * which advertisement won. Different aggregation lengths make different prefixes, so they may differ.
 */
function conflictingLocalPref(a: BGPAdvertisement, b: BGPAdvertisement, pool: IPAddressPool, config: ConfigSet): boolean {
  if ((a.spec.localPref ?? 0) === (b.spec.localPref ?? 0)) return false;
  const families = new Set(pool.spec.addresses.flatMap((t) => {
    const e = readAddressEntry(t);
    return e.ok ? [e.range.family] : [];
  }));
  const v4Differs = a.spec.aggregationLength !== b.spec.aggregationLength;
  const v6Differs = a.spec.aggregationLengthV6 !== b.spec.aggregationLengthV6;
  if (families.size === 0) return false;
  if (!families.has(6) && v4Differs) return false;
  if (!families.has(4) && v6Differs) return false;
  if (v4Differs && v6Differs) return false;
  if (a.spec.peers.length > 0 && b.spec.peers.length > 0 && !a.spec.peers.some((p) => b.spec.peers.includes(p))) return false;
  return nodesMayOverlap(a, b, config);
}

/** L2Advertisement, BGPAdvertisement and Community rules. */
export function validateAdvertisements(config: ConfigSet, issues: ConfigIssue[]): void {
  for (const adv of config.l2Advertisements) checkReferences(adv, config, issues);

  const aliases = communityAliases(config.communities);
  const peerNames = new Set(config.bgpPeers.map((p) => p.metadata.name));
  const poolsOf = new Map(config.bgpAdvertisements.map((adv) => [adv, advertisedPools(adv, config.pools)]));
  config.bgpAdvertisements.forEach((adv, j) => {
    checkReferences(adv, config, issues);
    checkAggregation(adv, poolsOf.get(adv)!, issues);
    checkCommunities(adv, aliases, issues);
    adv.spec.peers.forEach((name, i) => {
      if (!peerNames.has(name)) issues.push(issueAt(adv, `spec.peers[${i}]`, `no BGPPeer named "${name}"${known(peerNames)}; define it or fix the name`));
    });
    checkNoRepeats(adv, 'spec.peers', adv.spec.peers, issues);
    const localPref = adv.spec.localPref;
    if (localPref !== null && (localPref < 0 || localPref > 0xffffffff)) {
      issues.push(issueAt(adv, 'spec.localPref', `localPref ${localPref} is out of range 0-4294967295 (a 32-bit value, RFC 4271 §5.1.5)`));
    }
    for (const earlier of config.bgpAdvertisements.slice(0, j)) {
      const shared = poolsOf.get(adv)!.find((p) => poolsOf.get(earlier)!.includes(p) && conflictingLocalPref(adv, earlier, p, config));
      if (shared === undefined) continue;
      issues.push(
        issueAt(
          adv,
          'spec.localPref',
          `localPref ${adv.spec.localPref ?? 0} conflicts with localPref ${earlier.spec.localPref ?? 0} of BGPAdvertisement "${earlier.metadata.name}" (${fieldWhere(earlier, 'spec.localPref')}) for IPAddressPool "${shared.metadata.name}": both announce the same prefixes to the same peers from the same nodes; use one value, or separate them by peers, nodeSelectors or aggregation length`,
        ),
      );
    }
  });

  const aliasOwner = new Map<string, { path: string; resource: ConfigSet['communities'][number] }>();
  for (const resource of config.communities) {
    resource.spec.communities.forEach((entry, i) => {
      const path = `spec.communities[${i}]`;
      const parsed = parseCommunity(entry.value);
      if (!parsed.ok) issues.push(issueAt(resource, `${path}.value`, `${parsed.message}; an alias must stand for a literal community`));
      const owner = aliasOwner.get(entry.name);
      if (owner !== undefined) {
        issues.push(issueAt(resource, `${path}.name`, `alias "${entry.name}" is already defined at ${fieldWhere(owner.resource, `${owner.path}.name`)}; rename one`));
      } else aliasOwner.set(entry.name, { path, resource });
    });
  }
}
