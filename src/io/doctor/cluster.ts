import { parse as parseYaml } from 'yaml';
import type { ConfigSet, Resource } from '../../domain/config/types.js';
import { loadConnection } from '../../k8s/connection.js';
import { toConfigSet, toResource } from '../../k8s/convert.js';
import { HttpTransport } from '../../k8s/http-transport.js';
import type { JsonObject } from '../../k8s/json.js';
import { collectionPath, RESOURCES } from '../../k8s/resources.js';
import { systemClock } from '../system-clock.js';

/** What the doctor reads from a cluster: the same objects `-f` gives, kube-proxy's mode, MetalLB's L2 status. */
export interface ClusterFacts {
  readonly config: ConfigSet;
  /** null when the cluster has no kube-system/kube-proxy ConfigMap (k3s, Cilium without kube-proxy). */
  readonly kubeProxy: { readonly mode: string | null; readonly strictARP: boolean | null } | null;
  /** ServiceL2Status objects: the node (and interfaces) announcing each Service right now. */
  readonly l2Status: readonly { readonly service: string; readonly node: string; readonly interfaces: readonly string[] }[];
}

const CONFIG_TYPES = [
  RESOURCES.service,
  RESOURCES.node,
  RESOURCES.namespace,
  RESOURCES.endpointSlice,
  RESOURCES.ipAddressPool,
  RESOURCES.l2Advertisement,
  RESOURCES.bgpPeer,
  RESOURCES.bgpAdvertisement,
  RESOURCES.community,
  RESOURCES.bfdProfile,
];

const record = (value: unknown): Readonly<Record<string, unknown>> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/**
 * kube-proxy's KubeProxyConfiguration lives in the `config.conf` key of its ConfigMap (kubeadm's
 * layout): `mode` ("" means iptables) and `ipvs.strictARP`.
 */
function kubeProxyOf(configMaps: readonly JsonObject[]): ClusterFacts['kubeProxy'] {
  const cm = configMaps.find((c) => record(c['metadata'])['name'] === 'kube-proxy');
  if (cm === undefined) return null;
  const text = record(cm['data'])['config.conf'];
  if (typeof text !== 'string') return { mode: null, strictARP: null };
  const conf = record(parseYaml(text));
  const mode = typeof conf['mode'] === 'string' ? (conf['mode'] === '' ? 'iptables' : conf['mode']) : 'iptables';
  const strict = record(conf['ipvs'])['strictARP'];
  return { mode, strictARP: typeof strict === 'boolean' ? strict : false };
}

function l2StatusOf(items: readonly JsonObject[]): ClusterFacts['l2Status'] {
  return items.flatMap((item) => {
    const status = record(item['status']);
    const node = status['node'];
    if (typeof node !== 'string') return [];
    const service = `${String(status['serviceNamespace'] ?? '')}/${String(status['serviceName'] ?? '')}`;
    const interfaces = Array.isArray(status['interfaces']) ? status['interfaces'].map((i) => String(record(i)['name'] ?? '')).filter((n) => n !== '') : [];
    return [{ service, node, interfaces }];
  });
}

/** Lists the cluster once through --kubeconfig (or the pod's service account). */
export async function readCluster(kubeconfig: string | null, env: Readonly<Record<string, string | undefined>>): Promise<ClusterFacts> {
  const transport = new HttpTransport(loadConnection(kubeconfig, env), systemClock);
  const lists = await Promise.all(CONFIG_TYPES.map(async (type) => ({ type, items: (await transport.list(collectionPath(type), null)).items })));
  const resources: Resource[] = [];
  for (const { type, items } of lists) for (const obj of items) {
    const r = toResource(type, obj);
    if (r !== null) resources.push(r);
  }
  // Optional objects: a cluster without kube-proxy's ConfigMap or MetalLB's status CRD is no error.
  const optional = (path: string): Promise<JsonObject[]> => transport.list(path, null).then((l) => l.items, () => []);
  const [configMaps, l2] = await Promise.all([optional(collectionPath(RESOURCES.configMap, 'kube-system')), optional(collectionPath(RESOURCES.serviceL2Status))]);
  return { config: toConfigSet(resources), kubeProxy: kubeProxyOf(configMaps), l2Status: l2StatusOf(l2) };
}
