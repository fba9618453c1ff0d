import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { L2Announcement, SpeakerFacts } from '../../src/domain/election/types.js';
import type { VipTally } from '../../src/domain/l2/verification.js';
import type { MembershipStatus } from '../../src/io/membership-runtime.js';
import { handovers, newFailures, notHeardMessage } from '../../src/k8s/handovers.js';
import { registerMembershipMetrics } from '../../src/metrics/membership-metrics.js';

// What the Kubernetes speaker counts and reports when VIPs change hands: the reason per handover
// (airlb_l2_failovers_total), new verification failures (counter and the notHeard Event).

const at = (ip: string, node: string | null, service = 'default/web'): L2Announcement => ({
  ip,
  service,
  pool: 'home',
  node,
  allInterfaces: true,
  interfaces: [],
  reason: node === null ? 'no-eligible-node' : 'elected',
});
const speaker = (node: string, alive: boolean, failed: string[] = []): SpeakerFacts => ({ node, alive, uplink: 'wired', verificationFailed: new Set(failed) });
const tally = (ip: string, owner: string, failed: boolean, unheard: string[] = ['pi3'], heard: string[] = []): VipTally => ({ ip, owner, heard, unheard, failed });

describe('handovers between elections', () => {
  it('names why each VIP left its owner: dead owner, announcement not heard, or anything else', () => {
    const before = [at('192.168.1.200', 'pi1'), at('192.168.1.201', 'pi2'), at('192.168.1.202', 'pi3'), at('192.168.1.203', 'pi1'), at('192.168.1.204', null)];
    const after = [at('192.168.1.200', 'pi2'), at('192.168.1.201', 'pi3'), at('192.168.1.202', 'pi1'), at('192.168.1.203', 'pi1'), at('192.168.1.204', 'pi2')];
    const speakers = [speaker('pi1', false), speaker('pi2', true, ['192.168.1.201']), speaker('pi3', true)];
    assert.deepEqual(
      handovers(before, after, speakers).map((h) => `${h.ip} ${h.from}->${h.to} ${h.reason}`),
      ['192.168.1.200 pi1->pi2 owner-down', '192.168.1.201 pi2->pi3 not-heard', '192.168.1.202 pi3->pi1 reelected'],
      'unchanged owners and VIPs nobody announced before are no handover',
    );
  });

  it('counts an owner missing from the speakers (its Node deleted) as down, and a withdrawn VIP as no handover', () => {
    assert.deepEqual(
      handovers([at('192.168.1.200', 'gone')], [at('192.168.1.200', 'pi1')], [speaker('pi1', true)]).map((h) => h.reason),
      ['owner-down'],
    );
    assert.deepEqual(handovers([at('192.168.1.200', 'pi1')], [at('192.168.1.200', null)], [speaker('pi1', false)]), []);
  });

  it('reports each verification failure once, and again only after it cleared', () => {
    let seen: ReadonlySet<string> = new Set();
    const step = (tallies: VipTally[]): string[] => {
      const r = newFailures(seen, tallies);
      seen = r.failed;
      return r.fresh.map((t) => `${t.ip}@${t.owner}`);
    };
    assert.deepEqual(step([tally('192.168.1.200', 'pi2', true), tally('192.168.1.201', 'pi1', false)]), ['192.168.1.200@pi2']);
    assert.deepEqual(step([tally('192.168.1.200', 'pi2', true)]), []);
    assert.deepEqual(step([tally('192.168.1.200', 'pi2', false)]), []);
    assert.deepEqual(step([tally('192.168.1.200', 'pi2', true)]), ['192.168.1.200@pi2']);
  });

  it('says in the notHeard message who did not hear the owner and who did', () => {
    assert.equal(
      notHeardMessage(tally('192.168.1.200', 'pi2', true, ['pi1', 'pi3'], [])),
      'announcements of 192.168.1.200 from node "pi2" are not heard on the LAN (not heard by pi1, pi3; heard by none); it moves to another candidate when one exists',
    );
  });
});

describe('membership metrics', () => {
  it('exposes BFD state per peer as RFC 5880 numbers, peers up, the mode, and the two counters', async () => {
    const registry = new Registry();
    let status: MembershipStatus | null = null;
    const { failovers, verificationFailures } = registerMembershipMetrics(registry, { node: 'pi1', status: () => status });
    const before = await registry.metrics();
    assert.doesNotMatch(before, /airlb_membership_bfd_session_state\{/, 'no series while membership does not run');
    assert.match(before, /airlb_l2_failovers_total\{reason="owner-down"\} 0/);
    const member = (node: string, alive: boolean, bfd: MembershipStatus['members'][number]['bfd'], address: string | null) => ({ node, address, alive, bfd, reason: 'bfd-up' as const, aliveAtMs: null, recentFlaps: 0 });
    status = {
      mode: 'bfd',
      members: [member('pi1', true, null, null), member('pi2', true, 'Up', '192.168.1.12'), member('pi3', false, 'Down', '192.168.1.13'), member('pi4', false, 'Init', '192.168.1.14')],
      probes: [],
      verification: [],
    };
    failovers.inc({ reason: 'not-heard' });
    verificationFailures.inc();
    const text = await registry.metrics();
    assert.match(text, /airlb_membership_bfd_session_state\{peer="pi2",address="192.168.1.12"\} 3/);
    assert.match(text, /airlb_membership_bfd_session_state\{peer="pi3",address="192.168.1.13"\} 1/);
    assert.match(text, /airlb_membership_bfd_session_state\{peer="pi4",address="192.168.1.14"\} 2/);
    assert.doesNotMatch(text, /peer="pi1"/, 'this speaker has no session with itself');
    assert.match(text, /airlb_membership_peers_up 1\n/);
    assert.match(text, /airlb_membership_mode\{mode="bfd"\} 1/);
    assert.match(text, /airlb_l2_failovers_total\{reason="not-heard"\} 1/);
    assert.match(text, /airlb_l2_verification_failures_total 1/);
  });
});
