import type { Clock } from '../domain/clock.js';
import type { BgpAnnouncement } from '../domain/bgp/announcements.js';
import { IFF_LOOPBACK, IFF_UP, type InterfaceFacts } from '../domain/l2/interfaces.js';
import { parseIp } from '../domain/net/ip.js';
import { AirlbError, describeError } from '../errors.js';
import type { BgpSessionStatus } from '../io/bgp-session.js';
import { BgpSpeaker } from '../io/bgp-speaker.js';
import { readInterfaceFacts } from '../io/interfaces.js';
import type { Logger } from '../io/logger.js';
import { nativeAddon, type NativeAddon } from '../io/native.js';
import { systemClock } from '../io/system-clock.js';
import type { StandaloneBgpPlan } from './bgp-plan.js';

/**
 * The BGP side of `airlb standalone`: one BgpSpeaker for this node, started when a BGPPeer first
 * selects the node, handed planBgp's routes on every load (the sessions diff and withdraw what
 * went), stopped with Cease / Administrative Shutdown (RFC 4486 §4) on shutdown or when no peer
 * selects the node any more. A failure here (port 179 taken, no router ID) is logged and shown in
 * the status; it never stops the Layer 2 side, and the next load tries again.
 */
export interface StandaloneBgpOptions {
  readonly node: string;
  readonly logger: Logger;
  /** Told whenever what status() returns changed. */
  readonly onChange: () => void;
  /** Where to accept the peers' connections (default [::]:179), null to only connect out. */
  readonly listen?: { readonly address: string; readonly port: number } | null;
  readonly clock?: Clock;
  /** Fallback for the node's addresses when its Node lists none (default: /sys/class/net). */
  readonly readInterfaces?: () => Promise<InterfaceFacts[]>;
  /** The TCP MD5 / TTL addon (default: loaded on first use; null without it). */
  readonly native?: NativeAddon | null;
}

/** One session in the status file: BgpSessionStatus plus the wall-clock time of its last change. */
export interface StandaloneBgpSession extends BgpSessionStatus {
  /** ISO time of the last state change (sinceMs is monotonic, meaningless outside the process). */
  readonly since: string;
}

export interface StandaloneBgpStatus {
  /** The BGP Identifier used for peers without routerID; null while BGP is not running. */
  readonly routerId: string | null;
  readonly listen: { readonly address: string; readonly port: number } | null;
  /** Why BGP is not running as configured, from the last load; null when it is. */
  readonly error: string | null;
  readonly sessions: readonly StandaloneBgpSession[];
  /** The routes this node announces (planBgp's entries of this node). */
  readonly routes: readonly BgpAnnouncement[];
}

export class StandaloneBgpError extends AirlbError {
  constructor(message: string) {
    super('standalone-bgp', message);
    this.name = 'StandaloneBgpError';
  }
}

export const DEFAULT_BGP_LISTEN = { address: '::', port: 179 } as const;

interface Identity {
  readonly routerId: string;
  readonly v4: string | null;
  readonly v6: string | null;
}

/** The first address of the family on an up, non-loopback interface; /32, /128 (VIPs) and link-local are skipped. */
function interfaceAddress(facts: readonly InterfaceFacts[], family: 4 | 6): string | null {
  for (const f of facts) {
    if ((f.flags & IFF_LOOPBACK) !== 0 || (f.flags & IFF_UP) === 0) continue;
    for (const a of f.addresses) {
      const ip = parseIp(a.address);
      if (ip === null || ip.family !== family || a.prefixLength === (family === 4 ? 32 : 128)) continue;
      if (family === 6 && a.address.toLowerCase().startsWith('fe80:')) continue;
      return a.address;
    }
  }
  return null;
}

export class StandaloneBgp {
  private readonly o: StandaloneBgpOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly listen: { readonly address: string; readonly port: number } | null;
  private speaker: BgpSpeaker | null = null;
  /** What the running speaker was started with; a change restarts it (BgpSpeaker takes these once). */
  private startedWith = '';
  private routerId: string | null = null;
  private routes: readonly BgpAnnouncement[] = [];
  private error: string | null = null;
  private native: NativeAddon | null | undefined;

  constructor(options: StandaloneBgpOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'bgp' });
    this.clock = options.clock ?? systemClock;
    this.listen = options.listen === undefined ? DEFAULT_BGP_LISTEN : options.listen;
    this.native = options.native;
  }

  /** Brings the sessions and routes in line with a plan; never throws (see the class comment). */
  async apply(plan: StandaloneBgpPlan): Promise<void> {
    this.routes = plan.announcements;
    this.error = null;
    try {
      if (plan.peers.length === 0) {
        if (this.speaker !== null) this.log.info('no BGPPeer selects this node any more: closing the BGP sessions');
        await this.shutdown('no BGPPeer selects this node any more');
      } else {
        const identity = await this.identity(plan);
        // Only the profiles this node's peers name: editing an unrelated one restarts nothing.
        const named = new Set(plan.peers.map((p) => p.spec.bfdProfile));
        const bfdProfiles = plan.bfdProfiles.filter((p) => named.has(p.metadata.name));
        const startWith = JSON.stringify({ identity, bfd: bfdProfiles.map((p) => [p.metadata.name, p.spec]) });
        if (this.speaker !== null && startWith !== this.startedWith) {
          this.log.info("the node's addresses or the BFDProfiles changed: restarting the BGP sessions");
          await this.shutdown('airlb configuration changed');
        }
        if (this.speaker === null) {
          this.speaker = await BgpSpeaker.start({
            node: this.o.node,
            peers: plan.peers,
            bfdProfiles,
            routerId: identity.routerId,
            nodeAddresses: { v4: identity.v4, v6: identity.v6 },
            listen: this.listen,
            clock: this.clock,
            logger: this.log,
            native: this.loadNative(),
            onStateChange: (change) => {
              this.log.info(`BGP session ${change.from} → ${change.to}`, { peer: change.peer, reason: change.reason });
              this.o.onChange();
            },
          });
          this.startedWith = startWith;
          this.routerId = identity.routerId;
          this.log.info('BGP started', { routerId: identity.routerId, peers: plan.peers.map((p) => p.metadata.name).join(',') });
        } else {
          await this.speaker.setPeers(plan.peers);
        }
        this.speaker.setRoutes(plan.announcements);
        this.log.info('BGP routes set', { routes: plan.announcements.length, prefixes: [...new Set(plan.announcements.map((a) => a.prefix))].join(',') });
      }
    } catch (err) {
      this.error = describeError(err);
      this.log.error('BGP is not running as configured; the next reload tries again', { error: this.error });
    }
    this.o.onChange();
  }

  status(): StandaloneBgpStatus {
    const now = this.clock.now();
    const wall = Date.now();
    return {
      routerId: this.speaker === null ? null : this.routerId,
      listen: this.speaker === null ? null : this.listen,
      error: this.error,
      sessions: (this.speaker?.status() ?? []).map((s) => ({ ...s, since: new Date(wall - (now - s.sinceMs)).toISOString() })),
      routes: this.routes,
    };
  }

  /** Cease / Administrative Shutdown to every peer, then closes the listener and BFD. Idempotent. */
  async stop(): Promise<void> {
    await this.shutdown('airlb standalone stopping');
  }

  private async shutdown(message: string): Promise<void> {
    const speaker = this.speaker;
    this.speaker = null;
    this.startedWith = '';
    if (speaker !== null) await speaker.stop(message);
  }

  /**
   * The BGP Identifier and next-hop addresses: the Node's addresses, or the host's own when its
   * Node lists none (as with no Node manifests at all). RFC 6286 §2.1 needs a non-zero 32-bit
   * identifier; without an IPv4 address every peer must name its routerID.
   */
  private async identity(plan: StandaloneBgpPlan): Promise<Identity> {
    let { v4, v6 } = plan.nodeAddresses;
    if (v4 === null || v6 === null) {
      const facts = await (this.o.readInterfaces ?? (() => readInterfaceFacts()))();
      v4 ??= interfaceAddress(facts, 4);
      v6 ??= interfaceAddress(facts, 6);
    }
    const unnamed = plan.peers.filter((p) => p.spec.routerID === null).map((p) => p.metadata.name);
    // Every peer names its own routerID when this is null, so this one only fills the option.
    const routerId = v4 ?? plan.peers[0]?.spec.routerID ?? null;
    if (routerId === null || (unnamed.length > 0 && v4 === null)) {
      throw new StandaloneBgpError(
        `no IPv4 address for the BGP Identifier of BGPPeer ${unnamed.join(', ')}: list the node's InternalIP in its Node manifest (status.addresses) or set spec.routerID`,
      );
    }
    return { routerId, v4, v6 };
  }

  private loadNative(): NativeAddon | null {
    if (this.native === undefined) {
      try {
        this.native = nativeAddon();
      } catch (err) {
        // Plain TCP still works; TCP MD5 and the eBGP TTL need the addon, and the speaker says so when used.
        this.log.warn('native addon not loaded: no TCP MD5, system default TTL', { error: describeError(err) });
        this.native = null;
      }
    }
    return this.native;
  }
}
