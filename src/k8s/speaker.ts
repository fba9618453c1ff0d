import type { Clock, Timer } from '../domain/clock.js';
import type { ConfigSet, Node } from '../domain/config/types.js';
import { HashOrderMemo } from '../domain/election/hash-order.js';
import { UPLINK_LABEL } from '../domain/election/speakers.js';
import { takeoverVips } from '../domain/election/takeover.js';
import type { L2Announcement, SpeakerFacts } from '../domain/election/types.js';
import type { Classifier, InterfaceFacts } from '../domain/l2/interfaces.js';
import { arbitratePeer, pairSpeakers, type PeerArbitration } from '../domain/l2/peer-conflict.js';
import type { VipTally } from '../domain/l2/verification.js';
import type { MembershipStatus } from '../io/membership-runtime.js';
import { describeError } from '../errors.js';
import { watchInterfaces, type InterfaceWatcher } from '../io/interfaces.js';
import type { Logger } from '../io/logger.js';
import type { DesiredVip } from '../standalone/desired.js';
import type { StandaloneBgpStatus } from '../standalone/bgp.js';
import { StandaloneEngine, type EngineStatus, type LinkLayer } from '../standalone/engine.js';
import { ClusterState } from './cluster-state.js';
import { subjectOf, type EventSink } from './events.js';
import { Informer, type BackoffOptions } from './informer.js';
import { L2StatusWriter, type L2StatusEntry } from './l2-status.js';
import { objectPath, RESOURCES, type ResourceType } from './resources.js';
import { SPEAKER_BGP_TYPES, SpeakerBgp, type SpeakerBgpOptions } from './speaker-bgp.js';
import { handovers, notHeardMessage, type Handover } from './handovers.js';
import { KubeMembership, type KubeMembershipOptions } from './speaker-membership.js';
import { speakerPlan, speakersOf } from './speaker-plan.js';
import type { ApiTransport } from './transport.js';
import { uplinkOf } from './uplink.js';

/**
 * `airlb speaker` in a cluster: the standalone engine (ARP/NDP answering, probing, GARP,
 * conflicts, WiFi promiscuous membership) fed from informers instead of files.
 *
 * - Announces what the election gives this node over the Services' published addresses
 *   (speaker-plan.ts), and nothing before the first full list: it never acts on half a picture.
 * - When the API server is unreachable the informer caches stay as they were, so the engine
 *   keeps announcing the last known state; nothing is withdrawn because the control plane is down.
 * - Publishes ServiceL2Status objects for what it announces, Events on the Services
 *   (nodeAssigned, conflict), and its uplink kind as the airlb.io/uplink label on its Node.
 */

export interface KubeSpeakerOptions {
  readonly transport: ApiTransport;
  readonly node: string;
  /** Where the metallb.io configuration and this node's ServiceL2Status objects live. */
  readonly namespace: string;
  readonly loadBalancerClass: string | null;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly link: LinkLayer;
  readonly classifier: Classifier;
  readonly wifiPromiscuous: boolean;
  /** Label the Node with airlb.io/uplink (default true). */
  readonly labelUplink: boolean;
  readonly events: EventSink;
  /** Default: /sys/class/net, every 2 s. */
  readonly readInterfaces?: () => Promise<InterfaceFacts[]>;
  readonly interfaceIntervalMs?: number;
  readonly backoff?: BackoffOptions;
  readonly debounceMs?: number;
  /** Called when this node starts announcing a Service (metrics count takeovers). */
  readonly onTakeover?: (service: string) => void;
  /**
   * Multi-node membership: BFD between the speakers, announcement verification, control-plane
   * fallback (speaker-membership.ts). Absent: liveness is the Nodes' Ready condition alone.
   */
  readonly membership?: Pick<KubeMembershipOptions, 'verify' | 'tuning'>;
  /** A VIP came to this node from another one (metrics count failovers by reason). */
  readonly onFailover?: (handover: Handover) => void;
  /** A VIP's owner (any node) failed verification in this speaker's tally. */
  readonly onVerificationFailure?: (tally: VipTally) => void;
  /** BGP listener, node-address fallback and MD5 addon (speaker-bgp.ts; defaults: [::]:179, /sys/class/net, loaded on use). */
  readonly bgp?: Pick<SpeakerBgpOptions, 'listen' | 'readInterfaces' | 'native'>;
}

const SPEAKER_TYPES: readonly ResourceType[] = [
  RESOURCES.service,
  RESOURCES.endpointSlice,
  RESOURCES.node,
  RESOURCES.namespace,
  RESOURCES.ipAddressPool,
  RESOURCES.l2Advertisement,
  ...SPEAKER_BGP_TYPES,
];

/** ServiceL2Status writes wait this long for the engine to settle (claims take a probe). */
const L2_STATUS_DELAY_MS = 200;
/** And retry this often while the API server is unreachable or a write failed. */
const L2_STATUS_RETRY_MS = 2000;

export class KubeSpeaker {
  private readonly o: KubeSpeakerOptions;
  private readonly log: Logger;
  private readonly state: ClusterState;
  private readonly l2Objects: Informer;
  private readonly l2Writer: L2StatusWriter;
  private readonly engine: StandaloneEngine;
  private readonly bgp: SpeakerBgp;
  private readonly memo = new HashOrderMemo();
  private readonly membership: KubeMembership | null;
  private elected: readonly L2Announcement[] = [];
  /** Per conflicting peer: who the election picks for each VIP with only the two of us alive (peer-conflict.ts). */
  private readonly pairWinners = new Map<string, Map<string, string | null>>();
  private interfaceWatch: InterfaceWatcher | null = null;
  private facts: readonly InterfaceFacts[] | null = null;
  private announce: readonly DesiredVip[] = [];
  private mine = new Set<string>();
  private planned = false;
  private uplink: 'wired' | 'wireless' | null = null;
  private labelling = false;
  private conflictsSeen = 0;
  private l2Timer: Timer | null = null;
  private l2Busy: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(options: KubeSpeakerOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'speaker', node: options.node });
    const common = { transport: options.transport, clock: options.clock, logger: this.log, ...(options.backoff === undefined ? {} : { backoff: options.backoff }) };
    this.state = new ClusterState({ ...common, types: SPEAKER_TYPES, configNamespace: options.namespace, ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }) });
    this.l2Writer = new L2StatusWriter(options.transport, options.node, options.namespace, this.log);
    this.l2Objects = new Informer({ ...common, type: RESOURCES.serviceL2Status, namespace: options.namespace, labelSelector: this.l2Writer.selector });
    this.engine = new StandaloneEngine({
      clock: options.clock,
      random: options.random,
      logger: this.log.child({ component: 'engine' }),
      link: options.link,
      classifier: options.classifier,
      wifiPromiscuous: options.wifiPromiscuous,
      onChange: () => this.engineChanged(),
      arbiter: (vip, mac) => this.arbitrate(vip, mac),
    });
    this.membership =
      options.membership === undefined
        ? null
        : new KubeMembership({ ...options.membership, node: options.node, logger: this.log, clock: options.clock, onChange: () => this.replan(), claimed: () => this.engine.claimed() });
    this.state.onChange(() => this.replan());
    this.bgp = new SpeakerBgp({ ...common, ...options.bgp, state: this.state, node: options.node, namespace: options.namespace, loadBalancerClass: options.loadBalancerClass, events: options.events });
  }

  /** Starts the informers and the interface scan; announcing begins after the first full list. */
  start(): void {
    this.state.start();
    this.l2Objects.start();
    this.bgp.start();
    this.interfaceWatch = watchInterfaces({
      ...(this.o.readInterfaces === undefined ? {} : { read: this.o.readInterfaces }),
      ...(this.o.interfaceIntervalMs === undefined ? {} : { intervalMs: this.o.interfaceIntervalMs }),
      clock: this.o.clock,
      onChange: (facts) => {
        this.facts = facts;
        this.engine.setInterfaces(facts);
        this.publishUplink();
      },
      onError: (err) => this.log.warn('interface scan failed; keeping the last one', { error: describeError(err) }),
    });
    void this.state.synced.then(() => this.replan());
  }

  /**
   * Stops answering at once and closes every socket; resolves once the BGP peers were told Cease.
   * ServiceL2Status objects are left for the next run to settle.
   */
  stop(): Promise<void> {
    this.stopped = true;
    // AdminDown first (RFC 5880 §6.8.16): the peers take the VIPs over without waiting to detect.
    this.membership?.close();
    this.state.stop();
    this.l2Objects.stop();
    this.interfaceWatch?.close();
    this.l2Timer?.cancel();
    this.engine.close();
    return this.bgp.stop();
  }

  get ready(): { ok: boolean; detail: string } {
    if (!this.planned) return { ok: false, detail: 'waiting for the first list of every resource' };
    if (this.facts === null) return { ok: false, detail: 'waiting for the first interface scan' };
    return { ok: true, detail: 'ok' };
  }

  get apiConnected(): boolean {
    return this.state.connected;
  }

  get uplinkKind(): 'wired' | 'wireless' | null {
    return this.uplink;
  }

  /** The VIPs this node announces, with the Services on each. */
  announced(): readonly DesiredVip[] {
    return this.announce;
  }

  /** BGP sessions and the routes this node announces (speaker-bgp.ts). */
  bgpStatus(): StandaloneBgpStatus {
    return this.bgp.status();
  }

  /** Every (Service, address) this node announces over BGP. */
  bgpAnnounced(): { readonly service: string; readonly ip: string }[] {
    return this.bgp.announced();
  }

  /** BFD peers, mode and verification votes; null while multi-node membership does not run. */
  membershipStatus(): MembershipStatus | null {
    return this.membership?.status() ?? null;
  }

  engineStatus(): EngineStatus {
    return this.engine.status();
  }

  private replan(): void {
    if (this.stopped) return;
    const config = this.state.config();
    this.membership?.sync(config);
    this.pairWinners.clear();
    const speakers = this.membership?.speakers();
    const plan = speakerPlan({ config, node: this.o.node, loadBalancerClass: this.o.loadBalancerClass, memo: this.memo, ...(speakers === undefined ? {} : { speakers }) });
    this.membership?.setProbeTargets(plan.elected);
    // VIPs won from an owner membership says is dead get the short claim (takeover.ts): it cannot answer a probe.
    const previousOwners = new Map(this.elected.flatMap((a) => (a.node === null ? [] : [[a.ip, a.node] as const])));
    const takeover = takeoverVips({ self: this.o.node, won: plan.announce.map((v) => v.ip), previousOwners, ...(speakers === undefined ? {} : { speakers }) });
    this.noteHandovers(plan.elected, speakers ?? speakersOf(config.nodes));
    this.announce = plan.announce.map((v) => (takeover.has(v.ip) ? { ...v, takeover: true } : v));
    this.planned = true;
    this.engine.setDesired(this.announce, speakers === undefined ? [] : this.standby(config, speakers));
    const now = new Set(plan.announce.flatMap((v) => v.services));
    for (const service of now) {
      if (this.mine.has(service)) continue;
      this.log.info('announcing', { service, ips: plan.announce.filter((v) => v.services.includes(service)).map((v) => v.ip) });
      this.o.onTakeover?.(service);
      this.serviceEvent(service, 'Normal', 'nodeAssigned', `announcing from node "${this.o.node}" with protocol "layer2"`);
    }
    for (const service of this.mine) if (!now.has(service)) this.log.info('no longer announcing', { service });
    this.mine = now;
    this.publishUplink();
    this.scheduleL2Status();
  }

  /**
   * With membership: the VIPs this node would announce if every other speaker died, minus those it
   * announces; the engine keeps their interfaces' sockets open, so a takeover probes at once
   * (docs/failover.md "Standby sockets").
   */
  private standby(config: ConfigSet, speakers: readonly SpeakerFacts[]): DesiredVip[] {
    const alone = speakers.map((s) => ({ ...s, alive: s.node === this.o.node }));
    const held = new Set(this.announce.map((v) => v.ip));
    const plan = speakerPlan({ config, node: this.o.node, loadBalancerClass: this.o.loadBalancerClass, memo: this.memo, speakers: alone });
    return plan.announce.filter((v) => !held.has(v.ip));
  }

  /**
   * A conflict from another speaker's MAC: the one the election ranks first between the two keeps
   * the VIP, the other yields at once (src/domain/l2/peer-conflict.ts); null leaves RFC 5227's rules.
   */
  private arbitrate(vip: string, mac: string): PeerArbitration | null {
    const peer = this.membership?.nodeOfMac(mac) ?? null;
    const speakers = this.membership?.speakers();
    if (peer === null || speakers === undefined) return null;
    let winners = this.pairWinners.get(peer);
    if (winners === undefined) {
      const pair = speakerPlan({ config: this.state.config(), node: this.o.node, loadBalancerClass: this.o.loadBalancerClass, memo: this.memo, speakers: pairSpeakers(speakers, this.o.node, peer) });
      winners = new Map(pair.elected.map((a) => [a.ip, a.node] as const));
      this.pairWinners.set(peer, winners);
    }
    const verdict = arbitratePeer(this.o.node, peer, winners.get(vip) ?? null);
    return verdict === null ? null : { peer, verdict };
  }

  /** Counts and logs the VIPs that came to this node, and reports the verification failures seen since the last election. */
  private noteHandovers(elected: readonly L2Announcement[], speakers: readonly SpeakerFacts[]): void {
    for (const h of handovers(this.elected, elected, speakers)) {
      if (h.to !== this.o.node) continue;
      this.log.info('taking over a VIP', { ip: h.ip, service: h.service, from: h.from, reason: h.reason });
      this.o.onFailover?.(h);
    }
    for (const t of this.membership?.takeNewFailures() ?? []) {
      this.o.onVerificationFailure?.(t);
      // The owner reports its own failure, once: every speaker reaches the same tally.
      if (t.owner !== this.o.node) continue;
      for (const service of new Set(elected.filter((a) => a.ip === t.ip).map((a) => a.service))) this.serviceEvent(service, 'Warning', 'notHeard', notHeardMessage(t));
    }
    this.elected = elected;
  }

  private serviceEvent(service: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const obj = this.state.object(RESOURCES.service, service);
    if (obj !== undefined) this.o.events.record(subjectOf(obj), type, reason, message);
  }

  private engineChanged(): void {
    // A VIP claimed or released: the peers learn it now (they probe only claimed VIPs).
    this.membership?.claimsChanged();
    const status = this.engine.status();
    if (status.counters.conflicts > this.conflictsSeen) {
      const fresh = status.conflicts.slice(-(status.counters.conflicts - this.conflictsSeen));
      for (const c of fresh) {
        const vip = this.announce.find((v) => v.ip === c.vip);
        for (const service of vip?.services ?? []) {
          this.serviceEvent(service, 'Warning', 'conflict', `${c.vip} is also claimed by ${c.mac} on ${this.o.node}/${c.ifname} (${c.evidence}); this node will ${c.action}`);
        }
      }
      this.conflictsSeen = status.counters.conflicts;
    }
    this.scheduleL2Status();
  }

  private scheduleL2Status(delayMs = L2_STATUS_DELAY_MS): void {
    if (this.stopped || this.l2Timer !== null) return;
    this.l2Timer = this.o.clock.setTimeout(() => {
      this.l2Timer = null;
      this.l2Busy = this.l2Busy.then(() => this.syncL2Status());
    }, delayMs);
  }

  /** One ServiceL2Status per announced Service, listing the interfaces answering for its VIPs. */
  private async syncL2Status(): Promise<void> {
    if (this.stopped || !this.planned) return;
    if (!this.l2Objects.synchronized || !this.state.connected) {
      this.scheduleL2Status(L2_STATUS_RETRY_MS);
      return;
    }
    const answering = new Map(this.engine.status().vips.map((v) => [v.ip, v.answeringOn] as const));
    const byService = new Map<string, Set<string>>();
    for (const vip of this.announce) {
      for (const service of vip.services) {
        const set = byService.get(service) ?? new Set<string>();
        for (const ifname of answering.get(vip.ip) ?? []) set.add(ifname);
        byService.set(service, set);
      }
    }
    const wanted: L2StatusEntry[] = [...byService].map(([service, set]) => {
      const slash = service.indexOf('/');
      return { serviceNamespace: service.slice(0, slash), serviceName: service.slice(slash + 1), interfaces: [...set].sort() };
    });
    const ok = await this.l2Writer.reconcile(wanted, this.l2Objects.list());
    if (!ok) this.scheduleL2Status(L2_STATUS_RETRY_MS);
  }

  private myNode(): Node | undefined {
    return this.state.config().nodes.find((n) => n.metadata.name === this.o.node);
  }

  /** Sets airlb.io/uplink on this node's Node when it differs from what the interfaces say. */
  private publishUplink(): void {
    const node = this.myNode();
    if (node === undefined || this.facts === null) return;
    this.uplink = uplinkOf(node, this.facts, this.o.classifier);
    if (!this.o.labelUplink || this.uplink === null || this.labelling || node.metadata.labels[UPLINK_LABEL] === this.uplink) return;
    this.labelling = true;
    const body = { metadata: { labels: { [UPLINK_LABEL]: this.uplink } } };
    this.log.info('labelling the node with its uplink kind', { label: UPLINK_LABEL, value: this.uplink });
    this.o.transport
      .send('PATCH', objectPath(RESOURCES.node, '', this.o.node), body)
      .catch((err: unknown) => this.log.warn('could not label the node', { error: describeError(err) }))
      .finally(() => {
        this.labelling = false;
      });
  }
}
