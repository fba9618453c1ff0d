import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOSS_FLOOR,
  LossMeter,
  MIN_WINDOW_SAMPLES,
  SPEAKER_BFD_DEFAULTS,
  adaptiveDetectMult,
  chooseDetectMult,
  lossUpperBound,
  meanJitter,
  packetsInGap,
} from '../../src/domain/bfd/adaptive.js';
import { SimulatedPair, seededRandom } from './pair.js';

const choose = (lossRate: number, samples = 0, intervalMs = 20, maxDetectionMs = 1000) =>
  chooseDetectMult({ lossRate, samples, intervalMs, minDetectMult: 3, maxDetectionMs, target: 1e-7 });

describe('loss-adaptive Detect Mult', () => {
  it('picks the smallest multiplier with loss^mult at or below the target', () => {
    // ln(1e-7)/ln(0.05) = 5.38 → 6; 0.05^6 = 1.6e-8 ≤ 1e-7 < 0.05^5 = 3.1e-7.
    assert.deepEqual(choose(0.05), { detectMult: 6, reason: 'loss', lossBound: 0.05, detectionMs: 120 });
    // ln(1e-7)/ln(0.1) = 7 exactly: 0.1^7 meets the target, so 7 and not 8.
    assert.equal(choose(0.1).detectMult, 7);
    assert.equal(choose(0.01).detectMult, 4);
  });

  it('never goes below the minimum, and a clean link keeps it', () => {
    assert.deepEqual(choose(0, 10_000), { detectMult: 3, reason: 'minimum', lossBound: LOSS_FLOOR, detectionMs: 60 });
  });

  it('caps the multiplier so the detection time stays within the maximum', () => {
    const c = choose(0.3, 0, 50, 450);
    assert.equal(c.detectMult, 9);
    assert.equal(c.reason, 'capped-by-max-detection');
    assert.equal(c.detectionMs, 450);
    assert.equal(choose(1).reason, 'capped-by-max-detection');
  });

  it('plans for more loss than measured when the measurement is small', () => {
    assert.ok(lossUpperBound(0.05, 100) > lossUpperBound(0.05, 10_000));
    assert.ok(Math.abs(lossUpperBound(0.05, 10_000) - (0.05 + 2 * Math.sqrt((0.05 * 0.95) / 10_000))) < 1e-12);
    assert.equal(lossUpperBound(0, 50), LOSS_FLOOR);
  });

  it('counts the packets a gap stands for from the peer’s mean jittered interval', () => {
    const mean = 50 * meanJitter(3);
    assert.equal(mean, 43.75);
    // One interval at 75 % and at 100 % jitter, two intervals at both extremes, three at both.
    assert.deepEqual([37.5, 50, 75, 100, 112.5, 150].map((g) => packetsInGap(g, mean)), [1, 1, 2, 2, 3, 3]);
    assert.equal(meanJitter(1), 0.825);
  });

  it('does not read a delayed packet that arrives bunched with the next one as loss', () => {
    const mean = 43.75;
    // Sent at 0, 43.75, 87.5; the middle one held up 30 ms and arrives 0.5 ms before the third.
    assert.equal(packetsInGap(73.75, mean) + packetsInGap(13.75, mean), 2);
    const meter = new LossMeter();
    let t = 0;
    meter.record(t, mean);
    for (let i = 0; i < 100; i++) {
      meter.record((t += i % 10 === 0 ? mean + 30 : i % 10 === 1 ? mean - 30 : mean), mean);
    }
    assert.equal(meter.long().lossRate, 0);
  });

  it('measures 1 lost packet in 10 expected as 10 % loss and slides its windows', () => {
    const meter = new LossMeter(20, 5);
    let t = 0;
    meter.record(t, 10);
    for (let i = 0; i < 8; i++) meter.record((t += 10), 10);
    meter.record((t += 20), 10); // one packet missing
    assert.deepEqual(meter.long(), { expected: 10, received: 9, lossRate: 0.1 });
    assert.equal(meter.short().expected, 6);
    for (let i = 0; i < 20; i++) meter.record((t += 10), 10);
    assert.deepEqual(meter.long(), { expected: 20, received: 20, lossRate: 0 }, 'the loss slid out of the window');
    meter.reset();
    assert.deepEqual(meter.long(), { expected: 0, received: 0, lossRate: 0 });
  });

  it('plans for the longest Detection Time until a first window is measured, wired or wireless', () => {
    const meter = new LossMeter();
    const options = { wireless: false, maxDetectionMs: SPEAKER_BFD_DEFAULTS.maxDetectionMs };
    for (const wireless of [false, true]) {
      const c = adaptiveDetectMult(meter, 50, { ...options, wireless });
      assert.deepEqual([c.detectMult, c.reason, c.detectionMs], [9, 'unmeasured', 450], `nothing measured, wireless ${wireless}`);
    }
    let t = 0;
    meter.record(t, 50);
    for (let i = 0; i < MIN_WINDOW_SAMPLES - 1; i++) meter.record((t += 50), 50);
    assert.equal(adaptiveDetectMult(meter, 50, options).reason, 'unmeasured', `${MIN_WINDOW_SAMPLES - 1} expected packets are not a window yet`);
    meter.record((t += 50), 50);
    assert.equal(adaptiveDetectMult(meter, 50, options).detectMult, 3, 'a clean first window on a wired link: the minimum');
  });

  it('keeps a wireless uplink at the multiplier for 5 % loss until it has measured enough', () => {
    const meter = new LossMeter();
    const options = { wireless: true, maxDetectionMs: SPEAKER_BFD_DEFAULTS.maxDetectionMs };
    let t = 0;
    meter.record(t, 50);
    for (let i = 0; i < 100; i++) meter.record((t += 50), 50);
    assert.equal(adaptiveDetectMult(meter, 50, options).detectMult, 6, '100 clean packets do not yet outweigh the wireless prior');
    assert.equal(adaptiveDetectMult(meter, 50, { ...options, wireless: false }).detectMult, 3);
    for (let i = 0; i < 300; i++) meter.record((t += 50), 50);
    assert.equal(adaptiveDetectMult(meter, 50, options).detectMult, 3, 'a clean measurement replaces the prior');
  });

  it('raises the advertised Detect Mult through a Poll Sequence when the link starts losing packets', () => {
    const lossy = { on: false };
    const random = seededRandom(5);
    const adaptive = { wireless: false, maxDetectionMs: 450 };
    const config = (discr: number) => ({ localDiscriminator: discr, desiredMinTxMs: 50, requiredMinRxMs: 50, detectMult: 3, adaptive });
    const pair = new SimulatedPair(config(1), config(2), { drop: () => lossy.on && random() < 0.1 });
    pair.start();
    pair.clock.advance(30_000);
    assert.equal(pair.a.session.state, 'Up');
    assert.equal(pair.a.session.detectMult, 3);
    lossy.on = true;
    pair.clock.advance(30_000);
    assert.ok(pair.a.session.detectMult >= 7, `Detect Mult ${pair.a.session.detectMult} after 30 s at 10 % loss`);
    assert.ok(pair.a.sent.some((s) => s.packet.poll && s.packet.detectMult === pair.a.session.detectMult));
    assert.equal(pair.b.session.detectionTimeMs, pair.a.session.detectMult * 50, 'the peer applies the new multiplier');
    lossy.on = false;
    pair.clock.advance(120_000);
    assert.equal(pair.a.session.detectMult, 3, 'back to the minimum once the loss has slid out of the window');
  });
});
