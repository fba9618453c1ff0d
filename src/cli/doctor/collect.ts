import { mergeAgentReport, parseAgentReport } from '../../domain/doctor/agent-report.js';
import { emptyFacts, type DoctorFacts } from '../../domain/doctor/facts.js';
import type { FixContext } from '../../domain/doctor/fixes.js';
import { mergeSpeakerStatuses } from '../../domain/doctor/speaker-status.js';
import { formatIssue, loadConfig } from '../../domain/config/index.js';
import type { ConfigSet } from '../../domain/config/types.js';
import { readCluster, type ClusterFacts } from '../../io/doctor/cluster.js';
import type { CommandIo } from '../command.js';
import { AirlbError, UsageError } from '../../errors.js';
import { readConfigSources } from '../../io/config-files.js';
import { probeArp } from '../../io/doctor/arp-probe.js';
import { localInterfaceFor, type LocalInterface } from '../../io/doctor/local-interface.js';
import { startNodeCommand } from '../../io/doctor/node-command.js';
import { watchGratuitousArp } from '../../io/doctor/garp.js';
import { readSpeakerStatuses } from '../../io/doctor/status-files.js';
import { buildPlan } from '../plan/build-plan.js';
import { configFacts, internalIpv4, uplinkFromLabels } from './config-facts.js';

export interface CollectOptions {
  readonly vip: string | null;
  readonly files: readonly string[];
  readonly kubeconfig: string | null;
  readonly statusFiles: readonly string[];
  /** --node-mac NAME=MAC, as MAC → node. */
  readonly nodeMacs: Readonly<Record<string, string>>;
  readonly ifname: string | null;
  /** ARP requests per probe. */
  readonly count: number;
  readonly nodeCommand: string | null;
  /** The node side's capture window (each of two), to bound the wait for its report. */
  readonly windowMs: number;
  readonly probe: boolean;
}

export interface Collected {
  readonly facts: DoctorFacts;
  readonly ctx: FixContext;
  /** Why something was not collected, for the human output. */
  readonly notes: readonly string[];
}

export const defaultCtx: FixContext = { pool: null, wiredNodes: [], namespace: 'metallb-system' };

/**
 * Facts and fix context from the configuration alone — files (-f) or a cluster (--kubeconfig) —
 * or, with neither, the VIP only. From a cluster also kube-proxy's mode and the live L2 status,
 * which beats the offline election about who announces.
 */
export async function fromConfig(options: Pick<CollectOptions, 'files' | 'vip' | 'kubeconfig'>, env: CommandIo['env'] = {}): Promise<{ facts: DoctorFacts; ctx: FixContext }> {
  if (options.files.length > 0 && options.kubeconfig !== null) throw new UsageError('doctor: give -f PATH or --kubeconfig FILE, not both');
  if (options.files.length === 0 && options.kubeconfig === null) {
    if (options.vip === null) throw new UsageError("doctor: give --vip IP, or -f PATH / --kubeconfig FILE so the doctor can find the address (see 'airlb doctor --help')");
    return { facts: emptyFacts(options.vip), ctx: defaultCtx };
  }
  let config: ConfigSet;
  let cluster: ClusterFacts | null = null;
  if (options.kubeconfig !== null) {
    cluster = await readCluster(options.kubeconfig, env);
    config = cluster.config;
  } else {
    const loaded = loadConfig(await readConfigSources(options.files));
    if (loaded.issues.length > 0) {
      throw new AirlbError('config-invalid', `the configuration has ${loaded.issues.length} problem${loaded.issues.length === 1 ? '' : 's'} (fix them first; 'airlb validate' lists them):\n${loaded.issues.map(formatIssue).join('\n')}`);
    }
    config = loaded.config;
  }
  const c = configFacts(config, buildPlan(config), options.vip);
  let announcement = c.announcement;
  const service = c.allocation === null ? null : `${c.allocation.namespace}/${c.allocation.name}`;
  const live = cluster?.l2Status.find((s) => s.service === service);
  if (live !== undefined && announcement !== null && live.node !== announcement.node) {
    const node = config.nodes.find((n) => n.metadata.name === live.node);
    announcement = { ...announcement, node: live.node, reason: 'ServiceL2Status', interface: live.interfaces.length === 1 ? live.interfaces[0]! : null, uplink: node === undefined ? 'unknown' : uplinkFromLabels(node.metadata.labels), nodeIp: internalIpv4(node) };
  }
  return { facts: { ...emptyFacts(c.vip), allocation: c.allocation, announcement, excludedNodes: c.excludedNodes, bgpNodes: c.bgpNodes, kubeProxy: cluster?.kubeProxy ?? null }, ctx: c.ctx };
}

/**
 * Gathers the facts from where the doctor runs: the configuration and its plan, the speakers'
 * status files, ARP probes from this machine, and the node side's capture when a command to run
 * it is given. The VIP is probed before the node side runs: its promiscuous window would lift a
 * firmware filter and make the VIP answer.
 */
export async function collectFacts(options: CollectOptions, env: CommandIo['env']): Promise<Collected> {
  const notes: string[] = [];
  const loaded = await fromConfig(options, env);
  const ctx = loaded.ctx;
  let facts = loaded.facts;
  if (options.statusFiles.length > 0) facts = mergeSpeakerStatuses(facts, await readSpeakerStatuses(options.statusFiles));
  facts = { ...facts, nodeMacs: { ...facts.nodeMacs, ...options.nodeMacs } };
  const vip = facts.vip;
  if (vip === null || !options.probe) return { facts, ctx, notes };
  let local: LocalInterface;
  try {
    local = localInterfaceFor(vip, options.ifname);
  } catch (err) {
    if (!(err instanceof AirlbError) || err.code !== 'doctor-not-on-link') throw err;
    notes.push(err.message);
    return { facts, ctx, notes };
  }
  facts = { ...facts, probeVip: await probeArp({ from: local, target: vip, count: options.count }) };
  if (options.nodeCommand !== null) {
    const session = startNodeCommand(options.nodeCommand, 2 * options.windowMs + 30_000);
    const gratuitous = watchGratuitousArp(local.ifname, vip);
    let seen: string[] = [];
    let report: unknown;
    try {
      await session.ready;
      // Keep asking for the VIP through both capture windows, so the node side has requests to count.
      const asking = probeArp({ from: local, target: vip, until: session.report.catch(() => undefined), intervalMs: 100, waitMs: 0 });
      report = await session.report.finally(() => asking);
    } finally {
      seen = gratuitous.stop();
    }
    facts = mergeAgentReport(facts, parseAgentReport(report), seen);
  }
  const nodeIp = facts.announcement?.nodeIp ?? null;
  if (nodeIp !== null) facts = { ...facts, probeNodeIp: await probeArp({ from: local, target: nodeIp, count: options.count }) };
  return { facts, ctx, notes };
}
