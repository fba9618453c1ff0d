// Small builders for election tests and the election benchmark: typed resources with only the
// fields the election reads filled in.
import type { EndpointSlice, IPAddressPool, L2Advertisement, LabelSelector, Node, Service } from '../../src/domain/config/types.js';
import type { ElectionInput, ServiceAssignment, SpeakerFacts, Uplink } from '../../src/domain/election/types.js';
export { seededRandom as prng } from '../support/prng.js';

const origin = { file: 'test.yaml', line: 1, fieldLines: new Map<string, number>() };

function meta(name: string, namespace: string, labels: Record<string, string> = {}) {
  return { name, namespace, labels, annotations: {} };
}

export function node(name: string, labels: Record<string, string> = {}, conditions: Node['status']['conditions'] = []): Node {
  return { kind: 'Node', apiVersion: 'v1', metadata: meta(name, '', labels), origin, status: { conditions, addresses: [] } };
}

export function pool(name: string, labels: Record<string, string> = {}): IPAddressPool {
  return {
    kind: 'IPAddressPool',
    apiVersion: 'metallb.io/v1beta1',
    metadata: meta(name, 'metallb-system', labels),
    origin,
    spec: { addresses: ['192.168.1.240/28'], autoAssign: true, avoidBuggyIPs: false, serviceAllocation: null },
  };
}

export function matchLabels(labels: Record<string, string>): LabelSelector {
  return { matchLabels: labels, matchExpressions: [] };
}

export function l2adv(
  name: string,
  spec: Partial<L2Advertisement['spec']> = {},
): L2Advertisement {
  return {
    kind: 'L2Advertisement',
    apiVersion: 'metallb.io/v1beta1',
    metadata: meta(name, 'metallb-system'),
    origin,
    spec: { ipAddressPools: [], ipAddressPoolSelectors: [], nodeSelectors: [], interfaces: [], ...spec },
  };
}

export function service(name: string, policy: 'Cluster' | 'Local' = 'Cluster', namespace = 'default', labels: Record<string, string> = {}): Service {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: meta(name, namespace, labels),
    origin,
    spec: {
      type: 'LoadBalancer',
      ports: [],
      selector: {},
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: null,
      clusterIPs: [],
      loadBalancerIP: null,
      loadBalancerClass: null,
      externalTrafficPolicy: policy,
    },
    status: { loadBalancerIngress: [] },
  };
}

export interface EndpointSpec {
  node: string | null;
  ready?: boolean | null;
  serving?: boolean | null;
}

export function slice(serviceName: string, endpoints: EndpointSpec[], namespace = 'default'): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: meta(`${serviceName}-abc`, namespace),
    origin,
    addressType: 'IPv4',
    serviceName,
    endpoints: endpoints.map((e, i) => ({
      addresses: [`10.244.0.${i + 1}`],
      conditions: { ready: e.ready === undefined ? true : e.ready, serving: e.serving ?? null, terminating: null },
      nodeName: e.node,
    })),
  };
}

export function speaker(name: string, uplink: Uplink = 'unknown', alive = true, failed: string[] = []): SpeakerFacts {
  return { node: name, alive, uplink, verificationFailed: new Set(failed) };
}

export function assign(svc: Service, ips: string[], poolName = 'lan'): ServiceAssignment {
  return { service: svc, ips, pool: poolName };
}

/** A one-pool cluster: every node has a live speaker, every Service one ready endpoint per node. */
export function cluster(names: string[], assignments: ServiceAssignment[], overrides: Partial<ElectionInput> = {}): ElectionInput {
  return {
    assignments,
    nodes: names.map((n) => node(n)),
    pools: [pool('lan')],
    l2Advertisements: [l2adv('all')],
    endpointSlices: assignments.map((a) => slice(a.service.metadata.name, names.map((n) => ({ node: n })), a.service.metadata.namespace)),
    speakers: names.map((n) => speaker(n)),
    ...overrides,
  };
}

