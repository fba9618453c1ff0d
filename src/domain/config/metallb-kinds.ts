import { parseGoDuration } from './duration.js';
import { getBool, getNumber, getObject, getObjects, getString, getStrings, readMeta, readSelectors, type PlainObject } from './plain.js';
import type { BFDProfile, BGPAdvertisement, BGPPeer, Community, IPAddressPool, L2Advertisement, Origin } from './types.js';

/**
 * Typed metallb.io resources from documents that passed their shape check, with MetalLB's
 * defaults applied (the CRDs' +kubebuilder:default markers and MetalLB's config.go).
 */

/** Where MetalLB is installed; its resources are read from there when no namespace is written. */
export const metallbNamespace = 'metallb-system';

export function buildIPAddressPool(doc: PlainObject, origin: Origin): IPAddressPool {
  const spec = getObject(doc, 'spec');
  const allocation = getObject(spec, 'serviceAllocation');
  return {
    kind: 'IPAddressPool',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      addresses: getStrings(spec, 'addresses'),
      autoAssign: getBool(spec, 'autoAssign') ?? true,
      avoidBuggyIPs: getBool(spec, 'avoidBuggyIPs') ?? false,
      serviceAllocation:
        allocation === null
          ? null
          : {
              priority: getNumber(allocation, 'priority'),
              namespaces: getStrings(allocation, 'namespaces'),
              namespaceSelectors: readSelectors(allocation, 'namespaceSelectors'),
              serviceSelectors: readSelectors(allocation, 'serviceSelectors'),
            },
    },
  };
}

export function buildL2Advertisement(doc: PlainObject, origin: Origin): L2Advertisement {
  const spec = getObject(doc, 'spec');
  return {
    kind: 'L2Advertisement',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      ipAddressPools: getStrings(spec, 'ipAddressPools'),
      ipAddressPoolSelectors: readSelectors(spec, 'ipAddressPoolSelectors'),
      nodeSelectors: readSelectors(spec, 'nodeSelectors'),
      interfaces: getStrings(spec, 'interfaces'),
      serviceSelectors: readSelectors(spec, 'serviceSelectors'),
    },
  };
}

function durationMs(spec: PlainObject | null, key: string): number | null {
  const text = getString(spec, key);
  return text === null ? null : parseGoDuration(text);
}

export function buildBGPPeer(doc: PlainObject, origin: Origin): BGPPeer {
  const spec = getObject(doc, 'spec');
  const secret = getObject(spec, 'passwordSecret');
  const dynamicASN = getString(spec, 'dynamicASN');
  const secretName = getString(secret, 'name');
  // MetalLB's Go types read "" as unset (omitempty).
  const iface = getString(spec, 'interface') ?? '';
  const dualStack = getBool(spec, 'dualStackAddressFamily');
  return {
    kind: 'BGPPeer',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      myASN: getNumber(spec, 'myASN') ?? 0,
      peerASN: getNumber(spec, 'peerASN') ?? 0,
      dynamicASN: dynamicASN === 'internal' || dynamicASN === 'external' ? dynamicASN : null,
      peerAddress: getString(spec, 'peerAddress') ?? '',
      ...(iface === '' ? {} : { interface: iface }),
      sourceAddress: getString(spec, 'sourceAddress'),
      // RFC 4271 §8.2.1: BGP listens on TCP port 179.
      peerPort: getNumber(spec, 'peerPort') ?? 179,
      holdTimeMs: durationMs(spec, 'holdTime'),
      keepaliveTimeMs: durationMs(spec, 'keepaliveTime'),
      connectTimeMs: durationMs(spec, 'connectTime'),
      routerID: getString(spec, 'routerID'),
      nodeSelectors: readSelectors(spec, 'nodeSelectors'),
      password: getString(spec, 'password'),
      // An empty secret name means "no secret" in MetalLB (corev1.SecretReference zero value).
      passwordSecret:
        secretName === null || secretName === ''
          ? null
          : { name: secretName, namespace: getString(secret, 'namespace') ?? readMeta(doc, metallbNamespace).namespace },
      bfdProfile: getString(spec, 'bfdProfile'),
      enableGracefulRestart: getBool(spec, 'enableGracefulRestart') ?? false,
      ebgpMultiHop: getBool(spec, 'ebgpMultiHop') ?? false,
      vrf: getString(spec, 'vrf'),
      // MetalLB (api/v1beta2 BGPPeerSpec) deprecated disableMP for dualStackAddressFamily: a
      // session carries its own family only, both with dualStackAddressFamily. When that field
      // is written it decides; otherwise airlb keeps disableMP's meaning (default: both).
      disableMP: dualStack === null ? (getBool(spec, 'disableMP') ?? false) : !dualStack,
    },
  };
}

export function buildBGPAdvertisement(doc: PlainObject, origin: Origin): BGPAdvertisement {
  const spec = getObject(doc, 'spec');
  return {
    kind: 'BGPAdvertisement',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      // No aggregation by default: one host route per address.
      aggregationLength: getNumber(spec, 'aggregationLength') ?? 32,
      aggregationLengthV6: getNumber(spec, 'aggregationLengthV6') ?? 128,
      localPref: getNumber(spec, 'localPref'),
      communities: getStrings(spec, 'communities'),
      ipAddressPools: getStrings(spec, 'ipAddressPools'),
      ipAddressPoolSelectors: readSelectors(spec, 'ipAddressPoolSelectors'),
      nodeSelectors: readSelectors(spec, 'nodeSelectors'),
      peers: getStrings(spec, 'peers'),
      serviceSelectors: readSelectors(spec, 'serviceSelectors'),
    },
  };
}

export function buildCommunity(doc: PlainObject, origin: Origin): Community {
  const spec = getObject(doc, 'spec');
  return {
    kind: 'Community',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      communities: getObjects(spec, 'communities').map((c) => ({ name: getString(c, 'name') ?? '', value: getString(c, 'value') ?? '' })),
    },
  };
}

export function buildBFDProfile(doc: PlainObject, origin: Origin): BFDProfile {
  const spec = getObject(doc, 'spec');
  return {
    kind: 'BFDProfile',
    apiVersion: getString(doc, 'apiVersion') ?? '',
    metadata: readMeta(doc, metallbNamespace),
    origin,
    spec: {
      // MetalLB's documented defaults (FRR's bfdd defaults): 300 ms / 300 ms, x3, echo 50 ms.
      receiveIntervalMs: getNumber(spec, 'receiveInterval') ?? 300,
      transmitIntervalMs: getNumber(spec, 'transmitInterval') ?? 300,
      detectMultiplier: getNumber(spec, 'detectMultiplier') ?? 3,
      echoIntervalMs: getNumber(spec, 'echoInterval') ?? 50,
      echoMode: getBool(spec, 'echoMode') ?? false,
      passiveMode: getBool(spec, 'passiveMode') ?? false,
      minimumTtl: getNumber(spec, 'minimumTtl') ?? 254,
    },
  };
}
