import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireNetworkPrivileges } from '../support/root.js';
import { SPEAKER_BFD_DEFAULTS } from '../../src/domain/bfd/adaptive.js';
import { deleteNamespaces, inNs, kill, sleep, startFixture, twoNamespaces, uniquePrefix, waitFor, type Fixture } from './netns.js';

/**
 * Two airlb speakers over real UDP sockets in two namespaces, with nftables dropping 5 % of BFD
 * packets in each direction (the lossy-air model of DESIGN.md §5). Proves the adaptive Detect
 * Mult rises, the session stays Up through the loss, and a real failure is still detected within
 * the 450 ms bound. A 20 s run cannot prove the 10-minute figure; bench/bfd-loss.ts does that.
 */

const prefix = uniquePrefix();
const nsA = `${prefix}a`;
const nsB = `${prefix}b`;
const A = '192.0.2.1';
const B = '192.0.2.2';
const LOSS_PERCENT = 5;
const RUN_MS = 20_000;

let a: Fixture | undefined;
let b: Fixture | undefined;

function args(local: string, peer: string): string[] {
  return [
    '--local', local,
    '--peer', peer,
    '--interval', String(SPEAKER_BFD_DEFAULTS.desiredMinTxMs),
    '--mult', String(SPEAKER_BFD_DEFAULTS.detectMult),
    '--adaptive', 'wired',
    '--max-detection', String(SPEAKER_BFD_DEFAULTS.maxDetectionMs),
  ];
}

describe('BFD between two airlb speakers on a lossy link', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'nft']);
    twoNamespaces({ ns: nsA, dev: `${prefix}va`, addr: A }, { ns: nsB, dev: `${prefix}vb`, addr: B });
    for (const ns of [nsA, nsB]) {
      // The table lives in the test's own namespace and goes away with it.
      inNs(ns, 'nft', 'add', 'table', 'inet', prefix);
      inNs(ns, 'nft', 'add', 'chain', 'inet', prefix, 'in', '{ type filter hook input priority 0; }');
      inNs(ns, 'nft', 'add', 'rule', 'inet', prefix, 'in', 'udp', 'dport', '3784', 'numgen', 'random', 'mod', '100', '<', String(LOSS_PERCENT), 'counter', 'drop');
    }
  });

  after(async () => {
    await kill(a?.child);
    await kill(b?.child);
    deleteNamespaces(nsA, nsB);
  });

  it('stays Up through 5 % loss with a raised Detect Mult and still detects a dead peer within 450 ms', async () => {
    a = await startFixture(nsA, args(A, B));
    b = await startFixture(nsB, args(B, A));
    await waitFor('both sessions Up', () => a!.states.some((e) => e.to === 'Up') && b!.states.some((e) => e.to === 'Up'), 15_000, 20);
    await sleep(RUN_MS);
    const dropped = inNs(nsA, 'nft', 'list', 'table', 'inet', prefix).match(/packets (\d+)/)?.[1];
    assert.ok(Number(dropped) > 0, 'nftables dropped BFD packets');
    for (const [name, f] of [['A', a], ['B', b]] as const) {
      assert.ok(!f.states.some((e) => e.to === 'Down'), `${name} never went Down during ${RUN_MS / 1000} s at ${LOSS_PERCENT} % loss`);
      const mult = f.detectMults.at(-1)?.detectMult ?? SPEAKER_BFD_DEFAULTS.detectMult;
      assert.ok(mult > SPEAKER_BFD_DEFAULTS.detectMult, `${name} raised Detect Mult above 3 (now ${mult})`);
    }
    console.log(
      `after ${RUN_MS / 1000} s at ${LOSS_PERCENT} % loss: A advertises Detect Mult ${a.detectMults.at(-1)?.detectMult}, B ${b.detectMults.at(-1)?.detectMult}; A dropped ${dropped} packets`,
    );

    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await waitFor('A to declare B Down', () => a!.states.some((e) => e.to === 'Down'), 5000, 2);
    const down = a.states.find((e) => e.to === 'Down')!;
    const tookMs = down.wallMs - killedAt;
    console.log(`A declared B Down ${tookMs} ms after SIGKILL (detection time ${down.detectionTimeMs} ms)`);
    assert.equal(down.diag, 1);
    assert.ok(down.detectionTimeMs <= SPEAKER_BFD_DEFAULTS.maxDetectionMs);
    assert.ok(tookMs <= down.detectionTimeMs + 20, `took ${tookMs} ms, detection time ${down.detectionTimeMs} ms`);
  });
});
