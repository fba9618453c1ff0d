import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { deleteNamespaces, inNs, kill, run, uniquePrefix, waitFor } from '../bfd/netns.js';

/*
 * Three speakers in three namespaces on one bridge (a fourth namespace holds the bridge), each
 * running MembershipRuntime over real UDP: BFD comes Up, the hold passes, everybody is alive;
 * one speaker is SIGKILLed and the others see it dead within BFD's detection time; a speaker that
 * hears nobody (its port dropped by nft) falls back to the control plane and says so.
 */

const root = new URL('../..', import.meta.url).pathname;
const prefix = uniquePrefix();
const bridgeNs = `${prefix}br`;
const names = ['a', 'b', 'c'] as const;
const ns = (n: string) => `${prefix}${n}`;
const addr = (i: number) => `10.77.0.${i + 1}`;
const nodesArg = names.map((n, i) => `${n}=${addr(i)}`).join(',');

interface Change {
  event: string;
  wallMs: number;
  mode: string;
  members: { node: string; alive: boolean; reason: string }[];
  failed: Record<string, string[]>;
}

const children: ChildProcess[] = [];
const changes = new Map<string, Change[]>();

function start(name: string, extra: string[] = []): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns(name), process.execPath, '--import', 'tsx', 'test/membership/fixtures/member.ts', '--self', name, '--nodes', nodesArg, '--hold', '1000', '--grace', '2000', ...extra], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const list: Change[] = [];
  changes.set(name, list);
  createInterface({ input: child.stdout! }).on('line', (line) => list.push(JSON.parse(line) as Change));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
  return child;
}

function latest(name: string): Change | undefined {
  return changes.get(name)!.filter((c) => c.event === 'change').at(-1);
}

function reasonOf(observer: string, node: string): string | undefined {
  return latest(observer)?.members.find((m) => m.node === node)?.reason;
}

before(() => {
  requireNetworkPrivileges(['ip', 'nft']);
  run('ip', ['netns', 'add', bridgeNs]);
  inNs(bridgeNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  inNs(bridgeNs, 'ip', 'link', 'set', 'br0', 'up');
  names.forEach((n, i) => {
    run('ip', ['netns', 'add', ns(n)]);
    run('ip', ['link', 'add', 'eth0', 'netns', ns(n), 'type', 'veth', 'peer', 'name', `p${n}`, 'netns', bridgeNs]);
    inNs(bridgeNs, 'ip', 'link', 'set', `p${n}`, 'master', 'br0');
    inNs(bridgeNs, 'ip', 'link', 'set', `p${n}`, 'up');
    inNs(ns(n), 'ip', 'addr', 'add', `${addr(i)}/24`, 'dev', 'eth0');
    inNs(ns(n), 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns(n), 'ip', 'link', 'set', 'eth0', 'up');
  });
});

after(async () => {
  for (const c of children) await kill(c);
  deleteNamespaces(bridgeNs, ...names.map(ns));
});

test('speakers see each other alive over BFD, and a killed speaker dead within half a second', { timeout: 30_000 }, async () => {
  const procs = names.map((n) => start(n));
  await waitFor('every speaker to see every other alive over BFD', () => names.every((o) => names.every((n) => n === o || reasonOf(o, n) === 'bfd-up') && latest(o)?.mode === 'bfd'), 15_000);
  const killedAt = Date.now();
  procs[2]!.kill('SIGKILL');
  await waitFor('a and b to see c dead', () => reasonOf('a', 'c') === 'bfd-down' && reasonOf('b', 'c') === 'bfd-down', 2_000, 2);
  const detectedAt = Math.max(...['a', 'b'].map((o) => changes.get(o)!.find((c) => c.wallMs >= killedAt && c.members.some((m) => m.node === 'c' && m.reason === 'bfd-down'))!.wallMs));
  // SPEAKER_BFD_DEFAULTS: 3 × 50 ms on a clean link; allow for the wired prior and scheduling.
  assert.ok(detectedAt - killedAt < 500, `detected after ${detectedAt - killedAt} ms`);
  assert.equal(latest('a')!.members.find((m) => m.node === 'a')!.alive, true);
  for (const p of procs) await kill(p);
});

test('verdicts travel in the status messages and every speaker agrees on the unheard VIP', { timeout: 30_000 }, async () => {
  const vip = '10.77.0.200';
  const procs = [start('a', ['--probe', `${vip}=c`, '--key', 'lab-key']), start('b', ['--probe', `${vip}=c`, '--key', 'lab-key']), start('c', ['--mac', '02:00:00:00:00:0c', '--key', 'lab-key'])];
  await waitFor('a, b and c to agree that c is not heard for the VIP', () => names.every((n) => JSON.stringify(latest(n)?.failed) === JSON.stringify({ c: [vip] })), 20_000);
  for (const p of procs) await kill(p);
});

test('a speaker that hears no peer at all falls back to the control plane and reports it', { timeout: 30_000 }, async () => {
  // Drop every UDP packet this namespace receives: BFD and status messages never arrive.
  inNs(ns('a'), 'nft', 'add', 'table', 'inet', `${prefix}iso`);
  inNs(ns('a'), 'nft', 'add', 'chain', 'inet', `${prefix}iso`, 'in', '{ type filter hook input priority 0 ; }');
  inNs(ns('a'), 'nft', 'add', 'rule', 'inet', `${prefix}iso`, 'in', 'meta l4proto udp drop');
  start('a');
  await waitFor('the fallback', () => latest('a')?.mode === 'control-plane-fallback', 10_000);
  assert.deepEqual(latest('a')!.members, [
    { node: 'a', alive: true, reason: 'self' },
    { node: 'b', alive: true, reason: 'control-plane-fallback' },
    { node: 'c', alive: true, reason: 'control-plane-fallback' },
  ]);
});
