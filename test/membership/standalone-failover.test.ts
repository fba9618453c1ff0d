import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { Segment, SUBNET4, waitFor, type Speaker, type SpeakerStatusView } from '../standalone/netns.js';
import { oneVipManifests } from '../../src/lab/one-vip-manifests.js';

/*
 * `airlb standalone` on three hosts with the same YAML (three Node objects with InternalIPs):
 * they start membership by themselves, agree on one owner of the VIP, and when the owner's
 * process is SIGKILLed another node claims the VIP within about a second.
 */

const VIP = `${SUBNET4}.200`;
const names = ['n1', 'n2', 'n3'];
let seg: Segment;
const speakers = new Map<string, Speaker>();

interface MembershipView {
  readonly mode: string;
  readonly members: readonly { readonly node: string; readonly alive: boolean; readonly reason: string }[];
}
type Status = SpeakerStatusView & { readonly membership: MembershipView | null };

function config(): string {
  return oneVipManifests(VIP, names.map((name, i) => ({ name, address: `${SUBNET4}.${11 + i}` })));
}

async function claimedBy(among: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of among) {
    const s = (await speakers.get(n)!.status()) as Status | undefined;
    if (s?.vips.some((v) => v.ip === VIP && v.state === 'claimed')) out.push(n);
  }
  return out;
}

before(async () => {
  requireNetworkPrivileges(['ip']);
  seg = await Segment.create();
  await seg.init();
  for (const [i, n] of names.entries()) await seg.add(n, 11 + i);
});

after(async () => {
  for (const s of speakers.values()) await s.stop(2_000);
  await seg?.remove();
});

test('three standalone speakers agree on one owner and fail over within a second when it is killed', { timeout: 60_000 }, async () => {
  const dir = await seg.configDir('config', { 'lan.yaml': config() });
  for (const n of names) speakers.set(n, seg.speaker(n, dir, ['--log-level', 'warn', '--no-wifi-promiscuous']));
  const owner = await waitFor(
    'exactly one speaker to claim the VIP, every one in BFD mode',
    async () => {
      const claimed = await claimedBy(names);
      if (claimed.length !== 1) return undefined;
      for (const n of names) {
        const s = (await speakers.get(n)!.status()) as Status | undefined;
        if (s?.membership?.mode !== 'bfd') return undefined;
      }
      return claimed[0];
    },
    30_000,
  );
  const others = names.filter((n) => n !== owner);
  const killedAt = Date.now();
  speakers.get(owner)!.child.kill('SIGKILL');
  await waitFor('another speaker to claim the VIP', async () => ((await claimedBy(others)).length === 1 ? true : undefined), 3_000, 10);
  const tookMs = Date.now() - killedAt;
  assert.ok(tookMs < 1_500, `took ${tookMs} ms`);
  const view = ((await speakers.get(others[0]!)!.status()) as Status).membership!;
  const dead = view.members.find((m) => m.node === owner)!;
  assert.deepEqual({ alive: dead.alive, reason: dead.reason }, { alive: false, reason: 'bfd-down' });
});
