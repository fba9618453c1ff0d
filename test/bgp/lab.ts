import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { BFDProfile, BGPPeer } from '../../src/domain/config/types.js';
import type { BgpAnnouncement } from '../../src/domain/bgp/announcements.js';
import type { StdioStart } from '../../src/io/bgp-speaker-stdio.js';
import type { BgpSessionStatus } from '../../src/io/bgp-session.js';

/**
 * What the BGP interop tests share: two namespaces joined by a veth pair with IPv4 and IPv6
 * addresses (a router's and airlb's), the airlb speaker as a child process in its namespace, and
 * bounded waits. Every name starts with a fresh `alb` + 4 hex prefix; `teardown` removes them.
 */

const root = new URL('../..', import.meta.url).pathname;

export const ROUTER_V4 = '192.0.2.1';
export const SPEAKER_V4 = '192.0.2.2';
export const ROUTER_V6 = '2001:db8::1';
export const SPEAKER_V6 = '2001:db8::2';
export const SPEAKER_AS = 64500;
export const ROUTER_AS = 64501;

export function uniquePrefix(): string {
  return `alb${randomBytes(2).toString('hex')}`;
}

export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Runs a command in a namespace; returns stdout, or null when it failed (callers poll). */
export function tryInNs(ns: string, args: readonly string[], timeoutMs = 5000): string | null {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return r.status === 0 ? r.stdout : null;
}

export interface Lab {
  readonly prefix: string;
  readonly routerNs: string;
  readonly speakerNs: string;
  readonly routerDev: string;
  teardown(): void;
}

/** Router and speaker namespaces, one veth pair, 192.0.2.0/24 and 2001:db8::/64 (no DAD), lo up. */
export function createLab(): Lab {
  const prefix = uniquePrefix();
  const lab = { prefix, routerNs: `${prefix}r`, speakerNs: `${prefix}s`, routerDev: `${prefix}vr` };
  const teardown = () => {
    const existing = new Set(run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]));
    for (const ns of [lab.routerNs, lab.speakerNs]) if (existing.has(ns)) spawnSync('ip', ['netns', 'del', ns]);
  };
  try {
    run('ip', ['netns', 'add', lab.routerNs]);
    run('ip', ['netns', 'add', lab.speakerNs]);
    run('ip', ['link', 'add', lab.routerDev, 'netns', lab.routerNs, 'type', 'veth', 'peer', 'name', `${prefix}vs`, 'netns', lab.speakerNs]);
    const sides = [
      { ns: lab.routerNs, dev: lab.routerDev, v4: ROUTER_V4, v6: ROUTER_V6 },
      { ns: lab.speakerNs, dev: `${prefix}vs`, v4: SPEAKER_V4, v6: SPEAKER_V6 },
    ];
    for (const s of sides) {
      const ip = (...args: string[]) => run('ip', ['netns', 'exec', s.ns, 'ip', ...args]);
      ip('addr', 'add', `${s.v4}/24`, 'dev', s.dev);
      ip('-6', 'addr', 'add', `${s.v6}/64`, 'dev', s.dev, 'nodad');
      ip('link', 'set', 'lo', 'up');
      ip('link', 'set', s.dev, 'up');
    }
  } catch (err) {
    teardown();
    throw err;
  }
  return { ...lab, teardown };
}

export async function waitFor<T>(what: string, check: () => T | null | undefined | false, timeoutMs: number, stepMs = 50): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() - start >= timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL and wait for the exit (bounded: a process in D state is left to the namespace's deletion). */
export function kill(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A BGPPeer as the config parser would produce it (MetalLB defaults). */
export function bgpPeer(name: string, spec: Partial<BGPPeer['spec']>): BGPPeer {
  return {
    kind: 'BGPPeer',
    apiVersion: 'metallb.io/v1beta2',
    metadata: { name, namespace: 'metallb-system', labels: {}, annotations: {} },
    origin: { file: 'test', line: 1, fieldLines: new Map() },
    spec: {
      myASN: SPEAKER_AS, peerASN: ROUTER_AS, dynamicASN: null, peerAddress: ROUTER_V4, sourceAddress: null, peerPort: 179,
      holdTimeMs: 9000, keepaliveTimeMs: null, connectTimeMs: 2000, routerID: null, nodeSelectors: [], password: null,
      passwordSecret: null, bfdProfile: null, enableGracefulRestart: false, ebgpMultiHop: false, vrf: null, disableMP: false,
      ...spec,
    },
  };
}

export function bfdProfile(name: string, spec: Partial<BFDProfile['spec']> = {}): BFDProfile {
  return {
    kind: 'BFDProfile',
    apiVersion: 'metallb.io/v1beta1',
    metadata: { name, namespace: 'metallb-system', labels: {}, annotations: {} },
    origin: { file: 'test', line: 1, fieldLines: new Map() },
    spec: { receiveIntervalMs: 100, transmitIntervalMs: 100, detectMultiplier: 3, echoIntervalMs: 50, echoMode: false, passiveMode: false, minimumTtl: 254, ...spec },
  };
}

export function announcement(prefix: string, peers: string[], over: Partial<BgpAnnouncement> = {}): BgpAnnouncement {
  return { prefix, node: 'node-a', peers, communities: [], localPref: null, services: [`default/${prefix}`], ...over };
}

export interface StateEvent {
  readonly peer: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** The airlb speaker running in a namespace (test/bgp/fixtures/speaker.ts). */
export class SpeakerProcess {
  readonly states: StateEvent[] = [];
  private readonly waiting: ((e: Record<string, unknown>) => boolean)[] = [];
  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event.event === 'state') this.states.push(event as unknown as StateEvent);
      for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!(event)) this.waiting.splice(i, 1);
    });
  }

  static async start(ns: string, start: Omit<StdioStart, 'node'>): Promise<SpeakerProcess> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/bgp/fixtures/speaker.ts'], {
      cwd: root,
      stdio: ['pipe', 'pipe', process.env.BGP_TEST_LOGS === '1' ? 'inherit' : 'ignore'],
    });
    const speaker = new SpeakerProcess(child);
    try {
      await speaker.request({ start: { node: 'node-a', ...start } }, 'started', 20_000);
    } catch (err) {
      await kill(child);
      throw err;
    }
    return speaker;
  }

  /** Sends a command and waits for the reply event (or an error event, which fails). */
  private request(command: unknown, reply: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`speaker did not answer ${JSON.stringify(command).slice(0, 80)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((e) => {
        if (e.event !== reply && e.event !== 'error') return false;
        clearTimeout(timer);
        if (e.event === 'error') reject(new Error(`speaker: ${String(e.message)}`));
        else resolve(e);
        return true;
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }

  setRoutes(routes: readonly BgpAnnouncement[]): void {
    this.child.stdin!.write(`${JSON.stringify({ routes })}\n`);
  }

  async setPeers(peers: readonly BGPPeer[]): Promise<void> {
    await this.request({ peers }, 'peers');
  }

  async status(): Promise<BgpSessionStatus[]> {
    return (await this.request({ status: true }, 'status')).sessions as BgpSessionStatus[];
  }

  async stateOf(peer: string): Promise<string | undefined> {
    return (await this.status()).find((s) => s.peer === peer)?.state;
  }

  async waitEstablished(peer: string, timeoutMs: number): Promise<void> {
    const start = Date.now();
    while ((await this.stateOf(peer)) !== 'Established') {
      if (Date.now() - start > timeoutMs) {
        const s = (await this.status()).find((x) => x.peer === peer);
        assert.fail(`session ${peer} not Established within ${timeoutMs} ms (state ${s?.state}, last error ${s?.lastError})`);
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      await this.request({ stop: 'test finished' }, 'stopped', 5000);
    } finally {
      await kill(this.child);
    }
  }
}
