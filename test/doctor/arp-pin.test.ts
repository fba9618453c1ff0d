import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { startLab } from '../lab/support.js';
import { cliCommand } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { cli, l2On, PORT, serveVip, startSpeaker, VIP, writeConfig, type LabSpeaker } from './lab-support.js';

// arp-pin on a LAN client whose AP hides the VIP (proxy ARP on the WiFi node's port): it pins the
// VIP to the owner the speakers' status files name, re-pins when the VIP moves, and removes its
// entry on SIGTERM.

let lab: Lab;
let cleanup: (() => Promise<void>) | undefined;
let dir: string;
const speakers: LabSpeaker[] = [];
let pin: ChildProcess | undefined;

before(async () => {
  requireNetworkPrivileges(['ip', 'nft', 'arping']);
  dir = await mkdtemp(join(tmpdir(), 'airlb-arp-pin-'));
  ({ lab, cleanup } = await startLab());
  for (const node of ['pi1', 'pi2']) await serveVip(lab, node);
  await mkdir(join(dir, 'config'));
  await writeConfig(lab, join(dir, 'config'), l2On('pi2'));
  for (const node of ['pi1', 'pi2']) speakers.push(startSpeaker(lab, node, join(dir, 'config'), dir));
  await speakers[1]!.waitVip('claimed');
});

after(async () => {
  pin?.kill('SIGKILL');
  for (const s of speakers) await s.stop();
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

async function neighbour(): Promise<string> {
  return (await lab.exec('desktop', ['ip', 'neigh', 'show', VIP, 'dev', 'eth0'])).stdout.trim();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}; neighbour entry: ${await neighbour()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tcp(): Promise<number> {
  return (await cli(lab, 'desktop', ['verify', VIP, '--port', String(PORT), '--count', '1'])).stdout.includes(`connected to ${VIP}:${PORT}`) ? 0 : 1;
}

test('the pin follows the VIP from one node to another and is removed on exit', async () => {
  assert.equal(await tcp(), 1, 'with proxy ARP on pi2\'s port the VIP is unreachable before pinning');
  const argv = ['ip', 'netns', 'exec', lab.node('desktop').netns, ...cliCommand(), 'arp-pin', '--vip', VIP, '--interval-ms', '200', '--json', ...speakers.flatMap((s) => ['--status-file', s.statusFile])];
  pin = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  pin.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  pin.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));

  const pi2 = lab.node('pi2').mac;
  await waitFor('the pin on pi2', async () => (await neighbour()).includes(`lladdr ${pi2} PERMANENT`));
  assert.equal(await tcp(), 0, 'the pinned VIP answers TCP through the AP');

  // Failover: the advertisement moves to pi1; its speaker claims the VIP, pi2's releases it.
  await writeConfig(lab, join(dir, 'config'), l2On('pi1'));
  await speakers[0]!.waitVip('claimed');
  const pi1 = lab.node('pi1').mac;
  await waitFor('the pin on pi1', async () => (await neighbour()).includes(`lladdr ${pi1} PERMANENT`));
  assert.equal(await tcp(), 0, 'the VIP answers TCP after the move');

  const exited = new Promise<number | null>((resolve) => pin!.once('exit', resolve));
  pin.kill('SIGTERM');
  assert.equal(await exited, 0, out + err);
  assert.equal(err, '', 'nothing on stderr');
  assert.equal(await neighbour(), '', 'the entry is gone after exit');
  const events = out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; mac: string | null; node: string | null });
  // Between pi2's release and pi1's claim nobody owns the VIP: the pin stays on pi2 meanwhile.
  for (const e of events.filter((x) => x.event === 'unknown')) assert.equal(e.mac, pi2);
  assert.deepEqual(events.filter((e) => e.event !== 'unknown').map((e) => [e.event, e.node, e.mac]), [
    ['pinned', 'pi2', pi2],
    ['pinned', 'pi1', pi1],
    ['unpinned', 'pi1', pi1],
  ]);
});

test('without status files it pins the one MAC that answers an ARP probe', async () => {
  await writeConfig(lab, join(dir, 'config'), l2On('pi1'));
  await speakers[0]!.waitVip('claimed');
  const argv = ['ip', 'netns', 'exec', lab.node('desktop').netns, ...cliCommand(), 'arp-pin', '--vip', VIP, '--interval-ms', '200', '--json'];
  pin = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  pin.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const pi1 = lab.node('pi1').mac;
  await waitFor('the pin on pi1', async () => (await neighbour()).includes(`lladdr ${pi1} PERMANENT`));
  const exited = new Promise<number | null>((resolve) => pin!.once('exit', resolve));
  pin.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(await neighbour(), '');
  assert.deepEqual(JSON.parse(out.split('\n')[0]!), { event: 'pinned', vip: VIP, mac: pi1, node: null });
});
