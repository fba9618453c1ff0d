import { getBool, getNumber, getObject, getObjects, getString, getStringMap, getStrings, readMeta, type PlainObject } from './plain.js';
import type { Endpoint, EndpointSlice, IpFamilyName, IpFamilyPolicy, Namespace, Node, NodeCondition, Origin, Service, ServicePort, ServiceType } from './types.js';

/**
 * Typed Kubernetes inputs from documents that passed their shape check, with the API server's
 * defaults (type ClusterIP, externalTrafficPolicy Cluster, protocol TCP, namespace "default").
 */

const serviceTypes: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const families: readonly IpFamilyName[] = ['IPv4', 'IPv6'];
const familyPolicies: readonly IpFamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const protocols: readonly ServicePort['protocol'][] = ['TCP', 'UDP', 'SCTP'];

function pick<T extends string>(values: readonly T[], v: string | null): T | null {
  return values.find((x) => x === v) ?? null;
}

function readPort(p: PlainObject): ServicePort {
  const target = p['targetPort'];
  return {
    name: getString(p, 'name') ?? '',
    protocol: pick(protocols, getString(p, 'protocol')) ?? 'TCP',
    port: getNumber(p, 'port') ?? 0,
    targetPort: typeof target === 'number' || typeof target === 'string' ? target : null,
    nodePort: getNumber(p, 'nodePort'),
  };
}

export function buildService(doc: PlainObject, origin: Origin): Service {
  const spec = getObject(doc, 'spec');
  const ingress = getObjects(getObject(getObject(doc, 'status'), 'loadBalancer'), 'ingress');
  return {
    kind: 'Service',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, 'default'),
    origin,
    spec: {
      type: pick(serviceTypes, getString(spec, 'type')) ?? 'ClusterIP',
      ports: getObjects(spec, 'ports').map(readPort),
      selector: getStringMap(spec, 'selector'),
      ipFamilies: getStrings(spec, 'ipFamilies').flatMap((f) => pick(families, f) ?? []),
      ipFamilyPolicy: pick(familyPolicies, getString(spec, 'ipFamilyPolicy')),
      clusterIPs: getStrings(spec, 'clusterIPs'),
      loadBalancerIP: getString(spec, 'loadBalancerIP'),
      loadBalancerClass: getString(spec, 'loadBalancerClass'),
      externalTrafficPolicy: getString(spec, 'externalTrafficPolicy') === 'Local' ? 'Local' : 'Cluster',
    },
    status: {
      // Hostname-only entries (cloud load balancers) carry no address to announce.
      loadBalancerIngress: ingress.flatMap((i) => getString(i, 'ip') ?? []),
    },
  };
}

const conditionStatuses: readonly NodeCondition['status'][] = ['True', 'False', 'Unknown'];

export function buildNode(doc: PlainObject, origin: Origin): Node {
  const status = getObject(doc, 'status');
  return {
    kind: 'Node',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, ''),
    origin,
    status: {
      conditions: getObjects(status, 'conditions').map((c) => ({
        type: getString(c, 'type') ?? '',
        status: pick(conditionStatuses, getString(c, 'status')) ?? 'Unknown',
      })),
      addresses: getObjects(status, 'addresses').map((a) => ({ type: getString(a, 'type') ?? '', address: getString(a, 'address') ?? '' })),
    },
  };
}

export function buildNamespace(doc: PlainObject, origin: Origin): Namespace {
  return { kind: 'Namespace', apiVersion: getString(doc, 'apiVersion') ?? '', metadata: readMeta(doc, ''), origin };
}

/** The label the EndpointSlice controller sets to tie a slice to its Service. */
export const serviceNameLabel = 'kubernetes.io/service-name';

export function buildEndpointSlice(doc: PlainObject, origin: Origin): EndpointSlice {
  const metadata = readMeta(doc, 'default');
  const addressType = getString(doc, 'addressType');
  return {
    kind: 'EndpointSlice',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata,
    origin,
    addressType: addressType === 'IPv6' || addressType === 'FQDN' ? addressType : 'IPv4',
    endpoints: getObjects(doc, 'endpoints').map((e): Endpoint => {
      const conditions = getObject(e, 'conditions');
      return {
        addresses: getStrings(e, 'addresses'),
        conditions: { ready: getBool(conditions, 'ready'), serving: getBool(conditions, 'serving'), terminating: getBool(conditions, 'terminating') },
        nodeName: getString(e, 'nodeName'),
      };
    }),
    serviceName: metadata.labels[serviceNameLabel] ?? '',
  };
}
