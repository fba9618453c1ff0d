import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manual-clock.js';
import { Membership, standaloneControlPlane } from '../../src/domain/membership/view.js';
import { internal } from './builders.js';

// When this speaker starts counting itself alive (src/domain/membership/view.ts, latchSelf): not
// while it still holds out a peer whose session came Up later, or both would elect themselves.
const nodes = [internal('a', '10.0.0.1'), internal('b', '10.0.0.2'), internal('c', '10.0.0.3')];

function setup() {
  const clock = new ManualClock();
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: standaloneControlPlane });
  view.setNodes(nodes);
  const self = () => view.members().find((m) => m.node === 'a')!;
  return { clock, view, self };
}

test('waits for a session that came Up later to pass its hold too, so its first election counts the same peers as theirs', () => {
  const { clock, view, self } = setup();
  clock.advance(1_000);
  view.bfdStateChanged('c', 'Up');
  clock.advance(1_700); // the session with b lost a slow-start packet: Up 1.7 s later
  view.bfdStateChanged('b', 'Up');
  clock.advance(3_300); // c has been Up for the base hold (5 s), b only for 3.3 s
  assert.equal(self().reason, 'self-starting', 'b is still held: electing now would leave b out, and b would leave this speaker out');
  clock.advance(1_700);
  assert.equal(self().reason, 'self');
  assert.deepEqual(
    view.members().map((m) => [m.node, m.alive]),
    [['a', true], ['b', true], ['c', true]],
    'alive together with every peer it has a session with',
  );
});

test('a session that never comes Up does not hold this speaker back', () => {
  const { clock, view, self } = setup();
  view.bfdStateChanged('c', 'Up');
  clock.advance(5_000);
  assert.equal(self().reason, 'self');
});

test('a session that leaves Up while held holds nothing back, and one that comes back Up holds it one base hold at most', () => {
  const { clock, view, self } = setup();
  view.bfdStateChanged('c', 'Up');
  clock.advance(4_000);
  view.bfdStateChanged('b', 'Up');
  clock.advance(1_000);
  assert.equal(self().reason, 'self-starting', 'c settled, b Up for 1 s');
  view.bfdStateChanged('b', 'Down');
  assert.equal(self().reason, 'self', 'b went Down: only settled sessions are Up');
});

test('with a session still held it is not alive, and the moment that session settles it is, with no new event', () => {
  const clock = new ManualClock();
  let changes = 0;
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: standaloneControlPlane }, () => changes++);
  view.setNodes(nodes);
  view.bfdStateChanged('c', 'Up');
  clock.advance(2_000);
  view.bfdStateChanged('b', 'Up');
  clock.advance(4_999);
  const before = changes;
  assert.equal(view.mode(), 'starting', 'c settled 2 s ago, b has 1 ms to go');
  clock.advance(1);
  assert.ok(changes > before, 'notified by the timer when b settled');
  assert.equal(view.mode(), 'bfd');
});
