import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manual-clock.js';
import { Membership, kubernetesControlPlane, standaloneControlPlane, type MemberStatus } from '../../src/domain/membership/view.js';
import { internal, nodeAt } from './builders.js';

const nodes = [internal('a', '10.0.0.1'), internal('b', '10.0.0.2'), internal('c', '10.0.0.3', { 'airlb.io/uplink': 'wired' })];

function setup(options: { controlPlane?: typeof standaloneControlPlane } = {}) {
  const clock = new ManualClock();
  let changes = 0;
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: options.controlPlane ?? standaloneControlPlane }, () => changes++);
  const change = view.setNodes(nodes);
  return { clock, view, change, changes: () => changes };
}

function byNode(view: Membership): Record<string, Pick<MemberStatus, 'alive' | 'reason'>> {
  return Object.fromEntries(view.members().map((m) => [m.node, { alive: m.alive, reason: m.reason }]));
}

test('setNodes asks for one session per other node at its InternalIP', () => {
  const { change } = setup();
  assert.deepEqual(change.added, [
    { node: 'b', address: '10.0.0.2' },
    { node: 'c', address: '10.0.0.3' },
  ]);
  assert.deepEqual(change.removed, []);
});

test('a node whose address changed gets its session replaced, a node gone gets its session removed', () => {
  const { view } = setup();
  const change = view.setNodes([internal('a', '10.0.0.1'), internal('b', '10.0.0.22')]);
  assert.deepEqual(change.added, [{ node: 'b', address: '10.0.0.22' }]);
  assert.deepEqual(change.removed, [
    { node: 'b', address: '10.0.0.2' },
    { node: 'c', address: '10.0.0.3' },
  ]);
});

test('during the startup grace peers are judged by the control plane and this speaker announces nothing', () => {
  const { view } = setup();
  assert.equal(view.mode(), 'starting');
  assert.deepEqual(byNode(view), {
    a: { alive: false, reason: 'self-starting' },
    b: { alive: true, reason: 'control-plane-fallback' },
    c: { alive: true, reason: 'control-plane-fallback' },
  });
});

test('sessions Up for the base hold make the peers and this speaker alive', () => {
  const { clock, view, changes } = setup();
  clock.advance(1_500);
  view.bfdStateChanged('b', 'Up');
  view.bfdStateChanged('c', 'Up');
  clock.advance(4_999);
  assert.deepEqual(byNode(view).b, { alive: false, reason: 'bfd-held' });
  assert.equal(view.mode(), 'starting');
  const before = changes();
  clock.advance(1);
  assert.ok(changes() > before, 'the hold expiring is notified without any new event');
  assert.equal(view.mode(), 'bfd');
  assert.deepEqual(byNode(view), {
    a: { alive: true, reason: 'self' },
    b: { alive: true, reason: 'bfd-up' },
    c: { alive: true, reason: 'bfd-up' },
  });
});

test('a session going Down makes its peer dead at once and notifies', () => {
  const { clock, view, changes } = setup();
  view.bfdStateChanged('b', 'Up');
  view.bfdStateChanged('c', 'Up');
  clock.advance(6_000);
  const before = changes();
  view.bfdStateChanged('b', 'Down');
  assert.equal(changes(), before + 1);
  assert.deepEqual(byNode(view).b, { alive: false, reason: 'bfd-down' });
  assert.equal(view.speakerFacts().find((s) => s.node === 'b')?.alive, false);
});

test('a flapping peer waits longer after each flap before it counts as alive again', () => {
  const { clock, view } = setup();
  view.bfdStateChanged('b', 'Up');
  view.bfdStateChanged('c', 'Up');
  clock.advance(6_000);
  const holds: number[] = [];
  for (let i = 0; i < 4; i++) {
    view.bfdStateChanged('b', 'Down');
    clock.advance(1_000);
    view.bfdStateChanged('b', 'Init');
    view.bfdStateChanged('b', 'Up');
    const status = view.members().find((m) => m.node === 'b')!;
    assert.equal(status.reason, 'bfd-held');
    holds.push(status.aliveAtMs! - clock.now());
    clock.advance(500);
  }
  assert.deepEqual(holds, [5_000, 10_000, 20_000, 40_000]);
  assert.equal(view.members().find((m) => m.node === 'b')!.recentFlaps, 4);
  clock.advance(40_000 - 500);
  assert.deepEqual(byNode(view).b, { alive: true, reason: 'bfd-up' });
});

test('a peer whose session never came Up is dead after the grace when BFD works with others', () => {
  const { clock, view } = setup();
  view.bfdStateChanged('b', 'Up');
  clock.advance(5_000);
  assert.deepEqual(byNode(view).c, { alive: false, reason: 'bfd-down' });
  assert.equal(view.mode(), 'bfd');
});

test('when BFD never comes Up with any peer the control plane decides, and the mode says so', () => {
  const { clock, view, changes } = setup();
  clock.advance(5_000);
  assert.ok(changes() >= 1);
  assert.equal(view.mode(), 'control-plane-fallback');
  assert.deepEqual(byNode(view), {
    a: { alive: true, reason: 'self' },
    b: { alive: true, reason: 'control-plane-fallback' },
    c: { alive: true, reason: 'control-plane-fallback' },
  });
});

test('in the Kubernetes fallback a node that is not Ready is down', () => {
  const clock = new ManualClock();
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: kubernetesControlPlane });
  const ready = [{ type: 'Ready', status: 'True' as const }];
  view.setNodes([
    nodeAt('a', [{ type: 'InternalIP', address: '10.0.0.1' }], { conditions: ready }),
    nodeAt('b', [{ type: 'InternalIP', address: '10.0.0.2' }], { conditions: ready }),
    nodeAt('c', [{ type: 'InternalIP', address: '10.0.0.3' }], { conditions: [{ type: 'Ready', status: 'Unknown' }] }),
  ]);
  clock.advance(5_000);
  assert.deepEqual(byNode(view).b, { alive: true, reason: 'control-plane-fallback' });
  assert.deepEqual(byNode(view).c, { alive: false, reason: 'control-plane-down' });
});

test('a peer without an address of our family is always judged by the control plane', () => {
  const clock = new ManualClock();
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: standaloneControlPlane });
  const change = view.setNodes([internal('a', '10.0.0.1'), internal('b', '10.0.0.2'), nodeAt('v6', [{ type: 'InternalIP', address: 'fd00::3' }])]);
  assert.deepEqual(change.added.map((p) => p.node), ['b']);
  view.bfdStateChanged('b', 'Up');
  clock.advance(6_000);
  assert.deepEqual(byNode(view).v6, { alive: true, reason: 'control-plane-fallback' });
  assert.equal(view.members().find((m) => m.node === 'v6')!.bfd, null);
});

test('a speaker with no peer is alive at once', () => {
  const clock = new ManualClock();
  const view = new Membership(clock, { self: 'a', family: 4, controlPlane: standaloneControlPlane });
  assert.equal(view.mode(), 'starting');
  view.setNodes([internal('a', '10.0.0.1')]);
  assert.equal(view.mode(), 'single-node');
  assert.deepEqual(byNode(view), { a: { alive: true, reason: 'self' } });
});

test('a speaker that lost every session stays alive and takes over the dead peers', () => {
  const { clock, view } = setup();
  view.bfdStateChanged('b', 'Up');
  view.bfdStateChanged('c', 'Up');
  clock.advance(6_000);
  view.bfdStateChanged('b', 'Down');
  view.bfdStateChanged('c', 'Down');
  assert.deepEqual(byNode(view), {
    a: { alive: true, reason: 'self' },
    b: { alive: false, reason: 'bfd-down' },
    c: { alive: false, reason: 'bfd-down' },
  });
});

test('speakerFacts carries the uplink label and the failed verifications of each node', () => {
  const { clock, view } = setup();
  view.bfdStateChanged('b', 'Up');
  view.bfdStateChanged('c', 'Up');
  clock.advance(6_000);
  const facts = view.speakerFacts(new Map([['b', new Set(['192.168.1.240'])]]));
  assert.deepEqual(
    facts.map((f) => ({ node: f.node, alive: f.alive, uplink: f.uplink, failed: [...f.verificationFailed] })),
    [
      { node: 'a', alive: true, uplink: 'unknown', failed: [] },
      { node: 'b', alive: true, uplink: 'unknown', failed: ['192.168.1.240'] },
      { node: 'c', alive: true, uplink: 'wired', failed: [] },
    ],
  );
});

test('stop cancels the pending timer', () => {
  const { clock, view } = setup();
  assert.ok(clock.pendingCount > 0);
  view.stop();
  assert.equal(clock.pendingCount, 0);
});
