import type { Cause } from './verdict.js';
import type { DoctorFacts } from './facts.js';
import { walkTree, type TreeAnswers, type TreeQuestion } from './decision-tree.js';

export type FixKind = 'none' | 'config' | 'kube-proxy' | 'airlb-wifi' | 'wired-node' | 'ap-settings' | 'bgp' | 'static-arp' | 'decide';

export interface Fix {
  readonly kind: FixKind;
  readonly title: string;
  /** What to do, in order, in words. */
  readonly steps: readonly string[];
  /** Commands to run, ready to paste. */
  readonly commands: readonly string[];
  /** Manifests to apply (YAML), or null. */
  readonly manifests: string | null;
  /** The decision-tree question still open, when kind is 'decide'. */
  readonly question: TreeQuestion | null;
}

/** What the fixes need to know beyond the facts: names from the configuration. */
export interface FixContext {
  readonly pool: string | null;
  readonly wiredNodes: readonly string[];
  readonly namespace: string;
}

const fix = (kind: FixKind, title: string, steps: string[], commands: string[] = [], manifests: string | null = null, question: TreeQuestion | null = null): Fix => ({
  kind,
  title,
  steps,
  commands,
  manifests,
  question,
});

function wiredNodeFix(ctx: FixContext): Fix {
  const pool = ctx.pool ?? 'home-lab-pool';
  const node = ctx.wiredNodes[0] ?? 'WIRED-NODE';
  return fix(
    'wired-node',
    'Announce from a wired node (field guide Solution 2)',
    [
      ctx.wiredNodes.length > 0
        ? `${node} is wired: pin the pool's announcements to nodes labelled network=ethernet and label it.`
        : 'Connect one node by Ethernet, label it network=ethernet, and pin the pool\'s announcements to such nodes.',
      'airlb also prefers wired nodes on its own (it labels Nodes airlb.io/uplink=wired|wireless); the label makes it a rule.',
    ],
    [`kubectl label node ${node} network=ethernet --overwrite`],
    [
      'apiVersion: metallb.io/v1beta1',
      'kind: L2Advertisement',
      'metadata:',
      `  name: ${pool}-wired`,
      `  namespace: ${ctx.namespace}`,
      'spec:',
      '  ipAddressPools:',
      `    - ${pool}`,
      '  nodeSelectors:',
      '    - matchLabels:',
      '        network: ethernet',
      '',
    ].join('\n'),
  );
}

function apFix(cause: Cause): Fix {
  const unifi: Record<string, string> = {
    'ap-arp-proxy': 'UniFi: Settings → WiFi → (your network) → Advanced: turn off "Proxy ARP" (and "Multicast Enhancement" if ARP still fails).',
    'ap-client-isolation': 'UniFi: Settings → WiFi → (your network): turn off "Client Device Isolation".',
    'ap-garp-filter': 'UniFi: Settings → WiFi → (your network) → Advanced: turn off "Proxy ARP" and "Multicast and Broadcast Control" so gratuitous ARP and replies for the VIP pass.',
  };
  const openwrt: Record<string, string[]> = {
    'ap-arp-proxy': ["uci set wireless.default_radio0.proxy_arp='0'", "uci set wireless.default_radio0.multicast_to_unicast='0'"],
    'ap-client-isolation': ["uci set wireless.default_radio0.isolate='0'"],
    'ap-garp-filter': ["uci set wireless.default_radio0.proxy_arp='0'", "uci set wireless.default_radio0.isolate='0'"],
  };
  return fix(
    'ap-settings',
    'Change the access point (field guide Solution 3)',
    [
      unifi[cause] ?? 'Turn off proxy ARP, ARP suppression and client isolation for the WiFi network the nodes use.',
      'OpenWrt: run the commands below on the router (one radio shown; repeat for default_radio1), then re-run `airlb doctor`.',
      'On a UniFi AP the shell setting `echo 0 > /proc/sys/net/ipv4/conf/br0/proxy_arp` is lost at reboot: prefer the controller setting.',
    ],
    [...(openwrt[cause] ?? openwrt['ap-arp-proxy']!), 'uci commit wireless', 'wifi reload'],
  );
}

function bgpFix(ctx: FixContext): Fix {
  const pool = ctx.pool ?? 'bgp-pool';
  return fix(
    'bgp',
    'Route the VIPs with BGP (field guide Solution 4): no ARP for the VIP at all',
    [
      'Apply the BGPPeer and BGPAdvertisement (set peerAddress to your router, the ASNs to private ones you choose).',
      'Generate the router side from the same manifests and install it on the router.',
    ],
    ['airlb router-config --for openwrt -f bgp.yaml -f nodes.yaml > setup-bgp.sh   # or --for bird|frr|gobgp'],
    [
      'apiVersion: metallb.io/v1beta2',
      'kind: BGPPeer',
      'metadata:',
      '  name: home-router',
      `  namespace: ${ctx.namespace}`,
      'spec:',
      '  myASN: 64500',
      '  peerASN: 64501',
      '  peerAddress: 192.168.1.1',
      '---',
      'apiVersion: metallb.io/v1beta1',
      'kind: BGPAdvertisement',
      'metadata:',
      '  name: bgp-advertisement',
      `  namespace: ${ctx.namespace}`,
      'spec:',
      '  ipAddressPools:',
      `    - ${pool}`,
      '',
    ].join('\n'),
  );
}

function staticArpFix(cause: Cause, facts: DoctorFacts): Fix {
  const vip = facts.vip ?? 'VIP';
  const mac = facts.announcement?.mac ?? 'NODE-MAC';
  return fix(
    'static-arp',
    'Pin the VIP in the clients\' ARP tables (field guide Solution 1), following failover',
    [
      '`airlb arp-pin` keeps this machine\'s entry pointing at whichever node owns the VIP now, and removes it on exit; since ARP for the VIP is what fails, give it the speakers\' status files (--status-file) to learn the owner.',
      'A plain static entry is quick but breaks when the VIP moves to another node.',
      // Isolation blocks every frame between stations, not only ARP: a pinned entry cannot pass it.
      ...(cause === 'ap-client-isolation' ? ['Client isolation blocks all traffic between WiFi stations: pinning helps clients on wired ports only; WiFi clients need a wired node, the AP setting or BGP.'] : []),
    ],
    [`sudo airlb arp-pin --vip ${vip}`, `sudo ip neigh replace ${vip} lladdr ${mac} dev eth0 nud permanent   # plain, does not follow failover`],
  );
}

/**
 * The fix for a cause. Configuration and node problems have one fix; for the access point's
 * behaviours the field guide's decision tree picks among wiring a node, changing the AP, BGP and
 * static ARP, and asks when an answer is missing.
 */
export function chooseFix(cause: Cause, facts: DoctorFacts, answers: TreeAnswers, ctx: FixContext): Fix {
  switch (cause) {
    case 'healthy':
      return fix('none', 'Nothing to fix', ['The VIP answers from here with the elected node\'s MAC.']);
    case 'unknown':
      return fix('none', 'No cause found', ['Run the doctor from a machine on the VIP\'s LAN so it can probe, with --node-command so the announcing node captures; `--json` shows which checks did not run.']);
    case 'pool-exhausted':
      return fix('config', `Grow pool ${ctx.pool ?? ''}`.trim(), ['Every address of the pool is in use: add a range to spec.addresses (outside your DHCP range), or free an address.']);
    case 'no-advertisement':
      return fix('config', 'Advertise the pool', ['No L2Advertisement or BGPAdvertisement covers the pool, or every node is excluded: add one (below), and check the nodes\' labels.'], [], [
        'apiVersion: metallb.io/v1beta1',
        'kind: L2Advertisement',
        'metadata:',
        `  name: ${ctx.pool ?? 'pool'}-l2`,
        `  namespace: ${ctx.namespace}`,
        'spec:',
        '  ipAddressPools:',
        `    - ${ctx.pool ?? 'POOL'}`,
        '',
      ].join('\n'));
    case 'ip-conflict':
      return fix('config', 'Give the VIP back to the host that has it, or take it out of the pool', [
        'Another host (its MAC is in the evidence) already uses this address — often a DHCP lease. airlb will not claim it.',
        'Shrink the pool to addresses outside your DHCP range, or reserve the address in the DHCP server.',
      ]);
    case 'split-brain':
      return facts.kubeProxy?.mode === 'ipvs' && facts.kubeProxy.strictARP !== true
        ? fix('kube-proxy', 'Turn on strictARP in kube-proxy (IPVS mode)', ['kube-proxy in IPVS mode binds every VIP to kube-ipvs0, so every node answers ARP for it unless strictARP is on.'], [
            'kubectl get configmap kube-proxy -n kube-system -o yaml | sed -e "s/strictARP: false/strictARP: true/" | kubectl apply -f - -n kube-system',
            'kubectl -n kube-system rollout restart daemonset kube-proxy',
          ])
        : fix('config', 'Run one load balancer', ['Several nodes answer for the VIP: make sure only one of MetalLB, kube-vip or airlb announces it, and that the VIP is not configured on a node by hand.']);
    case 'node-wifi-arp-offload':
      return fix('airlb-wifi', 'Lift the WiFi firmware ARP filter', [
        'airlb\'s speaker turns promiscuous reception on for wireless interfaces that announce a VIP (it ends with the speaker and comes back at restart); it is on unless disabled in its configuration.',
        'With MetalLB, do it by hand and make it survive reboots:',
      ], ['sudo ip link set wlan0 promisc on', 'printf "[Service]\\nExecStartPost=/sbin/ip link set wlan0 promisc on\\n" | sudo SYSTEMD_EDITOR=tee systemctl edit wpa_supplicant']);
    case 'ap-arp-proxy':
    case 'ap-client-isolation':
    case 'ap-garp-filter': {
      const step = walkTree(answers);
      if ('ask' in step) {
        return fix('decide', 'Pick a fix (field guide decision tree)', ['Answer the question below (on a terminal the doctor asks it; otherwise pass --can-wire, --can-configure-ap, --router-bgp yes|no).'], [], null, step.ask);
      }
      switch (step.outcome) {
        case 'wired-node':
          return wiredNodeFix(ctx);
        case 'ap-settings':
          return apFix(cause);
        case 'bgp':
          return bgpFix(ctx);
        case 'static-arp':
          return staticArpFix(cause, facts);
      }
    }
  }
}
