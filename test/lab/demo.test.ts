import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { fieldGuideBgp, fieldGuideWiredNode } from '../../src/lab/demo/field-guide.js';
import { nodeManifests } from '../../src/lab/demo/manifests.js';
import { renderStepText } from '../../src/lab/demo/render.js';
import type { DemoStep } from '../../src/lab/demo/steps.js';
import { Lab, type LabNodeInfo } from '../../src/lab/lab.js';
import { repoRoot, runCli } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { uniquePrefix } from './support.js';

// `airlb lab demo` end to end: the field guide's story in a lab, judged against what the field
// guide (and a real Raspberry Pi) says each step shows.
const keptPrefix = uniquePrefix();
const plainPrefix = uniquePrefix();

before(() => {
  requireNetworkPrivileges(['ip', 'bridge', 'nft', 'tcpdump', 'arping', 'bird']);
  // The demo runs its speakers from the built CLI (bin/airlb.js loads dist/); `npm test` builds first.
  assert.ok(existsSync(`${repoRoot}/dist/cli/main.js`), 'dist/ is missing: run `npm run build` first (npm test does)');
});
/** --keep leaves the demo's files in /tmp: removed here. */
let keptFiles = '';

after(async () => {
  await Lab.down({ prefix: keptPrefix });
  await Lab.down({ prefix: plainPrefix });
  if (keptFiles.includes('airlb-demo-')) await rm(keptFiles, { recursive: true, force: true });
});

function netnsOf(prefix: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`${prefix}-`));
}

const pi = (name: string, port: 'wired' | 'wifi'): LabNodeInfo => ({
  name,
  role: 'node',
  port,
  netns: `x-${name}`,
  iface: port === 'wifi' ? 'wlan0' : 'eth0',
  ipv4: '192.168.1.11',
  ipv6: null,
  mac: '02:00:00:00:00:01',
  labels: { 'kubernetes.io/hostname': name },
});

test("the embedded field guide manifests are the field guide's, byte for byte", () => {
  assert.equal(fieldGuideWiredNode, readFileSync(`${repoRoot}/test/fixtures/seed/seed-l2-wired-node.yaml`, 'utf8'));
  assert.equal(fieldGuideBgp, readFileSync(`${repoRoot}/test/fixtures/seed/seed-bgp.yaml`, 'utf8'));
});

test('Node manifests carry the lab labels, extra labels, and airlb.io/uplink only when asked; clients are not nodes', () => {
  const nodes = [pi('pi1', 'wired'), pi('pi2', 'wifi'), { ...pi('laptop', 'wifi'), role: 'client' as const }];
  const plain = nodeManifests(nodes).split('---\n').map((d) => parse(d) as { metadata: { name: string; labels: Record<string, string> }; status: unknown });
  assert.deepEqual(plain.map((n) => n.metadata.name), ['pi1', 'pi2']);
  assert.deepEqual(plain[0]!.metadata.labels, { 'kubernetes.io/hostname': 'pi1' });
  assert.deepEqual(plain[0]!.status, { addresses: [{ type: 'InternalIP', address: '192.168.1.11' }] });
  const labelled = nodeManifests(nodes, { extraLabels: { pi1: { network: 'ethernet' } }, uplinkLabels: true })
    .split('---\n')
    .map((d) => (parse(d) as { metadata: { labels: Record<string, string> } }).metadata.labels);
  assert.deepEqual(labelled, [
    { 'kubernetes.io/hostname': 'pi1', network: 'ethernet', 'airlb.io/uplink': 'wired' },
    { 'kubernetes.io/hostname': 'pi2', 'airlb.io/uplink': 'wireless' },
  ]);
});

test('a step that did not behave as expected is marked ✗ and says what was expected', () => {
  const step: DemoStep = {
    step: 'static-arp',
    fix: 'static-arp',
    vipReachable: false,
    evidence: {},
    expectReachable: true,
    ok: false,
    title: 'fix 1, static ARP entry on the client',
    summary: 'HTTP: EHOSTUNREACH after 3.0 s',
    seconds: 3.04,
  };
  assert.equal(renderStepText(step, 3, 8), '✗ 3/8 fix 1, static ARP entry on the client → VIP unreachable (expected reachable)  [3.0 s]\n      HTTP: EHOSTUNREACH after 3.0 s\n');
});

/** What the field guide says each step shows; the Pi firmware filter corrects fix 3 (see docs/lab.md). */
const expected: Readonly<Record<string, { fix: string | null; reachable: boolean }>> = {
  'lab-up': { fix: null, reachable: false },
  'metallb-l2-on-wifi': { fix: null, reachable: false },
  'static-arp': { fix: 'static-arp', reachable: true },
  'wired-node': { fix: 'wired-node', reachable: true },
  'ap-proxy-arp-off': { fix: 'ap-proxy-arp-off', reachable: false },
  'airlb-wifi-promiscuous': { fix: 'airlb-wifi', reachable: true },
  'airlb-wifi-wired-preference': { fix: 'airlb-wifi', reachable: true },
  bgp: { fix: 'bgp', reachable: true },
};

interface Evidence {
  announcer: string | null;
  announcerLink: string | null;
  http: { answered: boolean; servedBy: string | null; error: string | null };
  arping: { replies: number };
  nodeIp: { replies: number } | null;
  requests: { sentByClient: number; reachedAnnouncer: number | null };
  responsible: string[];
  promiscuousOn?: string[];
  routerNextHops?: string[];
  sessions?: { node: string; peer: string; state: string }[];
  withoutClientRoute?: { answered: boolean; error: string | null };
}

test('lab demo --json --keep: every step shows what the field guide says, and the kept lab still serves the VIP', async () => {
  const r = await runCli(['lab', 'demo', '--json', '--keep', '--prefix', keptPrefix], { timeoutMs: 80_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DemoStep & { evidence: Evidence });
  assert.deepEqual(steps.map((s) => s.step), Object.keys(expected));
  for (const s of steps) {
    assert.equal(s.fix, expected[s.step]!.fix, s.step);
    assert.equal(s.vipReachable, expected[s.step]!.reachable, `${s.step}: ${s.summary}`);
    assert.equal(s.ok, true, s.step);
  }
  const by = new Map(steps.map((s) => [s.step, s.evidence]));
  keptFiles = dirname((by.get('metallb-l2-on-wifi') as { manifests?: string }).manifests ?? '');

  // MetalLB's L2 on WiFi: the client's requests never reach the WiFi Pi; its own IP answers.
  const broken = by.get('metallb-l2-on-wifi')!;
  assert.equal(broken.announcer, 'pi2');
  assert.equal(broken.announcerLink, 'wifi');
  assert.ok(broken.requests.sentByClient >= 1);
  assert.equal(broken.requests.reachedAnnouncer, 0);
  assert.ok(broken.nodeIp!.replies >= 1);
  assert.deepEqual(broken.responsible, ['ap-arp-proxy', 'node-wifi-arp-offload']);
  assert.equal(broken.http.error, 'EHOSTUNREACH');

  assert.equal(by.get('static-arp')!.http.servedBy, 'pi2');
  assert.equal(by.get('wired-node')!.http.servedBy, 'pi1');
  // AP proxy ARP off: only the firmware filter is left in the way.
  assert.deepEqual(by.get('ap-proxy-arp-off')!.responsible, ['node-wifi-arp-offload']);
  assert.equal(by.get('ap-proxy-arp-off')!.requests.reachedAnnouncer, 0);
  const promiscuous = by.get('airlb-wifi-promiscuous')!;
  assert.equal(promiscuous.http.servedBy, 'pi2');
  assert.deepEqual(promiscuous.promiscuousOn, ['wlan0']);
  assert.ok(promiscuous.requests.reachedAnnouncer! >= 1);
  assert.equal(by.get('airlb-wifi-wired-preference')!.http.servedBy, 'pi1');
  // BGP: every Pi has a session with BIRD and is a next hop; the LAN client needs the route.
  const bgp = by.get('bgp')!;
  assert.deepEqual(bgp.routerNextHops, ['192.168.1.11', '192.168.1.12', '192.168.1.13']);
  assert.deepEqual(bgp.sessions!.map((x) => `${x.node}:${x.peer}:${x.state}`), ['pi1:home-router:Established', 'pi2:home-router:Established', 'pi3:home-router:Established']);
  assert.match(bgp.http.servedBy ?? '', /^pi[123]$/);
  assert.equal(bgp.withoutClientRoute!.answered, false);
  assert.equal(bgp.arping.replies, 0, 'nobody answers ARP for the VIP in BGP mode');

  // --keep: the lab, its speakers, BIRD and the web servers outlive the demo.
  const lab = await Lab.attach({ prefix: keptPrefix });
  const get = await lab.exec('desktop', [process.execPath, '-e', "require('node:http').get('http://192.168.1.200/', (res) => res.pipe(process.stdout))"], { timeoutMs: 10_000 });
  assert.match(get.stdout, /^served by pi[123]\n$/, get.stderr);
  assert.match((await lab.exec('router', ['ip', 'route', 'show', '192.168.1.200'])).stdout, /proto bird/);
  await Lab.down({ prefix: keptPrefix });
  assert.deepEqual(netnsOf(keptPrefix), []);
});

test('lab demo prints a line per step a person can read, and removes its lab', async () => {
  const r = await runCli(['lab', 'demo', '--prefix', plainPrefix], { timeoutMs: 80_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^✓ 2\/8 the field guide's pool, MetalLB's plain L2: a WiFi Pi announces → VIP unreachable {2}\[\d+\.\d s\]$/m);
  assert.match(r.stdout, /^ {6}pi2 \(WiFi\) announces \| HTTP: EHOSTUNREACH after \d\.\d s \| arping VIP: no reply, pi2's own IP: answered \| ARP requests: \d sent, 0 reached pi2 \| cause: AP proxy ARP \+ the Pi's firmware ARP filter$/m);
  assert.match(r.stdout, /^✓ 3\/8 fix 1, static ARP entry on the client → VIP reachable/m);
  assert.match(r.stdout, /^✓ 8\/8 fix 4, BGP mode: the field guide's BGPPeer, BIRD on the router → VIP reachable/m);
  assert.match(r.stdout, /^8\/8 steps as expected in \d+\.\d s/m);
  assert.match(r.stdout, new RegExp(`^lab '${plainPrefix}' removed$`, 'm'));
  assert.deepEqual(netnsOf(plainPrefix), []);
});

test('lab demo refuses a prefix already in use and leaves that lab alone', async () => {
  const r0 = await runCli(['lab', 'up', '--detach', '--prefix', plainPrefix, '-f', 'test/fixtures/lab/isolated-ap.yaml']);
  assert.equal(r0.code, 0, r0.stderr);
  const r = await runCli(['lab', 'demo', '--json', '--prefix', plainPrefix]);
  assert.equal(r.code, 1);
  const step = JSON.parse(r.stdout.trim()) as DemoStep & { evidence: { code: string } };
  assert.deepEqual([step.step, step.ok, step.evidence.code], ['lab-up', false, 'lab-exists']);
  assert.equal(netnsOf(plainPrefix).length, 4, 'the existing lab is untouched');
});
