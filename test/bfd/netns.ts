import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

/** Helpers shared by the BFD tests that run in network namespaces. */

const root = new URL('../..', import.meta.url).pathname;

/** `alb` + 4 random hex characters: the prefix of every namespace and link a test creates. */
export function uniquePrefix(): string {
  return `alb${randomBytes(2).toString('hex')}`;
}

export function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function inNs(ns: string, ...args: string[]): string {
  return run('ip', ['netns', 'exec', ns, ...args]);
}

/** Two namespaces joined by one veth pair, addresses on a /24, links and lo up. */
export function twoNamespaces(
  a: { ns: string; dev: string; addr: string },
  b: { ns: string; dev: string; addr: string },
): void {
  run('ip', ['netns', 'add', a.ns]);
  run('ip', ['netns', 'add', b.ns]);
  run('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
  for (const side of [a, b]) {
    inNs(side.ns, 'ip', 'addr', 'add', `${side.addr}/24`, 'dev', side.dev);
    inNs(side.ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(side.ns, 'ip', 'link', 'set', side.dev, 'up');
  }
}

/** Deletes namespaces that exist among `names` (their veths and nft tables go with them). */
export function deleteNamespaces(...names: string[]): void {
  const existing = new Set(run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]));
  for (const ns of names) if (existing.has(ns)) spawnSync('ip', ['netns', 'del', ns]);
}

export async function waitFor(what: string, check: () => boolean, timeoutMs: number, stepMs = 5): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export interface StateEvent {
  readonly event: 'state';
  readonly from: string;
  readonly to: string;
  readonly diag: number;
  readonly wallMs: number;
  readonly detectionTimeMs: number;
}

export interface DetectMultEvent {
  readonly event: 'detect-mult';
  readonly detectMult: number;
  readonly reason: string;
  readonly lossBound: number;
}

export interface Fixture {
  readonly child: ChildProcess;
  readonly states: StateEvent[];
  readonly detectMults: DetectMultEvent[];
}

/** Starts test/bfd/fixtures/bfd-peer.ts in `ns` and waits until it listens. */
export async function startFixture(ns: string, args: readonly string[]): Promise<Fixture> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/bfd/fixtures/bfd-peer.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const fixture: Fixture = { child, states: [], detectMults: [] };
  let listening = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as { event: string };
    if (e.event === 'listening') listening = true;
    else if (e.event === 'state') fixture.states.push(e as StateEvent);
    else if (e.event === 'detect-mult') fixture.detectMults.push(e as DetectMultEvent);
  });
  try {
    await waitFor(`the BFD fixture in ${ns} to listen`, () => listening, 15_000, 20);
  } catch (err) {
    await kill(child);
    throw err;
  }
  return fixture;
}
