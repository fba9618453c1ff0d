import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../domain/clock.js';
import { AirlbError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { systemClock } from '../io/system-clock.js';
import { applyApRuleset, applyPortFlags } from './apply-behaviours.js';
import { applyTopology, nodeMac } from './apply-topology.js';
import { Capture, type CaptureOptions } from './capture.js';
import { createRunner, inNetns, type RunOptions, type RunResult, type Runner } from './exec.js';
import { InterfaceWatcher, observeInterface, type WatchTarget } from './interface-watch.js';
import { apNetns, checkPrefix, defaultPrefix, defaultStateDir, netnsName, ownsNetns } from './naming.js';
import { checkPrerequisites, currentFacts, type PreflightFacts } from './preflight.js';
import { readState, writeState, type InterfaceObservation, type LabState, type NodeRuntime } from './state.js';
import { collectStatus, type FirmwareFilterState, type LabStatus } from './status.js';
import { killNetnsProcesses, listNetns, sweepLab, type SweepReport } from './teardown.js';
import { behaviourNames, findNode, type ApBehaviours, type LabNodeSpec, type NodeRole, type PortKind, type Topology } from './topology.js';

/**
 * The lab as tests and the CLI drive it: bring a topology up and down, run commands in nodes,
 * kill or partition a node, flip AP behaviours at run time and capture frames. Every change is
 * written to the state file first and the AP's filters are rebuilt from it, so another process
 * (`airlb lab status`, a second test helper) always sees and keeps the current behaviours.
 */
export interface LabOptions {
  /** Names every namespace `<prefix>-*` (default "airlb"); two labs need two prefixes. */
  readonly prefix?: string;
  readonly stateDir?: string;
  /** Every command the lab runs is logged at debug level. */
  readonly logger?: Logger;
  /** Times the promiscuous-flag poll. */
  readonly clock?: Clock;
  /**
   * How often the firmware-filter emulation looks at promiscuous flags and addresses (ms,
   * default 100). 0: never (the filter then keeps the state it had when the lab came up).
   */
  readonly watchIntervalMs?: number;
  /** For tests of the preflight messages; defaults to this process's uid and PATH. */
  readonly preflight?: PreflightFacts;
}

/** One node as a test needs it: where it lives and how to reach it. */
export interface LabNodeInfo {
  readonly name: string;
  readonly role: NodeRole;
  readonly port: PortKind;
  readonly netns: string;
  readonly iface: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
  readonly mac: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type CaptureTarget = { readonly node: string; readonly iface?: string } | { readonly port: string };

export const defaultWatchIntervalMs = 100;

function initialState(prefix: string, topology: Topology): LabState {
  const runtime: Record<string, NodeRuntime> = {};
  for (const node of topology.nodes) runtime[node.name] = { behaviours: node.behaviours, partitioned: false };
  return { version: 1, prefix, createdAt: new Date().toISOString(), ownerPid: process.pid, topology, runtime, observed: {} };
}

function checkPatch(patch: Partial<ApBehaviours>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (!(behaviourNames as readonly string[]).includes(key)) {
      throw new AirlbError('lab-bad-behaviour', `unknown AP behaviour '${key}' (expected one of: ${behaviourNames.join(', ')})`);
    }
    const ok = key === 'loss' ? Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100 : typeof value === 'boolean';
    if (!ok) throw new AirlbError('lab-bad-behaviour', `behaviour ${key}: ${key === 'loss' ? 'expected a whole percentage from 0 to 100' : 'expected true or false'}`);
  }
}

export class Lab {
  private watcher: InterfaceWatcher | null = null;
  private readonly children = new Set<ChildProcess>();
  private readonly captures = new Set<Capture>();
  /** Serialises state changes made by this process. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly runner: Runner,
    private readonly stateDir: string,
    private state: LabState,
  ) {}

  /**
   * Builds the topology under the prefix. Fails with `lab-exists` when that prefix is already in
   * use (run `down` first); a failure half-way removes what was built.
   */
  static async up(topology: Topology, options: LabOptions = {}): Promise<Lab> {
    const prefix = checkPrefix(options.prefix ?? defaultPrefix);
    checkPrerequisites(options.preflight ?? currentFacts());
    const runner = createRunner(options.logger);
    const stateDir = options.stateDir ?? defaultStateDir;
    const existing = (await listNetns(runner)).filter((ns) => ownsNetns(prefix, ns));
    if (existing.length > 0 || (await readState(stateDir, prefix)) !== undefined) {
      throw new AirlbError('lab-exists', `a lab with prefix '${prefix}' is already up (or left over); run 'airlb lab down --prefix ${prefix}' first`);
    }
    const lab = new Lab(runner, stateDir, initialState(prefix, topology));
    // Recorded before anything exists, so a crash mid-way still leaves a trace for `status`.
    await writeState(stateDir, lab.state);
    try {
      await applyTopology(runner, prefix, topology);
      for (const node of topology.nodes) {
        if (node.behaviours !== null) await applyPortFlags(runner, prefix, node.name, node.behaviours);
      }
      await applyApRuleset(runner, lab.state);
      await lab.startWatching(options);
    } catch (err) {
      await lab.close();
      await sweepLab(runner, prefix, stateDir);
      throw err;
    }
    runner.logger.info('lab up', { prefix, nodes: topology.nodes.length });
    return lab;
  }

  /** Opens a lab another process brought up (from its state file). */
  static async attach(options: LabOptions = {}): Promise<Lab> {
    const prefix = checkPrefix(options.prefix ?? defaultPrefix);
    checkPrerequisites(options.preflight ?? currentFacts());
    const stateDir = options.stateDir ?? defaultStateDir;
    const state = await readState(stateDir, prefix);
    if (state === undefined) {
      throw new AirlbError('lab-not-found', `no lab with prefix '${prefix}' is up (no ${stateDir}/${prefix}.json); start one with 'airlb lab up --prefix ${prefix}'`);
    }
    return new Lab(createRunner(options.logger), stateDir, state);
  }

  /** Removes the lab with this prefix, state file or not; idempotent. */
  static async down(options: LabOptions = {}): Promise<SweepReport> {
    const prefix = checkPrefix(options.prefix ?? defaultPrefix);
    checkPrerequisites(options.preflight ?? currentFacts());
    return sweepLab(createRunner(options.logger), prefix, options.stateDir ?? defaultStateDir);
  }

  get prefix(): string {
    return this.state.prefix;
  }

  get topology(): Topology {
    return this.state.topology;
  }

  private spec(name: string): LabNodeSpec {
    return findNode(this.state.topology, name);
  }

  node(name: string): LabNodeInfo {
    const n = this.spec(name);
    return {
      name: n.name,
      role: n.role,
      port: n.port,
      netns: netnsName(this.prefix, n.name),
      iface: n.iface,
      ipv4: n.ipv4,
      ipv6: n.ipv6,
      mac: nodeMac(this.prefix, this.topology, n),
      labels: n.labels,
    };
  }

  nodes(): LabNodeInfo[] {
    return this.topology.nodes.map((n) => this.node(n.name));
  }

  /** The namespace of a node, or of the AP for `ap`. */
  netns(node: string): string {
    return node === 'ap' ? apNetns(this.prefix) : this.node(node).netns;
  }

  /**
   * Runs `argv` in a node's namespace (`ap`: the AP's) and returns its exit code and output; a
   * non-zero exit is not an error.
   */
  exec(node: string, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.runner.run(inNetns(this.netns(node), argv), { allowFailure: true, ...options });
  }

  /** Starts a long-running command in a node's namespace; it is killed by close()/down(). */
  spawn(node: string, argv: readonly string[]): ChildProcess {
    const child = this.runner.spawn(inNetns(this.netns(node), argv));
    this.children.add(child);
    child.once('close', () => this.children.delete(child));
    return child;
  }

  /** Kills every process in the node's namespace (its airlb, its BGP daemon...); returns how many. */
  kill(node: string): Promise<number> {
    return killNetnsProcesses(this.runner, this.node(node).netns);
  }

  /** Silently drops every frame to and from the node at the AP; its link stays up. */
  partition(node: string): Promise<void> {
    return this.changeNode(node, (r) => ({ ...r, partitioned: true }));
  }

  heal(node: string): Promise<void> {
    return this.changeNode(node, (r) => ({ ...r, partitioned: false }));
  }

  /** Changes AP behaviours on a WiFi node's port, e.g. `setBehaviour('pi2', { proxyArp: false })`. */
  async setBehaviour(node: string, patch: Partial<ApBehaviours>): Promise<void> {
    checkPatch(patch);
    const spec = this.spec(node);
    if (spec.port !== 'wifi') throw new AirlbError('lab-wired-port', `${node} is on a wired port; AP behaviours apply to wifi ports only`);
    if (patch.firmwareFilter === true) {
      // A fresh look, so the filter starts from the interface's real state, not a stale one.
      const seen = await observeInterface(this.runner, this.watchTarget(spec));
      if (seen !== null) await this.recordObservations(new Map([[node, seen]]));
    }
    await this.changeNode(node, (r) => ({ ...r, behaviours: { ...r.behaviours!, ...patch } }), patch.proxyArp !== undefined || patch.isolation !== undefined);
  }

  /** Percent of frames dropped in each direction on a WiFi node's port. */
  setLoss(node: string, percent: number): Promise<void> {
    return this.setBehaviour(node, { loss: percent });
  }

  behaviours(node: string): ApBehaviours | null {
    return this.state.runtime[node]?.behaviours ?? null;
  }

  /**
   * Captures frames with tcpdump: `{ node }` on the node's interface inside its namespace,
   * `{ port }` on the AP's side of a node's link (or `br0`). Stopped by close()/down().
   */
  async capture(target: CaptureTarget, filter: string, options: CaptureOptions = {}): Promise<Capture> {
    const [netns, iface] = 'port' in target ? [apNetns(this.prefix), target.port] : [this.node(target.node).netns, target.iface ?? this.node(target.node).iface];
    if ('port' in target && target.port !== 'br0') this.spec(target.port);
    const capture = await Capture.start(this.runner, netns, iface, filter, options);
    this.captures.add(capture);
    return capture;
  }

  /** The firmware filter as this process last applied it. */
  firmwareFilter(node: string): FirmwareFilterState {
    const behaviours = this.behaviours(node);
    if (!behaviours?.firmwareFilter) return 'off';
    return this.state.observed[node]?.promiscuous ? 'lifted (promiscuous)' : 'filtering';
  }

  /** Waits until the firmware filter emulation has caught up with the interface (bounded). */
  async waitForFirmwareFilter(node: string, want: FirmwareFilterState, timeoutMs = 3000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.firmwareFilter(node) !== want) {
      if (performance.now() > deadline) {
        throw new AirlbError('lab-timeout', `firmware filter on ${node} is '${this.firmwareFilter(node)}', not '${want}', after ${timeoutMs} ms (is this process watching? watchIntervalMs > 0)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The state is set just before the ruleset is loaded; wait for any load in flight.
    await this.queue;
  }

  status(): Promise<LabStatus> {
    return collectStatus(this.runner, this.state);
  }

  /** Stops this process's watcher, captures and spawned commands; the lab stays up. */
  async close(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
    await Promise.all([...this.captures].map((c) => c.stop()));
    this.captures.clear();
    for (const child of this.children) child.kill('SIGKILL');
    await this.queue.catch(() => undefined);
  }

  /** Removes the lab (everything under its prefix) and its state file. */
  async down(): Promise<SweepReport> {
    await this.close();
    return sweepLab(this.runner, this.prefix, this.stateDir);
  }

  private watchTarget(spec: LabNodeSpec): WatchTarget {
    return { node: spec.name, netns: netnsName(this.prefix, spec.name), iface: spec.iface };
  }

  private async startWatching(options: LabOptions): Promise<void> {
    const interval = options.watchIntervalMs ?? defaultWatchIntervalMs;
    if (interval <= 0) return;
    const targets = (): WatchTarget[] =>
      this.topology.nodes.filter((n) => this.state.runtime[n.name]?.behaviours?.firmwareFilter).map((n) => this.watchTarget(n));
    this.watcher = new InterfaceWatcher(this.runner, options.clock ?? systemClock, targets, interval, (changes) => this.recordObservations(changes));
    await this.watcher.start();
  }

  private recordObservations(changes: ReadonlyMap<string, InterfaceObservation>): Promise<void> {
    return this.mutate((s) => {
      const observed = { ...s.observed };
      for (const [node, seen] of changes) observed[node] = seen;
      return { ...s, observed };
    });
  }

  private changeNode(node: string, change: (r: NodeRuntime) => NodeRuntime, portFlags = false): Promise<void> {
    this.spec(node);
    return this.mutate(async (s) => {
      const runtime = change(s.runtime[node]!);
      if (portFlags && runtime.behaviours !== null) await applyPortFlags(this.runner, this.prefix, node, runtime.behaviours);
      return { ...s, runtime: { ...s.runtime, [node]: runtime } };
    });
  }

  /**
   * Read the state file (another process may have changed it), change it, write it, rebuild the
   * AP ruleset. Changes from this process run one at a time.
   */
  private mutate(change: (s: LabState) => LabState | Promise<LabState>): Promise<void> {
    const next = this.queue.then(async () => {
      const current = (await readState(this.stateDir, this.prefix)) ?? this.state;
      const updated = await change(current);
      this.state = updated;
      await writeState(this.stateDir, updated);
      await applyApRuleset(this.runner, updated);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
