import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electL2 } from '../../src/domain/election/elect.js';
import { VipProber, publishableVerdicts, tallyVerification, verificationFailures, type PeerReport } from '../../src/domain/l2/verification.js';
import { Membership, standaloneControlPlane } from '../../src/domain/membership/view.js';
import { ManualClock } from '../support/manual-clock.js';
import { assign, cluster, service } from '../election/builders.js';
import { internal } from '../membership/builders.js';

/*
 * The whole pure chain of issue 5 on one speaker's view: BFD states → Membership → SpeakerFacts,
 * probe replies → VipProber → published verdicts → tally → verificationFailed → electL2.
 */

const VIP = '192.168.1.240';
const names = ['n1', 'n2', 'n3'];

function electedFor(speakers: ReturnType<Membership['speakerFacts']>): string | null {
  const input = cluster(names, [assign(service('web'), [VIP])], { speakers, nodes: names.map((n, i) => internal(n, `10.0.0.${i + 1}`)) });
  return electL2(input)[0]!.node;
}

function setup(self: string) {
  const clock = new ManualClock();
  const view = new Membership(clock, { self, family: 4, controlPlane: standaloneControlPlane });
  view.setNodes(names.map((n, i) => internal(n, `10.0.0.${i + 1}`)));
  for (const n of names) if (n !== self) view.bfdStateChanged(n, 'Up');
  clock.advance(6_000);
  return { clock, view };
}

test('a VIP whose owner nobody hears moves to another node once a majority reports it, and loss alone does not move it', () => {
  const observer = setup('n1');
  const owner = electedFor(observer.view.speakerFacts());
  assert.ok(owner !== null);
  const voters = names.filter((n) => n !== owner);

  // Each voter probes the owner; nobody answers (AP proxy ARP drops requests for the VIP).
  const reports: PeerReport[] = voters.map((voter) => {
    const clock = new ManualClock();
    const prober = new VipProber({ clock, sendProbe: () => undefined });
    prober.setTargets([{ ip: VIP, owner, ownerMacs: new Set(['02:00:00:00:00:99']) }]);
    clock.advance(3_000);
    return { reporter: voter, receivedAtMs: observer.clock.now(), verdicts: publishableVerdicts(prober.verdicts(), new Set([owner])) };
  });

  // One voter misses and the other hears (a lossy probe, not a deaf AP): a tie, the VIP stays.
  const alive = new Set(names);
  const oneOfTwo = verificationFailures(tallyVerification({ reports: [reports[0]!, { reporter: voters[1]!, receivedAtMs: observer.clock.now(), verdicts: [{ ip: VIP, owner, heard: true }] }], alive, nowMs: observer.clock.now(), maxAgeMs: 3_000 }));
  assert.equal(electedFor(observer.view.speakerFacts(oneOfTwo)), owner, 'one miss against one hit does not move the VIP');

  const failures = verificationFailures(tallyVerification({ reports, alive, nowMs: observer.clock.now(), maxAgeMs: 3_000 }));
  const moved = electedFor(observer.view.speakerFacts(failures));
  assert.ok(moved !== null && moved !== owner, `the VIP moved from ${owner} to ${moved}`);
});

test('a dead owner loses its VIP to the next node at the moment BFD reports it down', () => {
  const { view } = setup('n1');
  const owner = electedFor(view.speakerFacts());
  assert.ok(owner !== null);
  const observer = owner === 'n1' ? setup('n2') : { view };
  observer.view.bfdStateChanged(owner, 'Down');
  const next = electedFor(observer.view.speakerFacts());
  assert.ok(next !== null && next !== owner);
});
