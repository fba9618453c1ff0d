import { parseConfigSources } from './parse.js';
import type { ConfigIssue, ConfigSource, ParsedConfig } from './types.js';
import { validateConfig } from './validate.js';
import { configWarnings } from './warnings.js';

export { communityAliases, formatCommunity, parseCommunity, resolveCommunities, resolveCommunity, type CommunityValue } from './community.js';
export { parseGoDuration } from './duration.js';
export { formatIssue, formatWarning } from './format.js';
export { parseConfigSources } from './parse.js';
export { readAddressEntry } from './validate-pools.js';
export { advertisedPools } from './validate-advertisements.js';
export { validateConfig } from './validate.js';
export { configWarnings } from './warnings.js';
export type * from './types.js';

function resourceKey(i: ConfigIssue): string {
  return `${i.file}\u0000${i.kind}\u0000${i.name}`;
}

/** The field a parse issue spoils: the whole list item when it is inside one, else the field. */
function spoiledRoot(path: string): string {
  const end = path.lastIndexOf(']');
  return end < 0 ? path : path.slice(0, end + 1);
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);
}

/**
 * Parses and validates in one call. A field the parser already rejected (wrong type, missing)
 * carries a fallback value, so the validator's complaints about that field, or about the rest
 * of the list item it sits in, are dropped: one issue per mistake. Issues, and the warnings
 * about MetalLB fields airlb does not honour, come sorted by file (in input order) and line.
 */
export function loadConfig(sources: readonly ConfigSource[]): ParsedConfig {
  const parsed = parseConfigSources(sources);
  const spoiled = new Map<string, string[]>();
  for (const i of parsed.issues) {
    const key = resourceKey(i);
    spoiled.set(key, [...(spoiled.get(key) ?? []), spoiledRoot(i.path)]);
  }
  const fresh = (i: ConfigIssue): boolean => !(spoiled.get(resourceKey(i)) ?? []).some((root) => isUnder(i.path, root));
  const issues = [...parsed.issues, ...validateConfig(parsed.config).filter(fresh)];
  const warnings = configWarnings(parsed.config).filter(fresh);
  const fileOrder = new Map(sources.map((s, i) => [s.file, i] as const));
  const byPlace = (a: ConfigIssue, b: ConfigIssue): number => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || a.line - b.line;
  issues.sort(byPlace);
  warnings.sort(byPlace);
  return { config: parsed.config, issues, warnings, ignored: parsed.ignored };
}
