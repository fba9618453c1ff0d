/**
 * The typed model of everything airlb reads: MetalLB's metallb.io resources and the Kubernetes
 * objects that drive allocation and announcement. These are plain data, with defaults applied by
 * the parser, so every consumer (validator, allocator, election, BGP, CLI) sees one shape.
 *
 * Durations (holdTime, keepaliveTime, connectTime) are carried in milliseconds; intervals of
 * BFDProfile in milliseconds as MetalLB specifies them.
 */

/** Where a resource, or one field of it, came from: used by every error message. */
export interface SourceRef {
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
}

/**
 * The origin of a parsed resource: the document's own position, and the line of each field path
 * ("spec.addresses[1]", "spec.nodeSelectors[0].matchLabels.network") that was present in the YAML.
 */
export interface Origin extends SourceRef {
  readonly fieldLines: ReadonlyMap<string, number>;
}

export interface ObjectMeta {
  readonly name: string;
  /** "" for cluster-scoped objects; MetalLB's own resources default to "metallb-system". */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** metav1.LabelSelector. An empty selector matches everything. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

interface ResourceBase<K extends string> {
  readonly kind: K;
  readonly apiVersion: string;
  readonly metadata: ObjectMeta;
  readonly origin: Origin;
}

// ---------------------------------------------------------------- metallb.io

export interface ServiceAllocation {
  /** Lower number = higher priority; pools without one come after all pools with one. */
  readonly priority: number | null;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface IPAddressPool extends ResourceBase<'IPAddressPool'> {
  readonly spec: {
    /** As written: CIDRs or "start-end" ranges (see net/ip parseAddressRange). */
    readonly addresses: readonly string[];
    readonly autoAssign: boolean;
    readonly avoidBuggyIPs: boolean;
    readonly serviceAllocation: ServiceAllocation | null;
  };
}

export interface L2Advertisement extends ResourceBase<'L2Advertisement'> {
  readonly spec: {
    readonly ipAddressPools: readonly string[];
    readonly ipAddressPoolSelectors: readonly LabelSelector[];
    readonly nodeSelectors: readonly LabelSelector[];
    readonly interfaces: readonly string[];
    /** See BGPAdvertisement.spec.serviceSelectors. */
    readonly serviceSelectors?: readonly LabelSelector[];
  };
}

export interface SecretReference {
  readonly name: string;
  readonly namespace: string;
}

export interface BGPPeer extends ResourceBase<'BGPPeer'> {
  readonly spec: {
    readonly myASN: number;
    /** 0 when dynamicASN is used instead. */
    readonly peerASN: number;
    readonly dynamicASN: 'internal' | 'external' | null;
    /** "" when the peer is given by `interface` instead. */
    readonly peerAddress: string;
    /**
     * MetalLB's unnumbered peering (v1beta2 spec.interface): the node interface to find the router
     * on, instead of peerAddress. Set only when written non-empty. airlb does not support it yet
     * (the validator warns): no session can be opened for such a peer.
     */
    readonly interface?: string;
    readonly sourceAddress: string | null;
    readonly peerPort: number;
    readonly holdTimeMs: number | null;
    readonly keepaliveTimeMs: number | null;
    readonly connectTimeMs: number | null;
    readonly routerID: string | null;
    readonly nodeSelectors: readonly LabelSelector[];
    readonly password: string | null;
    readonly passwordSecret: SecretReference | null;
    readonly bfdProfile: string | null;
    readonly enableGracefulRestart: boolean;
    readonly ebgpMultiHop: boolean;
    readonly vrf: string | null;
    /**
     * Whether the session carries only the family of peerAddress (true) or, with Multiprotocol
     * BGP (RFC 4760), IPv4 and IPv6 routes both (false). The parser folds MetalLB's two fields
     * into this one: a written `dualStackAddressFamily` decides (true: both, false: one), as in
     * MetalLB, which ignores the deprecated `disableMP` then; otherwise `disableMP` does
     * (default false: both families, MetalLB's behaviour before dualStackAddressFamily).
     */
    readonly disableMP: boolean;
  };
}

export interface BGPAdvertisement extends ResourceBase<'BGPAdvertisement'> {
  readonly spec: {
    readonly aggregationLength: number;
    readonly aggregationLengthV6: number;
    readonly localPref: number | null;
    /** As written: "65000:100", "large:1:2:3", or the name of an alias from a Community. */
    readonly communities: readonly string[];
    readonly ipAddressPools: readonly string[];
    readonly ipAddressPoolSelectors: readonly LabelSelector[];
    readonly nodeSelectors: readonly LabelSelector[];
    /** BGPPeer names; empty = all peers. */
    readonly peers: readonly string[];
    /**
     * MetalLB's per-Service filter (an advertisement applies to the Services whose labels match
     * one selector; absent or empty = every Service), honoured by the election and the BGP plan
     * (src/domain/election/advertisements.ts).
     */
    readonly serviceSelectors?: readonly LabelSelector[];
  };
}

export interface Community extends ResourceBase<'Community'> {
  readonly spec: {
    readonly communities: readonly { readonly name: string; readonly value: string }[];
  };
}

export interface BFDProfile extends ResourceBase<'BFDProfile'> {
  readonly spec: {
    readonly receiveIntervalMs: number;
    readonly transmitIntervalMs: number;
    readonly detectMultiplier: number;
    readonly echoIntervalMs: number;
    readonly echoMode: boolean;
    readonly passiveMode: boolean;
    readonly minimumTtl: number;
  };
}

// ---------------------------------------------------------------- Kubernetes inputs

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type IpFamilyName = 'IPv4' | 'IPv6';
export type IpFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServicePort {
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  readonly targetPort: number | string | null;
  readonly nodePort: number | null;
}

export interface Service extends ResourceBase<'Service'> {
  readonly spec: {
    readonly type: ServiceType;
    readonly ports: readonly ServicePort[];
    readonly selector: Readonly<Record<string, string>>;
    readonly ipFamilies: readonly IpFamilyName[];
    readonly ipFamilyPolicy: IpFamilyPolicy | null;
    readonly clusterIPs: readonly string[];
    readonly loadBalancerIP: string | null;
    readonly loadBalancerClass: string | null;
    readonly externalTrafficPolicy: 'Cluster' | 'Local';
  };
  readonly status: {
    readonly loadBalancerIngress: readonly string[];
  };
}

export interface NodeCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
}

export interface NodeAddress {
  readonly type: string;
  readonly address: string;
}

export interface Node extends ResourceBase<'Node'> {
  readonly status: {
    readonly conditions: readonly NodeCondition[];
    readonly addresses: readonly NodeAddress[];
  };
}

export interface Namespace extends ResourceBase<'Namespace'> {}

export interface EndpointConditions {
  readonly ready: boolean | null;
  readonly serving: boolean | null;
  readonly terminating: boolean | null;
}

export interface Endpoint {
  readonly addresses: readonly string[];
  readonly conditions: EndpointConditions;
  readonly nodeName: string | null;
}

export interface EndpointSlice extends ResourceBase<'EndpointSlice'> {
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints: readonly Endpoint[];
  /** From the kubernetes.io/service-name label. */
  readonly serviceName: string;
}

export type Resource =
  | IPAddressPool
  | L2Advertisement
  | BGPPeer
  | BGPAdvertisement
  | Community
  | BFDProfile
  | Service
  | Node
  | Namespace
  | EndpointSlice;

export type ResourceKind = Resource['kind'];

/** Everything read from a set of files, grouped by kind, in input order. */
export interface ConfigSet {
  readonly pools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly communities: readonly Community[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly services: readonly Service[];
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
  readonly endpointSlices: readonly EndpointSlice[];
}

/**
 * One problem found in the input, printed as `FILE:LINE: Kind/name: field.path: message`.
 * `message` says what is wrong and what to do.
 */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  readonly name: string;
  readonly path: string;
  readonly message: string;
}

/** A document that was read but is not one of the kinds above (kept as a note, not an error). */
export interface IgnoredDocument extends SourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Why it was skipped, for the note printed to the user. */
  readonly reason: string;
}

/** What reading a set of files gives: the resources, the problems found, and what was skipped. */
export interface ParsedConfig {
  readonly config: ConfigSet;
  /** Errors: the configuration is invalid while there is one. */
  readonly issues: ConfigIssue[];
  /**
   * Real MetalLB fields that are accepted but not honoured as MetalLB would (see warnings.ts),
   * in the same form as issues. They do not make the configuration invalid.
   */
  readonly warnings: ConfigIssue[];
  readonly ignored: IgnoredDocument[];
}

/** One input file, already read: the path is used in messages only. */
export interface ConfigSource {
  readonly file: string;
  readonly text: string;
}
