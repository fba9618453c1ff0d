import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { plainLayer2 } from '../../src/lab/demo/field-guide.js';
import { nodeManifests, serviceManifest } from '../../src/lab/demo/manifests.js';
import { arping } from '../../src/lab/demo/probes.js';
import { Lab } from '../../src/lab/lab.js';
import { defaultTopology } from '../../src/lab/topology.js';
import type { SpeakerStatus } from '../../src/standalone/speaker.js';
import { repoRoot } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';

// Issue 5's lab test for announcement verification, end to end: "a VIP elected on a WiFi node
// behind AP proxy ARP moves to the wired node by itself, and the client reaches it".
//
// The setup is the field guide's starting point run by airlb: the default lab (wired pi1, WiFi
// pi2 and pi3 behind an AP with proxy ARP, GARP filtering and the Pi firmware filter), MetalLB's
// plain L2Advertisement and Node objects without `airlb.io/uplink` labels — manifests imported
// from a MetalLB cluster, so the election cannot prefer the wired node and MetalLB's hash order
// (pi2 < pi1 < pi3 for 192.168.1.200) puts the WiFi pi2 first. Every Pi runs `airlb standalone`
// with its defaults (WiFi promiscuous mode on, so the firmware filter is lifted, and verification
// on). The AP's proxy ARP still drops every broadcast ARP request for the VIP on the way to pi2:
// the client's and the other speakers' alike, while BFD between the nodes stays Up. pi1 and pi3
// find the VIP unheard, outvote nobody (pi2's opinion of itself does not count), and the
// election ranks pi2 last for it: the next in hash order, the wired pi1, claims it.
const prefix = `ah3${randomBytes(2).toString('hex')}`;
const vip = '192.168.1.200';
const client = 'desktop';
const speakers = ['pi1', 'pi2', 'pi3'] as const;
let lab: Lab | null = null;
let dir = '';
const children: ChildProcess[] = [];
/** The tail of each speaker's log, shown when a wait times out. */
const logs = new Map<string, string>();

before(() => requireNetworkPrivileges(['ip', 'bridge', 'nft', 'arping']));

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await lab?.close();
  await Lab.down({ prefix });
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function status(node: string): Promise<SpeakerStatus | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `status-${node}.json`), 'utf8')) as SpeakerStatus;
  } catch {
    return undefined; // not written yet; written atomically, so never torn
  }
}

/** The node that alone has claimed the VIP (nobody else probing or holding it), or undefined. */
async function soleOwner(): Promise<string | undefined> {
  const holding: { node: string; state: string }[] = [];
  for (const n of speakers) {
    const s = await status(n);
    const entry = s?.vips.find((v) => v.ip === vip);
    if (s?.running === true && entry !== undefined && ['probing', 'backoff', 'claimed'].includes(entry.state)) holding.push({ node: n, state: entry.state });
  }
  return holding.length === 1 && holding[0]!.state === 'claimed' ? holding[0]!.node : undefined;
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      const tails = [...logs].map(([n, text]) => `--- ${n}\n${text}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the speakers' logs end with:\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a VIP elected on a WiFi node behind AP proxy ARP moves to the wired node by itself, and the client reaches it', { timeout: 120_000 }, async (t) => {
  lab = await Lab.up(defaultTopology(), { prefix });
  dir = await mkdtemp(join(tmpdir(), `airlb-${prefix}-`));
  await writeFile(join(dir, 'cluster.yaml'), [plainLayer2, nodeManifests(lab.nodes()), serviceManifest()].join('---\n'));
  const l = lab;
  for (const n of speakers) {
    const node = l.node(n);
    const argv = [process.execPath, '--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'standalone', '-f', join(dir, 'cluster.yaml'), '--node', n];
    argv.push('--status-file', join(dir, `status-${n}.json`), '--log-level', 'info');
    // The lab's "WiFi" interfaces are veths: only the name says they are wireless.
    if (node.port === 'wifi') argv.push('--wireless', node.iface);
    const child = l.spawn(n, argv);
    logs.set(n, '');
    child.stderr?.on('data', (d: Buffer) => logs.set(n, (logs.get(n)! + d.toString()).slice(-3000)));
    children.push(child);
  }

  // 1. The hash's first choice, the WiFi pi2, claims the VIP alone. Speakers count each other
  //    alive only after the membership hold (docs/failover.md), so one whose sessions came Up
  //    first may hold the VIP for a moment before pi2 counts; what matters is that pi2 gets it.
  await waitFor('pi2, first in the hash order for the VIP, to claim it alone', 30_000, async () => ((await soleOwner()) === 'pi2' ? true : undefined));
  const claimedAt = performance.now();
  assert.equal(l.node('pi2').port, 'wifi');
  // Unheard: the client's own ARP request for the VIP gets no answer (verification needs ~3 s
  // of misses, so pi2 still owns it during this 1 s arping).
  const whilePi2 = await arping(l, client, vip);
  assert.equal(whilePi2.replies, 0, `nobody answers the client for ${vip} while pi2 announces it (got ${whilePi2.mac})`);
  assert.equal((await soleOwner()) ?? 'nobody alone', 'pi2', 'pi2 still owned the VIP during that arping');

  // 2. The VIP moves to the wired pi1 with nobody touching anything.
  await waitFor('the VIP to move to pi1', 20_000, async () => ((await soleOwner()) === 'pi1' ? true : undefined));
  const movedMs = Math.round(performance.now() - claimedAt);

  // 3. Why it moved: the peers found pi2's announcement unheard. The unheard mark outlives the
  //    move (30 minutes), so the speakers' own verdicts still say so. The first peer to count
  //    its misses can decide alone (one unheard vote against none heard); a peer that had not
  //    finished counting then stops probing pi2, so it holds no verdict — but none heard it.
  const verdicts = await Promise.all(['pi1', 'pi3'].map(async (peer) => ({ peer, v: (await status(peer))?.membership?.probes.find((p) => p.ip === vip && p.owner === 'pi2') })));
  assert.ok(verdicts.some(({ v }) => v?.verdict === 'unheard'), `a peer found pi2's ${vip} unheard: ${JSON.stringify(verdicts)}`);
  assert.ok(verdicts.every(({ v }) => v?.verdict !== 'heard'), `no peer heard pi2 answer for ${vip}: ${JSON.stringify(verdicts)}`);
  const tally = (await status('pi1'))?.membership?.verification.find((t) => t.ip === vip && t.owner === 'pi2');
  assert.ok(tally !== undefined, `pi1 still holds the votes about pi2's ${vip}`);
  assert.equal(tally.failed, true, `pi2's ${vip} failed verification: ${JSON.stringify(tally)}`);
  assert.deepEqual(tally.heard, []);

  // 4. The client reaches it: arping gets the wired pi1's MAC.
  const reply = await waitFor('arping from the client to get an answer', 5_000, async () => {
    const r = await arping(l, client, vip);
    return r.replies > 0 ? r : undefined;
  });
  assert.equal(reply.mac, l.node('pi1').mac, `the client's ARP for ${vip} is answered by pi1 (${l.node('pi1').mac})`);
  const reachedMs = Math.round(performance.now() - claimedAt);
  t.diagnostic(`${vip}: claimed by pi2 (WiFi, unheard), moved to pi1 (wired) after ${movedMs} ms; client arping answered by pi1 ${reachedMs} ms after pi2's claim`);
});
