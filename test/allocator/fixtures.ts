import type {
  IPAddressPool,
  IpFamilyName,
  IpFamilyPolicy,
  LabelSelector,
  Namespace,
  Origin,
  Service,
  ServiceAllocation,
  ServicePort,
} from '../../src/domain/config/types.js';

/** Small factories for the typed resources the allocator reads (the YAML parser is not involved). */

const origin = (file: string): Origin => ({ file, line: 1, fieldLines: new Map() });

export interface PoolOptions {
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  priority?: number | null;
  namespaces?: string[];
  namespaceSelectors?: LabelSelector[];
  serviceSelectors?: LabelSelector[];
}

export function pool(name: string, addresses: string[], opts: PoolOptions = {}): IPAddressPool {
  const limited =
    opts.priority !== undefined || opts.namespaces !== undefined || opts.namespaceSelectors !== undefined || opts.serviceSelectors !== undefined;
  const serviceAllocation: ServiceAllocation | null = limited
    ? {
        priority: opts.priority ?? null,
        namespaces: opts.namespaces ?? [],
        namespaceSelectors: opts.namespaceSelectors ?? [],
        serviceSelectors: opts.serviceSelectors ?? [],
      }
    : null;
  return {
    kind: 'IPAddressPool',
    apiVersion: 'metallb.io/v1beta1',
    metadata: { name, namespace: 'metallb-system', labels: {}, annotations: {} },
    origin: origin('pools.yaml'),
    spec: { addresses, autoAssign: opts.autoAssign ?? true, avoidBuggyIPs: opts.avoidBuggyIPs ?? false, serviceAllocation },
  };
}

export function selector(matchLabels: Record<string, string>): LabelSelector {
  return { matchLabels, matchExpressions: [] };
}

export function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name, namespace: '', labels, annotations: {} },
    origin: origin('namespaces.yaml'),
  };
}

export interface ServiceOptions {
  type?: Service['spec']['type'];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  /** "TCP/80" entries; default one TCP/80. */
  ports?: string[];
  selector?: Record<string, string>;
  ipFamilies?: IpFamilyName[];
  ipFamilyPolicy?: IpFamilyPolicy | null;
  clusterIPs?: string[];
  loadBalancerIP?: string | null;
  loadBalancerClass?: string | null;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  ingress?: string[];
}

/** A Service "namespace/name" (type LoadBalancer, TCP/80, selector app=name unless told otherwise). */
export function service(ref: string, opts: ServiceOptions = {}): Service {
  const [ns, name] = ref.split('/') as [string, string];
  const ports: ServicePort[] = (opts.ports ?? ['TCP/80']).map((p) => {
    const [protocol, port] = p.split('/') as ['TCP' | 'UDP' | 'SCTP', string];
    return { name: `${protocol.toLowerCase()}-${port}`, protocol, port: Number(port), targetPort: null, nodePort: null };
  });
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { name, namespace: ns, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
    origin: origin('services.yaml'),
    spec: {
      type: opts.type ?? 'LoadBalancer',
      ports,
      selector: opts.selector ?? { app: name },
      ipFamilies: opts.ipFamilies ?? [],
      ipFamilyPolicy: opts.ipFamilyPolicy ?? null,
      clusterIPs: opts.clusterIPs ?? [],
      loadBalancerIP: opts.loadBalancerIP ?? null,
      loadBalancerClass: opts.loadBalancerClass ?? null,
      externalTrafficPolicy: opts.externalTrafficPolicy ?? 'Cluster',
    },
    status: { loadBalancerIngress: opts.ingress ?? [] },
  };
}

export const IPS = 'metallb.io/loadBalancerIPs';
export const OLD_IPS = 'metallb.universe.tf/loadBalancerIPs';
export const POOL = 'metallb.io/address-pool';
export const OLD_POOL = 'metallb.universe.tf/address-pool';
export const SHARE = 'metallb.io/allow-shared-ip';
export const OLD_SHARE = 'metallb.universe.tf/allow-shared-ip';
