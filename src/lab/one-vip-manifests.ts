/** A node of the lab as the manifests name it: its Node name and InternalIP. */
export interface ManifestNode {
  readonly name: string;
  readonly address: string;
}

/**
 * The multi-node Layer 2 setup the failover tests and bench/failover.ts run every node with: one
 * pool holding only `vip`, MetalLB's plain L2Advertisement, one LoadBalancer Service, and a Node
 * per lab node with its InternalIP (what membership's BFD sessions are opened to). `extra`
 * documents (BGPPeer, BFDProfile, ...) are added as they are.
 */
export function oneVipManifests(vip: string, nodes: readonly ManifestNode[], extra: readonly string[] = []): string {
  const nodeDocs = nodes.map(
    (n) => `apiVersion: v1
kind: Node
metadata: { name: ${n.name}, labels: { kubernetes.io/hostname: ${n.name} } }
status: { addresses: [{ type: InternalIP, address: ${n.address} }] }
`,
  );
  return [
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec: { addresses: ["${vip}/32"] }
`,
    `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan, namespace: metallb-system }
spec: { ipAddressPools: [lan] }
`,
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { type: LoadBalancer, ports: [{ port: 80, protocol: TCP }] }
`,
    ...extra,
    ...nodeDocs,
  ].join('---\n');
}
