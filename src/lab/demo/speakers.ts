import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpeakerStatus } from '../../standalone/speaker.js';
import type { Lab, LabNodeInfo } from '../lab.js';
import { airlbBin, DemoProcess, waitUntil } from './processes.js';

/**
 * `airlb standalone` on every Kubernetes node of the lab, all reading the same manifest folder —
 * what a DaemonSet of speakers sharing one API server amounts to. Each writes its own state and
 * status file; the demo reads the status files to learn which node announces the VIP.
 */
export interface SpeakerMode {
  /**
   * airlb's WiFi handling: a promiscuous membership on the WiFi interface while it announces, which
   * turns off the Pi firmware's ARP filter. Off is MetalLB's behaviour (it never touches the flag).
   */
  readonly wifiPromiscuous: boolean;
}

/** Where one speaker is with one VIP, from its status file. */
export interface VipHolder {
  readonly node: string;
  readonly state: string;
  readonly answeringOn: readonly string[];
  /** Promiscuous interfaces this speaker holds (airlb's WiFi handling). */
  readonly promiscuous: readonly string[];
}

export class Speakers {
  private running: { node: LabNodeInfo; process: DemoProcess }[] = [];

  constructor(
    private readonly lab: Lab,
    private readonly manifestDir: string,
    private readonly runDir: string,
  ) {}

  private nodes(): LabNodeInfo[] {
    return this.lab.nodes().filter((n) => n.role === 'node');
  }

  private statusPath(node: string): string {
    return join(this.runDir, `status-${node}.json`);
  }

  /** Starts a speaker on every node (stopping any running ones first). */
  async start(mode: SpeakerMode): Promise<void> {
    await this.stop();
    this.running = this.nodes().map((node) => {
      const argv = [
        process.execPath,
        airlbBin,
        'standalone',
        '-f',
        this.manifestDir,
        '--node',
        node.name,
        '--state',
        join(this.runDir, `state-${node.name}.json`),
        '--status-file',
        this.statusPath(node.name),
        // The lab's "WiFi" interfaces are veths: only the name says they are wireless.
        ...(node.port === 'wifi' ? ['--wireless', node.iface] : []),
        // MetalLB's behaviour for the field guide's steps: no promiscuous mode, no verification.
        ...(mode.wifiPromiscuous ? [] : ['--no-wifi-promiscuous', '--no-verify-announcements']),
      ];
      const log = join(this.runDir, `speaker-${node.name}.log`);
      return { node, process: DemoProcess.start(`airlb standalone on ${node.name}`, node.netns, argv, log) };
    });
  }

  /** Reload the manifests now (SIGHUP), rather than after the file watcher's quiet period. */
  reload(): void {
    for (const s of this.running) s.process.signal('SIGHUP');
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map((s) => s.process.stop()));
    this.running = [];
  }

  private async status(node: string): Promise<SpeakerStatus | undefined> {
    try {
      return JSON.parse(await readFile(this.statusPath(node), 'utf8')) as SpeakerStatus;
    } catch {
      // Not written yet (the speaker is starting); written atomically, so never torn.
      return undefined;
    }
  }

  /** Every running speaker's view of `vip`: the nodes probing or holding it. */
  async holders(vip: string): Promise<VipHolder[]> {
    const holders: VipHolder[] = [];
    for (const { node, process } of this.running) {
      await process.assertRunning();
      const status = await this.status(node.name);
      const entry = status?.vips.find((v) => v.ip === vip);
      if (status === undefined || entry === undefined || !status.running || entry.state === 'released') continue;
      const promiscuous = status.interfaces.filter((i) => i.promiscuous).map((i) => i.name);
      holders.push({ node: node.name, state: entry.state, answeringOn: entry.answeringOn, promiscuous });
    }
    return holders;
  }

  /** Waits until no speaker probes or holds `vip` over ARP (its L2 announcement was withdrawn). */
  async waitForNoHolder(vip: string, timeoutMs = 10_000): Promise<void> {
    await waitUntil(`every node to stop announcing ${vip} over ARP`, async () => ((await this.holders(vip)).length === 0 ? true : undefined), timeoutMs);
  }

  /** Every running speaker's BGP sessions and their FSM state (RFC 4271 §8.2.2). */
  async bgpSessions(): Promise<{ node: string; peer: string; state: string }[]> {
    const sessions: { node: string; peer: string; state: string }[] = [];
    for (const { node, process } of this.running) {
      await process.assertRunning();
      const status = await this.status(node.name);
      for (const s of status?.bgp.sessions ?? []) sessions.push({ node: node.name, peer: s.peer, state: s.state });
    }
    return sessions;
  }

  /**
   * The BGP sessions once every one is Established — a speaker and the router may both dial and
   * resolve the collision (RFC 4271 §6.8) just after the routes appear — or, after `timeoutMs`,
   * as they are then, so the step reports what it saw.
   */
  async settledBgpSessions(timeoutMs = 10_000): Promise<{ node: string; peer: string; state: string }[]> {
    try {
      return await waitUntil(
        'every BGP session to be Established',
        async () => {
          const sessions = await this.bgpSessions();
          return sessions.length > 0 && sessions.every((x) => x.state === 'Established') ? sessions : undefined;
        },
        timeoutMs,
        100,
      );
    } catch {
      return this.bgpSessions();
    }
  }

  /**
   * Waits until one speaker — `node`, or whichever the election picks when null — has claimed
   * `vip` and no other probes or holds it: the election and the announcement have both settled.
   */
  async waitForOwner(vip: string, node: string | null, timeoutMs = 10_000): Promise<VipHolder> {
    return waitUntil(
      `${node ?? 'one node'} to announce ${vip} alone (speaker logs in ${this.runDir})`,
      async () => {
        const holders = await this.holders(vip);
        const only = holders.length === 1 ? holders[0]! : undefined;
        return only !== undefined && only.state === 'claimed' && (node === null || only.node === node) ? only : undefined;
      },
      timeoutMs,
    );
  }
}
