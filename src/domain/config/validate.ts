import { fieldWhere, issueAt } from './issue-builder.js';
import type { BFDProfile, ConfigIssue, ConfigSet, Resource } from './types.js';
import { validateAdvertisements } from './validate-advertisements.js';
import { validateKubernetesObjects } from './validate-kubernetes.js';
import { validatePeers } from './validate-peers.js';
import { validatePools } from './validate-pools.js';

function allResources(config: ConfigSet): Resource[] {
  return [
    ...config.pools,
    ...config.l2Advertisements,
    ...config.bgpPeers,
    ...config.bgpAdvertisements,
    ...config.communities,
    ...config.bfdProfiles,
    ...config.services,
    ...config.nodes,
    ...config.namespaces,
    ...config.endpointSlices,
  ];
}

/** Two objects of one kind with the same namespace and name: the API server would keep one. */
function validateUniqueNames(config: ConfigSet, issues: ConfigIssue[]): void {
  const first = new Map<string, Resource>();
  for (const r of allResources(config)) {
    if (r.metadata.name === '') continue;
    const key = `${r.kind}\u0000${r.metadata.namespace}\u0000${r.metadata.name}`;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, r);
      continue;
    }
    const scope = r.metadata.namespace === '' ? '' : ` in namespace "${r.metadata.namespace}"`;
    issues.push(issueAt(r, 'metadata.name', `another ${r.kind} named "${r.metadata.name}"${scope} is defined at ${fieldWhere(earlier, 'metadata.name')}; rename one or remove the copy`));
  }
}

// MetalLB's CRD bounds for BFD profiles (api/v1beta1 BFDProfileSpec), all intervals in ms.
const bfdRanges: readonly { field: keyof BFDProfile['spec'] & string; yaml: string; min: number; max: number }[] = [
  { field: 'receiveIntervalMs', yaml: 'receiveInterval', min: 10, max: 60000 },
  { field: 'transmitIntervalMs', yaml: 'transmitInterval', min: 10, max: 60000 },
  { field: 'detectMultiplier', yaml: 'detectMultiplier', min: 2, max: 255 },
  { field: 'echoIntervalMs', yaml: 'echoInterval', min: 10, max: 60000 },
  { field: 'minimumTtl', yaml: 'minimumTtl', min: 1, max: 254 },
];

function validateBfdProfiles(config: ConfigSet, issues: ConfigIssue[]): void {
  for (const profile of config.bfdProfiles) {
    for (const { field, yaml, min, max } of bfdRanges) {
      const value = profile.spec[field];
      if (typeof value === 'number' && (value < min || value > max)) {
        issues.push(issueAt(profile, `spec.${yaml}`, `${yaml} ${value} is out of range ${min}-${max}`));
      }
    }
  }
}

/**
 * MetalLB's configuration rules over a whole parsed set, every problem at once (MetalLB itself
 * stops at the first). Each issue points at the field to change and says how.
 */
export function validateConfig(config: ConfigSet): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  validateUniqueNames(config, issues);
  validatePools(config, issues);
  validatePeers(config, issues);
  validateBfdProfiles(config, issues);
  validateAdvertisements(config, issues);
  validateKubernetesObjects(config, issues);
  return issues;
}
