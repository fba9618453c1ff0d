/**
 * BFD under random loss, simulated (pure sessions on a ManualClock, no sockets): two speakers at
 * 50 ms, independent frame loss 0/1/5/10 % in each direction, 10 simulated minutes per case. Counts
 * false Down transitions (no node failed), then cuts the link and measures how long each side
 * takes to declare the other Down. Adaptive Detect Mult (src/domain/bfd/adaptive.ts) against the
 * fixed multiplier 3. Prints one JSON object.
 *
 * Run: node --import tsx bench/bfd-loss.ts [--minutes N] [--seeds N]
 */
import os from 'node:os';
import type { BfdSessionConfig } from '../src/domain/bfd/session.js';
import { SPEAKER_BFD_DEFAULTS } from '../src/domain/bfd/adaptive.js';
import { SimulatedPair, seededRandom } from '../test/bfd/pair.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const minutes = flag('--minutes', 10);
const seeds = flag('--seeds', 5);
const INTERVAL_MS = SPEAKER_BFD_DEFAULTS.desiredMinTxMs;
const MAX_DETECTION_MS = SPEAKER_BFD_DEFAULTS.maxDetectionMs;
const LOSSES = [0, 0.01, 0.05, 0.1];

type Mode = 'fixed-3' | 'adaptive' | 'adaptive-wireless';

function config(discr: number, mode: Mode): BfdSessionConfig {
  const base = { localDiscriminator: discr, desiredMinTxMs: INTERVAL_MS, requiredMinRxMs: INTERVAL_MS, detectMult: 3 };
  if (mode === 'fixed-3') return base;
  return { ...base, adaptive: { wireless: mode === 'adaptive-wireless', maxDetectionMs: MAX_DETECTION_MS } };
}

interface Run {
  falseDowns: number;
  detectionMs: number[];
  finalDetectMult: number;
}

function runOnce(mode: Mode, loss: number, seed: number): Run {
  const lossRandom = seededRandom(seed * 7919 + 17);
  const pair = new SimulatedPair(config(1, mode), config(2, mode), { seed, latencyMs: 1, drop: () => lossRandom() < loss });
  pair.start();
  // Bring the session up on a clean link, then let the loss act for the measured period.
  const up = () => pair.a.session.state === 'Up' && pair.b.session.state === 'Up';
  if (pair.runUntil(up, 10_000) < 0) throw new Error(`${mode} at ${loss}: sessions did not come up`);
  const countDowns = () => [...pair.a.changes, ...pair.b.changes].filter((c) => c.to === 'Down').length;
  const baseDowns = countDowns();
  pair.clock.advance(minutes * 60_000);
  const falseDowns = countDowns() - baseDowns;
  // Real failure: both directions cut at a random phase; time until each side says Down.
  if (!up()) pair.runUntil(up, 10_000);
  pair.clock.advance(Math.floor(lossRandom() * INTERVAL_MS));
  const finalDetectMult = pair.a.session.detectMult;
  pair.cut = { ab: true, ba: true };
  const detectionMs: number[] = [];
  const start = pair.clock.now();
  const seen = { a: false, b: false };
  while (pair.clock.now() - start < 5000 && !(seen.a && seen.b)) {
    pair.clock.advance(1);
    for (const side of ['a', 'b'] as const) {
      if (!seen[side] && pair[side].session.state === 'Down') {
        seen[side] = true;
        detectionMs.push(pair.clock.now() - start);
      }
    }
  }
  return { falseDowns, detectionMs, finalDetectMult };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const result: Record<string, unknown>[] = [];
for (const mode of ['fixed-3', 'adaptive', 'adaptive-wireless'] as const) {
  for (const loss of LOSSES) {
    let falseDowns = 0;
    const detections: number[] = [];
    const mults: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const run = runOnce(mode, loss, seed);
      falseDowns += run.falseDowns;
      detections.push(...run.detectionMs);
      mults.push(run.finalDetectMult);
    }
    result.push({
      mode,
      lossPercent: loss * 100,
      simulatedMinutes: minutes * seeds,
      falseDownTransitions: falseDowns,
      detectionMs: { median: median(detections), max: Math.max(...detections), samples: detections.length },
      detectMultAtFailure: { min: Math.min(...mults), max: Math.max(...mults) },
    });
  }
}

console.log(
  JSON.stringify(
    {
      benchmark: 'bfd-loss',
      method: `two BfdSessions on a ManualClock, ${INTERVAL_MS} ms TX/RX, 1 ms latency, independent random loss per packet each way; ${minutes} simulated minutes × ${seeds} seeds per case; false downs counted after the session first came Up; then both directions cut at a random phase and the time to Down measured on each side`,
      inputs: { intervalMs: INTERVAL_MS, maxDetectionMs: MAX_DETECTION_MS, lossPercent: LOSSES.map((l) => l * 100), minutes, seeds },
      result,
      machine: { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}` },
    },
    null,
    2,
  ),
);
