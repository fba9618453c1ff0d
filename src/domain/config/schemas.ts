import { anything, bool, dict, duration, int, intOrString, list, obj, oneOf, required, str, unsupported, type Shape } from './shape.js';

/**
 * The fields every kind accepts. MetalLB kinds follow the metallb.io CRDs; Kubernetes kinds
 * follow the core/v1 and discovery.k8s.io/v1 schemas closely enough that `kubectl get -o yaml`
 * output is accepted as is, while a misspelt field is still an error.
 */

/** metav1.ObjectMeta: everything the API server writes back, so kubectl output passes. */
const objectMeta = obj({
  name: required(str),
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  labels: dict(str),
  annotations: dict(str),
  ownerReferences: list(anything),
  finalizers: list(str),
  managedFields: list(anything),
});

const labelSelector = obj({
  matchLabels: dict(str),
  matchExpressions: list(
    obj({
      key: required(str),
      operator: required(oneOf('In', 'NotIn', 'Exists', 'DoesNotExist')),
      values: list(str),
    }),
  ),
});

function resource(spec: Shape, extra: Record<string, Shape> = {}, specRequired = false): Shape {
  return obj({
    apiVersion: required(str),
    kind: required(str),
    metadata: required(objectMeta),
    spec: specRequired ? required(spec) : spec,
    // MetalLB CRDs have an (empty) status subresource; kubectl prints `status: {}`.
    status: anything,
    ...extra,
  });
}

const notYet = (what: string): string =>
  `${what} is a MetalLB field airlb does not implement yet; remove it (see docs/configuration.md)`;

export const ipAddressPoolShape = resource(
  obj({
    addresses: required(list(str)),
    autoAssign: bool,
    avoidBuggyIPs: bool,
    serviceAllocation: obj({
      priority: int,
      namespaces: list(str),
      namespaceSelectors: list(labelSelector),
      serviceSelectors: list(labelSelector),
    }),
  }),
  {},
  true,
);

export const l2AdvertisementShape = resource(
  obj({
    ipAddressPools: list(str),
    ipAddressPoolSelectors: list(labelSelector),
    nodeSelectors: list(labelSelector),
    interfaces: list(str),
    // MetalLB's per-Service filter (src/domain/election/advertisements.ts).
    serviceSelectors: list(labelSelector),
    preferredNodeSelectors: unsupported(list(anything), notYet('preferredNodeSelectors')),
  }),
);

const secretReference = obj({ name: str, namespace: str });

/** metallb.io/v1beta1 BGPPeer: the older field set (16-bit ASNs; no dynamicASN, VRF or secret). */
export const bgpPeerV1beta1Shape = resource(
  obj({
    myASN: required(int),
    peerASN: required(int),
    peerAddress: required(str),
    sourceAddress: str,
    peerPort: int,
    holdTime: duration,
    keepaliveTime: duration,
    routerID: str,
    nodeSelectors: list(labelSelector),
    password: str,
    bfdProfile: str,
    ebgpMultiHop: bool,
  }),
  {},
  true,
);

export const bgpPeerV1beta2Shape = resource(
  obj({
    myASN: required(int),
    peerASN: int,
    dynamicASN: oneOf('internal', 'external'),
    // MetalLB: exactly one of peerAddress and interface (checked in validate-peers.ts).
    peerAddress: str,
    interface: str,
    sourceAddress: str,
    peerPort: int,
    holdTime: duration,
    keepaliveTime: duration,
    connectTime: duration,
    routerID: str,
    nodeSelectors: list(labelSelector),
    password: str,
    passwordSecret: secretReference,
    bfdProfile: str,
    enableGracefulRestart: bool,
    ebgpMultiHop: bool,
    vrf: str,
    disableMP: bool,
    dualStackAddressFamily: bool,
    localASN: unsupported(int, notYet('localASN')),
  }),
  {},
  true,
);

export const bgpAdvertisementShape = resource(
  obj({
    aggregationLength: int,
    aggregationLengthV6: int,
    localPref: int,
    communities: list(str),
    ipAddressPools: list(str),
    ipAddressPoolSelectors: list(labelSelector),
    nodeSelectors: list(labelSelector),
    peers: list(str),
    serviceSelectors: list(labelSelector),
  }),
);

export const communityShape = resource(
  obj({ communities: list(obj({ name: required(str), value: required(str) })) }),
);

export const bfdProfileShape = resource(
  obj({
    receiveInterval: int,
    transmitInterval: int,
    detectMultiplier: int,
    echoInterval: int,
    echoMode: bool,
    passiveMode: bool,
    minimumTtl: int,
  }),
);

// ---------------------------------------------------------------- Kubernetes (core/v1, discovery/v1)

export const serviceShape = resource(
  obj({
    ports: list(
      obj({
        name: str,
        protocol: oneOf('TCP', 'UDP', 'SCTP'),
        appProtocol: str,
        port: required(int),
        targetPort: intOrString,
        nodePort: int,
      }),
    ),
    selector: dict(str),
    clusterIP: str,
    clusterIPs: list(str),
    type: oneOf('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
    externalIPs: list(str),
    sessionAffinity: oneOf('ClientIP', 'None'),
    loadBalancerIP: str,
    loadBalancerSourceRanges: list(str),
    externalName: str,
    externalTrafficPolicy: oneOf('Cluster', 'Local'),
    healthCheckNodePort: int,
    publishNotReadyAddresses: bool,
    sessionAffinityConfig: anything,
    ipFamilies: list(oneOf('IPv4', 'IPv6')),
    ipFamilyPolicy: oneOf('SingleStack', 'PreferDualStack', 'RequireDualStack'),
    allocateLoadBalancerNodePorts: bool,
    loadBalancerClass: str,
    internalTrafficPolicy: oneOf('Cluster', 'Local'),
    trafficDistribution: str,
  }),
  {
    status: obj({
      loadBalancer: obj({
        ingress: list(obj({ ip: str, hostname: str, ipMode: oneOf('VIP', 'Proxy'), ports: list(anything) })),
      }),
      conditions: list(anything),
    }),
  },
);

export const nodeShape = resource(
  obj({
    podCIDR: str,
    podCIDRs: list(str),
    providerID: str,
    unschedulable: bool,
    taints: list(anything),
    configSource: anything,
    externalID: str,
  }),
  {
    status: obj({
      capacity: dict(anything),
      allocatable: dict(anything),
      phase: str,
      conditions: list(
        obj({
          type: required(str),
          status: required(oneOf('True', 'False', 'Unknown')),
          lastHeartbeatTime: str,
          lastTransitionTime: str,
          reason: str,
          message: str,
        }),
      ),
      addresses: list(obj({ type: required(str), address: required(str) })),
      daemonEndpoints: anything,
      nodeInfo: obj({
        machineID: str,
        systemUUID: str,
        bootID: str,
        kernelVersion: str,
        osImage: str,
        containerRuntimeVersion: str,
        kubeletVersion: str,
        kubeProxyVersion: str,
        operatingSystem: str,
        architecture: str,
        swap: anything,
      }),
      images: list(anything),
      volumesInUse: list(anything),
      volumesAttached: list(anything),
      config: anything,
      runtimeHandlers: list(anything),
      features: anything,
      declaredFeatures: list(anything),
    }),
  },
);

export const namespaceShape = resource(obj({ finalizers: list(str) }), {
  status: obj({ phase: str, conditions: list(anything) }),
});

/** EndpointSlice has no spec: its fields sit at the top level. */
export const endpointSliceShape = obj({
  apiVersion: required(str),
  kind: required(str),
  metadata: required(objectMeta),
  addressType: required(oneOf('IPv4', 'IPv6', 'FQDN')),
  endpoints: list(
    obj({
      addresses: required(list(str)),
      conditions: obj({ ready: bool, serving: bool, terminating: bool }),
      hostname: str,
      targetRef: anything,
      nodeName: str,
      zone: str,
      hints: anything,
      deprecatedTopology: dict(str),
    }),
  ),
  ports: list(obj({ name: str, protocol: oneOf('TCP', 'UDP', 'SCTP'), port: int, appProtocol: str })),
});
