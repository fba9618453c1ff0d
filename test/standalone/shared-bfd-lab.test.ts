import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliCommand } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { Speaker, must, run, waitFor, type SpeakerStatusView } from './netns.js';
import { oneVipManifests } from '../../src/lab/one-vip-manifests.js';

/*
 * Membership and BGP's BFD on one UDP 3784 (src/io/bfd-listener.ts): `airlb standalone` on two
 * nodes with the same YAML — two Nodes with InternalIPs (so membership runs BFD between them), an
 * L2 pool, and a BGPPeer with a BFDProfile to BIRD on a router namespace. Proves that on each node
 * BIRD's BFD session and the membership peer are Up at the same time (before the shared listener,
 * membership was skipped in this configuration), and that SIGKILLing the VIP's owner moves the VIP
 * to the other node as a client sees it with arping, while BIRD's BFD with the survivor stays Up.
 */

const prefix = `ah2${randomBytes(2).toString('hex').slice(0, 3)}`;
const SUBNET = '10.242.0';
const ROUTER = `${SUBNET}.1`;
const VIP = `${SUBNET}.200`;
const CLIENT = `${SUBNET}.100`;
const NODES = { n1: `${SUBNET}.11`, n2: `${SUBNET}.12` } as const;
type NodeName = keyof typeof NODES;
const names = Object.keys(NODES) as NodeName[];
const ns = (name: string) => `${prefix}-${name}`;

let dir = '';
let bird: ChildProcess | undefined;
const macs = new Map<string, string>();
const speakers = new Map<NodeName, Speaker>();

interface Status extends SpeakerStatusView {
  readonly membership: { readonly mode: string; readonly members: readonly { readonly node: string; readonly bfd: string | null; readonly alive: boolean; readonly reason: string }[] } | null;
  readonly bgp: { readonly error: string | null; readonly sessions: readonly { readonly peer: string; readonly state: string }[] };
}

function config(): string {
  return oneVipManifests(
    VIP,
    names.map((name) => ({ name, address: NODES[name] })),
    [
      `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64500, peerASN: 64501, peerAddress: ${ROUTER}, bfdProfile: fast }
`,
      `apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: fast, namespace: metallb-system }
spec: { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 }
`,
    ],
  );
}

function birdConfig(): string {
  return [
    `router id ${ROUTER};`,
    'protocol device { }',
    'protocol bfd { interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }',
    ...names.map((n) => `protocol bgp ${n} { local ${ROUTER} as 64501; neighbor ${NODES[n]} as 64500; bfd on; ipv4 { import all; export none; }; }`),
    '',
  ].join('\n');
}

/** A namespace on the bridge with eth0 at `address`/24. */
async function addHost(name: string, address: string): Promise<void> {
  await must(['ip', 'netns', 'add', ns(name)]);
  await must(['ip', '-n', ns(name), 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${name}`, 'netns', ns('br')]);
  await must(['ip', '-n', ns('br'), 'link', 'set', `p${name}`, 'master', 'br0', 'up']);
  await must(['ip', '-n', ns(name), 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  await must(['ip', '-n', ns(name), 'link', 'set', 'lo', 'up']);
  await must(['ip', '-n', ns(name), 'link', 'set', 'eth0', 'up']);
  macs.set(name, (await must(['ip', 'netns', 'exec', ns(name), 'cat', '/sys/class/net/eth0/address'])).trim().toLowerCase());
}

/** BIRD's BFD state per neighbor address (`show bfd sessions`). */
async function birdBfd(): Promise<Map<string, string>> {
  const out = await run(['ip', 'netns', 'exec', ns('rt'), 'birdc', '-s', join(dir, 'bird.ctl'), 'show', 'bfd', 'sessions']);
  const states = new Map<string, string>();
  for (const line of out.stdout.split('\n')) {
    const [address, , state] = line.trim().split(/\s+/);
    if (address !== undefined && state !== undefined && Object.values(NODES).includes(address as never)) states.set(address, state);
  }
  return states;
}

/** The MAC that answers one ARP request from the client for the VIP (broadcast), or undefined within 1 s. */
async function vipMac(): Promise<string | undefined> {
  const r = await run(['ip', 'netns', 'exec', ns('cl'), 'arping', '-b', '-c', '1', '-w', '1', '-I', 'eth0', VIP], 3_000);
  return /reply from \S+ \[([0-9a-fA-F:]+)\]/.exec(r.stdout)?.[1]?.toLowerCase();
}

async function status(n: NodeName): Promise<Status | undefined> {
  return (await speakers.get(n)!.status()) as Status | undefined;
}

before(async () => {
  requireNetworkPrivileges(['ip', 'bird', 'birdc', 'arping']);
  dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  await must(['ip', 'netns', 'add', ns('br')]);
  await must(['ip', '-n', ns('br'), 'link', 'add', 'br0', 'type', 'bridge']);
  await must(['ip', '-n', ns('br'), 'link', 'set', 'br0', 'up']);
  await addHost('rt', ROUTER);
  await addHost('cl', CLIENT);
  for (const n of names) await addHost(n, NODES[n]);
  await writeFile(join(dir, 'bird.conf'), birdConfig());
  bird = spawn('ip', ['netns', 'exec', ns('rt'), 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'inherit' });
  const folder = join(dir, 'config');
  await must(['mkdir', '-p', folder]);
  await writeFile(join(folder, 'lan.yaml'), config());
  for (const n of names) {
    const argv = [
      'ip', 'netns', 'exec', ns(n), ...cliCommand(),
      'standalone', '-f', folder, '--node', n, '--state', join(dir, `${n}-state.json`), '--status-file', join(dir, `${n}-status.json`),
      '--log-format', 'json', '--no-wifi-promiscuous',
    ];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    speakers.set(n, new Speaker(child, join(dir, `${n}-status.json`), join(dir, `${n}-state.json`)));
  }
});

after(async () => {
  if (process.env.BFD_TEST_LOGS === '1') for (const [n, s] of speakers) console.log(`--- ${n}\n${s.logs}`);
  for (const s of speakers.values()) s.child.kill('SIGKILL');
  bird?.kill('SIGKILL');
  const list = await run(['ip', 'netns', 'list']);
  for (const name of list.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((l) => l.startsWith(`${prefix}-`))) await run(['ip', 'netns', 'del', name]);
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('BIRD BFD and membership BFD run on one UDP 3784 per node, and the VIP moves when its owner is killed', { timeout: 90_000 }, async () => {
  const started = Date.now();
  const owner = await waitFor(
    'on both nodes: BIRD BFD Up, BGP Established, membership peer Up, and one VIP owner',
    async () => {
      const bfd = await birdBfd();
      const claimed: NodeName[] = [];
      for (const n of names) {
        const s = await status(n);
        if (bfd.get(NODES[n]) !== 'Up' || s?.membership?.mode !== 'bfd' || s.bgp.sessions[0]?.state !== 'Established') return undefined;
        const other = names.find((o) => o !== n)!;
        if (s.membership.members.find((m) => m.node === other)?.bfd !== 'Up') return undefined;
        if (s.vips.some((v) => v.ip === VIP && v.state === 'claimed')) claimed.push(n);
      }
      return claimed.length === 1 ? claimed[0] : undefined;
    },
    45_000,
    100,
  ).catch((err: unknown) => {
    for (const [n, s] of speakers) console.log(`--- ${n}\n${s.logs.slice(-3000)}`);
    throw err;
  });
  console.log(`BIRD BFD, BGP and membership BFD all Up on both nodes ${Date.now() - started} ms after start; ${owner} owns ${VIP}`);
  for (const n of names) assert.doesNotMatch(speakers.get(n)!.logs, /membership not started|cannot listen|BFD session with .* exists already/);
  assert.equal(await vipMac(), macs.get(owner), "the client's ARP for the VIP is answered with the owner's MAC");

  const survivor = names.find((n) => n !== owner)!;
  const killedAt = Date.now();
  speakers.get(owner)!.child.kill('SIGKILL');
  // Each arping sends one request and waits up to 1 s (iputils takes whole seconds), so this
  // time is coarse; bench/failover.ts measures failover at 10 ms resolution.
  await waitFor(`the client to get ${survivor}'s MAC for the VIP`, async () => ((await vipMac()) === macs.get(survivor) ? true : undefined), 5_000, 0);
  const movedMs = Date.now() - killedAt;
  console.log(`VIP answered by ${survivor} within ${movedMs} ms of SIGKILL of ${owner} (arping from the client, 1 s granularity)`);
  assert.ok(movedMs < 3_000, `took ${movedMs} ms`);
  assert.equal(await vipMac(), macs.get(survivor), 'the survivor keeps answering');

  await waitFor(`BIRD to declare ${owner} Down`, async () => ((await birdBfd()).get(NODES[owner]) === 'Down' ? true : undefined), 5_000);
  const bfd = await birdBfd();
  assert.equal(bfd.get(NODES[survivor]), 'Up', "BIRD's BFD with the survivor is untouched by the other node's death");
  const view = (await status(survivor))!;
  const dead = view.membership?.members.find((m) => m.node === owner);
  assert.deepEqual({ alive: dead?.alive, reason: dead?.reason }, { alive: false, reason: 'bfd-down' }, 'BFD, not the control plane, declared the owner dead');
  assert.equal(view.bgp.sessions[0]?.state, 'Established');
});
