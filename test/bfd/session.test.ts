import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manual-clock.js';
import { BfdSession, BfdSessionConfigError, SLOW_TX_US, type BfdSessionConfig } from '../../src/domain/bfd/session.js';
import { BfdDiag, BfdState, type BfdControlPacket } from '../../src/proto/bfd/control.js';
import { SimulatedPair } from './pair.js';

const cfg = (discr: number, over: Partial<BfdSessionConfig> = {}): BfdSessionConfig => ({
  localDiscriminator: discr,
  desiredMinTxMs: 50,
  requiredMinRxMs: 50,
  detectMult: 3,
  ...over,
});

/** A session driven by hand: the test plays the peer and reads what the session sent. */
function lone(config: BfdSessionConfig, random: () => number = () => 0.5) {
  const clock = new ManualClock();
  const sent: { atMs: number; packet: BfdControlPacket }[] = [];
  const changes: string[] = [];
  const session = new BfdSession(config, {
    clock,
    random,
    send: (packet) => sent.push({ atMs: clock.now(), packet }),
    onStateChange: (c) => changes.push(`${c.from}->${c.to}/${c.diag}`),
  });
  return { clock, sent, changes, session };
}

const peer = (over: Partial<BfdControlPacket> = {}): BfdControlPacket => ({
  diag: 0,
  state: BfdState.down,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscriminator: 99,
  yourDiscriminator: 0,
  desiredMinTxUs: 50_000,
  requiredMinRxUs: 50_000,
  requiredMinEchoRxUs: 0,
  ...over,
});

describe('BFD session state machine (RFC 5880 §6.8)', () => {
  it('brings two sessions Up through Down → Init → Up and then speeds up to the configured rate', () => {
    const pair = new SimulatedPair(cfg(1), cfg(2));
    pair.start();
    const took = pair.runUntil(() => pair.a.session.state === 'Up' && pair.b.session.state === 'Up', 5000);
    assert.ok(took >= 0, 'both sides reach Up');
    assert.deepEqual(
      pair.a.changes.map((c) => c.to),
      ['Init', 'Up'],
    );
    assert.equal(pair.b.changes.at(-1)?.to, 'Up');
    // Before Up every packet advertised the §6.8.3 slow rate.
    const beforeUp = pair.a.sent.filter((s) => s.packet.state !== BfdState.up);
    assert.ok(beforeUp.every((s) => s.packet.desiredMinTxUs === SLOW_TX_US));
    pair.clock.advance(2000);
    assert.equal(pair.a.session.pollInProgress, false, 'the Poll Sequence for the new rate ended');
    assert.equal(pair.a.session.txIntervalMs, 50);
    assert.equal(pair.a.session.detectionTimeMs, 150);
    const last = pair.a.sent.slice(-10);
    for (let i = 1; i < last.length; i++) {
      const gap = last[i]!.atMs - last[i - 1]!.atMs;
      assert.ok(gap >= 37 && gap <= 50, `gap ${gap} ms is 75–100 % of 50 ms`);
    }
  });

  it('declares the peer Down with Diag 1 within the Detection Time after its packets stop', () => {
    const pair = new SimulatedPair(cfg(1), cfg(2));
    pair.start();
    pair.runUntil(() => pair.a.session.state === 'Up' && pair.b.session.state === 'Up', 5000);
    pair.clock.advance(2000);
    pair.cut.ba = true;
    const took = pair.runUntil(() => pair.a.session.state === 'Down', 1000);
    assert.ok(took > 0 && took <= 151, `A went Down after ${took} ms (detection 150 ms + 1 ms latency)`);
    assert.equal(pair.a.session.diag, BfdDiag.controlDetectionTimeExpired);
    assert.equal(pair.a.session.remoteDiscriminator, 0, '§6.8.1: RemoteDiscr resets on expiry');
    // A fell back to the 1 s slow rate, so B, which expects a packet every 50 ms, times out too.
    assert.ok(pair.runUntil(() => pair.b.session.state === 'Down', 200) >= 0);
    assert.equal(pair.b.session.diag, BfdDiag.controlDetectionTimeExpired);
  });

  it('goes Down with Diag 3 when an Up peer reports Down', () => {
    const { session } = lone(cfg(7));
    session.start();
    session.receive(peer());
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7 }));
    assert.equal(session.state, 'Up');
    session.receive(peer({ state: BfdState.down, yourDiscriminator: 7 }));
    assert.equal(session.state, 'Down');
    assert.equal(session.diag, BfdDiag.neighborSignaledSessionDown);
  });

  it('comes back Up after the link heals', () => {
    const pair = new SimulatedPair(cfg(1), cfg(2));
    pair.start();
    pair.runUntil(() => pair.a.session.state === 'Up', 5000);
    pair.cut = { ab: true, ba: true };
    pair.runUntil(() => pair.a.session.state === 'Down' && pair.b.session.state === 'Down', 2000);
    pair.cut = { ab: false, ba: false };
    assert.ok(pair.runUntil(() => pair.a.session.state === 'Up' && pair.b.session.state === 'Up', 5000) >= 0);
  });

  it('jitters periodic transmission to 75–100 %, and 75–90 % with Detect Mult 1 (§6.8.7)', () => {
    for (const [mult, r, expected] of [
      [3, 0, 750],
      [3, 0.999999, 1000],
      [1, 0.999999, 900],
    ] as const) {
      const { clock, sent, session } = lone(cfg(1, { detectMult: mult }), () => r);
      session.start();
      clock.advance(5000);
      const gap = sent[2]!.atMs - sent[1]!.atMs;
      assert.ok(Math.abs(gap - expected) < 1, `mult ${mult}, random ${r}: gap ${gap}, want ${expected}`);
    }
  });

  it('discards packets that fail the §6.8.6 reception checks, saying why', () => {
    const { clock, session } = lone(cfg(7));
    session.start();
    clock.advance(1);
    assert.deepEqual(session.receive(peer({ detectMult: 0 })), { accepted: false, reason: 'zero-detect-mult' });
    assert.deepEqual(session.receive(peer({ multipoint: true })), { accepted: false, reason: 'multipoint' });
    assert.deepEqual(session.receive(peer({ myDiscriminator: 0 })), { accepted: false, reason: 'zero-my-discriminator' });
    assert.deepEqual(session.receive(peer({ yourDiscriminator: 8 })), { accepted: false, reason: 'wrong-your-discriminator' });
    assert.deepEqual(session.receive(peer({ state: BfdState.up })), { accepted: false, reason: 'zero-your-discriminator-while-not-down' });
    assert.deepEqual(session.receive(peer({ auth: { type: 1, keyId: 0, data: Buffer.from('x') } })), {
      accepted: false,
      reason: 'authentication-not-configured',
    });
    assert.equal(session.state, 'Down', 'no discarded packet moved the state');
    assert.equal(session.remoteDiscriminator, 0);
    assert.deepEqual(session.receive(peer({ yourDiscriminator: 7 })), { accepted: true });
    assert.equal(session.state, 'Init');
  });

  it('answers a Poll at once with Final and without Poll (§6.5)', () => {
    const { clock, sent, session } = lone(cfg(7));
    session.start();
    clock.advance(10);
    const before = sent.length;
    session.receive(peer({ poll: true }));
    assert.equal(sent.length, before + 1);
    const reply = sent.at(-1)!.packet;
    assert.equal(reply.final, true);
    assert.equal(reply.poll, false);
    assert.equal(reply.yourDiscriminator, 99);
  });

  it('keeps the old, faster TX interval until the Final when slowing down while Up (§6.8.3)', () => {
    const { clock, sent, session } = lone(cfg(7));
    // The peer's Detect Mult 50 keeps the silent peer from timing out during the test.
    session.start();
    session.receive(peer());
    session.receive(peer({ state: BfdState.up, detectMult: 50, yourDiscriminator: 7 }));
    assert.equal(session.state, 'Up');
    session.receive(peer({ state: BfdState.up, detectMult: 50, yourDiscriminator: 7, final: true }));
    assert.equal(session.pollInProgress, false);
    assert.equal(session.txIntervalMs, 50);

    session.setParameters({ desiredMinTxMs: 300 });
    assert.equal(session.pollInProgress, true);
    assert.equal(session.txIntervalMs, 50, 'the slower rate waits for the Final');
    clock.advance(100);
    const polled = sent.at(-1)!.packet;
    assert.equal(polled.poll, true);
    assert.equal(polled.desiredMinTxUs, 300_000, 'the packet already advertises the new value');
    session.receive(peer({ state: BfdState.up, detectMult: 50, yourDiscriminator: 7, final: true }));
    assert.equal(session.pollInProgress, false);
    assert.equal(session.txIntervalMs, 300);
    const count = sent.length;
    clock.advance(400);
    assert.ok(sent.length > count);
    assert.equal(sent.at(-1)!.packet.poll, false, 'packets after the Final carry no Poll');
  });

  it('polls again when the parameters change while a Poll Sequence is running', () => {
    const { session } = lone(cfg(7));
    session.start();
    session.receive(peer());
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7, final: true }));
    session.setParameters({ desiredMinTxMs: 200 });
    session.setParameters({ desiredMinTxMs: 400 });
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7, final: true }));
    assert.equal(session.pollInProgress, true, 'the first Final may answer the older Poll');
    assert.equal(session.txIntervalMs, 50);
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7, final: true }));
    assert.equal(session.pollInProgress, false);
    assert.equal(session.txIntervalMs, 400);
  });

  it('uses the remote Detect Mult × max(local RequiredMinRx, remote DesiredMinTx) as Detection Time (§6.8.4)', () => {
    const { session } = lone(cfg(7, { requiredMinRxMs: 30 }));
    session.start();
    session.receive(peer({ detectMult: 5, desiredMinTxUs: 80_000 }));
    assert.equal(session.detectionTimeMs, 400);
    session.receive(peer({ detectMult: 4, desiredMinTxUs: 10_000, yourDiscriminator: 7, state: BfdState.init }));
    assert.equal(session.detectionTimeMs, 120);
  });

  it('goes Down with Diag 3 when the peer signals AdminDown, and sends Diag 7 when itself set AdminDown', () => {
    const { clock, sent, session, changes } = lone(cfg(7));
    session.start();
    session.receive(peer());
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7 }));
    session.receive(peer({ state: BfdState.adminDown, yourDiscriminator: 7 }));
    assert.equal(session.state, 'Down');
    assert.equal(session.diag, BfdDiag.neighborSignaledSessionDown);
    session.setAdminDown();
    clock.advance(1100);
    const last = sent.at(-1)!.packet;
    assert.equal(last.state, BfdState.adminDown);
    assert.equal(last.diag, BfdDiag.administrativelyDown);
    assert.deepEqual(session.receive(peer({ yourDiscriminator: 7 })), { accepted: false, reason: 'admin-down' });
    session.setAdminUp();
    assert.deepEqual(changes, ['Down->Init/0', 'Init->Up/0', 'Up->Down/3', 'Down->AdminDown/7', 'AdminDown->Down/0']);
  });

  it('stays silent in the passive role until the peer has spoken (§6.1)', () => {
    const { clock, sent, session } = lone(cfg(7, { passive: true }));
    session.start();
    clock.advance(5000);
    assert.equal(sent.length, 0);
    session.receive(peer());
    clock.advance(1000);
    assert.ok(sent.length >= 1);
    assert.equal(sent[0]!.packet.state, BfdState.init);
  });

  it('stops periodic transmission when the peer asks for Required Min RX 0 (§6.8.7)', () => {
    const { clock, sent, session } = lone(cfg(7));
    session.start();
    session.receive(peer({ requiredMinRxUs: 0 }));
    const count = sent.length;
    clock.advance(5000);
    assert.equal(sent.length, count);
  });

  it('rejects configurations that cannot go on the wire', () => {
    const clock = new ManualClock();
    const deps = { clock, random: () => 0, send: () => undefined };
    assert.throws(() => new BfdSession(cfg(0), deps), BfdSessionConfigError);
    assert.throws(() => new BfdSession(cfg(1, { detectMult: 0 }), deps), BfdSessionConfigError);
    assert.throws(() => new BfdSession(cfg(1, { desiredMinTxMs: 0 }), deps), BfdSessionConfigError);
  });

  it('tells the peer with one AdminDown packet on shutdown() and then falls silent', () => {
    const { clock, sent, session } = lone(cfg(7));
    session.start();
    session.receive(peer());
    session.receive(peer({ state: BfdState.up, yourDiscriminator: 7 }));
    assert.equal(session.remoteState, 'Up');
    // Our Detect Mult 3 × max(peer's Required Min RX 50 ms, our 50 ms) once Up.
    assert.equal(session.remoteDetectionTimeMs, 150);
    session.shutdown();
    const last = sent.at(-1)!;
    assert.equal(last.atMs, clock.now(), 'sent at once, not at the next periodic slot');
    assert.equal(last.packet.state, BfdState.adminDown);
    assert.equal(last.packet.diag, BfdDiag.administrativelyDown);
    const count = sent.length;
    clock.advance(5000);
    assert.equal(sent.length, count);
  });

  it('sends nothing and ignores packets after stop()', () => {
    const { clock, sent, session } = lone(cfg(7));
    session.start();
    clock.advance(10);
    session.stop();
    const count = sent.length;
    clock.advance(5000);
    assert.equal(sent.length, count);
    assert.deepEqual(session.receive(peer()), { accepted: false, reason: 'stopped' });
  });
});
