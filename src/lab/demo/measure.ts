import type { Lab } from '../lab.js';
import type { FirmwareFilterState } from '../status.js';
import { arping, forgetNeighbour, httpGet, neighbour, type ArpingResult, type HttpResult, type NeighbourEntry } from './probes.js';

/**
 * One look at the VIP from the client, with the evidence the field guide asks for and where the
 * ARP requests went: captured as they leave the client (at its AP port) and as they arrive on the
 * announcing node's interface. The names of the causes are the doctor's (src/domain/doctor).
 */

export type Cause = 'ap-arp-proxy' | 'node-wifi-arp-offload' | 'ap-garp-filter';

export interface ApBehaviourEvidence {
  readonly proxyArp: boolean;
  readonly garpFilter: boolean;
  readonly firmwareFilter: FirmwareFilterState;
}

export interface Measurement {
  readonly vip: string;
  readonly client: string;
  /** The node whose speaker holds the VIP; null when none does. */
  readonly announcer: string | null;
  readonly announcerLink: 'wired' | 'wifi' | null;
  /** The field guide's `curl http://VIP`: this is what "reachable" means. */
  readonly http: HttpResult;
  /** The field guide's `arping -I eth0 VIP`. */
  readonly arping: ArpingResult;
  /** arping for the announcer's own address: answered while the VIP is not means WiFi ARP trouble. */
  readonly nodeIp: { readonly ip: string; readonly replies: number } | null;
  /** ARP requests for the VIP sent by the client, and how many of them reached the announcer. */
  readonly requests: { readonly sentByClient: number; readonly reachedAnnouncer: number | null };
  readonly clientNeighbour: NeighbourEntry;
  /** What the AP and the Pi firmware do on a WiFi announcer's port; null on a wired one. */
  readonly ap: ApBehaviourEvidence | null;
  /** When unreachable: the behaviours that stopped the exchange (empty when reachable). */
  readonly responsible: readonly Cause[];
}

export interface MeasureOptions {
  /** Keep the client's neighbour entry (a static one) instead of resolving afresh. */
  readonly keepNeighbour?: boolean;
}

/**
 * Lines tcpdump prints for an ARP request from `sender` for `target`: "who-has T tell S," — or
 * "who-has T (ff:ff:ff:ff:ff:ff) tell S," when the target MAC field is not zero, as arping sends it.
 */
function countRequests(lines: readonly string[], target: string, sender: string): number {
  const escape = (ip: string): string => ip.replaceAll('.', '\\.');
  const request = new RegExp(`who-has ${escape(target)} (\\([0-9a-f:]{17}\\) )?tell ${escape(sender)},`);
  return lines.filter((l) => request.test(l)).length;
}

/** Which behaviour stopped the exchange: requests lost before the node, or replies lost after. */
function causes(requests: Measurement['requests'], ap: ApBehaviourEvidence | null, reachable: boolean): Cause[] {
  if (reachable || ap === null) return [];
  const found: Cause[] = [];
  if (requests.reachedAnnouncer === 0) {
    if (ap.proxyArp) found.push('ap-arp-proxy');
    if (ap.firmwareFilter === 'filtering') found.push('node-wifi-arp-offload');
  } else if (ap.garpFilter) {
    found.push('ap-garp-filter');
  }
  return found;
}

export async function measure(lab: Lab, client: string, vip: string, port: number, announcer: string | null, options: MeasureOptions = {}): Promise<Measurement> {
  if (!options.keepNeighbour) await forgetNeighbour(lab, client, vip);
  const node = announcer === null ? null : lab.node(announcer);
  const clientIp = lab.node(client).ipv4;
  const [fromClient, atAnnouncer] = await Promise.all([
    lab.capture({ port: client }, 'arp'),
    node === null ? Promise.resolve(null) : lab.capture({ node: node.name }, 'arp'),
  ]);
  try {
    const [http, vipArping, nodeArping] = await Promise.all([
      httpGet(lab, client, vip, port),
      arping(lab, client, vip),
      node === null ? Promise.resolve(null) : arping(lab, client, node.ipv4),
    ]);
    // tcpdump prints line-buffered, but the last frames may still be in the pipe.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const requests = {
      sentByClient: countRequests(fromClient.lines(), vip, clientIp),
      reachedAnnouncer: atAnnouncer === null ? null : countRequests(atAnnouncer.lines(), vip, clientIp),
    };
    const behaviours = node === null || node.port !== 'wifi' ? null : lab.behaviours(node.name);
    const ap = behaviours === null || node === null ? null : { proxyArp: behaviours.proxyArp, garpFilter: behaviours.garpFilter, firmwareFilter: lab.firmwareFilter(node.name) };
    return {
      vip,
      client,
      announcer,
      announcerLink: node?.port ?? null,
      http,
      arping: vipArping,
      nodeIp: node === null || nodeArping === null ? null : { ip: node.ipv4, replies: nodeArping.replies },
      requests,
      clientNeighbour: await neighbour(lab, client, vip),
      ap,
      responsible: causes(requests, ap, http.answered),
    };
  } finally {
    await Promise.all([fromClient.stop(), atAnnouncer?.stop()]);
  }
}
