import type { Node } from '../domain/config/types.js';
import type { Classifier, InterfaceFacts } from '../domain/l2/interfaces.js';
import { canonicalIp } from '../domain/net/ip.js';

/**
 * The node's uplink kind, for the `airlb.io/uplink` label: the kind of the interface that holds
 * one of the Node's InternalIP addresses (the address the cluster knows the node by). null when
 * no interface holds one, or that interface is neither plainly wired nor wireless (a bridge or
 * bond hides what is behind it): the label is then left as it is, for a person to set.
 */
export function uplinkOf(node: Node, interfaces: readonly InterfaceFacts[], classifier: Classifier): 'wired' | 'wireless' | null {
  const internal = new Set(
    node.status.addresses.filter((a) => a.type === 'InternalIP').flatMap((a) => canonicalIp(a.address) ?? []),
  );
  for (const facts of interfaces) {
    if (!facts.addresses.some((a) => internal.has(canonicalIp(a.address) ?? ''))) continue;
    const { kind } = classifier(facts);
    return kind === 'virtual' ? null : kind;
  }
  return null;
}
