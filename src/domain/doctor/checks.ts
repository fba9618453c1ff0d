import type { DoctorFacts, ProbeResult } from './facts.js';

export type CheckStatus = 'ok' | 'problem' | 'warning' | 'not-run';

export type CheckId =
  | 'allocation'
  | 'announcement'
  | 'uplink'
  | 'probe-node-ip'
  | 'probe-vip'
  | 'conflict'
  | 'split-brain'
  | 'capture'
  | 'firmware-filter'
  | 'client-isolation'
  | 'gratuitous-arp'
  | 'kube-proxy-strict-arp'
  | 'excluded-nodes';

export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly status: CheckStatus;
  /** One sentence with the numbers: what was seen. */
  readonly detail: string;
}

const result = (id: CheckId, title: string, status: CheckStatus, detail: string): CheckResult => ({ id, title, status, detail });

function answered(p: ProbeResult): string {
  return `${p.replies}/${p.sent} ARP requests for ${p.target} answered${p.macs.length > 0 ? ` by ${p.macs.join(', ')}` : ''}`;
}

/** MACs that answered for the VIP other than the elected node's. */
export function foreignMacs(f: DoctorFacts): string[] {
  const own = f.announcement?.mac ?? null;
  return (f.probeVip?.macs ?? []).filter((m) => m !== own);
}

function allocation(f: DoctorFacts): CheckResult {
  const title = 'the Service has an address';
  const a = f.allocation;
  if (a === null) return result('allocation', title, 'not-run', 'no Service holds this address in the configuration read');
  const who = `${a.namespace}/${a.name}`;
  if (a.ips.length > 0) return result('allocation', title, 'ok', `${who} has ${a.ips.join(', ')} from pool ${a.pool ?? '?'}`);
  return result('allocation', title, 'problem', `${who} is pending: ${a.error ?? a.reason ?? 'no reason given'}`);
}

function announcement(f: DoctorFacts): CheckResult {
  const title = 'a node announces the address';
  const a = f.announcement;
  if (a === null && f.bgpNodes.length > 0) return result('announcement', title, 'ok', `routed by BGP from ${f.bgpNodes.join(', ')}: no node answers ARP for it`);
  if (a === null) return result('announcement', title, 'not-run', 'the announcement plan is unknown (no configuration or status read)');
  if (a.node === null) return result('announcement', title, 'problem', `nobody announces ${f.vip ?? 'the address'}: ${a.reason}`);
  return result('announcement', title, 'ok', `${a.node} announces it${a.interface ? ` on ${a.interface}` : ''}${a.mac ? ` with MAC ${a.mac}` : ''}`);
}

function uplink(f: DoctorFacts): CheckResult {
  const title = 'the announcing node is wired';
  const a = f.announcement;
  if (a === null || a.node === null || a.uplink === 'unknown') return result('uplink', title, 'not-run', 'the announcing node\'s uplink kind is unknown');
  if (a.uplink === 'wired') return result('uplink', title, 'ok', `${a.node} reaches the LAN over a wired link`);
  return result('uplink', title, 'warning', `${a.node} reaches the LAN over WiFi${a.interface ? ` (${a.interface})` : ''}: access points and the Pi firmware filter ARP there`);
}

function probeNodeIp(f: DoctorFacts): CheckResult {
  const title = 'the node\'s own address answers ARP';
  const p = f.probeNodeIp;
  if (p === null) return result('probe-node-ip', title, 'not-run', 'the node address was not probed');
  return result('probe-node-ip', title, p.replies > 0 ? 'ok' : 'problem', answered(p));
}

function probeVip(f: DoctorFacts): CheckResult {
  const title = 'the VIP answers ARP from here';
  const p = f.probeVip;
  if (p === null) return result('probe-vip', title, 'not-run', 'the VIP was not probed');
  return result('probe-vip', title, p.replies > 0 ? 'ok' : 'problem', answered(p));
}

function conflict(f: DoctorFacts): CheckResult {
  const title = 'no other host uses the VIP';
  if (f.probeVip === null) return result('conflict', title, 'not-run', 'the VIP was not probed');
  if (Object.keys(f.nodeMacs).length === 0 && (f.announcement?.mac ?? null) === null) {
    // Without one node MAC every answer looks like a stranger's: say so instead of crying conflict.
    return result('conflict', title, 'not-run', 'no node MAC is known (give --status-file, --node-mac or --node-command) to tell nodes from strangers');
  }
  const strangers = foreignMacs(f).filter((m) => f.nodeMacs[m] === undefined);
  if (strangers.length === 0) return result('conflict', title, 'ok', 'only cluster nodes answered for the VIP');
  return result('conflict', title, 'problem', `${strangers.join(', ')} also answer${strangers.length === 1 ? 's' : ''} for ${f.probeVip.target} and ${strangers.length === 1 ? 'is' : 'are'} not a cluster node: another host has this address`);
}

function splitBrain(f: DoctorFacts): CheckResult {
  const title = 'exactly one node answers for the VIP';
  if (f.probeVip === null) return result('split-brain', title, 'not-run', 'the VIP was not probed');
  const nodes = f.probeVip.macs.filter((m) => f.nodeMacs[m] !== undefined).map((m) => `${f.nodeMacs[m]} (${m})`);
  if (nodes.length <= 1) return result('split-brain', title, 'ok', nodes.length === 1 ? `only ${nodes[0]} answered` : 'no node answered');
  return result('split-brain', title, 'problem', `${nodes.length} nodes answer for the VIP: ${nodes.join(', ')}`);
}

function capture(f: DoctorFacts): CheckResult {
  const title = 'ARP requests reach the announcing node and replies leave';
  const c = f.capture;
  if (c === null) return result('capture', title, 'not-run', 'no capture on the announcing node (give --node-command to run the doctor\'s node side there)');
  const replies = c.repliesForVip === null ? 'replies leaving were not counted (no tcpdump on the node)' : `${c.repliesForVip} replies left`;
  const seen = `${c.requestsForVip} requests for the VIP arrived, ${replies}${c.promiscuous ? ' (interface promiscuous)' : ''}`;
  if (c.requestsForVip === 0) return result('capture', title, 'problem', seen);
  if (c.repliesForVip === 0) return result('capture', title, 'problem', `${seen}: nothing on the node answered`);
  if (c.repliesForVip === null) return result('capture', title, 'warning', seen);
  return result('capture', title, 'ok', seen);
}

function firmwareFilter(f: DoctorFacts): CheckResult {
  const title = 'no WiFi firmware ARP filter on the node';
  const normal = f.capture;
  const promisc = f.capturePromiscuous;
  if (normal === null || promisc === null || normal.promiscuous) {
    return result('firmware-filter', title, 'not-run', 'needs captures with and without promiscuous mode on the announcing node');
  }
  if (normal.requestsForVip === 0 && promisc.requestsForVip > 0) {
    return result('firmware-filter', title, 'problem', `requests for the VIP arrive only in promiscuous mode (${normal.requestsForVip} without, ${promisc.requestsForVip} with): the WiFi firmware drops ARP for addresses not on the interface`);
  }
  return result('firmware-filter', title, 'ok', `promiscuous mode changes nothing (${normal.requestsForVip} without, ${promisc.requestsForVip} with)`);
}

function clientIsolation(f: DoctorFacts): CheckResult {
  const title = 'WiFi stations can reach each other';
  const n = f.nodeToNode;
  if (n === null) return result('client-isolation', title, 'not-run', 'node-to-node reachability was not tested');
  if (n.reachable) return result('client-isolation', title, 'ok', `${n.from} reaches ${n.to}`);
  const gw = f.nodeToGateway;
  const gateway = gw === null ? '' : gw.reachable ? `, yet reaches the gateway` : `, nor the gateway`;
  return result('client-isolation', title, gw?.reachable === false ? 'warning' : 'problem', `${n.from} cannot reach ${n.to}${gateway}`);
}

function gratuitousArp(f: DoctorFacts): CheckResult {
  const title = 'gratuitous ARP reaches other hosts';
  if (f.garp === null) return result('gratuitous-arp', title, 'not-run', 'no gratuitous ARP was sent and observed');
  return f.garp.observerUpdated
    ? result('gratuitous-arp', title, 'ok', 'an observer\'s neighbour table took the gratuitous ARP')
    : result('gratuitous-arp', title, 'problem', 'a gratuitous ARP for the VIP did not change an observer\'s neighbour table: the AP filters ARP that claims a new address for a station\'s MAC');
}

function kubeProxy(f: DoctorFacts): CheckResult {
  const title = 'kube-proxy IPVS has strictARP';
  const k = f.kubeProxy;
  if (k === null || k.mode === null) return result('kube-proxy-strict-arp', title, 'not-run', 'kube-proxy\'s mode is unknown');
  if (k.mode !== 'ipvs') return result('kube-proxy-strict-arp', title, 'ok', `kube-proxy runs in ${k.mode} mode`);
  return k.strictARP === true
    ? result('kube-proxy-strict-arp', title, 'ok', 'kube-proxy IPVS with strictARP: true')
    : result('kube-proxy-strict-arp', title, 'problem', 'kube-proxy IPVS without strictARP: every node answers ARP for every VIP on kube-ipvs0');
}

function excluded(f: DoctorFacts): CheckResult {
  const title = 'no node is excluded from load balancers';
  if (f.excludedNodes.length === 0) return result('excluded-nodes', title, 'ok', 'no node carries node.kubernetes.io/exclude-from-external-load-balancers');
  return result('excluded-nodes', title, 'warning', `${f.excludedNodes.join(', ')} carr${f.excludedNodes.length === 1 ? 'ies' : 'y'} node.kubernetes.io/exclude-from-external-load-balancers and never announce`);
}

/** Every check, in the order a person would walk the field guide's diagnosis. */
export function runChecks(f: DoctorFacts): CheckResult[] {
  return [
    allocation(f),
    announcement(f),
    excluded(f),
    uplink(f),
    probeNodeIp(f),
    probeVip(f),
    conflict(f),
    splitBrain(f),
    kubeProxy(f),
    capture(f),
    firmwareFilter(f),
    clientIsolation(f),
    gratuitousArp(f),
  ];
}
