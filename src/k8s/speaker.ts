import type { Clock, Timer } from '../domain/clock.js';
import type { Node } from '../domain/config/types.js';
import { HashOrderMemo } from '../domain/election/hash-order.js';
import { UPLINK_LABEL } from '../domain/election/speakers.js';
import type { Classifier, InterfaceFacts } from '../domain/l2/interfaces.js';
import { describeError } from '../errors.js';
import { watchInterfaces, type InterfaceWatcher } from '../io/interfaces.js';
import type { Logger } from '../io/logger.js';
import type { DesiredVip } from '../standalone/desired.js';
import { StandaloneEngine, type EngineStatus, type LinkLayer } from '../standalone/engine.js';
import { ClusterState } from './cluster-state.js';
import { subjectOf, type EventSink } from './events.js';
import { Informer, type BackoffOptions } from './informer.js';
import { L2StatusWriter, type L2StatusEntry } from './l2-status.js';
import { objectPath, RESOURCES, type ResourceType } from './resources.js';
import { speakerPlan } from './speaker-plan.js';
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
}

const SPEAKER_TYPES: readonly ResourceType[] = [
  RESOURCES.service,
  RESOURCES.endpointSlice,
  RESOURCES.node,
  RESOURCES.namespace,
  RESOURCES.ipAddressPool,
  RESOURCES.l2Advertisement,
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
  private readonly memo = new HashOrderMemo();
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
    });
    this.state.onChange(() => this.replan());
  }

  /** Starts the informers and the interface scan; announcing begins after the first full list. */
  start(): void {
    this.state.start();
    this.l2Objects.start();
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

  /** Stops answering at once and closes every socket. ServiceL2Status objects are left for the next run to settle. */
  stop(): void {
    this.stopped = true;
    this.state.stop();
    this.l2Objects.stop();
    this.interfaceWatch?.close();
    this.l2Timer?.cancel();
    this.engine.close();
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

  engineStatus(): EngineStatus {
    return this.engine.status();
  }

  private replan(): void {
    if (this.stopped) return;
    const plan = speakerPlan({ config: this.state.config(), node: this.o.node, loadBalancerClass: this.o.loadBalancerClass, memo: this.memo });
    this.announce = plan.announce;
    this.planned = true;
    this.engine.setDesired(plan.announce);
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

  private serviceEvent(service: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const obj = this.state.object(RESOURCES.service, service);
    if (obj !== undefined) this.o.events.record(subjectOf(obj), type, reason, message);
  }

  private engineChanged(): void {
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
