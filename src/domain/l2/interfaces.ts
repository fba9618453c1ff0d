import { AirlbError } from '../../errors.js';
import { cidrToRange, parseIp, prefixOf, rangeContains, type Ip } from '../net/ip.js';

/**
 * Which of a node's interfaces a VIP is announced on, and what kind of link each one is. The facts
 * are read from /sys/class/net by src/io/interfaces.ts; everything here is a pure function of them,
 * so tests feed recorded facts.
 */

/** One address on an interface, as canonical text and prefix length. */
export interface InterfaceAddress {
  readonly address: string;
  readonly prefixLength: number;
}

/** What /sys/class/net/NAME and the address list say about one interface. */
export interface InterfaceFacts {
  readonly name: string;
  readonly ifindex: number;
  /** ARPHRD_* from `type`: 1 Ethernet (WiFi stations too), 772 loopback. */
  readonly type: number;
  /** `address`, lowercase; '' when the device has none (tun, wireguard). */
  readonly mac: string;
  /** `operstate` (RFC 2863 names): up, down, dormant, lowerlayerdown, unknown, ... */
  readonly operstate: string;
  /** IFF_* bits from `flags`. */
  readonly flags: number;
  /** DEVTYPE from `uevent` (wlan, bridge, vlan, ...), null when absent (Ethernet, veth). */
  readonly devtype: string | null;
  /** `wireless/` exists (cfg80211 wireless extensions). */
  readonly hasWirelessDir: boolean;
  /** `phy80211` exists (link to the radio). */
  readonly hasPhy80211: boolean;
  /** The device this one is enslaved to (`master` link: bridge, bond, VRF), null when none. */
  readonly master: string | null;
  /** No `device` link: a software device (veth, bridge, VLAN, bond, dummy, tun, ...). */
  readonly softwareDevice: boolean;
  readonly addresses: readonly InterfaceAddress[];
}

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_NOARP = 0x80;
const ARPHRD_ETHER = 1;

/**
 * MetalLB's default `metallb-excludel2` ConfigMap (announcedInterfacesToExclude): container,
 * CNI, tunnel and loopback devices the speaker never announces on. `^lxc.*` (Cilium's pod veths)
 * appears in newer manifests; it is included because those are never uplinks either.
 */
export const METALLB_DEFAULT_EXCLUDES: readonly RegExp[] = [
  /^docker.*/,
  /^cbr.*/,
  /^dummy.*/,
  /^virbr.*/,
  /^lxcbr.*/,
  /^veth.*/,
  /^lo$/,
  /^cali.*/,
  /^tunl.*/,
  /^flannel.*/,
  /^kube-ipvs.*/,
  /^cni.*/,
  /^nodelocaldns.*/,
  /^lxc.*/,
];

export type InterfaceKind = 'wired' | 'wireless' | 'virtual';

export type ClassificationReason =
  /** The injected override named this interface. */
  | 'override'
  | 'loopback'
  /** Its name matches one of the exclusion patterns (MetalLB's defaults unless configured). */
  | 'excluded-name'
  /** A bridge port or bond member: its master carries the traffic and answers instead. */
  | 'enslaved'
  /** Not an Ethernet-framed device (tun, IP-in-IP, WireGuard): no ARP or NDP on it. */
  | 'not-ethernet'
  /** wireless/, phy80211 or DEVTYPE=wlan. */
  | 'wireless-sysfs'
  /** A software device (veth, bridge, VLAN, ...) with no global address: not an uplink. */
  | 'software-without-address'
  /**
   * A software device with a global unicast address and no master: the node's uplink all the
   * same (a bridge the NIC is enslaved to, a VLAN, a bond, or in our lab and tests a veth).
   */
  | 'software-uplink'
  /** A hardware Ethernet device. */
  | 'hardware-ethernet';

export interface Classification {
  readonly kind: InterfaceKind;
  readonly reason: ClassificationReason;
}

export type Classifier = (facts: InterfaceFacts) => Classification;

function isGlobalUnicast(ip: Ip): boolean {
  if (ip.family === 4) {
    const first = Number(ip.value >> 24n);
    const linkLocal = ip.value >> 16n === 0xa9fen; // 169.254/16, RFC 3927
    return first !== 0 && first !== 127 && first < 224 && !linkLocal;
  }
  const top10 = ip.value >> 118n;
  const linkLocal = top10 === 0x3fan; // fe80::/10, RFC 4291 §2.5.6
  const multicast = ip.value >> 120n === 0xffn;
  return ip.value > 1n && !linkLocal && !multicast;
}

function hasGlobalAddress(facts: InterfaceFacts): boolean {
  return facts.addresses.some((a) => {
    const ip = parseIp(a.address);
    return ip !== null && isGlobalUnicast(ip);
  });
}

/** The default classifier, with MetalLB's name exclusions unless `excludes` replaces them. */
export function classifyInterface(facts: InterfaceFacts, excludes: readonly RegExp[] = METALLB_DEFAULT_EXCLUDES): Classification {
  if ((facts.flags & IFF_LOOPBACK) !== 0) return { kind: 'virtual', reason: 'loopback' };
  if (facts.master !== null) return { kind: 'virtual', reason: 'enslaved' };
  if (excludes.some((re) => re.test(facts.name))) return { kind: 'virtual', reason: 'excluded-name' };
  if (facts.type !== ARPHRD_ETHER) return { kind: 'virtual', reason: 'not-ethernet' };
  if (facts.hasWirelessDir || facts.hasPhy80211 || facts.devtype === 'wlan') {
    return { kind: 'wireless', reason: 'wireless-sysfs' };
  }
  if (facts.softwareDevice) {
    return hasGlobalAddress(facts)
      ? { kind: 'wired', reason: 'software-uplink' }
      : { kind: 'virtual', reason: 'software-without-address' };
  }
  return { kind: 'wired', reason: 'hardware-ethernet' };
}

/** Interfaces whose kind is forced (config or AIRLB_WIRELESS_INTERFACES / AIRLB_WIRED_INTERFACES). */
export interface ClassifierOverrides {
  readonly wireless?: readonly string[];
  readonly wired?: readonly string[];
}

/**
 * A classifier that reports the listed interfaces as wireless or wired and asks `base` about the
 * rest. This is how a test (or the lab, whose "WiFi" nodes are veths) presents an interface as
 * wireless, and how a user rescues an uplink the default rules call virtual.
 */
export function withOverrides(base: Classifier, overrides: ClassifierOverrides): Classifier {
  const wireless = new Set(overrides.wireless ?? []);
  const wired = new Set(overrides.wired ?? []);
  return (facts) => {
    if (wireless.has(facts.name)) return { kind: 'wireless', reason: 'override' };
    if (wired.has(facts.name)) return { kind: 'wired', reason: 'override' };
    return base(facts);
  };
}

export interface ClassifiedInterface {
  readonly facts: InterfaceFacts;
  readonly classification: Classification;
}

export function classifyAll(facts: readonly InterfaceFacts[], classifier: Classifier = (f) => classifyInterface(f)): ClassifiedInterface[] {
  return facts.map((f) => ({ facts: f, classification: classifier(f) }));
}

/** MetalLB's IPAdvertisement shape (election's L2Announcement carries it). */
export interface AnnounceScope {
  readonly allInterfaces: boolean;
  readonly interfaces: readonly string[];
}

export type SelectionReason =
  /** Selected: an address of the interface's own subnet contains the VIP. */
  | 'in-vip-subnet'
  /** Selected: no eligible interface is on the VIP's subnet, so all eligible ones announce (MetalLB). */
  | 'no-interface-in-vip-subnet'
  /** Selected: the L2Advertisement lists it. */
  | 'listed'
  | 'not-listed'
  | 'down'
  | 'virtual'
  /** IFF_NOARP, or (IPv4) no IFF_BROADCAST: no neighbour resolution on this link. */
  | 'no-arp'
  /** IPv6 VIP but no fe80::/10 address to send Neighbor Advertisements from. */
  | 'no-link-local'
  /** Another eligible interface is on the VIP's subnet and this one is not. */
  | 'other-subnet';

export interface InterfaceVerdict {
  readonly ifname: string;
  readonly kind: InterfaceKind;
  readonly mac: string;
  readonly selected: boolean;
  readonly reason: SelectionReason;
}

/** RFC 2863 operstates that carry traffic; 'unknown' is what many virtual drivers report. */
function isUp(facts: InterfaceFacts): boolean {
  return (facts.flags & IFF_UP) !== 0 && (facts.operstate === 'up' || facts.operstate === 'unknown');
}

function isLinkLocalV6(address: string): boolean {
  const ip = parseIp(address);
  return ip !== null && ip.family === 6 && ip.value >> 118n === 0x3fan;
}

function onSubnetOf(facts: InterfaceFacts, vip: Ip): boolean {
  return facts.addresses.some((a) => {
    const ip = parseIp(a.address);
    if (ip === null || ip.family !== vip.family || !isGlobalUnicast(ip)) return false;
    return rangeContains(cidrToRange(prefixOf(ip, a.prefixLength)), vip);
  });
}

/** Why an interface cannot announce `vip` at all, or null when it could. */
function ineligibility(iface: ClassifiedInterface, vip: Ip): SelectionReason | null {
  const f = iface.facts;
  if (!isUp(f)) return 'down';
  if (iface.classification.kind === 'virtual') return 'virtual';
  if ((f.flags & IFF_NOARP) !== 0) return 'no-arp';
  if (vip.family === 4 && (f.flags & IFF_BROADCAST) === 0) return 'no-arp';
  if (vip.family === 6 && !f.addresses.some((a) => isLinkLocalV6(a.address))) return 'no-link-local';
  return null;
}

/**
 * The verdict for every interface, sorted by name. With an explicit `interfaces` list (MetalLB's
 * L2Advertisement.spec.interfaces) the eligible listed interfaces announce. Otherwise MetalLB
 * announces on every eligible interface; airlb narrows that to the interfaces on the VIP's own
 * subnet when there are any, because a reply on another subnet's link only teaches that link's
 * hosts a MAC they cannot use (and on a multi-homed node confuses them), and falls back to
 * MetalLB's behaviour when none is, since a VIP outside every node subnet may be routed to the LAN.
 */
export function selectInterfaces(vip: string, scope: AnnounceScope, interfaces: readonly ClassifiedInterface[]): InterfaceVerdict[] {
  const ip = parseIp(vip);
  if (ip === null) throw new AirlbError('l2-bad-vip', `'${vip}' is not an IP address`);
  const listed = new Set(scope.interfaces);
  const sorted = [...interfaces].sort((a, b) => (a.facts.name < b.facts.name ? -1 : a.facts.name > b.facts.name ? 1 : 0));
  const verdict = (iface: ClassifiedInterface, selected: boolean, reason: SelectionReason): InterfaceVerdict => ({
    ifname: iface.facts.name,
    kind: iface.classification.kind,
    mac: iface.facts.mac,
    selected,
    reason,
  });
  const eligible = new Set<ClassifiedInterface>();
  const early = new Map<ClassifiedInterface, SelectionReason>();
  for (const iface of sorted) {
    const excluded = !scope.allInterfaces && !listed.has(iface.facts.name) ? 'not-listed' : ineligibility(iface, ip);
    if (excluded === null) eligible.add(iface);
    else early.set(iface, excluded);
  }
  const onSubnet = new Set([...eligible].filter((iface) => onSubnetOf(iface.facts, ip)));
  return sorted.map((iface) => {
    const excluded = early.get(iface);
    if (excluded !== undefined) return verdict(iface, false, excluded);
    if (!scope.allInterfaces) return verdict(iface, true, 'listed');
    if (onSubnet.size === 0) return verdict(iface, true, 'no-interface-in-vip-subnet');
    return onSubnet.has(iface) ? verdict(iface, true, 'in-vip-subnet') : verdict(iface, false, 'other-subnet');
  });
}

/** The names of the selected interfaces, in order. */
export function selectedInterfaces(verdicts: readonly InterfaceVerdict[]): string[] {
  return verdicts.filter((v) => v.selected).map((v) => v.ifname);
}
