/**
 * The API resources airlb reads and writes, with where they live on the API server. One table
 * serves the informers (list/watch paths), the writers and the test API server.
 */
export interface ResourceType {
  readonly kind: string;
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** The URL segment: "services", "ipaddresspools". */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Has a status subresource: writes to the object ignore status, writes to /status touch only status. */
  readonly statusSubresource: boolean;
}

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** "/api/v1" or "/apis/metallb.io/v1beta1". */
function groupVersionPath(t: ResourceType): string {
  return t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
}

/**
 * The collection path: every namespace when `namespace` is null (or the type is cluster-scoped),
 * else one namespace.
 */
export function collectionPath(t: ResourceType, namespace: string | null = null): string {
  const base = groupVersionPath(t);
  return t.namespaced && namespace !== null
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`
    : `${base}/${t.plural}`;
}

/** One object's path, or its subresource's ("status"). */
export function objectPath(t: ResourceType, namespace: string, name: string, subresource: string | null = null): string {
  const path = `${collectionPath(t, t.namespaced ? namespace : null)}/${encodeURIComponent(name)}`;
  return subresource === null ? path : `${path}/${subresource}`;
}

const core = (kind: string, plural: string, namespaced: boolean, statusSubresource: boolean): ResourceType => ({
  kind,
  group: '',
  version: 'v1',
  plural,
  namespaced,
  statusSubresource,
});

const metallb = (kind: string, version: string, plural: string, statusSubresource = false): ResourceType => ({
  kind,
  group: 'metallb.io',
  version,
  plural,
  namespaced: true,
  statusSubresource,
});

export const RESOURCES = {
  service: core('Service', 'services', true, true),
  node: core('Node', 'nodes', false, true),
  namespace: core('Namespace', 'namespaces', false, true),
  event: core('Event', 'events', true, false),
  configMap: core('ConfigMap', 'configmaps', true, false),
  // Read by the speaker for BGPPeer passwordSecret, in its own namespace only.
  secret: core('Secret', 'secrets', true, false),
  endpointSlice: { kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true, statusSubresource: false },
  ipAddressPool: metallb('IPAddressPool', 'v1beta1', 'ipaddresspools', true),
  l2Advertisement: metallb('L2Advertisement', 'v1beta1', 'l2advertisements'),
  // v1beta2 is MetalLB's storage version for BGPPeer; the API server converts v1beta1 objects.
  bgpPeer: metallb('BGPPeer', 'v1beta2', 'bgppeers', true),
  bgpAdvertisement: metallb('BGPAdvertisement', 'v1beta1', 'bgpadvertisements'),
  community: metallb('Community', 'v1beta1', 'communities'),
  bfdProfile: metallb('BFDProfile', 'v1beta1', 'bfdprofiles'),
  serviceL2Status: metallb('ServiceL2Status', 'v1beta1', 'servicel2statuses', true),
} as const satisfies Readonly<Record<string, ResourceType>>;

export type ResourceName = keyof typeof RESOURCES;
