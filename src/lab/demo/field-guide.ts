/**
 * The field guide's manifests the demo applies ("How to Fix MetalLB WiFi ARP Issues on Raspberry
 * Pi Clusters", ../shared/seed/). They are embedded, not read from test/fixtures, so the demo runs
 * from an installed package; test/lab/demo.test.ts checks they still equal the fixture.
 */

/** Solution 2, "Wire One Node", verbatim: the pool plus an L2Advertisement for `network: ethernet` nodes. */
export const fieldGuideWiredNode = `# metallb-config.yaml - L2 mode with node selectors
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: home-lab-pool
  namespace: metallb-system
spec:
  addresses:
    # IP range within your subnet, outside DHCP range
    - 192.168.1.200-192.168.1.210
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: home-lab-l2
  namespace: metallb-system
spec:
  ipAddressPools:
    - home-lab-pool
  # Only Ethernet-connected nodes handle ARP announcements
  nodeSelectors:
    - matchLabels:
        network: ethernet
`;

/** Solution 4, "Use BGP Mode", verbatim: a BGPPeer for the home router, a pool and a BGPAdvertisement. */
export const fieldGuideBgp = `# metallb-bgp-config.yaml - Layer 3 routing, no ARP needed
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: home-router
  namespace: metallb-system
spec:
  myASN: 64500
  peerASN: 64501
  peerAddress: 192.168.1.1
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: bgp-pool
  namespace: metallb-system
spec:
  addresses:
    - 192.168.1.200-192.168.1.210
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: bgp-advertisement
  namespace: metallb-system
spec:
  ipAddressPools:
    - bgp-pool
`;

/** The label the field guide puts on the wired node (`kubectl label node rpi-node-01 network=ethernet`). */
export const fieldGuideWiredLabel: Readonly<Record<string, string>> = { network: 'ethernet' };

/**
 * MetalLB's plain Layer 2 setup the field guide starts from: Solution 2's pool and L2Advertisement
 * without the comments and without nodeSelectors, so every node is a candidate and MetalLB's hash
 * picks the announcer. Derived, so the two cannot drift apart.
 */
export const plainLayer2 = fieldGuideWiredNode
  .split('\n')
  .filter((line) => !line.trimStart().startsWith('#'))
  .join('\n')
  .replace(/^ {2}nodeSelectors:\n[\s\S]*$/m, '');
