import type { CaptureFacts, DoctorFacts, Uplink } from './facts.js';
import { bool, count, fail, object, optional, str, strOrNull, type Json } from './json-read.js';
import { captureFacts } from './recording.js';

/**
 * What the doctor's node side (`airlb doctor --capture-on IFACE`, run on a node, e.g. over ssh)
 * reports: who it is, what it saw arrive on its interface while the LAN-side doctor probed the VIP
 * (once as the interface runs, once promiscuous), and whether it reaches its peers. The LAN side
 * cannot see any of this from where it runs; it merges the report into its own facts.
 */
export interface AgentReport {
  readonly node: string;
  readonly interface: string;
  readonly mac: string;
  readonly ipv4: string | null;
  readonly uplink: Uplink;
  readonly capture: CaptureFacts;
  readonly capturePromiscuous: CaptureFacts;
  /** ARP from this node to other nodes (`--peer NAME=IP`): client isolation shows here. */
  readonly peers: readonly { readonly name: string; readonly ip: string; readonly reachable: boolean }[];
  readonly gateway: { readonly ip: string; readonly reachable: boolean } | null;
  /**
   * Gratuitous ARP announcements for the VIP it sent after the captures: only when replies for the
   * VIP left its interface (it answers for the VIP, so announcing it moves nothing); else 0.
   */
  readonly garpSent: number;
}

const UPLINKS: readonly Uplink[] = ['wired', 'wireless', 'unknown'];

/** Reads a report (parsed JSON); throws AirlbError 'doctor-json-invalid' naming the field. */
export function parseAgentReport(value: unknown): AgentReport {
  const o = object(value, 'report');
  const uplink = o['uplink'];
  if (!UPLINKS.includes(uplink as Uplink)) fail('report.uplink', UPLINKS.join(' | '));
  const peers = o['peers'] ?? [];
  if (!Array.isArray(peers)) fail('report.peers', 'a list');
  return {
    node: str(o['node'], 'report.node'),
    interface: str(o['interface'], 'report.interface'),
    mac: str(o['mac'], 'report.mac').toLowerCase(),
    ipv4: strOrNull(o['ipv4'], 'report.ipv4'),
    uplink: uplink as Uplink,
    capture: captureFacts(object(o['capture'], 'report.capture'), 'report.capture'),
    capturePromiscuous: captureFacts(object(o['capturePromiscuous'], 'report.capturePromiscuous'), 'report.capturePromiscuous'),
    peers: peers.map((p: unknown, i) => {
      const peer = object(p, `report.peers[${i}]`);
      return { name: str(peer['name'], `report.peers[${i}].name`), ip: str(peer['ip'], `report.peers[${i}].ip`), reachable: bool(peer['reachable'], `report.peers[${i}].reachable`) };
    }),
    gateway: optional(o['gateway'], 'report.gateway', (g: Json, p) => ({ ip: str(g['ip'], `${p}.ip`), reachable: bool(g['reachable'], `${p}.reachable`) })),
    garpSent: count(o['garpSent'], 'report.garpSent'),
  };
}

/**
 * The facts with a node's report merged in. Its MAC always identifies it. Its capture counts only
 * when it is the node that announces the VIP (or nobody said which node does): a capture on any
 * other node says nothing about where the VIP's requests go. The first unreachable peer is kept,
 * since one blocked pair of stations is what client isolation looks like. `gratuitousSeen` are the
 * MACs this side saw announce the VIP while the node side ran.
 */
export function mergeAgentReport(facts: DoctorFacts, report: AgentReport, gratuitousSeen: readonly string[] = []): DoctorFacts {
  const nodeMacs = { ...facts.nodeMacs, [report.mac]: report.node };
  const a = facts.announcement;
  const announces = a === null || a.node === report.node;
  const peer = report.peers.find((p) => !p.reachable) ?? report.peers[0];
  const reach = {
    nodeToNode: peer === undefined ? facts.nodeToNode : { from: report.node, to: peer.name, reachable: peer.reachable },
    nodeToGateway: report.gateway === null ? facts.nodeToGateway : { from: report.node, reachable: report.gateway.reachable },
  };
  if (!announces) return { ...facts, nodeMacs, ...reach };
  return {
    ...facts,
    nodeMacs,
    ...reach,
    announcement: {
      node: report.node,
      reason: a?.reason ?? 'reported by the node itself',
      interface: a?.interface ?? report.interface,
      mac: a?.mac ?? report.mac,
      uplink: a === null || a.uplink === 'unknown' ? report.uplink : a.uplink,
      nodeIp: a?.nodeIp ?? report.ipv4,
    },
    capture: report.capture,
    capturePromiscuous: report.capturePromiscuous,
    garp: report.garpSent > 0 ? { observerUpdated: gratuitousSeen.includes(report.mac) } : facts.garp,
  };
}
