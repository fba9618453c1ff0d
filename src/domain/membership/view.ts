import type { BfdStateName } from '../bfd/session.js';
import type { Clock, Timer } from '../clock.js';
import type { Node } from '../config/types.js';
import { assumedSpeakers } from '../election/speakers.js';
import type { SpeakerFacts } from '../election/types.js';
import type { IpFamily } from '../net/ip.js';
import { DEFAULT_HOLD, holdAfterUp, recentDowns, type HoldOptions } from './hysteresis.js';
import { speakerPeers, type SpeakerPeer } from './peers.js';

/*
 * The live-speaker view of one speaker: which nodes may announce, and why, from its BFD sessions
 * (one per peer, RFC 5880 asynchronous mode) and, where BFD cannot tell, the control plane.
 *
 * Rules, evaluated at the Clock's now:
 * - A peer whose session is Up counts as alive once it has been Up for the hold (hysteresis.ts);
 *   a session leaving Up makes the peer dead at once (BFD already waited its Detection Time).
 * - A peer whose session has never been Up is judged by the control plane ("control-plane-
 *   fallback") while this speaker is in its startup grace, and when BFD has never come Up with
 *   any peer after it: the nodes cannot hear each other (WiFi client isolation, a firewall), so
 *   BFD has nothing to say and the control plane's view is all there is. Outside those cases a
 *   session that never came Up is a dead peer ("bfd-down").
 * - A peer without an InternalIP of our family cannot have a session: control plane.
 * - This speaker counts itself alive once one of its sessions has been Up for the base hold — the
 *   same hold its peers apply to it — and every other Up session has too, or when it has no peer
 *   to ask, or in the fallback. Until
 *   then it is "self-starting" and announces nothing, so a restarted node does not claim VIPs its
 *   peers still hold it out of. Once alive it stays alive: losing every session means the peers
 *   died or this node's link did, and in both cases announcing is the right thing to do.
 */

export type MemberReason =
  | 'self'
  | 'self-starting'
  | 'bfd-up'
  | 'bfd-held'
  | 'bfd-down'
  | 'control-plane-fallback'
  | 'control-plane-down';

/**
 * - single-node: there is no peer to run BFD with.
 * - starting: this speaker is not alive yet (see self-starting).
 * - bfd: liveness comes from BFD.
 * - control-plane-fallback: BFD never came Up with any peer; liveness is the control plane's.
 */
export type MembershipMode = 'single-node' | 'starting' | 'bfd' | 'control-plane-fallback';

export interface MemberStatus {
  readonly node: string;
  readonly address: string | null;
  readonly alive: boolean;
  readonly reason: MemberReason;
  /** The BFD session state; null for this speaker and for peers without an address. */
  readonly bfd: BfdStateName | null;
  /** For bfd-held: when the peer counts as alive if its session stays Up. */
  readonly aliveAtMs: number | null;
  /** Up→Down transitions of the session within the flap window. */
  readonly recentFlaps: number;
}

/** Whether the control plane considers a node up: standalone trusts the YAML, Kubernetes asks Ready. */
export type ControlPlaneView = (node: Node) => boolean;

/** Standalone: every Node in the YAML is assumed alive (there is nothing else to ask). */
export const standaloneControlPlane: ControlPlaneView = () => true;

/** Kubernetes: the Node's Ready condition is True. */
export const kubernetesControlPlane: ControlPlaneView = (node) =>
  node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');

export interface MembershipOptions {
  readonly self: string;
  /** The family of this speaker's BFD endpoint: peers are reached at their InternalIP of it. */
  readonly family: IpFamily;
  readonly controlPlane: ControlPlaneView;
  /** After start, how long sessions that never came Up are judged by the control plane (default 5 s). */
  readonly startupGraceMs?: number;
  readonly hold?: HoldOptions;
}

/** Peers whose BFD session the caller must start (added) or stop (removed). */
export interface PeerSetChange {
  readonly added: readonly (SpeakerPeer & { readonly address: string })[];
  readonly removed: readonly (SpeakerPeer & { readonly address: string })[];
}

export const DEFAULT_STARTUP_GRACE_MS = 5_000;

interface PeerRecord {
  readonly node: string;
  readonly address: string | null;
  bfd: BfdStateName;
  everUp: boolean;
  upSinceMs: number;
  /** When the current Up counts as alive. */
  aliveAtMs: number;
  downsMs: number[];
}

export class Membership {
  private readonly startMs: number;
  private readonly graceMs: number;
  private readonly hold: HoldOptions;
  private nodes: readonly Node[] = [];
  /** setNodes has run: before it, "no peers" means "not told yet", not "single node". */
  private nodesKnown = false;
  private readonly peers = new Map<string, PeerRecord>();
  private selfAlive = false;
  private timer: Timer | null = null;
  private signature = '';
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: MembershipOptions,
    private readonly onChange: () => void = () => undefined,
  ) {
    this.startMs = clock.now();
    this.graceMs = options.startupGraceMs ?? DEFAULT_STARTUP_GRACE_MS;
    this.hold = options.hold ?? DEFAULT_HOLD;
    this.signature = this.currentSignature();
    this.rearm();
  }

  /** Replaces the Node objects; returns the sessions to start and stop. */
  setNodes(nodes: readonly Node[]): PeerSetChange {
    this.nodes = nodes;
    this.nodesKnown = true;
    const wanted = new Map(speakerPeers(nodes, this.options.self, this.options.family).map((p) => [p.node, p]));
    const added: (SpeakerPeer & { address: string })[] = [];
    const removed: (SpeakerPeer & { address: string })[] = [];
    for (const [name, record] of this.peers) {
      const next = wanted.get(name);
      if (next !== undefined && next.address === record.address) continue;
      this.peers.delete(name);
      if (record.address !== null) removed.push({ node: name, address: record.address });
    }
    for (const [name, peer] of wanted) {
      if (this.peers.has(name)) continue;
      this.peers.set(name, { node: name, address: peer.address, bfd: 'Down', everUp: false, upSinceMs: 0, aliveAtMs: 0, downsMs: [] });
      if (peer.address !== null) added.push({ node: name, address: peer.address });
    }
    this.changed();
    return { added, removed };
  }

  /** Reports a BFD state change of the session with `node` (BfdSession onStateChange). */
  bfdStateChanged(node: string, state: BfdStateName): void {
    const record = this.peers.get(node);
    if (record === undefined || record.address === null || record.bfd === state) return;
    const now = this.clock.now();
    const wasUp = record.bfd === 'Up';
    record.bfd = state;
    if (state === 'Up') {
      record.everUp = true;
      record.upSinceMs = now;
      record.aliveAtMs = now + holdAfterUp(record.downsMs, now, this.hold);
    } else if (wasUp) {
      record.downsMs = [...recentDowns(record.downsMs, now, this.hold), now];
    }
    this.changed();
  }

  mode(): MembershipMode {
    this.latchSelf();
    if (!this.nodesKnown) return 'starting';
    if (![...this.peers.values()].some((p) => p.address !== null)) return 'single-node';
    if (this.isolated()) return 'control-plane-fallback';
    return this.selfAlive ? 'bfd' : 'starting';
  }

  /** Every node's status, this speaker included, sorted by name. */
  members(): MemberStatus[] {
    this.latchSelf();
    const now = this.clock.now();
    const nodesByName = new Map(this.nodes.map((n) => [n.metadata.name, n]));
    const out: MemberStatus[] = [this.selfStatus()];
    for (const record of this.peers.values()) out.push(this.peerStatus(record, nodesByName.get(record.node), now));
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /**
   * The input electL2 needs: one SpeakerFacts per Node (uplink from its label), alive from this
   * view, and the VIPs whose announcement from that node failed verification.
   */
  speakerFacts(failed: ReadonlyMap<string, ReadonlySet<string>> = new Map()): SpeakerFacts[] {
    const alive = new Map(this.members().map((m) => [m.node, m.alive]));
    return assumedSpeakers(this.nodes).map((s) => ({
      ...s,
      alive: alive.get(s.node) ?? false,
      verificationFailed: failed.get(s.node) ?? new Set<string>(),
    }));
  }

  /** Cancels the timer; the view answers queries but notifies no more. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  // ------------------------------------------------------------------ internals

  private inGrace(now: number): boolean {
    return now - this.startMs < this.graceMs;
  }

  /** BFD never came Up with any peer that has an address, and the grace is over. */
  private isolated(): boolean {
    if (this.inGrace(this.clock.now())) return false;
    let any = false;
    for (const p of this.peers.values()) {
      if (p.address === null) continue;
      if (p.everUp) return false;
      any = true;
    }
    return any;
  }

  private latchSelf(): void {
    if (this.selfAlive || !this.nodesKnown) return;
    const now = this.clock.now();
    const withAddress = [...this.peers.values()].filter((p) => p.address !== null);
    if (withAddress.length === 0 || this.isolated()) {
      this.selfAlive = true;
      return;
    }
    // Alive once a session has been Up for the base hold — the hold the peers apply to this
    // speaker — and every other Up session has too, so this speaker's first election counts the
    // same peers alive as theirs. Counting itself alive while still holding out a peer whose
    // session came Up later (a lost slow-start packet is enough: 1 s apart, RFC 5880 §6.8.3)
    // makes both ends elect themselves over each other: two claims, a simultaneous-probe conflict
    // (RFC 5227 §2.1.1) and a backoff that outlives it and delays the next takeover (bench/failover.ts
    // at 5 % loss: 1.7 s). Bounded: a session either passes the hold within one base hold or
    // leaves Up, and a session that is not Up holds nothing back.
    const up = withAddress.filter((p) => p.bfd === 'Up');
    const settled = (p: PeerRecord): boolean => now - p.upSinceMs >= this.hold.baseHoldMs;
    this.selfAlive = up.length > 0 && up.every(settled);
  }

  private selfStatus(): MemberStatus {
    return {
      node: this.options.self,
      address: null,
      alive: this.selfAlive,
      reason: this.selfAlive ? 'self' : 'self-starting',
      bfd: null,
      aliveAtMs: null,
      recentFlaps: 0,
    };
  }

  private peerStatus(record: PeerRecord, node: Node | undefined, now: number): MemberStatus {
    const recentFlaps = recentDowns(record.downsMs, now, this.hold).length;
    const base = { node: record.node, address: record.address, bfd: record.address === null ? null : record.bfd, recentFlaps };
    const controlPlane = (): MemberStatus => {
      const up = node !== undefined && this.options.controlPlane(node);
      return { ...base, alive: up, reason: up ? 'control-plane-fallback' : 'control-plane-down', aliveAtMs: null };
    };
    if (record.address === null) return controlPlane();
    if (!record.everUp) {
      return this.inGrace(now) || this.isolated() ? controlPlane() : { ...base, alive: false, reason: 'bfd-down', aliveAtMs: null };
    }
    if (record.bfd !== 'Up') return { ...base, alive: false, reason: 'bfd-down', aliveAtMs: null };
    if (now < record.aliveAtMs) return { ...base, alive: false, reason: 'bfd-held', aliveAtMs: record.aliveAtMs };
    return { ...base, alive: true, reason: 'bfd-up', aliveAtMs: null };
  }

  private currentSignature(): string {
    return this.members()
      .map((m) => `${m.node}:${m.alive ? 1 : 0}:${m.reason}`)
      .join(',');
  }

  /** Notifies when an alive flag or reason changed, then arms the timer for the next change. */
  private changed(): void {
    if (this.stopped) return;
    const next = this.currentSignature();
    if (next !== this.signature) {
      this.signature = next;
      this.onChange();
    }
    this.rearm();
  }

  /** The next instant the view changes by itself: the end of the grace, a hold, the self latch. */
  private rearm(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.stopped) return;
    const now = this.clock.now();
    let due = Infinity;
    if (this.inGrace(now)) due = this.startMs + this.graceMs;
    for (const p of this.peers.values()) {
      if (p.bfd !== 'Up') continue;
      if (p.aliveAtMs > now) due = Math.min(due, p.aliveAtMs);
      // latchSelf may change its answer when a session passes the base hold (one that already
      // has is no reason to look again: that would spin while another one is still held).
      const settles = p.upSinceMs + this.hold.baseHoldMs;
      if (!this.selfAlive && settles > now) due = Math.min(due, settles);
    }
    if (due === Infinity) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.changed();
    }, due - now);
  }
}
