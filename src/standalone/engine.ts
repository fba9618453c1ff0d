import type { Clock } from '../domain/clock.js';
import { VipAnnouncer, type AnnounceReason, type AnnouncerState, type ConflictReport } from '../domain/l2/announcer.js';
import { arpConflict, naConflict, nsConflict, type ClaimPhase, type Conflict } from '../domain/l2/conflict.js';
import {
  classifyAll,
  classifyInterface,
  selectInterfaces,
  selectedInterfaces,
  type ClassifiedInterface,
  type Classifier,
  type InterfaceFacts,
  type InterfaceKind,
  type InterfaceVerdict,
} from '../domain/l2/interfaces.js';
import type { ConflictArbiter } from '../domain/l2/peer-conflict.js';
import { needsPromiscuous, type PromiscuousReason } from '../domain/l2/promiscuous.js';
import { countReason, emptyReasonCounts, type ReasonCounts } from '../domain/l2/reason-counts.js';
import { buildResponderContext, type ResponderContext, type ResponderInterface } from '../domain/l2/responder-context.js';
import { ARP_REASONS, NS_REASONS, decideArp, decideNs, type ArpReason, type NsReason } from '../domain/l2/responder-policy.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import type { DesiredVip } from './desired.js';
import {
  arpAnnouncements,
  arpProbe,
  arpReply,
  dadSolicitation,
  decodeNeighborFrame,
  neighborAdvertisement,
  solicitedNodeMac,
  unsolicitedAdvertisement,
} from './frames.js';

/**
 * The runtime of standalone mode: turns the desired VIPs (desired.ts) and the node's interfaces
 * into running announcers and one responder.
 *
 * - One packet socket per interface, shared by every VIP announced there, receiving ARP and
 *   ICMPv6 (the LinkLayer decides how; src/io/packet-socket.ts in production, a fake in tests).
 * - One VipAnnouncer (src/domain/l2/announcer.ts) per VIP: probe → claim → burst → refresh, with
 *   conflict handling; a VIP marked `takeover` (its previous owner is dead) probes with the short
 *   takeover claim. The mark matters when the announcer starts, and cuts a conflict backoff short
 *   (the holder it backed off from is dead); a VIP already held or being probed keeps going.
 *   The responder answers only for VIPs an announcer has claimed, through decideArp/decideNs, and
 *   counts every decision by reason. A conflict whose MAC the `arbiter` knows as another airlb
 *   speaker's is settled by rank between the two instead of RFC 5227 (peer-conflict.ts).
 * - Sockets also stay open on the interfaces of standby VIPs (ones this node may take over), so a
 *   takeover starts probing at once.
 * - Promiscuous membership on wireless interfaces that announce (src/domain/l2/promiscuous.ts),
 *   and the solicited-node multicast groups of the IPv6 VIPs (RFC 4861 §7.2.1: a node joins the
 *   solicited-node group of every address it answers for, or NS for it never reach the host).
 *
 * Reconciling is idempotent: `setDesired` with the same VIPs, or a rescan with the same
 * interfaces, changes nothing, so a reload never drops an announcement that is still wanted.
 */

/** One interface's socket, as the engine needs it. */
export interface LinkPort {
  send(frame: Buffer): void;
  /** PACKET_MR_PROMISC membership: the kernel drops it when the socket closes. */
  setPromiscuous(on: boolean): void;
  /** The multicast MACs to be a member of (PACKET_MR_MULTICAST); replaces the previous set. */
  setMulticast(macs: readonly string[]): void;
  /**
   * The ARP fast path, where the link has one (src/io/packet-socket.ts setArpReplies): answer ARP
   * requests for these IPv4 VIPs (→ reply MAC) before the frame reaches the engine, never those
   * from `ownMacs`; replaces the previous table. Frames it answered arrive with answered = true.
   */
  setArpReplies?(replies: ReadonlyMap<string, string>, ownMacs: ReadonlySet<string>): void;
  close(): void;
}

export interface LinkLayer {
  /**
   * Opens a socket on the interface delivering every received ARP and ICMPv6 frame to `onFrame`;
   * `answered` is true when the link's ARP fast path already sent the reply.
   */
  open(ifname: string, onFrame: (frame: Buffer, answered?: boolean) => void): LinkPort;
}

export interface EngineOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1): probe jitter. */
  readonly random: () => number;
  readonly logger: Logger;
  readonly link: LinkLayer;
  /** Default: classifyInterface with MetalLB's name exclusions. */
  readonly classifier?: Classifier;
  /** Hold promiscuous membership on wireless interfaces that announce (default true). */
  readonly wifiPromiscuous?: boolean;
  /** Called after anything in status() changed but the counters. */
  readonly onChange?: () => void;
  /** Called after a received frame changed the counters. */
  readonly onCounters?: () => void;
  /**
   * Asked for every conflict: when the other MAC is another airlb speaker's, which of the two keeps
   * the VIP (src/domain/l2/peer-conflict.ts); absent, or null for a MAC: RFC 5227 as for any host.
   */
  readonly arbiter?: ConflictArbiter;
}

export type VipState = AnnouncerState | 'no-interface';

export interface VipStatus {
  readonly ip: string;
  readonly services: readonly string[];
  readonly pool: string;
  readonly state: VipState;
  /** Interfaces selected for the VIP. */
  readonly interfaces: readonly string[];
  /** Interfaces answering for it right now (claimed). */
  readonly answeringOn: readonly string[];
  /**
   * Interfaces not selected and why: the wired and wireless ones, or every one when none was
   * selected (then the virtual ones' reasons matter too). Kept short because the status file
   * repeats it per VIP.
   */
  readonly skipped: readonly Pick<InterfaceVerdict, 'ifname' | 'reason'>[];
}

export interface InterfaceStatus {
  readonly name: string;
  readonly kind: InterfaceKind;
  readonly mac: string;
  /** A socket is open on it (it announces at least one VIP). */
  readonly open: boolean;
  readonly promiscuous: boolean;
  readonly promiscuousReason: PromiscuousReason;
  readonly vips: number;
}

export interface EngineCounters {
  readonly arp: ReasonCounts<ArpReason>;
  readonly ns: ReasonCounts<NsReason>;
  /** Frames that failed to decode (counted, never fatal). */
  readonly malformed: number;
  readonly sent: { readonly probe: number; readonly gratuitous: number; readonly reply: number };
  readonly sendErrors: number;
  readonly conflicts: number;
}

export interface EngineStatus {
  readonly vips: readonly VipStatus[];
  readonly interfaces: readonly InterfaceStatus[];
  /** The most recent conflicts, oldest first. */
  readonly conflicts: readonly ConflictReport[];
  readonly counters: EngineCounters;
}

interface VipEntry {
  desired: DesiredVip;
  family: 4 | 6;
  verdicts: InterfaceVerdict[];
  selected: string[];
  announcer: VipAnnouncer | null;
}

interface Port {
  readonly ifindex: number;
  readonly mac: string;
  readonly link: LinkPort;
  promiscuous: boolean;
  promiscuousReason: PromiscuousReason;
  multicast: string;
  /** The ARP fast-path table installed (IPv4 VIP → MAC); null once installing failed. */
  arpReplies: Map<string, string> | null;
}

const RECENT_CONFLICTS = 20;
const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export class StandaloneEngine {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly link: LinkLayer;
  private readonly classifier: Classifier;
  private readonly wifiPromiscuous: boolean;
  private readonly onChange: () => void;
  private readonly onCounters: () => void;
  private readonly arbiter: ConflictArbiter | null;

  private classified: ClassifiedInterface[] = [];
  private interfacesKnown = false;
  private desired: readonly DesiredVip[] = [];
  /** Interfaces kept open for VIPs this node may take over (setDesired's `standby`). */
  private standby: readonly DesiredVip[] = [];
  private warm = new Set<string>();
  private readonly vips = new Map<string, VipEntry>();
  private readonly ports = new Map<string, Port>();
  /** VIP → interfaces answering for it, as the announcers last said. */
  private readonly answering = new Map<string, readonly string[]>();
  private ctx: ResponderContext | null = null;
  private closed = false;

  private readonly arpCounts = emptyReasonCounts(ARP_REASONS);
  private readonly nsCounts = emptyReasonCounts(NS_REASONS);
  private malformed = 0;
  private readonly sent = { probe: 0, gratuitous: 0, reply: 0 };
  private sendErrors = 0;
  private conflictCount = 0;
  private readonly recentConflicts: ConflictReport[] = [];

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.log = options.logger;
    this.link = options.link;
    this.classifier = options.classifier ?? ((f) => classifyInterface(f));
    this.arbiter = options.arbiter ?? null;
    this.wifiPromiscuous = options.wifiPromiscuous ?? true;
    this.onChange = options.onChange ?? (() => undefined);
    this.onCounters = options.onCounters ?? (() => undefined);
  }

  /** The node's interfaces, from a scan (first one, then every change). */
  setInterfaces(facts: readonly InterfaceFacts[]): void {
    if (this.closed) return;
    this.classified = classifyAll(facts, this.classifier);
    this.interfacesKnown = true;
    this.ctx = null;
    this.reconcile();
  }

  /**
   * The VIPs this node should announce (a config load or reload, an election), and optionally the
   * VIPs it may take over (desired.ts `standby`): their interfaces get a socket now, though nothing
   * is announced or answered there for them, because opening one — with its eBPF ARP responder —
   * takes 12–20 ms, which a takeover should not spend.
   */
  setDesired(vips: readonly DesiredVip[], standby: readonly DesiredVip[] = []): void {
    if (this.closed) return;
    this.desired = vips;
    this.standby = standby;
    this.reconcile();
  }

  /** Stops answering at once, releases every VIP and closes every socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    for (const entry of this.vips.values()) entry.announcer?.release();
    this.vips.clear();
    this.answering.clear();
    for (const [name, port] of this.ports) this.closePort(name, port);
    this.closed = true;
    this.ctx = null;
  }

  /**
   * The VIPs answered right now (an interface answering for each): what a speaker publishes as
   * its claims to the other speakers (src/proto/peer-status). Not the desired VIPs: one still
   * probing, or backing off a conflict (RFC 5227 §2.4), is not answered, so a peer probing it would
   * count misses against this node for a VIP it does not hold.
   */
  claimed(): string[] {
    return [...this.answering.keys()];
  }

  status(): EngineStatus {
    const vips: VipStatus[] = [...this.vips.values()].map((e) => ({
      ip: e.desired.ip,
      services: e.desired.services,
      pool: e.desired.pool,
      state: e.announcer === null ? 'no-interface' : e.announcer.state,
      interfaces: e.selected,
      answeringOn: this.answering.get(e.desired.ip) ?? [],
      skipped: e.verdicts
        .filter((v) => !v.selected && (e.selected.length === 0 || v.kind !== 'virtual'))
        .map((v) => ({ ifname: v.ifname, reason: v.reason })),
    }));
    const perInterface = this.vipCountByInterface();
    const interfaces: InterfaceStatus[] = this.classified
      .filter((c) => c.classification.kind !== 'virtual' || this.ports.has(c.facts.name))
      .map((c) => {
        const port = this.ports.get(c.facts.name);
        return {
          name: c.facts.name,
          kind: c.classification.kind,
          mac: c.facts.mac,
          open: port !== undefined,
          promiscuous: port?.promiscuous ?? false,
          promiscuousReason: port?.promiscuousReason ?? this.promiscuousFor(c, 0).reason,
          vips: perInterface.get(c.facts.name) ?? 0,
        };
      });
    return {
      vips,
      interfaces,
      conflicts: [...this.recentConflicts],
      counters: {
        arp: { ...this.arpCounts },
        ns: { ...this.nsCounts },
        malformed: this.malformed,
        sent: { ...this.sent },
        sendErrors: this.sendErrors,
        conflicts: this.conflictCount,
      },
    };
  }

  // ------------------------------------------------------------------ reconciling

  private reconcile(): void {
    // Without a first scan every VIP would look like it has no interface; wait for it.
    if (!this.interfacesKnown) return;
    const wanted = new Map(this.desired.map((v) => [v.ip, v]));
    for (const [ip, entry] of this.vips) {
      if (wanted.has(ip)) continue;
      entry.announcer?.release();
      this.vips.delete(ip);
      this.answering.delete(ip);
      this.log.info('vip released', { vip: ip, services: entry.desired.services });
    }
    for (const vip of wanted.values()) {
      const verdicts = selectInterfaces(vip.ip, vip, this.classified);
      const entry = this.vips.get(vip.ip);
      if (entry === undefined) {
        this.vips.set(vip.ip, { desired: vip, family: vip.ip.includes(':') ? 6 : 4, verdicts, selected: selectedInterfaces(verdicts), announcer: null });
      } else {
        const newlyTakeover = vip.takeover === true && entry.desired.takeover !== true;
        entry.desired = vip;
        entry.verdicts = verdicts;
        entry.selected = selectedInterfaces(verdicts);
        // Backing off from a holder that membership now says is dead: waiting out the backoff
        // (up to 30 s) would leave the VIP unanswered, so probe again now, with the short claim.
        if (newlyTakeover && entry.announcer?.takeOver() === true) this.log.info('vip probing', { vip: vip.ip, services: vip.services, claim: 'takeover', after: 'backoff' });
      }
    }
    this.warm = new Set(this.standby.flatMap((v) => selectedInterfaces(selectInterfaces(v.ip, v, this.classified))));
    this.openPorts();
    for (const entry of this.vips.values()) this.applyAnnouncer(entry);
    this.closeUnusedPorts();
    this.applyMemberships();
    this.ctx = null;
    for (const port of this.ports.values()) this.installArpReplies(port, this.arpRepliesFor(port));
    this.onChange();
  }

  private openPorts(): void {
    const needed = new Set(this.warm);
    for (const entry of this.vips.values()) for (const name of entry.selected) needed.add(name);
    for (const name of needed) {
      const facts = this.classified.find((c) => c.facts.name === name)!.facts;
      const existing = this.ports.get(name);
      // A link re-created under the same name has a new ifindex; the old socket is bound to the old one.
      if (existing !== undefined && existing.ifindex === facts.ifindex && existing.mac === facts.mac) continue;
      if (existing !== undefined) this.closePort(name, existing);
      try {
        const link = this.link.open(name, (frame, answered) => this.receive(name, frame, answered === true));
        this.ports.set(name, { ifindex: facts.ifindex, mac: facts.mac, link, promiscuous: false, promiscuousReason: 'not-announcing', multicast: '', arpReplies: new Map() });
        this.log.info('interface opened', { ifname: name, mac: facts.mac });
      } catch (err) {
        this.log.error('cannot open a packet socket; VIPs are not announced on this interface', { ifname: name, error: describeError(err) });
        for (const entry of this.vips.values()) entry.selected = entry.selected.filter((n) => n !== name);
      }
    }
  }

  private applyAnnouncer(entry: VipEntry): void {
    const vip = entry.desired.ip;
    if (entry.announcer !== null) {
      entry.announcer.setInterfaces(entry.selected);
      return;
    }
    if (entry.selected.length === 0) {
      this.log.warn('no interface can announce this VIP', {
        vip,
        services: entry.desired.services,
        verdicts: entry.verdicts.map((v) => `${v.ifname}:${v.reason}`).join(' '),
      });
      return;
    }
    const announcer = new VipAnnouncer({
      vip,
      ifnames: entry.selected,
      clock: this.clock,
      random: this.random,
      actions: {
        sendProbe: (v, ifname) => this.sendProbe(v, ifname),
        sendGratuitous: (v, ifname, why) => this.sendGratuitous(v, ifname, why),
        onAnswering: (v, ifnames, why) => {
          if (ifnames.length === 0) this.answering.delete(v);
          else this.answering.set(v, [...ifnames]);
          this.ctx = null;
          this.updateArpReplies(v, ifnames);
          this.log.info(ifnames.length === 0 ? 'vip not answered' : 'vip answered', { vip: v, interfaces: ifnames.join(','), why });
          this.onChange();
        },
        onConflict: (report) => this.conflict(report),
      },
    });
    entry.announcer = announcer;
    // The domain decided (desired.ts, takeover.ts): the short claim only when the previous owner is dead.
    const claim = entry.desired.takeover === true ? 'takeover' : 'normal';
    this.log.info('vip probing', { vip, services: entry.desired.services, interfaces: entry.selected.join(','), claim });
    announcer.start(claim);
  }

  private closeUnusedPorts(): void {
    const used = new Set(this.warm);
    for (const entry of this.vips.values()) for (const name of entry.selected) used.add(name);
    for (const [name, port] of this.ports) if (!used.has(name)) this.closePort(name, port);
  }

  private closePort(name: string, port: Port): void {
    this.ports.delete(name);
    try {
      port.link.close();
    } catch (err) {
      this.log.warn('closing a packet socket failed', { ifname: name, error: describeError(err) });
    }
    this.log.info('interface closed', { ifname: name });
  }

  private vipCountByInterface(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.vips.values()) for (const name of entry.selected) counts.set(name, (counts.get(name) ?? 0) + 1);
    return counts;
  }

  private promiscuousFor(iface: ClassifiedInterface, vips: number): { promiscuous: boolean; reason: PromiscuousReason } {
    return needsPromiscuous({ ifname: iface.facts.name, kind: iface.classification.kind, announcedVips: vips }, { wifiPromiscuous: this.wifiPromiscuous });
  }

  private applyMemberships(): void {
    const counts = this.vipCountByInterface();
    const groups = new Map<string, Set<string>>();
    for (const entry of this.vips.values()) {
      if (entry.family !== 6) continue;
      for (const name of entry.selected) {
        let set = groups.get(name);
        if (set === undefined) groups.set(name, (set = new Set()));
        set.add(solicitedNodeMac(entry.desired.ip));
      }
    }
    for (const [name, port] of this.ports) {
      const iface = this.classified.find((c) => c.facts.name === name);
      if (iface === undefined) continue;
      const decision = this.promiscuousFor(iface, counts.get(name) ?? 0);
      port.promiscuousReason = decision.reason;
      if (decision.promiscuous !== port.promiscuous) {
        try {
          port.link.setPromiscuous(decision.promiscuous);
          port.promiscuous = decision.promiscuous;
          this.log.info(decision.promiscuous ? 'promiscuous on' : 'promiscuous off', { ifname: name, reason: decision.reason });
        } catch (err) {
          this.log.error('cannot change promiscuous membership', { ifname: name, error: describeError(err) });
        }
      }
      const macs = [...(groups.get(name) ?? [])].sort();
      const key = macs.join(' ');
      if (key !== port.multicast) {
        try {
          port.link.setMulticast(macs);
          port.multicast = key;
        } catch (err) {
          this.log.error('cannot join the solicited-node multicast groups', { ifname: name, error: describeError(err) });
        }
      }
    }
  }

  // ------------------------------------------------------------------ ARP fast path

  /**
   * What decideArp answers on `port`'s interface: the IPv4 VIPs claimed there, each with the
   * interface's MAC (the same facts context() gives decideArp).
   */
  private arpRepliesFor(port: Port): Map<string, string> {
    const replies = new Map<string, string>();
    for (const [vip, names] of this.answering) {
      for (const name of names) if (!vip.includes(':') && this.ports.get(name) === port) replies.set(vip, port.mac);
    }
    return replies;
  }

  /** One VIP's claim or release: applied to every port's table at once (a release must stop the answers now). */
  private updateArpReplies(vip: string, ifnames: readonly string[]): void {
    if (vip.includes(':')) return;
    for (const [name, port] of this.ports) {
      if (port.arpReplies === null || ifnames.includes(name) === port.arpReplies.has(vip)) continue;
      if (ifnames.includes(name)) port.arpReplies.set(vip, port.mac);
      else port.arpReplies.delete(vip);
      this.installArpReplies(port, port.arpReplies);
    }
  }

  /**
   * Installs a port's fast-path table with the node's own MACs (decideArp ignores requests from
   * them). Where it cannot be installed the fast path is turned off — which cannot fail — and the
   * engine answers on that interface itself.
   */
  private installArpReplies(port: Port, replies: Map<string, string>): void {
    if (port.arpReplies === null || port.link.setArpReplies === undefined) return;
    const ownMacs = new Set(this.classified.map((c) => c.facts.mac).filter((mac) => MAC_TEXT.test(mac)));
    try {
      port.link.setArpReplies(replies, ownMacs);
      port.arpReplies = replies;
    } catch (err) {
      this.log.error('cannot install the ARP fast path; answering from the engine', { mac: port.mac, error: describeError(err) });
      port.link.setArpReplies(new Map(), new Set());
      port.arpReplies = null;
    }
  }

  // ------------------------------------------------------------------ sending

  private send(ifname: string, frames: readonly Buffer[], kind: keyof typeof this.sent): void {
    const port = this.ports.get(ifname);
    if (port === undefined) return;
    for (const frame of frames) {
      try {
        port.link.send(frame);
        this.sent[kind] += 1;
      } catch (err) {
        this.sendErrors += 1;
        this.log.warn('send failed', { ifname, kind, error: describeError(err) });
      }
    }
  }

  private sendProbe(vip: string, ifname: string): void {
    const mac = this.ports.get(ifname)?.mac;
    if (mac === undefined) return;
    this.send(ifname, [vip.includes(':') ? dadSolicitation(mac, vip) : arpProbe(mac, vip)], 'probe');
  }

  private sendGratuitous(vip: string, ifname: string, why: AnnounceReason): void {
    const mac = this.ports.get(ifname)?.mac;
    if (mac === undefined) return;
    this.log.debug('announce', { vip, ifname, why });
    this.send(ifname, vip.includes(':') ? [unsolicitedAdvertisement(mac, vip)] : arpAnnouncements(mac, vip), 'gratuitous');
  }

  private conflict(report: ConflictReport): void {
    this.conflictCount += 1;
    this.recentConflicts.push(report);
    if (this.recentConflicts.length > RECENT_CONFLICTS) this.recentConflicts.shift();
    if (report.peer === null) this.log.warn('address conflict', { ...report });
    // A yielded speaker retries about once a second for as long as the other holds the VIP: warn
    // when the arbitration yields, defends or first backs off, and keep the retries at debug.
    else if (report.action === 'yield' || report.action === 'defend' || (report.action === 'backoff' && report.consecutive === 1)) this.log.warn('another speaker claims the VIP too; the higher-ranked keeps it', { ...report });
    else this.log.debug('another speaker claims the VIP too; the higher-ranked keeps it', { ...report });
    this.onChange();
  }

  // ------------------------------------------------------------------ receiving

  private context(): ResponderContext {
    if (this.ctx !== null) return this.ctx;
    const perInterface = new Map<string, string[]>();
    for (const [vip, names] of this.answering) {
      for (const name of names) {
        let list = perInterface.get(name);
        if (list === undefined) perInterface.set(name, (list = []));
        list.push(vip);
      }
    }
    // Every interface with a MAC goes in, so frames from any of our own MACs are recognised.
    const interfaces: ResponderInterface[] = this.classified
      .filter((c) => MAC_TEXT.test(c.facts.mac))
      .map((c) => ({ ifname: c.facts.name, mac: c.facts.mac, vips: perInterface.get(c.facts.name) ?? [] }));
    this.ctx = buildResponderContext(interfaces);
    return this.ctx;
  }

  /** The claim phase of the VIPs a frame mentions: conflict.ts needs nothing else. */
  private phases(...ips: string[]): Map<string, ClaimPhase> {
    const out = new Map<string, ClaimPhase>();
    for (const ip of ips) {
      const state = this.vips.get(ip)?.announcer?.state;
      if (state === 'probing' || state === 'claimed') out.set(ip, state);
    }
    return out;
  }

  private observe(conflict: Conflict | null): void {
    if (conflict === null) return;
    const announcer = this.vips.get(conflict.vip)?.announcer;
    if (announcer === null || announcer === undefined) return;
    announcer.observeConflict(conflict, this.arbiter?.(conflict.vip, conflict.mac) ?? null);
  }

  /** `answered`: the link's ARP fast path already sent the reply decideArp asks for. */
  private receive(ifname: string, frame: Buffer, answered: boolean): void {
    if (this.closed) return;
    this.onCounters();
    let received: ReturnType<typeof decodeNeighborFrame>;
    try {
      received = decodeNeighborFrame(frame, ifname);
    } catch {
      this.malformed += 1;
      return;
    }
    // Conflicts are checked first: a conflict can make an announcer yield, which rebuilds the
    // context, so the decision below asks this.context() again rather than reusing `ctx`.
    const ctx = this.context();
    switch (received.kind) {
      case 'arp': {
        const arp = received.arp;
        this.observe(arpConflict(arp, this.phases(arp.senderIp, arp.targetIp), ctx.ownMacs));
        const decision = countReason(this.arpCounts, decideArp(arp, this.context()));
        if (answered) this.sent.reply += 1;
        else if (decision.action === 'answer') this.send(ifname, [arpReply(decision.mac, arp)], 'reply');
        return;
      }
      case 'ns': {
        const ns = received.ns;
        this.observe(nsConflict(ns, this.phases(ns.targetIp), ctx.ownMacs));
        const decision = countReason(this.nsCounts, decideNs(ns, this.context()));
        if (decision.action === 'answer') this.send(ifname, [neighborAdvertisement(ns.targetIp, decision)], 'reply');
        return;
      }
      case 'na':
        this.observe(naConflict(received.na, this.phases(received.na.targetIp), ctx.ownMacs));
        return;
      case 'other':
        return;
    }
  }
}
