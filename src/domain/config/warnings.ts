import { issueAt } from './issue-builder.js';
import type { ConfigIssue, ConfigSet } from './types.js';

/**
 * The real MetalLB fields airlb accepts but does not honour yet. A manifest written for MetalLB
 * still loads, and each such field is reported where it is written, so the difference in
 * behaviour is visible rather than silent. Warnings never make a configuration invalid.
 *
 * A peer that sets both peerAddress and interface is already an error (validate-peers.ts).
 */
export function configWarnings(config: ConfigSet): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  for (const peer of config.bgpPeers) {
    const iface = peer.spec.interface;
    if (iface === undefined || peer.spec.peerAddress !== '') continue;
    warnings.push(
      issueAt(
        peer,
        'spec.interface',
        `unnumbered peering (interface "${iface}") is not supported yet: airlb cannot open a session with this peer, so nothing is announced to it; set peerAddress to the router's address on that link instead`,
      ),
    );
  }
  return warnings;
}
