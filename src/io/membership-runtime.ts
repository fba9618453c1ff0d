import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { SPEAKER_BFD_DEFAULTS } from '../domain/bfd/adaptive.js';
import type { Clock, Timer } from '../domain/clock.js';
import type { Node } from '../domain/config/types.js';
import type { SpeakerFacts } from '../domain/election/types.js';
import {
  DEFAULT_VERIFICATION,
  VipProber,
  claimedTargets,
  publishableVerdicts,
  tallyVerification,
  verificationFailures,
  type LocalVerdict,
  type PeerReport,
  type ProbeTarget,
  type VerificationOptions,
  type VipTally,
} from '../domain/l2/verification.js';
import type { HoldOptions } from '../domain/membership/hysteresis.js';
import { Membership, type ControlPlaneView, type MemberStatus, type MembershipMode } from '../domain/membership/view.js';
import { canonicalIp } from '../domain/net/ip.js';
import { PEER_STATUS_PORT, PeerStatusDecodeError, decodePeerStatus, encodePeerStatus, type PeerStatusMessage } from '../proto/peer-status/message.js';
import { AirlbError, describeError } from '../errors.js';
import { BfdUdpEndpoint } from './bfd-udp.js';
import type { Logger } from './logger.js';
import { systemClock } from './system-clock.js';

/**
 * Binds the pure membership parts to the network: one BFD session per peer (src/io/bfd-udp.ts,
 * SPEAKER_BFD_DEFAULTS with loss adaptation), the speaker status messages (src/proto/peer-status)
 * on UDP 7947, the Membership view and the VipProber. The caller (the standalone engine, or the
 * Kubernetes speaker) owns the packet sockets: it sends the probes this runtime asks for, feeds
 * back the ARP replies / NAs it receives, and re-runs the election when told.
 */

export interface MembershipRuntimeOptions {
  readonly self: string;
  /** This node's InternalIP: BFD and status messages are bound to it. */
  readonly localAddress: string;
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneView;
  /** This node reaches the LAN over WiFi: BFD starts from the wireless loss prior. */
  readonly wireless: boolean;
  /** The MACs this node announces VIPs with (its interfaces' MACs), published to the peers. */
  readonly macs: () => readonly string[];
  /**
   * The VIPs this node answers for now (the engine's claimed ones, not the desired ones), read
   * at every status message and published so the peers probe only owners that claim a VIP.
   * Absent: not published, and the peers probe this node for every VIP their election gives it.
   */
  readonly claimed?: () => Iterable<string>;
  /** Sends one ARP request / NS for target.ip on the interfaces that reach target's LAN. */
  readonly sendProbe: (target: ProbeTarget) => void;
  /** Liveness or verification changed: elect again with speakerFacts(). */
  readonly onChange: () => void;
  readonly clock?: Clock;
  /** Shared key for the status messages' HMAC; undefined: unauthenticated. */
  readonly statusKey?: Buffer;
  readonly statusIntervalMs?: number;
  readonly bfdPort?: number;
  readonly peerBfdPort?: number;
  readonly statusPort?: number;
  readonly peerStatusPort?: number;
  readonly bfd?: { readonly desiredMinTxMs?: number; readonly requiredMinRxMs?: number; readonly detectMult?: number; readonly maxDetectionMs?: number };
  readonly startupGraceMs?: number;
  readonly hold?: HoldOptions;
  readonly verification?: Partial<VerificationOptions>;
}

/** What the status file and `airlb status` show about membership. */
export interface MembershipStatus {
  readonly mode: MembershipMode;
  readonly members: readonly MemberStatus[];
  /** This speaker's own probe verdicts. */
  readonly probes: readonly LocalVerdict[];
  /** Everybody's votes per VIP, and which VIPs failed. */
  readonly verification: readonly VipTally[];
}

export class MembershipRuntimeError extends AirlbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('membership', `membership: ${message}`, options);
    this.name = 'MembershipRuntimeError';
  }
}

interface PeerInfo {
  readonly address: string;
  incarnation: number | null;
  sequence: number;
  macs: ReadonlySet<string>;
  /** The VIPs its latest status message claims; undefined: it does not say (an older speaker). */
  claims: ReadonlySet<string> | undefined;
}

export const DEFAULT_STATUS_INTERVAL_MS = 1_000;
/** Reports older than this many intervals no longer vote (a peer that stopped talking). */
const REPORT_MAX_AGE_INTERVALS = 3;

export class MembershipRuntime {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly membership: Membership;
  private readonly prober: VipProber;
  private readonly incarnation = randomInt(0, 0x100000000);
  private sequence = 0;
  private readonly peers = new Map<string, PeerInfo>();
  private readonly reports = new Map<string, PeerReport>();
  private wantedTargets: readonly { ip: string; owner: string }[] = [];
  private statusTimer: Timer | null = null;
  private lastMode: MembershipMode | null = null;
  private lastFailed = '';
  private lastAlive = '';
  /** The claims in the last status message sent, joined (claimsChanged compares with it). */
  private lastClaims = '';
  /** The claims did not fit the last status message (warned once, until they fit again). */
  private claimsOverflow = false;
  private closed = false;
  private readonly intervalMs: number;

  private constructor(
    private readonly o: MembershipRuntimeOptions,
    private readonly bfd: BfdUdpEndpoint,
    private readonly socket: dgram.Socket,
  ) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger.child({ component: 'membership' });
    this.intervalMs = o.statusIntervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
    this.membership = new Membership(
      this.clock,
      {
        self: o.self,
        family: isIPv4(o.localAddress) ? 4 : 6,
        controlPlane: o.controlPlane,
        ...(o.startupGraceMs !== undefined ? { startupGraceMs: o.startupGraceMs } : {}),
        ...(o.hold !== undefined ? { hold: o.hold } : {}),
      },
      () => this.changed(),
    );
    this.prober = new VipProber(
      {
        clock: this.clock,
        sendProbe: o.sendProbe,
        onVerdictChange: (v) => {
          this.log.info(v.verdict === 'unheard' ? 'announcement not heard' : 'announcement heard', { vip: v.ip, owner: v.owner, foreignMac: v.foreignMac });
          this.sendStatus();
          this.changed();
        },
      },
      { ...DEFAULT_VERIFICATION, ...o.verification },
    );
    socket.on('message', (msg, rinfo) => this.onStatus(msg, rinfo.address));
    socket.on('error', (err) => this.log.warn('status socket error', { error: err.message }));
    this.scheduleStatus();
  }

  /** Opens the BFD endpoint (src/io/bfd-udp.ts) and the status socket on localAddress. */
  static async start(o: MembershipRuntimeOptions): Promise<MembershipRuntime> {
    const local = canonicalIp(o.localAddress);
    if (local === null) throw new MembershipRuntimeError(`local address '${o.localAddress}' is not an IP address`);
    // Joins the process's BFD listener on local:3784, which BGP's BFD shares when it runs on the same address.
    const bfd = await BfdUdpEndpoint.open({
      localAddress: local,
      user: 'membership',
      ...(o.bfdPort !== undefined ? { port: o.bfdPort } : {}),
      ...(o.peerBfdPort !== undefined ? { peerPort: o.peerBfdPort } : {}),
      ...(o.clock !== undefined ? { clock: o.clock } : {}),
      onWarning: (message, fields) => o.logger.debug(message, { component: 'bfd', ...fields }),
    });
    const socket = dgram.createSocket({ type: isIPv4(local) ? 'udp4' : 'udp6' });
    const port = o.statusPort ?? PEER_STATUS_PORT;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port, address: local, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      bfd.close();
      socket.close();
      throw new MembershipRuntimeError(`cannot listen for speaker status on ${local} port ${port}: ${describeError(err)}; is another airlb speaker running in this network namespace?`, { cause: err });
    }
    return new MembershipRuntime({ ...o, localAddress: local }, bfd, socket);
  }

  /** The Node objects changed: start and stop BFD sessions to match. */
  async setNodes(nodes: readonly Node[]): Promise<void> {
    if (this.closed) return;
    const change = this.membership.setNodes(nodes);
    for (const p of change.removed) {
      this.bfd.removePeer(p.address, true);
      this.peers.delete(p.node);
      this.reports.delete(p.node);
      this.prober.forgetOwner(p.node);
    }
    for (const p of change.added) {
      this.peers.set(p.node, { address: p.address, incarnation: null, sequence: 0, macs: new Set(), claims: undefined });
      await this.addBfdPeer(p);
    }
    this.applyTargets();
    this.changed();
  }

  /**
   * One speaker's BFD session. Refused when the shared listener has a session with that address
   * already (a BGPPeer's with BFD, src/io/bfd-listener.ts): logged, and the node stays bfd-down here.
   */
  private async addBfdPeer(p: { readonly node: string; readonly address: string }): Promise<void> {
    const d = SPEAKER_BFD_DEFAULTS;
    const b = this.o.bfd ?? {};
    try {
      await this.bfd.addPeer(
        p.address,
        {
          desiredMinTxMs: b.desiredMinTxMs ?? d.desiredMinTxMs,
          requiredMinRxMs: b.requiredMinRxMs ?? d.requiredMinRxMs,
          detectMult: b.detectMult ?? d.detectMult,
          adaptive: { wireless: this.o.wireless, maxDetectionMs: b.maxDetectionMs ?? d.maxDetectionMs },
        },
        {
          onStateChange: (c) => {
            this.log.info('BFD session state', { peer: p.node, address: p.address, from: c.from, to: c.to, diag: c.diag });
            this.membership.bfdStateChanged(p.node, c.to);
          },
          onDetectMultChange: (c) => this.log.info('BFD detect multiplier adapted', { peer: p.node, detectMult: c.detectMult, reason: c.reason, lossBound: c.lossBound, detectionMs: c.detectionMs }),
        },
      );
    } catch (err) {
      this.log.error('no BFD session with a speaker: it counts as down on this node', { peer: p.node, address: p.address, error: describeError(err) });
    }
  }

  /**
   * The VIPs other nodes announce now (from the election): each is probed, against its owner's
   * MACs as its status message published them, once the owner claims it there (claimedTargets).
   * A VIP whose owner published no MAC yet waits.
   */
  setProbeTargets(targets: readonly { ip: string; owner: string }[]): void {
    this.wantedTargets = targets.filter((t) => t.owner !== this.o.self);
    this.applyTargets();
  }

  /**
   * The engine's claims may have changed: when they did, the status goes out now rather than at
   * the next interval, so the peers start probing a VIP as soon as it is answered (and stop as
   * soon as it is not) instead of up to one interval later.
   */
  claimsChanged(): void {
    if (this.o.claimed === undefined || this.closed) return;
    if (this.ownClaims(this.o.claimed()).join(',') !== this.lastClaims) this.sendStatus();
  }

  /** A received ARP reply (sender IP, sender MAC) or NA (target, target link-layer address). */
  probeReply(ip: string, mac: string): void {
    this.prober.reply(ip, mac);
  }

  /**
   * The peer whose speaker published `mac` in its status messages (kept after its messages stop,
   * until it restarts with other MACs or its Node goes); null for a MAC no peer published, or
   * that more than one did. The engine arbitrates conflicts with such MACs (src/domain/l2/peer-conflict.ts).
   */
  nodeOfMac(mac: string): string | null {
    let owner: string | null = null;
    for (const [node, peer] of this.peers) {
      if (!peer.macs.has(mac)) continue;
      if (owner !== null) return null;
      owner = node;
    }
    return owner;
  }

  /** The election input: every Node with its liveness and failed verifications. */
  speakerFacts(): SpeakerFacts[] {
    return this.membership.speakerFacts(verificationFailures(this.tally()));
  }

  status(): MembershipStatus {
    return { mode: this.membership.mode(), members: this.membership.members(), probes: this.prober.verdicts(), verification: this.tally() };
  }

  /** Tells every peer AdminDown (RFC 5880 §6.8.16) so they fail over at once, and stops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statusTimer?.cancel();
    this.membership.stop();
    this.prober.stop();
    this.bfd.close(true);
    this.socket.close();
  }

  // ------------------------------------------------------------------ internals

  private applyTargets(): void {
    const targets: ProbeTarget[] = [];
    for (const t of claimedTargets(this.wantedTargets, (owner) => this.peers.get(owner)?.claims)) {
      const macs = this.peers.get(t.owner)?.macs;
      if (macs === undefined || macs.size === 0) continue;
      targets.push({ ip: t.ip, owner: t.owner, ownerMacs: macs });
    }
    this.prober.setTargets(targets);
  }

  private reachableOwners(): Set<string> {
    return new Set(this.membership.members().filter((m) => m.bfd === 'Up').map((m) => m.node));
  }

  private ownReport(): PeerReport {
    return { reporter: this.o.self, receivedAtMs: this.clock.now(), verdicts: publishableVerdicts(this.prober.verdicts(), this.reachableOwners()) };
  }

  private tally(): VipTally[] {
    const alive = new Set(this.membership.members().filter((m) => m.alive).map((m) => m.node));
    return tallyVerification({
      reports: [this.ownReport(), ...this.reports.values()],
      alive,
      nowMs: this.clock.now(),
      maxAgeMs: REPORT_MAX_AGE_INTERVALS * this.intervalMs,
    });
  }

  private scheduleStatus(): void {
    this.statusTimer = this.clock.setTimeout(() => {
      this.sendStatus();
      // Reports expire by age: re-evaluating each interval lets a silent peer's votes lapse.
      this.changed();
      if (!this.closed) this.scheduleStatus();
    }, this.intervalMs);
  }

  private sendStatus(): void {
    if (this.closed) return;
    const own = this.ownReport();
    const message: PeerStatusMessage = { incarnation: this.incarnation, sequence: (this.sequence = (this.sequence + 1) >>> 0), node: this.o.self, macs: this.o.macs(), verdicts: own.verdicts };
    const claims = this.o.claimed === undefined ? undefined : this.ownClaims(this.o.claimed());
    this.lastClaims = claims?.join(',') ?? '';
    let wire: Buffer;
    try {
      wire = encodePeerStatus(claims === undefined ? message : { ...message, claims }, this.o.statusKey);
      this.claimsOverflow = false;
    } catch (err) {
      if (this.o.claimed === undefined) {
        this.log.error('cannot encode the speaker status', { error: describeError(err) });
        return;
      }
      // Past ~10,900 IPv4 or ~3,600 IPv6 VIPs (claims and verdicts together) one datagram is too
      // small: without the claims the peers treat this node as claims-unknown, as before them.
      if (!this.claimsOverflow) this.log.warn('speaker status sent without the claimed VIPs', { claims: claims?.length, error: describeError(err) });
      this.claimsOverflow = true;
      try {
        wire = encodePeerStatus(message, this.o.statusKey);
      } catch (again) {
        this.log.error('cannot encode the speaker status', { error: describeError(again) });
        return;
      }
    }
    const port = this.o.peerStatusPort ?? PEER_STATUS_PORT;
    for (const p of this.peers.values()) {
      this.socket.send(wire, port, p.address, (err) => {
        if (err) this.log.debug('speaker status not sent', { peer: p.address, error: err.message });
      });
    }
  }

  /** The claimed VIPs in canonical form, once each, sorted (the peers compare them with canonical election output). */
  private ownClaims(ips: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const ip of ips) out.add(canonicalIp(ip) ?? ip);
    return [...out].sort();
  }

  private onStatus(msg: Buffer, from: string): void {
    let message: PeerStatusMessage;
    try {
      message = decodePeerStatus(msg, this.o.statusKey);
    } catch (err) {
      if (err instanceof PeerStatusDecodeError) {
        this.log.warn('discarded a speaker status message', { from, reason: err.reason });
        return;
      }
      throw err;
    }
    const peer = this.peers.get(message.node);
    // Only the address the Node publishes may speak for it.
    if (peer === undefined || peer.address !== (canonicalIp(from) ?? from)) {
      this.log.debug('discarded a speaker status message from an unknown sender', { from, node: message.node });
      return;
    }
    if (peer.incarnation === message.incarnation && message.sequence <= peer.sequence) return;
    const restarted = peer.incarnation !== null && peer.incarnation !== message.incarnation;
    const macs = new Set(message.macs);
    const macsChanged = macs.size !== peer.macs.size || [...macs].some((m) => !peer.macs.has(m));
    const claims = message.claims === undefined ? undefined : new Set(message.claims);
    const claimsChanged = claims === undefined || peer.claims === undefined ? claims !== peer.claims : claims.size !== peer.claims.size || [...claims].some((c) => !peer.claims!.has(c));
    peer.incarnation = message.incarnation;
    peer.sequence = message.sequence;
    peer.claims = claims;
    if (restarted || macsChanged) {
      peer.macs = macs;
      // A restarted speaker, or one announcing from other interfaces, deserves a fresh look.
      this.prober.forgetOwner(message.node);
    }
    if (restarted || macsChanged || claimsChanged) this.applyTargets();
    this.reports.set(message.node, { reporter: message.node, receivedAtMs: this.clock.now(), verdicts: message.verdicts });
    this.changed();
  }

  /** Logs mode and verification changes and, when liveness or a failure changed, tells the caller to elect again. */
  private changed(): void {
    if (this.closed) return;
    const mode = this.membership.mode();
    if (mode !== this.lastMode) {
      const fields = { mode, members: this.membership.members().map((m) => `${m.node}:${m.reason}`) };
      if (mode === 'control-plane-fallback') this.log.warn('no BFD session ever came up: liveness falls back to the control plane (client isolation or a firewall?)', fields);
      else this.log.info('membership mode', fields);
      this.lastMode = mode;
    }
    const failed = this.tally()
      .filter((t) => t.failed)
      .map((t) => `${t.ip}@${t.owner}`)
      .join(',');
    const alive = this.membership
      .members()
      .filter((m) => m.alive)
      .map((m) => m.node)
      .join(',');
    if (failed === this.lastFailed && alive === this.lastAlive) return;
    if (failed !== this.lastFailed) {
      const fields = { failed: failed === '' ? [] : failed.split(',') };
      if (failed === '') this.log.info('announcement verification: every owner is heard', fields);
      else this.log.warn('announcement verification: VIPs whose owner is not heard', fields);
    }
    this.lastFailed = failed;
    this.lastAlive = alive;
    this.o.onChange();
  }
}
