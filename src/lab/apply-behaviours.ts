import type { Runner } from './exec.js';
import { inNetns } from './exec.js';
import { renderApRuleset, type PortFilter } from './ap-ruleset.js';
import { apNetns, apTableName } from './naming.js';
import type { InterfaceObservation, LabState } from './state.js';
import type { ApBehaviours } from './topology.js';

/**
 * Turns a lab state's behaviours into bridge port flags and the AP's nft ruleset.
 *
 * Bridge port flags (bridge(8), kernel net/bridge/br_arp_nd_proxy.c):
 * - proxy_arp_wifi: the bridge itself answers ARP requests for the station's known addresses
 *   (the association table apply-topology.ts fills) and does not flood those requests to the
 *   station, as a hostapd AP with proxy_arp does. Requests for any other address are then
 *   flooded; the AP ruleset drops them at the port (ap-ruleset.ts), which is the suppression.
 *   The plain `proxy_arp` flag is not used: it stops every flooded frame, IPv6 multicast
 *   included, so IPv6 to the station would fail; `neigh_suppress` is not used either: on this
 *   kernel it stops the bridge answering requests that arrive from the port itself, so
 *   stations could not resolve each other (measured; docs/lab.md).
 * - isolated: the port exchanges frames only with non-isolated ports (client isolation).
 */
export async function applyPortFlags(runner: Runner, prefix: string, port: string, behaviours: ApBehaviours): Promise<void> {
  const onOff = (b: boolean): string => (b ? 'on' : 'off');
  await runner.run([
    'ip', '-n', apNetns(prefix), 'link', 'set', 'dev', port, 'type', 'bridge_slave',
    'proxy_arp_wifi', onOff(behaviours.proxyArp),
    'isolated', onOff(behaviours.isolation),
  ]);
}

/** The Broadcom firmware's ARP offload table holds at most 8 addresses (field guide). */
export const firmwareAddressLimit = 8;

/**
 * Whether the firmware filter is dropping ARP requests on a node, and for which addresses it
 * still answers. Before the first observation the node's configured address stands in.
 */
export function firmwareAnswers(behaviours: ApBehaviours | null, observed: InterfaceObservation | undefined, stationIpv4: string): readonly string[] | null {
  if (behaviours === null || !behaviours.firmwareFilter) return null;
  if (observed?.promiscuous) return null;
  return (observed?.ipv4 ?? [stationIpv4]).slice(0, firmwareAddressLimit);
}

export function portFilters(state: LabState): PortFilter[] {
  return state.topology.nodes.map((node) => {
    const runtime = state.runtime[node.name];
    const behaviours = runtime?.behaviours ?? null;
    return {
      port: node.name,
      stationIpv4: node.ipv4,
      stationIpv6: node.ipv6,
      proxyArp: behaviours?.proxyArp ?? false,
      garpFilter: behaviours?.garpFilter ?? false,
      loss: behaviours?.loss ?? 0,
      partitioned: runtime?.partitioned ?? false,
      firmwareAnswers: firmwareAnswers(behaviours, state.observed[node.name], node.ipv4),
    };
  });
}

export async function applyApRuleset(runner: Runner, state: LabState): Promise<void> {
  const ruleset = renderApRuleset(apTableName(state.prefix), portFilters(state));
  await runner.run(inNetns(apNetns(state.prefix), ['nft', '-f', '-']), { input: ruleset });
}
