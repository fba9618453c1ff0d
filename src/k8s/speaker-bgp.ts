import type { Clock, Timer } from '../domain/clock.js';
import type { BgpAnnouncement } from '../domain/bgp/announcements.js';
import type { BgpStateName } from '../domain/bgp/fsm.js';
import type { ConfigIssue } from '../domain/config/types.js';
import type { InterfaceFacts } from '../domain/l2/interfaces.js';
import { cidrToRange, parseCidr, parseIp, rangeContains } from '../domain/net/ip.js';
import type { Logger } from '../io/logger.js';
import type { NativeAddon } from '../io/native.js';
import { StandaloneBgp, type StandaloneBgpStatus } from '../standalone/bgp.js';
import { basicAuthPasswords } from './bgp-secrets.js';
import type { ClusterState } from './cluster-state.js';
import { subjectOf, type EventSink, type EventType } from './events.js';
import { Informer, type BackoffOptions } from './informer.js';
import { apiVersionOf, RESOURCES, type ResourceType } from './resources.js';
import { speakerBgpPlan } from './speaker-bgp-plan.js';
import type { ApiTransport } from './transport.js';

/**
 * The BGP side of `airlb speaker` in a cluster: speakerBgpPlan over the speaker's cluster state
 * plus the basic-auth Secrets of its namespace (for passwordSecret), applied through the same
 * StandaloneBgp that standalone mode uses (one BgpSpeaker, sessions per BGPPeer, routes diffed).
 *
 * - Nothing is applied before the cluster state and the Secrets have both been listed once: a
 *   half picture would start a peer without its key, or withdraw routes only to announce them again.
 * - While the API server is unreachable the caches stay as they were, so no plan changes: the
 *   sessions stay up and keep their routes (a re-list after the outage brings what changed).
 * - A session leaving Established is logged as MetalLB's speaker does ("BGP session down") and
 *   recorded as a Warning Event on its BGPPeer; MetalLB's nodeAssigned Event (protocol "bgp")
 *   goes on each Service this node starts announcing.
 */

/** The kinds the BGP side reads besides the Services, EndpointSlices and Nodes of the layer-2 side. */
export const SPEAKER_BGP_TYPES: readonly ResourceType[] = [RESOURCES.bgpPeer, RESOURCES.bgpAdvertisement, RESOURCES.community, RESOURCES.bfdProfile];

/** After a failed apply (port 179 taken, no router ID yet), try again this often even without a change. */
const RETRY_MS = 10_000;

export interface SpeakerBgpOptions {
  readonly transport: ApiTransport;
  /** The speaker's cluster state; it must include SPEAKER_BGP_TYPES. */
  readonly state: ClusterState;
  readonly node: string;
  /** The speaker's namespace: where the metallb.io objects and the peers' Secrets are read. */
  readonly namespace: string;
  readonly loadBalancerClass: string | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventSink;
  readonly backoff?: BackoffOptions;
  /** Where BGP accepts the peers' connections (default [::]:179); null: connect out only. */
  readonly listen?: { readonly address: string; readonly port: number } | null;
  /** The node's addresses when its Node lists none (default: /sys/class/net). */
  readonly readInterfaces?: () => Promise<InterfaceFacts[]>;
  /** The TCP MD5 / TTL addon (default: loaded on first use). */
  readonly native?: NativeAddon | null;
}

export class SpeakerBgp {
  private readonly o: SpeakerBgpOptions;
  private readonly log: Logger;
  private readonly secrets: Informer;
  private readonly bgp: StandaloneBgp;
  private synced = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private retry: Timer | null = null;
  /** The plan last handed to StandaloneBgp, as JSON: an unchanged plan is not applied again. */
  private applied = '';
  private routes: readonly BgpAnnouncement[] = [];
  private issues = new Set<string>();
  private services = new Set<string>();
  private states = new Map<string, BgpStateName>();

  constructor(options: SpeakerBgpOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'speaker-bgp' });
    this.secrets = new Informer({
      transport: options.transport,
      type: RESOURCES.secret,
      // MetalLB reads passwordSecret in its own namespace only; the Role allows nothing else.
      namespace: options.namespace,
      clock: options.clock,
      logger: this.log,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    });
    this.bgp = new StandaloneBgp({
      node: options.node,
      logger: options.logger,
      clock: options.clock,
      onChange: () => this.sessionsChanged(),
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(options.readInterfaces === undefined ? {} : { readInterfaces: options.readInterfaces }),
      ...(options.native === undefined ? {} : { native: options.native }),
    });
    options.state.onChange(() => this.schedule());
    this.secrets.onEvent(() => this.schedule());
  }

  /** Starts the Secret informer; the first apply waits for it and the cluster state's first list. */
  start(): void {
    this.secrets.start();
    void Promise.all([this.o.state.synced, this.secrets.synced]).then(() => {
      this.synced = true;
      this.schedule();
    });
  }

  /** Cease / Administrative Shutdown to every peer (RFC 4486 §4), then closes the listener and BFD. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.secrets.stop();
    this.retry?.cancel();
    this.retry = null;
    await this.running;
    await this.bgp.stop();
  }

  status(): StandaloneBgpStatus {
    return this.bgp.status();
  }

  /** Every (Service, address) this node announces over BGP, for metallb_speaker_announced{protocol="bgp"}. */
  announced(): { readonly service: string; readonly ip: string }[] {
    const ingress = new Map(this.o.state.config().services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.status.loadBalancerIngress]));
    const out = new Map<string, { service: string; ip: string }>();
    for (const route of this.routes) {
      const cidr = parseCidr(route.prefix);
      if (cidr === null) continue;
      const range = cidrToRange(cidr);
      for (const service of route.services) {
        for (const ip of ingress.get(service) ?? []) {
          const addr = parseIp(ip);
          if (addr !== null && rangeContains(range, addr)) out.set(`${service} ${ip}`, { service, ip });
        }
      }
    }
    return [...out.values()];
  }

  private schedule(): void {
    if (this.stopped || !this.synced) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Applies one plan at a time; changes arriving meanwhile are folded into one more pass. */
  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.applyOnce();
    } while (this.again && !this.stopped);
  }

  private async applyOnce(): Promise<void> {
    const { plan, issues } = speakerBgpPlan({
      config: this.o.state.config(),
      node: this.o.node,
      loadBalancerClass: this.o.loadBalancerClass,
      namespace: this.o.namespace,
      secretPasswords: basicAuthPasswords(this.secrets.list()),
    });
    this.reportIssues(issues);
    const key = JSON.stringify(plan);
    if (key === this.applied || this.stopped) return;
    await this.bgp.apply(plan);
    const error = this.bgp.status().error;
    // A failed apply is tried again on a timer: in a quiet cluster no change would come to retry it.
    this.applied = error === null ? key : '';
    if (error !== null && this.retry === null && !this.stopped) {
      this.retry = this.o.clock.setTimeout(() => {
        this.retry = null;
        this.schedule();
      }, RETRY_MS);
    }
    // Routes towards a peer left out (no key) go nowhere, so they are not counted as announced.
    const peers = new Set(plan.peers.map((p) => p.metadata.name));
    this.routes = plan.announcements.filter((r) => r.peers.some((p) => peers.has(p)));
    this.reportAssigned();
  }

  /** A peer left out (its Secret unreadable) is said once per distinct problem, in the log and on the BGPPeer. */
  private reportIssues(issues: readonly ConfigIssue[]): void {
    const now = new Set(issues.map((i) => `${i.name}\u0000${i.message}`));
    for (const issue of issues) {
      if (this.issues.has(`${issue.name}\u0000${issue.message}`)) continue;
      this.log.warn('BGPPeer left out: no session with it from this node', { peer: issue.name, reason: issue.message });
      this.peerEvent(issue.name, 'Warning', 'PeerNotStarted', `node "${this.o.node}" has no session with this peer: ${issue.message}`);
    }
    this.issues = now;
  }

  private reportAssigned(): void {
    const now = new Set(this.routes.flatMap((r) => r.services));
    for (const service of now) {
      if (this.services.has(service)) continue;
      this.log.info('announcing over BGP', { service, prefixes: this.routes.filter((r) => r.services.includes(service)).map((r) => r.prefix) });
      const obj = this.o.state.object(RESOURCES.service, service);
      if (obj !== undefined) this.o.events.record(subjectOf(obj), 'Normal', 'nodeAssigned', `announcing from node "${this.o.node}" with protocol "bgp"`);
    }
    for (const service of this.services) if (!now.has(service)) this.log.info('no longer announcing over BGP', { service });
    this.services = now;
  }

  /** Told by StandaloneBgp of every change; compares each session's state with the last one seen. */
  private sessionsChanged(): void {
    const sessions = this.bgp.status().sessions;
    const next = new Map(sessions.map((s) => [s.peer, s.state] as const));
    if (!this.stopped) {
      for (const s of sessions) {
        const before = this.states.get(s.peer);
        if (before === s.state) continue;
        if (s.state === 'Established') {
          this.log.info('BGP session established', { event: 'sessionUp', peer: s.peer, address: s.address });
          this.peerEvent(s.peer, 'Normal', 'sessionUp', `BGP session with ${s.address} established from node "${this.o.node}"`);
        } else if (before === 'Established') {
          // MetalLB's speaker logs event=sessionDown "BGP session down"; the Event makes it visible in kubectl.
          this.log.warn('BGP session down', { event: 'sessionDown', peer: s.peer, address: s.address, state: s.state, error: s.lastError });
          this.peerEvent(s.peer, 'Warning', 'sessionDown', `BGP session down: ${s.address} from node "${this.o.node}"${s.lastError === null ? '' : ` (${s.lastError})`}`);
        }
      }
    }
    this.states = next;
  }

  private peerEvent(peer: string, type: EventType, reason: string, message: string): void {
    const obj = this.o.state.object(RESOURCES.bgpPeer, `${this.o.namespace}/${peer}`);
    // Items of a list carry no kind or apiVersion on every server; the type is known here.
    if (obj !== undefined) this.o.events.record({ ...subjectOf(obj), apiVersion: apiVersionOf(RESOURCES.bgpPeer), kind: RESOURCES.bgpPeer.kind }, type, reason, message);
  }
}
