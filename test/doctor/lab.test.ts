import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { startLab } from '../lab/support.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { cli, l2On, nodeCommand, PORT, serveVip, startSpeaker, VIP, writeConfig, type LabSpeaker } from './lab-support.js';

// For each AP behaviour of the lab, and for a healthy wired network, the doctor run from a LAN
// machine (with its node side on the announcing node) names the cause; the fix it prints, applied
// in the lab, makes `airlb verify` pass.

let lab: Lab;
let cleanup: (() => Promise<void>) | undefined;
let dir: string;
let speakers: LabSpeaker[] = [];

before(async () => {
  requireNetworkPrivileges(['ip', 'nft', 'tcpdump', 'ping']);
  dir = await mkdtemp(join(tmpdir(), 'airlb-doctor-'));
  ({ lab, cleanup } = await startLab());
  for (const node of ['pi1', 'pi2']) await serveVip(lab, node);
});

after(async () => {
  for (const s of speakers) await s.stop();
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

interface DoctorJson {
  verdict: { cause: string; evidence: string[] };
  checks: { id: string; status: string; detail: string }[];
  fix: { kind: string; commands: string[]; manifests: string | null };
}

async function doctor(from: string, args: readonly string[]): Promise<{ code: number; json: DoctorJson }> {
  const r = await cli(lab, from, ['doctor', '--vip', VIP, '-f', join(dir, 'config'), ...speakers.flatMap((s) => ['--status-file', s.statusFile]), '--json', ...args]);
  assert.ok(r.stdout.startsWith('{'), `doctor printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as DoctorJson };
}

async function verify(from: string): Promise<{ code: number; out: string }> {
  const r = await cli(lab, from, ['verify', VIP, '--port', String(PORT), '-f', join(dir, 'config'), ...speakers.flatMap((s) => ['--status-file', s.statusFile])]);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Speakers on the given nodes with the L2Advertisement on `announcer`; waits for its claim. */
async function scenario(announcer: string, nodes: readonly string[], extra: readonly string[] = []): Promise<void> {
  for (const s of speakers) await s.stop();
  await rm(join(dir, 'config'), { recursive: true, force: true });
  await rm(join(dir, 'status'), { recursive: true, force: true });
  await mkdir(join(dir, 'config'));
  await mkdir(join(dir, 'status'));
  await writeConfig(lab, join(dir, 'config'), l2On(announcer));
  speakers = nodes.map((n) => startSpeaker(lab, n, join(dir, 'config'), join(dir, 'status'), extra));
  await speakers[nodes.indexOf(announcer)]!.waitVip('claimed');
}

test('a healthy wired network: the doctor says healthy and verify passes', async () => {
  await scenario('pi1', ['pi1']);
  const { code, json } = await doctor('desktop', ['--node-command', nodeCommand(lab, 'pi1')]);
  assert.equal(json.verdict.cause, 'healthy', JSON.stringify(json, null, 2));
  assert.equal(code, 0);
  assert.match(json.verdict.evidence.join('\n'), new RegExp(lab.node('pi1').mac));
  const status = Object.fromEntries(json.checks.map((c) => [c.id, c.status]));
  assert.deepEqual([status['uplink'], status['capture'], status['gratuitous-arp']], ['ok', 'ok', 'ok']);
  const v = await verify('desktop');
  assert.equal(v.code, 0, v.out);
  const wrong = await cli(lab, 'desktop', ['verify', VIP, '--expect-mac', lab.node('pi2').mac, '--json']);
  assert.equal(wrong.code, 1, 'verify fails when another MAC than the expected one answers');
  const owner = (JSON.parse(wrong.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks.find((c) => c.id === 'owner')!;
  assert.equal(owner.status, 'problem');
  assert.match(owner.detail, new RegExp(`expected ${lab.node('pi2').mac}, got ${lab.node('pi1').mac}`));
});

test('a WiFi node behind a well-behaved AP is healthy: airlb\'s promiscuous socket lifts the Pi firmware filter', async () => {
  await lab.setBehaviour('pi2', { proxyArp: false, garpFilter: false, firmwareFilter: true, isolation: false });
  await scenario('pi2', ['pi2']);
  await lab.waitForFirmwareFilter('pi2', 'lifted (promiscuous)');
  const { code, json } = await doctor('desktop', ['--node-command', nodeCommand(lab, 'pi2')]);
  assert.equal(json.verdict.cause, 'healthy', JSON.stringify(json, null, 2));
  assert.equal(code, 0);
  const status = Object.fromEntries(json.checks.map((c) => [c.id, c.status]));
  assert.deepEqual([status['uplink'], status['capture'], status['gratuitous-arp']], ['warning', 'ok', 'ok']);
  const v = await verify('desktop');
  assert.equal(v.code, 0, v.out);
});

test('AP proxy ARP: requests for the VIP never reach the WiFi node; the wired-node fix makes verify pass', async () => {
  await lab.setBehaviour('pi2', { proxyArp: true, garpFilter: true, firmwareFilter: true, isolation: false });
  await scenario('pi2', ['pi1', 'pi2']);
  const { code, json } = await doctor('desktop', ['--node-command', nodeCommand(lab, 'pi2'), '--can-wire', 'yes']);
  assert.equal(json.verdict.cause, 'ap-arp-proxy', JSON.stringify(json, null, 2));
  assert.equal(code, 1);
  assert.match(json.verdict.evidence.join('\n'), /0 requests for the VIP arrived/);
  assert.equal(json.fix.kind, 'wired-node');
  // Apply the fix as printed: its L2Advertisement replaces ours, its label goes on the Node.
  const label = /^kubectl label node (\S+) (\S+)=(\S+) --overwrite$/.exec(json.fix.commands[0]!);
  assert.ok(label !== null, json.fix.commands[0]);
  assert.equal(label[1], 'pi1');
  await writeConfig(lab, join(dir, 'config'), json.fix.manifests!, { [label[1]!]: { [label[2]!]: label[3]! } });
  await speakers[0]!.waitVip('claimed');
  await speakers[1]!.waitVip('none');
  const v = await verify('desktop');
  assert.equal(v.code, 0, v.out);
});

test('Pi firmware ARP offload: requests arrive only when promiscuous; promisc on (the fix) makes verify pass', async () => {
  await lab.setBehaviour('pi2', { proxyArp: false, garpFilter: false, firmwareFilter: true, isolation: false });
  // MetalLB's speaker does not turn promiscuous mode on: airlb's must not either, to show the filter.
  await scenario('pi2', ['pi2'], ['--no-wifi-promiscuous']);
  await lab.waitForFirmwareFilter('pi2', 'filtering');
  const { code, json } = await doctor('desktop', ['--node-command', nodeCommand(lab, 'pi2')]);
  assert.equal(json.verdict.cause, 'node-wifi-arp-offload', JSON.stringify(json, null, 2));
  assert.equal(code, 1);
  assert.match(json.verdict.evidence.join('\n'), /arrive only in promiscuous mode \(0 without, [1-9]\d* with\)/);
  assert.equal(json.fix.kind, 'airlb-wifi');
  const promisc = json.fix.commands[0]!.replace(/^sudo /, '').split(' ');
  assert.deepEqual(promisc, ['ip', 'link', 'set', 'wlan0', 'promisc', 'on']);
  assert.equal((await lab.exec('pi2', promisc)).code, 0);
  try {
    await lab.waitForFirmwareFilter('pi2', 'lifted (promiscuous)');
    const v = await verify('desktop');
    assert.equal(v.code, 0, v.out);
  } finally {
    await lab.exec('pi2', ['ip', 'link', 'set', 'wlan0', 'promisc', 'off']);
  }
});

test('AP ARP filter: requests arrive and replies leave the node but never reach the client; the AP setting fixes it', async () => {
  await lab.setBehaviour('pi2', { proxyArp: false, garpFilter: true, firmwareFilter: true, isolation: false });
  await scenario('pi2', ['pi2']);
  const { code, json } = await doctor('desktop', ['--node-command', nodeCommand(lab, 'pi2'), '--can-wire', 'no', '--can-configure-ap', 'yes']);
  assert.equal(json.verdict.cause, 'ap-garp-filter', JSON.stringify(json, null, 2));
  assert.equal(code, 1);
  assert.match(json.verdict.evidence.join('\n'), /[1-9]\d* requests for the VIP arrived, [1-9]\d* replies left/);
  assert.equal(json.checks.find((c) => c.id === 'gratuitous-arp')!.status, 'problem', 'the AP drops the node\'s gratuitous ARP too');
  assert.equal(json.fix.kind, 'ap-settings');
  assert.ok(json.fix.commands.includes("uci set wireless.default_radio0.proxy_arp='0'"), json.fix.commands.join('\n'));
  // The lab's AP has one switch for what those settings turn off.
  await lab.setBehaviour('pi2', { garpFilter: false });
  const v = await verify('desktop');
  assert.equal(v.code, 0, v.out);
});

test('client isolation: a WiFi client cannot reach the WiFi node, nor can the nodes each other; turning it off makes verify pass', async () => {
  for (const n of ['pi2', 'pi3', 'laptop']) await lab.setBehaviour(n, { proxyArp: false, garpFilter: false, isolation: true });
  try {
    await scenario('pi2', ['pi2']);
    const peer = ['--peer', `pi3=${lab.node('pi3').ipv4}`, '--gateway', lab.node('router').ipv4];
    const { code, json } = await doctor('laptop', ['--node-command', nodeCommand(lab, 'pi2', peer), '--can-wire', 'no', '--can-configure-ap', 'yes']);
    assert.equal(json.verdict.cause, 'ap-client-isolation', JSON.stringify(json, null, 2));
    assert.equal(code, 1);
    assert.match(json.verdict.evidence.join('\n'), /pi2 cannot reach pi3, yet reaches the gateway/);
    assert.ok(json.fix.commands.includes("uci set wireless.default_radio0.isolate='0'"), json.fix.commands.join('\n'));
  } finally {
    for (const n of ['pi2', 'pi3', 'laptop']) await lab.setBehaviour(n, { isolation: false });
  }
  const v = await verify('laptop');
  assert.equal(v.code, 0, v.out);
});

test('another host using the VIP is an IP conflict, named by its MAC', async () => {
  await scenario('pi1', ['pi1']);
  const r = await lab.exec('router', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', lab.node('router').iface]);
  assert.equal(r.code, 0, r.stderr);
  try {
    const { code, json } = await doctor('desktop', []);
    assert.equal(json.verdict.cause, 'ip-conflict', JSON.stringify(json, null, 2));
    assert.equal(code, 1);
    assert.match(json.verdict.evidence.join('\n'), new RegExp(`${lab.node('router').mac} also answers`));
    const v = await verify('desktop');
    assert.equal(v.code, 1, 'verify fails while two MACs answer');
  } finally {
    await lab.exec('router', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', lab.node('router').iface]);
  }
});

test('a node command that fails is reported with its exit status and its stderr', async () => {
  const r = await cli(lab, 'desktop', ['doctor', '--vip', VIP, '--json', '--node-command', 'echo no route to pi9 >&2; exit 3']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the node command exited with status 3 before reporting: .*\n\s*no route to pi9[\s\S]*\[doctor-node-command-failed\]/);
});

test('from a machine off the VIP\'s subnet the doctor probes nothing and says why', async () => {
  const r = await cli(lab, 'desktop', ['doctor', '--vip', '10.99.0.1', '--json']);
  const json = JSON.parse(r.stdout) as DoctorJson & { notes: string[] };
  assert.equal(json.verdict.cause, 'unknown');
  assert.match(json.notes.join('\n'), /no interface of this machine has an IPv4 subnet holding 10\.99\.0\.1/);
});
