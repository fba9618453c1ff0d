import type { PreviousAssignment } from '../domain/allocator/plan.js';
import { formatIssue, formatWarning, loadConfig } from '../domain/config/index.js';
import type { ConfigIssue, ConfigSet } from '../domain/config/types.js';
import type { SpeakerFacts } from '../domain/election/types.js';
import { standaloneControlPlane } from '../domain/membership/view.js';
import type { MembershipStatus } from '../io/membership-runtime.js';
import { membershipSkip, startNodeMembership, type NodeMembership } from '../io/node-membership.js';
import { HashOrderMemo } from '../domain/election/hash-order.js';
import type { Classifier, InterfaceFacts } from '../domain/l2/interfaces.js';
import { arbitratePeer, pairSpeakers, type PeerArbitration } from '../domain/l2/peer-conflict.js';
import { AirlbError, describeError } from '../errors.js';
import { readConfigSources } from '../io/config-files.js';
import { watchInterfaces, type InterfaceWatcher } from '../io/interfaces.js';
import type { Logger } from '../io/logger.js';
import { systemClock } from '../io/system-clock.js';
import { StandaloneBgp, type StandaloneBgpStatus } from './bgp.js';
import { planStandaloneBgp, type StandaloneBgpPlan } from './bgp-plan.js';
import { desiredState, type DesiredState } from './desired.js';
import { StandaloneEngine, type EngineStatus, type LinkLayer } from './engine.js';
import { watchForReload, type ReloadCause, type ReloadWatch, type SignalSource } from './reload.js';
import { loadState, sameState, saveState, stateOf, type StateFile } from './state.js';
import { StatusWriter } from './status-file.js';

/**
 * Standalone mode as a whole: reads the YAML, allocates (restoring the state file), elects, runs
 * the engine, and reloads on file change or SIGHUP. A reload is all-or-nothing: a configuration
 * with any issue is rejected with every issue logged, and the running one stays, so a typo never
 * takes a VIP down. Loads run one at a time; a change during a load makes one more load after it.
 */
export interface SpeakerOptions {
  /** -f: files and folders. */
  readonly paths: readonly string[];
  readonly node: string;
  /** null: allocations are not persisted. */
  readonly statePath: string | null;
  readonly statusPath: string | null;
  readonly logger: Logger;
  readonly link: LinkLayer;
  readonly classifier: Classifier;
  readonly wifiPromiscuous: boolean;
  /**
   * Probe the VIPs other nodes announce and move a VIP whose owner nobody hears (docs/failover.md).
   * Off, airlb elects as MetalLB does: liveness only.
   */
  readonly verifyAnnouncements?: boolean;
  /** Probe jitter source (default Math.random). */
  readonly random?: () => number;
  /** The interface scan (default: /sys/class/net, every 2 s). */
  readonly readInterfaces?: () => Promise<InterfaceFacts[]>;
  readonly reloadDebounceMs?: number;
  /** Where SIGHUP comes from (default process). */
  readonly signals?: SignalSource;
  /** Where BGP accepts the peers' connections (default [::]:179); null: connect out only. */
  readonly bgpListen?: { readonly address: string; readonly port: number } | null;
}

/** What --status-file holds. */
export interface SpeakerStatus extends EngineStatus {
  readonly node: string;
  readonly pid: number;
  readonly running: boolean;
  readonly config: {
    readonly paths: readonly string[];
    /** Successful loads so far; 1 after start. */
    readonly generation: number;
    readonly loadedAt: string;
    /** The issues of the last rejected load ([] when the last load was accepted). */
    readonly rejected: readonly string[];
    readonly nodeInConfig: DesiredState['node'];
  };
  readonly allocations: DesiredState['allocations'];
  /** VIPs of the configuration announced by other nodes, or by nobody, and why. */
  readonly elsewhere: DesiredState['elsewhere'];
  /** BGP sessions and the routes this node announces (docs/standalone.md, BGP mode). */
  readonly bgp: StandaloneBgpStatus;
  /** Multi-node membership (docs/failover.md); null with a single Node or none with an InternalIP. */
  readonly membership: MembershipStatus | null;
}

/** The configuration was rejected: `issues` are formatted `FILE:LINE: Kind/name: path: message`. */
export class ConfigRejectedError extends AirlbError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super('config-invalid', `the configuration has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.join('\n')}`);
    this.name = 'ConfigRejectedError';
    this.issues = issues;
  }
}

export class StandaloneSpeaker {
  private readonly o: SpeakerOptions;
  private readonly log: Logger;
  private readonly engine: StandaloneEngine;
  private readonly bgp: StandaloneBgp;
  private readonly memo = new HashOrderMemo();
  private readonly status: StatusWriter | null;
  private current: DesiredState | null = null;
  private previous: PreviousAssignment[] = [];
  private saved: StateFile | null = null;
  private generation = 0;
  private loadedAt = '';
  private rejected: readonly string[] = [];
  private running = true;
  private loading: Promise<void> | null = null;
  private again: { cause: ReloadCause; detail: string } | null = null;
  private interfaceWatch: InterfaceWatcher | null = null;
  private reloadWatch: ReloadWatch | null = null;
  private membership: NodeMembership | null = null;
  /** The running configuration, elected again when membership changes. */
  private config: ConfigSet | null = null;
  /** Per peer: VIP → the winner of the election between this node and the peer (until the next apply). */
  private readonly pairWinners = new Map<string, Map<string, string | null>>();

  private constructor(options: SpeakerOptions) {
    this.o = options;
    this.log = options.logger;
    this.status =
      options.statusPath === null
        ? null
        : new StatusWriter({ path: options.statusPath, snapshot: () => this.snapshot(), clock: systemClock, logger: this.log.child({ component: 'status' }) });
    this.engine = new StandaloneEngine({
      clock: systemClock,
      random: options.random ?? Math.random,
      logger: this.log.child({ component: 'engine' }),
      link: options.link,
      classifier: options.classifier,
      wifiPromiscuous: options.wifiPromiscuous,
      onChange: () => {
        this.status?.changed();
        // A VIP claimed or released: the peers learn it now (they probe only claimed VIPs).
        this.membership?.runtime.claimsChanged();
      },
      onCounters: () => this.status?.countersChanged(),
      arbiter: (vip, mac) => this.arbitrate(vip, mac),
    });
    this.bgp = new StandaloneBgp({
      node: options.node,
      logger: this.log,
      onChange: () => this.status?.changed(),
      ...(options.bgpListen === undefined ? {} : { listen: options.bgpListen }),
    });
  }

  /**
   * Loads the configuration and starts announcing. Throws ConfigRejectedError when the first
   * configuration has problems (there is no running one to keep), AirlbError for unreadable files.
   */
  static async start(options: SpeakerOptions): Promise<StandaloneSpeaker> {
    const speaker = new StandaloneSpeaker(options);
    if (options.statePath !== null) speaker.previous = await loadState(options.statePath);
    try {
      await speaker.load();
      speaker.interfaceWatch = watchInterfaces({
        ...(options.readInterfaces === undefined ? {} : { read: options.readInterfaces }),
        onChange: (facts) => {
          speaker.log.debug('interfaces scanned', { interfaces: facts.map((f) => f.name).join(',') });
          speaker.engine.setInterfaces(facts);
        },
        onError: (err) => speaker.log.warn('interface scan failed; keeping the last one', { error: describeError(err) }),
      });
      speaker.reloadWatch = await watchForReload({
        paths: options.paths,
        ...(options.reloadDebounceMs === undefined ? {} : { debounceMs: options.reloadDebounceMs }),
        ...(options.signals === undefined ? {} : { signals: options.signals }),
        onReload: (cause, detail) => void speaker.reload(cause, detail),
        onWatchError: (path, err) => speaker.log.warn('cannot watch a config path; SIGHUP still reloads', { path, error: err.message }),
      });
    } catch (err) {
      await speaker.stop();
      throw err;
    }
    return speaker;
  }

  /** Reloads now (what SIGHUP and file changes call); resolves when the load is done. */
  reload(cause: ReloadCause, detail: string): Promise<void> {
    if (this.loading !== null) {
      this.again = { cause, detail };
      return this.loading;
    }
    this.log.info('reloading', { cause, detail });
    this.loading = this.load()
      .catch((err: unknown) => {
        const issues = err instanceof ConfigRejectedError ? err.issues : [describeError(err)];
        this.rejected = issues;
        this.log.error('new configuration rejected; the running one stays', { cause, problems: issues.length });
        for (const issue of issues) this.log.error('config problem', { problem: issue });
        this.status?.changed();
      })
      .finally(() => {
        this.loading = null;
        const next = this.again;
        this.again = null;
        if (next !== null && this.running) void this.reload(next.cause, next.detail);
      });
    return this.loading;
  }

  /** Stops answering, closes sockets and watchers, writes the final status. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.reloadWatch?.close();
    this.interfaceWatch?.close();
    // AdminDown first (RFC 5880 §6.8.16): the peers take the VIPs over without waiting to detect.
    this.membership?.close();
    this.engine.close();
    if (this.loading !== null) await this.loading;
    await this.bgp.stop();
    await this.status?.flush();
  }

  snapshot(): SpeakerStatus {
    const engine = this.engine.status();
    return {
      node: this.o.node,
      pid: process.pid,
      running: this.running,
      config: {
        paths: this.o.paths,
        generation: this.generation,
        loadedAt: this.loadedAt,
        rejected: this.rejected,
        nodeInConfig: this.current?.node ?? 'assumed',
      },
      ...engine,
      allocations: this.current?.allocations ?? [],
      elsewhere: this.current?.elsewhere ?? [],
      bgp: this.bgp.status(),
      membership: this.membership?.runtime.status() ?? null,
    };
  }

  private async load(): Promise<void> {
    const sources = await readConfigSources(this.o.paths);
    const parsed = loadConfig(sources);
    if (parsed.issues.length > 0) throw new ConfigRejectedError(parsed.issues.map(formatIssue));
    await this.syncMembership(parsed.config);
    let desired: DesiredState;
    let bgp: StandaloneBgpPlan;
    try {
      desired = desiredState({ config: parsed.config, node: this.o.node, previous: this.previous, memo: this.memo, ...this.speakers() });
      const planned = planStandaloneBgp({ config: parsed.config, node: this.o.node, allocations: desired.allocations });
      if (planned.issues.length > 0) throw new ConfigRejectedError(planned.issues.map(formatIssue));
      bgp = planned.plan;
    } catch (err) {
      if (err instanceof ConfigRejectedError) throw err;
      throw new ConfigRejectedError([describeError(err)]);
    }
    if (!this.running) return;
    this.current = desired;
    this.generation += 1;
    this.loadedAt = new Date().toISOString();
    this.rejected = [];
    // What this load allocated is what the next load restores: nothing moves across reloads.
    this.previous = desired.allocations.filter((e) => e.ips.length > 0).map((e) => ({ namespace: e.namespace, name: e.name, ips: e.ips }));
    this.logLoad(desired, sources.length, parsed.warnings);
    await this.persist(desired);
    this.config = parsed.config;
    // Membership may have changed while persisting: elect again on what it says now.
    this.apply(this.membership === null ? desired : this.elect(parsed.config));
    await this.bgp.apply(bgp);
  }

  private speakers(): { speakers?: SpeakerFacts[] } {
    return this.membership === null ? {} : { speakers: this.membership.runtime.speakerFacts() };
  }

  /** Elects on what membership says now; VIPs won from an owner that died since `current` are takeovers. */
  private elect(config: ConfigSet): DesiredState {
    return desiredState({ config, node: this.o.node, previous: this.previous, memo: this.memo, ...this.speakers(), before: this.current ?? undefined });
  }

  private apply(desired: DesiredState): void {
    this.current = desired;
    this.pairWinners.clear();
    this.engine.setDesired(desired.announce, desired.standby);
    const verify = this.o.verifyAnnouncements !== false;
    this.membership?.runtime.setProbeTargets(verify ? desired.elsewhere.flatMap((e) => (e.node === null ? [] : [{ ip: e.ip, owner: e.node }])) : []);
    this.status?.changed();
  }

  /**
   * A conflict on `vip` with `mac`: when the MAC is another speaker's, which of the two keeps the
   * VIP, from the election between only the two of them (src/domain/l2/peer-conflict.ts).
   */
  private arbitrate(vip: string, mac: string): PeerArbitration | null {
    const runtime = this.membership?.runtime;
    const peer = runtime?.nodeOfMac(mac) ?? null;
    if (runtime === undefined || peer === null || this.config === null) return null;
    let winners = this.pairWinners.get(peer);
    if (winners === undefined) {
      const speakers = pairSpeakers(runtime.speakerFacts(), this.o.node, peer);
      const pair = desiredState({ config: this.config, node: this.o.node, previous: this.previous, memo: this.memo, speakers });
      winners = new Map<string, string | null>(pair.elsewhere.map((e) => [e.ip, e.node]));
      for (const v of pair.announce) winners.set(v.ip, this.o.node);
      this.pairWinners.set(peer, winners);
    }
    const verdict = arbitratePeer(this.o.node, peer, winners.get(vip) ?? null);
    return verdict === null ? null : { peer, verdict };
  }

  /** Starts multi-node membership when the Node objects call for it, or hands it the new Nodes. */
  private async syncMembership(config: ConfigSet): Promise<void> {
    if (this.membership !== null) return this.membership.runtime.setNodes(config.nodes);
    const skip = membershipSkip(this.o.node, config);
    if (skip !== null) return;
    this.membership = await startNodeMembership({
      self: this.o.node,
      nodes: config.nodes,
      logger: this.log,
      controlPlane: standaloneControlPlane,
      onChange: () => this.reelect(),
      // What the engine answers for, not what it was asked to announce: a VIP still probing or in a conflict backoff is not heard, and must not be probed.
      claimed: () => this.engine.claimed(),
    });
  }

  /** A node came or went, or a verification failed: elect again; allocations do not move. */
  private reelect(): void {
    if (!this.running || this.membership === null || this.config === null) return;
    try {
      this.apply(this.elect(this.config));
    } catch (err) {
      this.log.error('election after a membership change failed; keeping the previous one', { error: describeError(err) });
    }
  }

  private logLoad(desired: DesiredState, files: number, warnings: readonly ConfigIssue[]): void {
    this.log.info('configuration loaded', {
      generation: this.generation,
      files,
      services: desired.allocations.length,
      announcing: desired.announce.length,
      elsewhere: desired.elsewhere.length,
    });
    // MetalLB fields airlb accepts but does not honour (warnings.ts): said on every load, as `airlb
    // validate` says them, so a speaker started without validating still shows the difference.
    for (const w of warnings) this.log.warn('configuration warning', { warning: formatWarning(w) });
    if (desired.node === 'missing') {
      this.log.warn('this node is not among the Node objects of the configuration, so it announces nothing; add a Node named like --node or fix --node', { node: this.o.node });
    }
    for (const entry of desired.allocations) {
      if (entry.error !== null) this.log.warn('service has no address', { service: `${entry.namespace}/${entry.name}`, reason: entry.reason, error: entry.error });
    }
  }

  private async persist(desired: DesiredState): Promise<void> {
    if (this.o.statePath === null) return;
    const next = stateOf(desired.allocations);
    if (this.saved !== null && sameState(this.saved, next)) return;
    try {
      await saveState(this.o.statePath, next);
      this.saved = next;
    } catch (err) {
      // Announcing matters more than persisting: keep going, and try again on the next load.
      this.log.error('cannot write the state file; addresses may move after a restart', { path: this.o.statePath, error: describeError(err) });
    }
  }
}
