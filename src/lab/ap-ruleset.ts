import { parseIp } from '../domain/net/ip.js';

/**
 * The AP's per-port frame filters as one nftables ruleset (bridge family, in the AP's namespace).
 * Pure: it renders text; apply-behaviours.ts loads it with `nft -f -`. The ruleset replaces the
 * table in one transaction (declare, delete, redeclare), so a change never leaves a window with
 * the filters half applied.
 *
 * Hooks (nft(8), bridge family): `prerouting` sees every frame a station sends before the bridge
 * decides anything — including before proxy ARP answers — so filters on what the station
 * transmits live there. `forward` and `output` see frames the bridge sends to a port (from another
 * port, or from the AP itself), so filters on what reaches the station live there.
 */
export interface PortFilter {
  /** The AP-side port (the node's name). */
  readonly port: string;
  /** The station's own IPv4 address, the only sender address the GARP filter lets through. */
  readonly stationIpv4: string;
  readonly stationIpv6: string | null;
  /**
   * ARP/NDP suppression: broadcast ARP requests and multicast Neighbor Solicitations for other
   * addresses never reach the station (unicast ones do, as through a real AP).
   */
  readonly proxyArp: boolean;
  readonly garpFilter: boolean;
  /** Percent of frames dropped in each direction. */
  readonly loss: number;
  readonly partitioned: boolean;
  /**
   * Null when the firmware filter is off or lifted (promiscuous interface); otherwise the IPv4
   * addresses the firmware answers for — ARP requests for anything else never reach the node.
   */
  readonly firmwareAnswers: readonly string[] | null;
}

function quote(name: string): string {
  return `"${name}"`;
}

function fromAirRules(f: PortFilter): string[] {
  const iif = `iifname ${quote(f.port)}`;
  const rules: string[] = [];
  if (f.partitioned) rules.push(`${iif} drop`);
  // An ARP probe (RFC 5227 §2.1.1) has sender 0.0.0.0 and claims nothing, so it passes.
  if (f.garpFilter) rules.push(`${iif} ether type arp arp saddr ip != { 0.0.0.0, ${f.stationIpv4} } drop`);
  if (f.loss > 0) rules.push(`${iif} numgen random mod 100 < ${f.loss} drop`);
  return rules;
}

function toAirRules(f: PortFilter): string[] {
  const oif = `oifname ${quote(f.port)}`;
  const rules: string[] = [];
  if (f.partitioned) rules.push(`${oif} drop`);
  if (f.proxyArp) {
    rules.push(`${oif} ether daddr ff:ff:ff:ff:ff:ff ether type arp arp operation request arp daddr ip != ${f.stationIpv4} drop`);
    // The NS target address sits 8 bytes into the ICMPv6 header (RFC 4861 §4.3); this nft
    // has no `icmpv6 taddr`, so it is matched as raw transport-header bits. Link-local targets
    // (fe80::/10) pass: the station's own link-local address must stay resolvable.
    const own = f.stationIpv6 === null ? '' : ` @th,64,128 != 0x${parseIp(f.stationIpv6)!.value.toString(16).padStart(32, '0')}`;
    // Multicast solicitations go to a solicited-node group ff02::1:ffXX:XXXX (RFC 4291 §2.7.1).
    rules.push(`${oif} ip6 daddr ff02::1:ff00:0/104 icmpv6 type nd-neighbor-solicit @th,64,16 & 0xffc0 != 0xfe80${own} drop`);
  }
  if (f.firmwareAnswers !== null) {
    rules.push(
      f.firmwareAnswers.length === 0
        ? `${oif} ether type arp arp operation request drop`
        : `${oif} ether type arp arp operation request arp daddr ip != { ${f.firmwareAnswers.join(', ')} } drop`,
    );
  }
  if (f.loss > 0) rules.push(`${oif} numgen random mod 100 < ${f.loss} drop`);
  return rules;
}

function chain(name: string, hook: string, rules: readonly string[]): string[] {
  return [`  chain ${name} {`, `    type filter hook ${hook} priority filter; policy accept;`, ...rules.map((r) => `    ${r}`), '  }'];
}

export function renderApRuleset(table: string, filters: readonly PortFilter[]): string {
  const fromAir = filters.flatMap(fromAirRules);
  const toAir = filters.flatMap(toAirRules);
  return [
    `table bridge ${table}`,
    `delete table bridge ${table}`,
    `table bridge ${table} {`,
    ...chain('from_air', 'prerouting', fromAir),
    ...chain('to_air', 'forward', toAir),
    ...chain('to_air_local', 'output', toAir),
    '}',
    '',
  ].join('\n');
}
