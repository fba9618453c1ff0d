import { buildEndpointSlice, buildNamespace, buildNode, buildService } from '../domain/config/k8s-kinds.js';
import {
  buildBFDProfile,
  buildBGPAdvertisement,
  buildBGPPeer,
  buildCommunity,
  buildIPAddressPool,
  buildL2Advertisement,
} from '../domain/config/metallb-kinds.js';
import { loadConfig } from '../domain/config/index.js';
import type { PlainObject } from '../domain/config/plain.js';
import type { ConfigIssue, ConfigSet, Origin, Resource } from '../domain/config/types.js';
import { metaOf, type JsonObject } from './json.js';
import { RESOURCES, type ResourceType } from './resources.js';

/**
 * API objects (JSON as the server sends it) → the typed resources of src/domain/config, with the
 * same builders the file parser uses, so defaults and field meanings are identical in both modes.
 */

type Builder = (doc: PlainObject, origin: Origin) => Resource;

const builders = new Map<ResourceType, Builder>([
  [RESOURCES.service, buildService],
  [RESOURCES.node, buildNode],
  [RESOURCES.namespace, buildNamespace],
  [RESOURCES.endpointSlice, buildEndpointSlice],
  [RESOURCES.ipAddressPool, buildIPAddressPool],
  [RESOURCES.l2Advertisement, buildL2Advertisement],
  [RESOURCES.bgpPeer, buildBGPPeer],
  [RESOURCES.bgpAdvertisement, buildBGPAdvertisement],
  [RESOURCES.community, buildCommunity],
  [RESOURCES.bfdProfile, buildBFDProfile],
]);

/** Where an API object "is", for messages in the `FILE:LINE: Kind/name: ...` format. */
export function apiOrigin(type: ResourceType, obj: JsonObject): Origin {
  const { namespace, name } = metaOf(obj);
  return { file: `${type.plural}/${namespace === '' ? '' : `${namespace}/`}${name}`, line: 0, fieldLines: new Map() };
}

export function toResource(type: ResourceType, obj: JsonObject): Resource | null {
  const build = builders.get(type);
  return build === undefined ? null : build(obj, apiOrigin(type, obj));
}

function byNamespaceName<R extends Resource>(list: R[]): R[] {
  const key = (r: Resource): string => `${r.metadata.namespace}/${r.metadata.name}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Groups typed resources into a ConfigSet, each list sorted by namespace/name (informer order is arbitrary). */
export function toConfigSet(resources: Iterable<Resource>): ConfigSet {
  const all = [...resources];
  const of = <K extends Resource['kind']>(kind: K): Extract<Resource, { kind: K }>[] =>
    byNamespaceName(all.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind));
  return {
    pools: of('IPAddressPool'),
    l2Advertisements: of('L2Advertisement'),
    bgpPeers: of('BGPPeer'),
    bgpAdvertisements: of('BGPAdvertisement'),
    communities: of('Community'),
    bfdProfiles: of('BFDProfile'),
    services: of('Service'),
    nodes: of('Node'),
    namespaces: of('Namespace'),
    endpointSlices: of('EndpointSlice'),
  };
}

/**
 * The admission checks of file mode applied to API objects: shape (unknown fields, wrong types,
 * missing required fields) and MetalLB's rules across objects (overlapping pools, unknown pool
 * references, ...) as `issues`, and the MetalLB fields airlb accepts but does not honour as
 * `warnings` (never a reason to refuse). Every object is one source named like apiOrigin, so both
 * name the object.
 */
export function validateObjects(objects: readonly { type: ResourceType; obj: JsonObject }[]): { issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const sources = objects.map(({ type, obj }) => ({ file: apiOrigin(type, obj).file, text: JSON.stringify(obj) }));
  const { issues, warnings } = loadConfig(sources);
  return { issues, warnings };
}
