import type { Runner } from './exec.js';
import { inNetns } from './exec.js';
import { apNetns, bridgeName, macFor, netnsName } from './naming.js';
import { gatewayOf, lanPrefixLength, type LabNodeSpec, type Topology } from './topology.js';

/**
 * Builds the lab's namespaces and links. Nothing is created in the host's namespace: every
 * command names its namespace (`ip -n`), and each veth is created from inside the AP's namespace
 * with its peer placed straight into the node's (`ip -n AP link add PORT type veth peer name
 * IFACE netns NODE`), so no link ever exists in the host namespace, not even for a moment.
 */

/** The MAC of a node: index 0 is the AP's bridge, nodes count from 1 in topology order. */
export function nodeMac(prefix: string, topology: Topology, node: LabNodeSpec): string {
  return macFor(prefix, topology.nodes.indexOf(node) + 1);
}

/**
 * Kernel defaults written out explicitly: with net.core.devconf_inherit_init_net=1 a new
 * namespace would copy the host's values, and a lab must not depend on how the host is tuned.
 * arp_ignore=0 / arp_announce=0 are what Raspberry Pi OS ships (ip-sysctl.rst).
 */
function nodeSysctls(node: LabNodeSpec): string[] {
  const settings = ['net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.all.arp_announce=0', `net.ipv4.conf.${node.iface}.arp_ignore=0`, `net.ipv4.conf.${node.iface}.arp_announce=0`];
  if (node.role === 'router') settings.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  return settings;
}

async function addAddresses(runner: Runner, netns: string, dev: string, topology: Topology, ipv4: string, ipv6: string | null): Promise<void> {
  await runner.run(['ip', '-n', netns, 'addr', 'add', `${ipv4}/${lanPrefixLength(topology, 4)}`, 'dev', dev]);
  // nodad: the lab owns the whole prefix, and duplicate address detection (RFC 4862 §5.4)
  // would leave the address tentative (unusable) for about a second.
  if (ipv6 !== null) await runner.run(['ip', '-n', netns, 'addr', 'add', `${ipv6}/${lanPrefixLength(topology, 6)}`, 'dev', dev, 'nodad']);
}

async function createAp(runner: Runner, prefix: string, topology: Topology): Promise<void> {
  const ap = apNetns(prefix);
  await runner.run(['ip', 'netns', 'add', ap]);
  await runner.run(['ip', '-n', ap, 'link', 'set', 'lo', 'up']);
  // STP off (the default): ports forward as soon as they are up.
  await runner.run(['ip', '-n', ap, 'link', 'add', bridgeName, 'address', macFor(prefix, 0), 'type', 'bridge']);
  await addAddresses(runner, ap, bridgeName, topology, topology.ap.ipv4, topology.ap.ipv6);
  await runner.run(['ip', '-n', ap, 'link', 'set', bridgeName, 'up']);
}

async function createNode(runner: Runner, prefix: string, topology: Topology, node: LabNodeSpec): Promise<void> {
  const ap = apNetns(prefix);
  const ns = netnsName(prefix, node.name);
  await runner.run(['ip', 'netns', 'add', ns]);
  await runner.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await runner.run(['ip', '-n', ap, 'link', 'add', node.name, 'type', 'veth', 'peer', 'name', node.iface, 'netns', ns]);
  await runner.run(['ip', '-n', ap, 'link', 'set', node.name, 'master', bridgeName, 'up']);
  await runner.run(inNetns(ns, ['sysctl', '-q', '-w', ...nodeSysctls(node)]));
  await runner.run(['ip', '-n', ns, 'link', 'set', node.iface, 'address', nodeMac(prefix, topology, node), 'up']);
  await addAddresses(runner, ns, node.iface, topology, node.ipv4, node.ipv6);
  if (node.role !== 'router') {
    const gw = gatewayOf(topology);
    await runner.run(['ip', '-n', ns, 'route', 'add', 'default', 'via', gw.ipv4, 'dev', node.iface]);
    if (gw.ipv6 !== null && node.ipv6 !== null) await runner.run(['ip', '-n', ns, '-6', 'route', 'add', 'default', 'via', gw.ipv6, 'dev', node.iface]);
  }
}

/**
 * The AP's association table for a WiFi station: the station's MAC pinned to its port and its
 * addresses in the bridge's neighbour table. Proxy ARP answers only from these (the kernel's
 * br_do_proxy_suppress_arp looks the target up in the bridge's neighbour table, then the MAC in
 * the FDB), as hostapd's proxy_arp answers only for what it learned from the station.
 */
async function associate(runner: Runner, prefix: string, topology: Topology, node: LabNodeSpec): Promise<void> {
  const ap = apNetns(prefix);
  const mac = nodeMac(prefix, topology, node);
  await runner.run(['bridge', '-n', ap, 'fdb', 'replace', mac, 'dev', node.name, 'master', 'static']);
  await runner.run(['ip', '-n', ap, 'neigh', 'replace', node.ipv4, 'lladdr', mac, 'dev', bridgeName, 'nud', 'permanent']);
  if (node.ipv6 !== null && topology.ap.ipv6 !== null) {
    await runner.run(['ip', '-n', ap, 'neigh', 'replace', node.ipv6, 'lladdr', mac, 'dev', bridgeName, 'nud', 'permanent']);
  }
}

/** Creates the AP and every node. On failure the caller sweeps the prefix. */
export async function applyTopology(runner: Runner, prefix: string, topology: Topology): Promise<void> {
  await createAp(runner, prefix, topology);
  // Nodes are independent of each other once the AP exists.
  await Promise.all(topology.nodes.map((node) => createNode(runner, prefix, topology, node)));
  for (const node of topology.nodes) {
    if (node.port === 'wifi') await associate(runner, prefix, topology, node);
  }
}
