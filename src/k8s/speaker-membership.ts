import type { Clock, Timer } from '../domain/clock.js';
import type { ConfigSet, Node } from '../domain/config/types.js';
import { assumedSpeakers } from '../domain/election/speakers.js';
import type { L2Announcement, SpeakerFacts } from '../domain/election/types.js';
import type { VipTally } from '../domain/l2/verification.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import type { MembershipStatus } from '../io/membership-runtime.js';
import { membershipSkip, startNodeMembership, type MembershipSkip, type NodeMembership, type NodeMembershipOptions } from '../io/node-membership.js';
import { newFailures } from './handovers.js';
import { kubeNodeControlPlane, nodeControlPlaneState } from './node-view.js';

/**
 * Multi-node membership for `airlb speaker` (docs/failover.md), as standalone mode runs it: BFD
 * with every other Node at its InternalIP, the speaker status messages, announcement
 * verification, and — where the speakers cannot hear each other at all — the control plane's view
 * of the Node objects (node-view.ts). Started once the informers have listed the Nodes and
 * membershipSkip allows it; later Node changes go to the running sessions.
 *
 * Until it runs (one Node with an address, no L2Advertisement, or the sockets could not be
 * opened) the speaker elects from the Nodes' Ready condition, as before.
 */

export interface KubeMembershipOptions {
  readonly node: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Probe VIPs other nodes own, and move those nobody hears (default on). */
  readonly verify: boolean;
  /** Liveness or verification changed: elect again. */
  readonly onChange: () => void;
  /** The VIPs this node answers for now (the engine's claimed ones), published to the peers. */
  readonly claimed?: () => Iterable<string>;
  /** Timers and ports, for tests. */
  readonly tuning?: NodeMembershipOptions['tuning'];
}

/** After a failed start (a port in use, no CAP_NET_RAW), try again no sooner than this. */
const RETRY_MS = 30_000;

export class KubeMembership {
  private running: NodeMembership | null = null;
  private starting = false;
  private failedAtMs: number | null = null;
  private lastSkip: MembershipSkip | null | undefined = undefined;
  private lastMode = '';
  private lastAlive = '';
  private failedSeen: ReadonlySet<string> = new Set();
  private nodes: readonly Node[] = [];
  /** What membership last read from the cluster state (the Nodes, whether anything is announced in L2). */
  private signature = '';
  private closed = false;
  private retryTimer: Timer | null = null;
  private readonly log: Logger;

  constructor(private readonly o: KubeMembershipOptions) {
    this.log = o.logger.child({ component: 'membership' });
  }

  /** Called on every change of the cluster state; acts only when what membership reads changed. */
  sync(config: ConfigSet): void {
    if (this.closed) return;
    const signature = JSON.stringify([
      config.nodes.map((n) => [n.metadata.name, n.metadata.labels, n.status.conditions, n.status.addresses]),
      config.l2Advertisements.length,
    ]);
    if (signature === this.signature && (this.running !== null || this.starting || !this.retryDue())) return;
    this.signature = signature;
    this.nodes = config.nodes;
    if (this.running !== null) {
      void this.running.runtime.setNodes(config.nodes).catch((err: unknown) => this.log.error('cannot update the BFD sessions to the Nodes', { error: describeError(err) }));
      return;
    }
    if (this.starting || !this.retryDue()) return;
    const skip = membershipSkip(this.o.node, config);
    if (skip !== this.lastSkip) {
      this.lastSkip = skip;
      if (skip !== null) this.log.info('multi-node membership not started; liveness is the Nodes\' Ready condition', { reason: skip });
    }
    if (skip !== null) return;
    this.starting = true;
    startNodeMembership({
      self: this.o.node,
      nodes: config.nodes,
      logger: this.o.logger,
      controlPlane: kubeNodeControlPlane,
      onChange: () => this.changed(),
      ...(this.o.claimed === undefined ? {} : { claimed: this.o.claimed }),
      ...(this.o.tuning === undefined ? {} : { tuning: this.o.tuning }),
    })
      .then((m) => {
        this.starting = false;
        if (this.closed) {
          m.close();
          return;
        }
        this.running = m;
        this.failedAtMs = null;
        // The Nodes may have changed while the sockets opened.
        void m.runtime.setNodes(this.nodes).catch((err: unknown) => this.log.error('cannot update the BFD sessions to the Nodes', { error: describeError(err) }));
        this.changed();
      })
      .catch((err: unknown) => {
        this.starting = false;
        this.failedAtMs = this.o.clock.now();
        this.log.error('cannot start multi-node membership; liveness stays the Nodes\' Ready condition', { error: describeError(err), retryInMs: RETRY_MS });
        // Elect now from the Ready condition, and come back (through the speaker's sync) to retry.
        this.retryTimer = this.o.clock.setTimeout(() => {
          this.retryTimer = null;
          this.o.onChange();
        }, RETRY_MS);
        this.o.onChange();
      });
  }

  private retryDue(): boolean {
    return this.failedAtMs === null || this.o.clock.now() - this.failedAtMs >= RETRY_MS;
  }

  /**
   * The election's speakers while membership runs or opens its sockets; undefined: elect from the
   * Ready condition. While the sockets open nobody counts as alive, so this speaker claims nothing
   * it would have to give back a moment later (membership then holds it out until its peers count
   * it, docs/failover.md "self-starting").
   */
  speakers(): SpeakerFacts[] | undefined {
    if (this.running !== null) return this.running.runtime.speakerFacts();
    return this.starting ? assumedSpeakers(this.nodes).map((s) => ({ ...s, alive: false })) : undefined;
  }

  /** The engine claimed or released a VIP: the peers are told now (MembershipRuntime.claimsChanged). */
  claimsChanged(): void {
    this.running?.runtime.claimsChanged();
  }

  /** The peer speaker that published `mac` in its status messages; null for an unknown host or while membership does not run. */
  nodeOfMac(mac: string): string | null {
    return this.running?.runtime.nodeOfMac(mac) ?? null;
  }

  /** Probe what the election gives to other nodes (nothing with verification off). */
  setProbeTargets(elected: readonly L2Announcement[]): void {
    if (this.running === null) return;
    this.running.runtime.setProbeTargets(this.o.verify ? elected.flatMap((a) => (a.node === null || a.node === this.o.node ? [] : [{ ip: a.ip, owner: a.node }])) : []);
  }

  status(): MembershipStatus | null {
    return this.running?.runtime.status() ?? null;
  }

  /** Verification failures (any owner) that appeared since the last call. */
  takeNewFailures(): VipTally[] {
    const status = this.status();
    if (status === null) return [];
    const { fresh, failed } = newFailures(this.failedSeen, status.verification);
    this.failedSeen = failed;
    return fresh;
  }

  /** AdminDown to every peer (RFC 5880 §6.8.16), so they take the VIPs over without waiting to detect. */
  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    this.running?.close();
    this.running = null;
  }

  /** Says who counts as alive and when liveness falls back to the Node objects, then lets the speaker elect again. */
  private changed(): void {
    const status = this.status();
    const alive = status?.members.filter((m) => m.alive).map((m) => m.node) ?? [];
    if (status !== null && alive.join(',') !== this.lastAlive) {
      this.lastAlive = alive.join(',');
      this.log.info('live speakers', { alive, notAlive: status.members.filter((m) => !m.alive).map((m) => `${m.node}:${m.reason}`) });
    }
    if (status !== null && status.mode !== this.lastMode) {
      this.lastMode = status.mode;
      if (status.mode === 'control-plane-fallback') {
        const byName = new Map(this.nodes.map((n) => [n.metadata.name, n] as const));
        this.log.warn('speakers cannot hear each other over BFD: liveness comes from the Node objects (Ready, NetworkUnavailable) until a session comes up', {
          nodes: status.members.flatMap((m) => {
            const node = byName.get(m.node);
            return m.reason.startsWith('control-plane') && node !== undefined ? [`${m.node}:${nodeControlPlaneState(node)}`] : [];
          }),
        });
      }
    }
    this.o.onChange();
  }
}
