import type { InterfaceKind } from './interfaces.js';

/**
 * Whether to hold a promiscuous membership on an interface, and why (DESIGN §1, last row). The
 * Raspberry Pi's brcmfmac firmware answers and filters ARP itself for the few addresses configured
 * on wlan0, so requests for a VIP never reach the host; the driver turns that offload off while
 * the interface is promiscuous (brcmf_configure_arp_nd_offload(ifp, !promisc)). airlb takes the
 * promiscuous state through its packet socket's PACKET_MR_PROMISC membership, which the kernel
 * drops when the socket closes — nothing is left behind, unlike `ip link set wlan0 promisc on`.
 *
 * Every wireless interface qualifies, not only brcmfmac ones: other drivers have similar offloads
 * (in WoWLAN or vendor firmware), the driver name is not a reliable signal, and promiscuous
 * reception on a WiFi station costs little (it still only receives frames for its BSS).
 */
export interface PromiscuousConfig {
  /** Speaker setting, default true; false leaves the firmware filter alone (the user handles it). */
  readonly wifiPromiscuous: boolean;
}

export interface PromiscuousInput {
  readonly ifname: string;
  readonly kind: InterfaceKind;
  /** How many VIPs this node announces on the interface right now (probing or claimed). */
  readonly announcedVips: number;
}

export type PromiscuousReason =
  /** On: a wireless interface announces VIPs, and the firmware ARP filter would hide requests for them. */
  | 'wireless-firmware-filter'
  /** Off: the user disabled it (wifiPromiscuous: false); requests may not reach us on WiFi. */
  | 'disabled-by-config'
  /** Off: wired and virtual interfaces have no firmware ARP filter. */
  | 'not-wireless'
  /** Off: nothing to announce here, so no reason to see other hosts' frames. */
  | 'not-announcing';

export interface PromiscuousDecision {
  readonly promiscuous: boolean;
  readonly reason: PromiscuousReason;
}

export function needsPromiscuous(iface: PromiscuousInput, config: PromiscuousConfig): PromiscuousDecision {
  if (iface.kind !== 'wireless') return { promiscuous: false, reason: 'not-wireless' };
  if (iface.announcedVips === 0) return { promiscuous: false, reason: 'not-announcing' };
  if (!config.wifiPromiscuous) return { promiscuous: false, reason: 'disabled-by-config' };
  return { promiscuous: true, reason: 'wireless-firmware-filter' };
}
