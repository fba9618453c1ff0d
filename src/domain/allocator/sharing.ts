import { fail, type Failure } from './failure.js';

/** What sharing rules look at for one Service holding (or asking for) an address. */
export interface Sharer {
  /** "namespace/name". */
  readonly key: string;
  /** allow-shared-ip value; "" = does not share. */
  readonly sharingKey: string;
  /** Selector text with externalTrafficPolicy Local, "" with Cluster (see AllocationRequest). */
  readonly backendKey: string;
  /** "TCP/80"-style protocol/port pairs. */
  readonly ports: readonly string[];
}

/**
 * MetalLB's sharing rule (metallb.io/allow-shared-ip): Services may hold the same address when
 * all of them carry the same non-empty sharing key, the same backend key (externalTrafficPolicy
 * Local Services must select the same pods; Local and Cluster never mix), and no two of them
 * use the same protocol and port. `holders` are the Services on the address now; the candidate
 * itself is ignored among them. Returns null when the candidate may use the address.
 */
export function checkSharing(ipText: string, holders: readonly Sharer[], candidate: Sharer): Failure | null {
  const others = holders.filter((h) => h.key !== candidate.key);
  if (others.length === 0) return null;
  const first = others[0]!;
  const names = others.map((h) => h.key).join(', ');
  const refused = `Service ${candidate.key} cannot use ${ipText}`;
  if (first.sharingKey === '') {
    return fail('ip-in-use', `${refused}: it is used by ${names}, which does not allow sharing (no allow-shared-ip annotation)`);
  }
  if (candidate.sharingKey === '') {
    return fail(
      'ip-in-use',
      `${refused}: it is used by ${names} (allow-shared-ip "${first.sharingKey}") and ${candidate.key} has no allow-shared-ip annotation`,
    );
  }
  if (candidate.sharingKey !== first.sharingKey) {
    return fail('ip-in-use', `${refused}: it is used by ${names} with allow-shared-ip "${first.sharingKey}", not "${candidate.sharingKey}"`);
  }
  if (candidate.backendKey !== first.backendKey) {
    return fail(
      'sharing-incompatible',
      `${refused}: it is shared by ${names}, and sharing needs the same externalTrafficPolicy and, with Local, the same selector (${describeBackend(first.backendKey)} there, ${describeBackend(candidate.backendKey)} here)`,
    );
  }
  for (const other of others) {
    const taken = new Set(other.ports);
    const clash = candidate.ports.find((p) => taken.has(p));
    if (clash !== undefined) {
      return fail('port-conflict', `${refused}: port ${clash} is already used there by ${other.key}; use another port`);
    }
  }
  return null;
}

function describeBackend(backendKey: string): string {
  return backendKey === '' ? 'Cluster (or Local without selector)' : `Local with selector ${backendKey}`;
}
