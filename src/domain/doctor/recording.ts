import { bool, boolOrNull, count, fail, object, optional, str, strings, strOrNull, type Json } from './json-read.js';
import type { AllocationFacts, AnnouncementFacts, CaptureFacts, DoctorFacts, ProbeResult, Uplink } from './facts.js';
import { emptyFacts } from './facts.js';

/**
 * Recorded facts (`airlb doctor --facts-out FILE`, read back with `--facts FILE`): the DoctorFacts
 * object as JSON. Every field is checked (AirlbError 'doctor-json-invalid' naming its path);
 * missing fields take emptyFacts' defaults, so a recording only has to hold what was collected.
 */

function probe(o: Json, path: string): ProbeResult {
  return { target: str(o['target'], `${path}.target`), sent: count(o['sent'], `${path}.sent`), replies: count(o['replies'], `${path}.replies`), macs: strings(o['macs'], `${path}.macs`) };
}

export function captureFacts(o: Json, path: string): CaptureFacts {
  return {
    promiscuous: bool(o['promiscuous'], `${path}.promiscuous`),
    requestsForVip: count(o['requestsForVip'], `${path}.requestsForVip`),
    repliesForVip: o['repliesForVip'] === null ? null : count(o['repliesForVip'], `${path}.repliesForVip`),
  };
}

export function allocationFacts(o: Json, path: string): AllocationFacts {
  return {
    namespace: str(o['namespace'], `${path}.namespace`),
    name: str(o['name'], `${path}.name`),
    ips: strings(o['ips'], `${path}.ips`),
    pool: strOrNull(o['pool'], `${path}.pool`),
    reason: strOrNull(o['reason'], `${path}.reason`),
    error: strOrNull(o['error'], `${path}.error`),
  };
}

const UPLINKS: readonly Uplink[] = ['wired', 'wireless', 'unknown'];

function announcement(o: Json, path: string): AnnouncementFacts {
  const uplink = o['uplink'] ?? 'unknown';
  if (!UPLINKS.includes(uplink as Uplink)) fail(`${path}.uplink`, UPLINKS.join(' | '));
  return {
    node: strOrNull(o['node'], `${path}.node`),
    reason: str(o['reason'], `${path}.reason`),
    interface: strOrNull(o['interface'], `${path}.interface`),
    mac: strOrNull(o['mac'], `${path}.mac`),
    uplink: uplink as Uplink,
    nodeIp: strOrNull(o['nodeIp'], `${path}.nodeIp`),
  };
}

/** Reads recorded facts (parsed JSON). */
export function parseFacts(value: unknown): DoctorFacts {
  const o = object(value, 'facts');
  const known = Object.keys(emptyFacts(null));
  for (const key of Object.keys(o)) if (!known.includes(key)) fail(`facts.${key}`, `one of the fields ${known.join(', ')}`);
  const macs = object(o['nodeMacs'] ?? {}, 'facts.nodeMacs');
  const nodeMacs: Record<string, string> = {};
  for (const [mac, node] of Object.entries(macs)) nodeMacs[mac.toLowerCase()] = str(node, `facts.nodeMacs.${mac}`);
  return {
    vip: strOrNull(o['vip'], 'facts.vip'),
    allocation: optional(o['allocation'], 'facts.allocation', allocationFacts),
    announcement: optional(o['announcement'], 'facts.announcement', announcement),
    nodeMacs,
    probeVip: optional(o['probeVip'], 'facts.probeVip', probe),
    probeNodeIp: optional(o['probeNodeIp'], 'facts.probeNodeIp', probe),
    capture: optional(o['capture'], 'facts.capture', captureFacts),
    capturePromiscuous: optional(o['capturePromiscuous'], 'facts.capturePromiscuous', captureFacts),
    nodeToNode: optional(o['nodeToNode'], 'facts.nodeToNode', (n, p) => ({ from: str(n['from'], `${p}.from`), to: str(n['to'], `${p}.to`), reachable: bool(n['reachable'], `${p}.reachable`) })),
    nodeToGateway: optional(o['nodeToGateway'], 'facts.nodeToGateway', (n, p) => ({ from: str(n['from'], `${p}.from`), reachable: bool(n['reachable'], `${p}.reachable`) })),
    garp: optional(o['garp'], 'facts.garp', (n, p) => ({ observerUpdated: bool(n['observerUpdated'], `${p}.observerUpdated`) })),
    kubeProxy: optional(o['kubeProxy'], 'facts.kubeProxy', (n, p) => ({ mode: strOrNull(n['mode'], `${p}.mode`), strictARP: boolOrNull(n['strictARP'], `${p}.strictARP`) })),
    excludedNodes: strings(o['excludedNodes'] ?? [], 'facts.excludedNodes'),
    bgpNodes: strings(o['bgpNodes'] ?? [], 'facts.bgpNodes'),
  };
}
