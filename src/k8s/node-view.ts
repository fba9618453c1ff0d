import type { Node } from '../domain/config/types.js';
import type { ControlPlaneView } from '../domain/membership/view.js';

/**
 * What the Kubernetes control plane says about a node's speaker, from its Node object alone. Pure.
 *
 * The membership view (src/domain/membership/view.ts) asks this only where BFD cannot tell: in the
 * startup grace, for a peer without an InternalIP of the speaker's family, and when no BFD session
 * ever came Up (client isolation, a firewall on UDP 3784). It is also the whole liveness rule when
 * membership does not run (a single Node with an address).
 *
 * - Ready=True: the kubelet posts status, so the node (and its DaemonSet speaker) is taken as up.
 * - Ready=False or Unknown: the kubelet says it is unhealthy, or the node lifecycle controller
 *   stopped hearing it (after --node-monitor-grace-period, 40 s by default): down.
 * - No Ready condition: a Node object nobody's kubelet maintains (a static manifest, a test):
 *   taken as up, as MetalLB does when memberlist is disabled.
 * - NetworkUnavailable=True: the CNI has not set up the node's network, so nothing it announces
 *   is reachable: down, whatever Ready says (the election excludes such nodes too, eligibility.ts).
 */

export type NodeControlPlaneState = 'ready' | 'no-ready-condition' | 'not-ready' | 'ready-unknown' | 'network-unavailable';

export function nodeControlPlaneState(node: Node): NodeControlPlaneState {
  const conditions = node.status.conditions;
  if (conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')) return 'network-unavailable';
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready === undefined) return 'no-ready-condition';
  if (ready.status === 'True') return 'ready';
  return ready.status === 'False' ? 'not-ready' : 'ready-unknown';
}

/** The Kubernetes speaker's ControlPlaneView: up while Ready (or unreported) and the network is available. */
export const kubeNodeControlPlane: ControlPlaneView = (node) => {
  const state = nodeControlPlaneState(node);
  return state === 'ready' || state === 'no-ready-condition';
};
