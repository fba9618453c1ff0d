import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { claimedTargets } from '../../src/domain/l2/verification.js';
import { standaloneControlPlane } from '../../src/domain/membership/view.js';
import { createLogger } from '../../src/io/logger.js';
import { MembershipRuntime } from '../../src/io/membership-runtime.js';
import { waitFor } from '../standalone/netns.js';
import { internal } from '../membership/builders.js';

/*
 * Issue 5, the unheard vote against a node that never claimed the VIP: a speaker probes a VIP
 * only against an owner whose latest status message claims it, so a speaker whose election
 * disagrees (it still holds a peer out after a BFD flap) cannot mark an owner unheard for a VIP
 * that owner never answered for. An owner whose speaker publishes no claims (the first release)
 * is probed as before.
 */

test('claimedTargets keeps a VIP its owner claims, drops one it does not, and keeps every VIP of an owner whose claims are unknown', () => {
  const claims = new Map<string, ReadonlySet<string>>([
    ['claims-some', new Set(['10.0.0.1', '2001:db8::1'])],
    ['claims-nothing', new Set()],
  ]);
  const targets = [
    { ip: '10.0.0.1', owner: 'claims-some' },
    { ip: '10.0.0.2', owner: 'claims-some' },
    { ip: '2001:0db8:0:0::1', owner: 'claims-some' }, // another spelling of a claimed address
    { ip: '10.0.0.1', owner: 'claims-nothing' },
    { ip: '10.0.0.3', owner: 'older-speaker' },
  ];
  assert.deepEqual(
    claimedTargets(targets, (owner) => claims.get(owner)),
    [targets[0], targets[2], targets[4]],
  );
});

// Three MembershipRuntimes over real UDP on loopback (127.0.0.1–3, high ports, no root).
const ADDR = { voter: '127.0.0.1', owner: '127.0.0.2', older: '127.0.0.3' };
/** A second cluster on the same ports, for the slow-interval test. */
const SLOW_ADDR = { voter: '127.0.0.4', owner: '127.0.0.5' };
/** A third, for the owner with too many claims for one datagram. */
const BIG_ADDR = { voter: '127.0.0.6', owner: '127.0.0.7' };
const BFD_PORT = 30_000 + (process.pid % 10_000);
const STATUS_PORT = BFD_PORT + 1;
const VIP = '192.0.2.10';
const OLDER_VIP = '192.0.2.20';
const runtimes: MembershipRuntime[] = [];

after(() => {
  for (const r of runtimes) r.close();
});

async function start(self: keyof typeof ADDR, o: { claimed?: () => Iterable<string>; probed?: string[]; statusIntervalMs?: number; addr?: Record<string, string> }): Promise<MembershipRuntime> {
  const addr: Record<string, string> = o.addr ?? ADDR;
  const runtime = await MembershipRuntime.start({
    self,
    localAddress: addr[self]!,
    logger: createLogger({ format: 'text', level: 'error', write: () => undefined }),
    controlPlane: standaloneControlPlane,
    wireless: false,
    macs: () => [`02:00:00:00:00:0${Object.keys(ADDR).indexOf(self) + 1}`],
    // Probes go nowhere: every probed VIP is missed.
    sendProbe: (t) => o.probed?.push(`${t.ip}@${t.owner}`),
    onChange: () => undefined,
    ...(o.claimed === undefined ? {} : { claimed: o.claimed }),
    statusIntervalMs: o.statusIntervalMs ?? 50,
    startupGraceMs: 300,
    hold: { baseHoldMs: 200, maxHoldMs: 2_400, flapWindowMs: 120_000 },
    verification: { intervalMs: 50 },
    bfdPort: BFD_PORT,
    peerBfdPort: BFD_PORT,
    statusPort: STATUS_PORT,
    peerStatusPort: STATUS_PORT,
  });
  runtimes.push(runtime);
  await runtime.setNodes(Object.entries(addr).map(([n, a]) => internal(n, a)));
  return runtime;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a VIP is probed, and voted unheard, only while its owner claims it; an older speaker is probed as before; the mark outlives the release', { timeout: 30_000 }, async () => {
  const probed: string[] = [];
  let ownerClaims: string[] = [];
  const voter = await start('voter', { claimed: () => [], probed });
  await start('owner', { claimed: () => ownerClaims });
  await start('older', {});
  // The voter's election (it disagrees with the owner's) gives VIP to "owner", which claims nothing.
  voter.setProbeTargets([
    { ip: VIP, owner: 'owner' },
    { ip: OLDER_VIP, owner: 'older' },
  ]);
  const failedFor = (ip: string) => voter.status().verification.find((t) => t.ip === ip)?.failed === true;
  await waitFor('every speaker alive on the voter', async () => (voter.status().members.every((m) => m.alive) ? true : undefined), 10_000);
  // The older speaker publishes no claims: it is probed and found unheard, as before claims existed.
  await waitFor('the older speaker\'s VIP to fail', async () => (failedFor(OLDER_VIP) ? true : undefined), 5_000);
  // 1 s is 20 probe intervals, far past the 3 misses that fail a VIP: had the voter probed, it would have voted.
  await sleep(1_000);
  assert.equal(probed.filter((p) => p === `${VIP}@owner`).length, 0, 'a VIP its owner does not claim is never probed');
  assert.equal(voter.status().verification.find((t) => t.ip === VIP), undefined, 'nobody votes on it');

  ownerClaims = [VIP];
  await waitFor('the claimed VIP to be probed and fail (nobody answers)', async () => (failedFor(VIP) ? true : undefined), 5_000);
  assert.deepEqual(voter.status().verification.find((t) => t.ip === VIP)?.unheard, ['voter'], 'the only speaker probing it');

  // The owner releases the VIP (the election moved it): it is no longer probed, and the unheard
  // mark made while it claimed keeps counting, so the VIP is not handed straight back.
  ownerClaims = [];
  await waitFor('the voter to stop probing the released VIP', async () => (voter.status().probes.find((p) => p.ip === VIP)?.misses === 0 ? true : undefined), 5_000);
  const probesBefore = probed.filter((p) => p === `${VIP}@owner`).length;
  await sleep(500);
  assert.equal(probed.filter((p) => p === `${VIP}@owner`).length, probesBefore, 'no probe after the release');
  assert.equal(failedFor(VIP), true, 'the mark still counts after the release');
});

test('claimsChanged sends the status at once, so a peer starts probing a newly claimed VIP without waiting an interval', { timeout: 20_000 }, async () => {
  const probed: string[] = [];
  let ownerClaims: string[] = [];
  // A 60 s interval: within this test no status goes out unless claimsChanged sends it.
  const voter = await start('voter', { addr: SLOW_ADDR, claimed: () => [], probed, statusIntervalMs: 60_000 });
  const owner = await start('owner', { addr: SLOW_ADDR, claimed: () => ownerClaims, statusIntervalMs: 60_000 });
  voter.setProbeTargets([{ ip: VIP, owner: 'owner' }]);
  owner.claimsChanged(); // unchanged (nothing claimed, nothing sent yet): no message
  await sleep(300);
  assert.equal(probed.length, 0, 'the owner\'s MACs and claims have not reached the voter');
  ownerClaims = [VIP];
  owner.claimsChanged();
  await waitFor('the voter to probe the VIP', async () => (probed.includes(`${VIP}@owner`) ? true : undefined), 2_000);
});

test('claims too many for one datagram: the status still goes out, without claims, and the owner is probed as a claims-unknown one', { timeout: 20_000 }, async () => {
  const probed: string[] = [];
  // 3,700 IPv6 claims take 66,600 octets, past the 65,507 of one UDP datagram.
  const many = Array.from({ length: 3_700 }, (_, i) => `fd00::${(i + 1).toString(16)}`);
  const voter = await start('voter', { addr: BIG_ADDR, claimed: () => [], probed });
  await start('owner', { addr: BIG_ADDR, claimed: () => many });
  voter.setProbeTargets([{ ip: VIP, owner: 'owner' }]);
  await waitFor('the voter to probe the owner (its MACs arrived, its claims did not)', async () => (probed.includes(`${VIP}@owner`) ? true : undefined), 3_000);
});
