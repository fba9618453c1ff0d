/**
 * Loss-adaptive detection for BFD between speakers (docs/bfd.md has the math and figures).
 *
 * In asynchronous mode the Detection Time a system applies is the REMOTE Detect Mult times the
 * agreed interval (RFC 5880 §6.8.4). So a system protects its peer's view of itself: it measures
 * the loss of the packets it receives and advertises a Detect Mult high enough that the peer will
 * not time out on that loss. Between two airlb speakers (and on a WiFi link, where loss is roughly
 * symmetric) each side therefore ends up tolerating the loss of its own link.
 *
 * A false detection needs every packet of one detection window lost. With independent loss p and
 * Detect Mult m that is at most p^m per window (the peer's 75–100 % jitter of §6.8.7 only puts
 * more packets in the window, so p^m is an upper bound). We pick the smallest m with
 * p^m ≤ target, using an upper confidence bound on p, and cap m so that m × interval stays within
 * the maximum detection time.
 */

/** What the smallest choice is; RFC 5880 leaves the default to implementations, 3 is common. */
export const DEFAULT_MIN_DETECT_MULT = 3;
/**
 * Per-window false-detection probability we accept. A new window starts with every packet, so at
 * 50 ms (20 windows/s) 1e-7 allows one false detection per ~6 days of loss at the planned rate,
 * and the planned rate is an upper bound on the measured one (see lossUpperBound).
 */
export const DEFAULT_FALSE_DETECTION_TARGET = 1e-7;
/**
 * Timers for BFD between airlb speakers (issue 5): 3 × 50 ms = 150 ms on a clean link, and never
 * more than 450 ms however lossy, leaving room under the 500 ms failover budget for latency.
 */
export const SPEAKER_BFD_DEFAULTS = {
  desiredMinTxMs: 50,
  requiredMinRxMs: 50,
  detectMult: DEFAULT_MIN_DETECT_MULT,
  maxDetectionMs: 450,
} as const;

/** A loss rate assumed before a wireless uplink has been measured. */
export const WIRELESS_PRIOR_LOSS = 0.05;
/** A loss rate the estimate never goes below: a clean window proves little about rare bursts. */
export const LOSS_FLOOR = 1e-3;
/** Expected packets a window needs before its measurement is used. */
export const MIN_WINDOW_SAMPLES = 50;
/** How many standard errors above the measured loss the bound sits. */
const CONFIDENCE_Z = 2;

export interface DetectMultInput {
  /** Measured or assumed packet loss in [0, 1]. */
  readonly lossRate: number;
  /** Packets the measurement is based on; 0 when `lossRate` is a prior, not a measurement. */
  readonly samples: number;
  /** The interval the peer applies to us: max(its RequiredMinRx, our DesiredMinTx), in ms. */
  readonly intervalMs: number;
  readonly minDetectMult: number;
  /** Upper bound on mult × interval. */
  readonly maxDetectionMs: number;
  readonly target: number;
}

export type DetectMultReason = 'minimum' | 'loss' | 'capped-by-max-detection' | 'unmeasured';

export interface DetectMultChoice {
  readonly detectMult: number;
  readonly reason: DetectMultReason;
  /** The loss rate the choice was made for (measured plus confidence margin, floored). */
  readonly lossBound: number;
  /** detectMult × intervalMs. */
  readonly detectionMs: number;
}

/** The loss rate to plan for: the measurement plus CONFIDENCE_Z standard errors, floored. */
export function lossUpperBound(lossRate: number, samples: number): number {
  const p = Math.min(1, Math.max(0, lossRate));
  const margin = samples > 0 ? CONFIDENCE_Z * Math.sqrt((p * (1 - p)) / samples) : 0;
  return Math.min(1, Math.max(LOSS_FLOOR, p + margin));
}

/** The smallest Detect Mult m (≥ minDetectMult) with lossBound^m ≤ target, capped by maxDetectionMs and 255. */
export function chooseDetectMult(input: DetectMultInput): DetectMultChoice {
  const lossBound = lossUpperBound(input.lossRate, input.samples);
  // Detect Mult is one octet (RFC 5880 §4.1) and must be non-zero.
  const cap = Math.max(1, Math.min(255, Math.floor(input.maxDetectionMs / input.intervalMs)));
  const needed = lossBound >= 1 ? Infinity : Math.ceil(Math.log(input.target) / Math.log(lossBound) - 1e-9);
  let detectMult = Math.max(input.minDetectMult, needed);
  let reason: DetectMultReason = needed > input.minDetectMult ? 'loss' : 'minimum';
  if (detectMult > cap) {
    detectMult = cap;
    reason = 'capped-by-max-detection';
  }
  return { detectMult, reason, lossBound, detectionMs: detectMult * input.intervalMs };
}

/**
 * How many packets the peer sent during a gap between two arrivals. BFD Control packets carry no
 * sequence number, so the count comes from the gap over the peer's mean interval (its nominal
 * interval times the mean §6.8.7 jitter: 0.875 for 75–100 %, 0.825 for 75–90 % at Detect Mult 1).
 * Rounding is exact for gaps up to 3 packets, which is where loss below detection lives. A gap
 * under half the mean cannot come from the sender (its jitter never goes below 75 %): it is a
 * packet that was held up and arrived bunched with the next, whose longer gap already counted it,
 * so it stands for no further packet. Without this, scheduling hiccups would read as loss.
 */
export function packetsInGap(gapMs: number, meanIntervalMs: number): number {
  if (gapMs < meanIntervalMs / 2) return 0;
  return Math.max(1, Math.round(gapMs / meanIntervalMs));
}

/** The mean fraction of the nominal interval a §6.8.7-jittered sender waits. */
export function meanJitter(peerDetectMult: number): number {
  return peerDetectMult === 1 ? 0.825 : 0.875;
}

export interface LossWindow {
  readonly expected: number;
  readonly received: number;
  readonly lossRate: number;
}

/**
 * Expected vs received Control packets over a sliding window of the last `capacity` gaps, plus a
 * short window of the last `shortCapacity` gaps so the onset of loss is seen within seconds while
 * the long window keeps the estimate from dropping at the first clean stretch.
 */
export class LossMeter {
  private readonly gaps: number[] = [];
  private head = 0;
  private lastArrivalMs: number | undefined;

  constructor(
    private readonly capacity = 1000,
    private readonly shortCapacity = 250,
  ) {}

  /** Forgets everything (the peer's interval changed, or the session left Up). */
  reset(): void {
    this.gaps.length = 0;
    this.head = 0;
    this.lastArrivalMs = undefined;
  }

  /** Records one received packet at `nowMs`, the peer sending every `meanIntervalMs` on average. */
  record(nowMs: number, meanIntervalMs: number): void {
    if (this.lastArrivalMs !== undefined) {
      const expected = packetsInGap(nowMs - this.lastArrivalMs, meanIntervalMs);
      if (this.gaps.length < this.capacity) this.gaps.push(expected);
      else {
        this.gaps[this.head] = expected;
        this.head = (this.head + 1) % this.capacity;
      }
    }
    this.lastArrivalMs = nowMs;
  }

  /** The long-window estimate. */
  long(): LossWindow {
    return summarize(this.gaps);
  }

  /** The most recent `shortCapacity` gaps. */
  short(): LossWindow {
    const n = Math.min(this.shortCapacity, this.gaps.length);
    const recent: number[] = [];
    // The newest entry sits just before `head` once the ring has wrapped, at the end before that.
    const newest = this.gaps.length < this.capacity ? this.gaps.length - 1 : (this.head - 1 + this.capacity) % this.capacity;
    for (let i = 0; i < n; i++) recent.push(this.gaps[(newest - i + this.capacity) % this.capacity]!);
    return summarize(recent);
  }
}

function summarize(gaps: readonly number[]): LossWindow {
  let expected = 0;
  for (const g of gaps) expected += g;
  const received = gaps.length;
  // Extra packets (a Final answering our Poll) can make received exceed expected: that is no loss.
  return { expected, received, lossRate: expected === 0 ? 0 : Math.max(0, (expected - received) / expected) };
}

export interface AdaptiveOptions {
  /** The link is wireless: plan for WIRELESS_PRIOR_LOSS until enough has been measured. */
  readonly wireless: boolean;
  readonly maxDetectionMs: number;
  readonly minDetectMult?: number;
  readonly target?: number;
  /** Expected packets before a measurement replaces the prior (default 200). */
  readonly minSamples?: number;
}

/**
 * The Detect Mult to advertise now: the longest Detection Time allowed until a first window has
 * been measured, then the worst of the short window, the long window and, while fewer than
 * `minSamples` packets have been expected, the prior.
 */
export function adaptiveDetectMult(meter: LossMeter, intervalMs: number, options: AdaptiveOptions): DetectMultChoice {
  const base = {
    intervalMs,
    minDetectMult: options.minDetectMult ?? DEFAULT_MIN_DETECT_MULT,
    maxDetectionMs: options.maxDetectionMs,
    target: options.target ?? DEFAULT_FALSE_DETECTION_TARGET,
  };
  // Nothing measured yet: the session is coming Up, or back Up (the meter resets when it leaves
  // Up). Its loss is unknown, so plan for the worst the budget allows until MIN_WINDOW_SAMPLES
  // have been expected (~2 s at 50 ms). A flap here is the costliest kind — it restarts the peer's
  // hold (src/domain/membership/hysteresis.ts) on one speaker and not on the others, so their
  // elections disagree — and slow detection here costs no failover: a peer that just came Up is
  // held out of the election for 5 s anyway. Measured in the lab at 5 % loss per node port with
  // the minimum (3 × 50 ms) in that phase: sessions went Down within a second of coming Up.
  if (meter.long().expected < MIN_WINDOW_SAMPLES) {
    const cap = chooseDetectMult({ ...base, lossRate: 1, samples: 0 });
    return { ...cap, reason: 'unmeasured' };
  }
  const candidates: DetectMultChoice[] = [];
  // A window counts once it holds MIN_WINDOW_SAMPLES: one loss in the first handful of packets
  // says little and would pin the multiplier at its cap for the whole decrease hold.
  for (const w of [meter.long(), meter.short()]) {
    if (w.expected >= MIN_WINDOW_SAMPLES) candidates.push(chooseDetectMult({ ...base, lossRate: w.lossRate, samples: w.expected }));
  }
  // Until enough has been measured the prior stays a floor: a wireless link is not trusted to be
  // clean on the strength of a few seconds, while heavy early loss still raises the choice.
  if (meter.long().expected < (options.minSamples ?? 200)) {
    candidates.push(chooseDetectMult({ ...base, lossRate: options.wireless ? WIRELESS_PRIOR_LOSS : 0, samples: 0 }));
  }
  return candidates.reduce((worst, c) => (c.detectMult > worst.detectMult ? c : worst));
}
