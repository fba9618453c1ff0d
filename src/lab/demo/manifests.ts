import { stringify } from 'yaml';
import { UPLINK_LABEL } from '../../domain/election/speakers.js';
import type { LabNodeInfo } from '../lab.js';

/**
 * The Kubernetes objects a cluster would hold next to MetalLB's configuration, generated from the
 * lab for `airlb standalone`: one Node per lab node (its labels and addresses, as the kubelet
 * would publish them) and the demo's one LoadBalancer Service. Pure: returns YAML text.
 */

export const demoService = { namespace: 'default', name: 'web', port: 80 } as const;

export interface NodeManifestOptions {
  /** Extra labels per node name, e.g. the field guide's `network: ethernet` on the wired node. */
  readonly extraLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Add `airlb.io/uplink: wired | wireless` from each node's port. airlb's Kubernetes speaker
   * publishes this label on its own Node; standalone has no API server to write to, so the
   * manifests carry it. Off, the election is MetalLB's own (every uplink unknown).
   */
  readonly uplinkLabels?: boolean;
}

/** Node objects for the lab's Kubernetes nodes (role `node`); routers and clients are not nodes. */
export function nodeManifests(nodes: readonly LabNodeInfo[], options: NodeManifestOptions = {}): string {
  return nodes
    .filter((n) => n.role === 'node')
    .map((n) => {
      const labels: Record<string, string> = { ...n.labels, ...(options.extraLabels?.[n.name] ?? {}) };
      if (options.uplinkLabels) labels[UPLINK_LABEL] = n.port === 'wired' ? 'wired' : 'wireless';
      const addresses = [n.ipv4, ...(n.ipv6 === null ? [] : [n.ipv6])].map((address) => ({ type: 'InternalIP', address }));
      return stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels }, status: { addresses } });
    })
    .join('---\n');
}

/** The demo's web Service; the speakers allocate it the pool's first address. */
export function serviceManifest(): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: demoService.name, namespace: demoService.namespace },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: demoService.port, protocol: 'TCP' }] },
  });
}
