import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tallyVerification, verificationFailures, type PeerReport } from '../../src/domain/l2/verification.js';

const VIP = '192.168.1.240';
const report = (reporter: string, heard: boolean, owner = 'wifi', receivedAtMs = 0): PeerReport => ({ reporter, receivedAtMs, verdicts: [{ ip: VIP, owner, heard }] });
const alive = new Set(['wifi', 'wired1', 'wired2', 'wired3']);

test('a VIP fails for its owner when unheard votes outnumber heard ones', () => {
  const tallies = tallyVerification({ reports: [report('wired1', false), report('wired2', false), report('wired3', true)], alive, nowMs: 0, maxAgeMs: 3_000 });
  assert.deepEqual(tallies, [{ ip: VIP, owner: 'wifi', heard: ['wired3'], unheard: ['wired1', 'wired2'], failed: true }]);
  assert.deepEqual(verificationFailures(tallies), new Map([['wifi', new Set([VIP])]]));
});

test('a tie does not fail the VIP: loss alone must not move it', () => {
  const tallies = tallyVerification({ reports: [report('wired1', false), report('wired2', true)], alive, nowMs: 0, maxAgeMs: 3_000 });
  assert.equal(tallies[0]!.failed, false);
  assert.equal(verificationFailures(tallies).size, 0);
});

test('in a two-node cluster the single other speaker decides', () => {
  const tallies = tallyVerification({ reports: [report('wired1', false)], alive, nowMs: 0, maxAgeMs: 3_000 });
  assert.equal(tallies[0]!.failed, true);
});

test('the owner cannot vote on its own VIP, dead speakers and stale reports do not count', () => {
  const tallies = tallyVerification({
    reports: [report('wifi', true, 'wifi'), report('gone', false), report('wired1', false, 'wifi', -3_001), report('wired2', true)],
    alive,
    nowMs: 0,
    maxAgeMs: 3_000,
  });
  assert.deepEqual(tallies, [{ ip: VIP, owner: 'wifi', heard: ['wired2'], unheard: [], failed: false }]);
});

test('every speaker given the same reports reaches the same failed set, whatever their order', () => {
  const reports = [report('wired1', false), report('wired2', false), report('wired3', true), { reporter: 'wifi', receivedAtMs: 0, verdicts: [{ ip: '192.168.1.241', owner: 'wired1', heard: true }] }];
  const a = verificationFailures(tallyVerification({ reports, alive, nowMs: 0, maxAgeMs: 3_000 }));
  const b = verificationFailures(tallyVerification({ reports: [...reports].reverse(), alive, nowMs: 0, maxAgeMs: 3_000 }));
  assert.deepEqual(a, b);
  assert.deepEqual(a, new Map([['wifi', new Set([VIP])]]));
});
