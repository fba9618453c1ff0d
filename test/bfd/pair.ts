import { ManualClock } from '../support/manual-clock.js';
import { BfdSession, type BfdSessionConfig, type BfdStateChange } from '../../src/domain/bfd/session.js';
import { decodeControl, encodeControl, type BfdControlPacket } from '../../src/proto/bfd/control.js';
import { seededRandom } from '../support/prng.js';

export { seededRandom };

export interface Side {
  readonly session: BfdSession;
  readonly changes: BfdStateChange[];
  readonly sent: { atMs: number; packet: BfdControlPacket }[];
}

/**
 * Two sessions joined by a simulated link on one ManualClock: every packet goes through the codec
 * and arrives `latencyMs` later unless `drop()` says it is lost or the direction is cut.
 */
export class SimulatedPair {
  readonly clock = new ManualClock();
  readonly a: Side;
  readonly b: Side;
  /** Set to true to cut a direction (a→b or b→a). */
  cut = { ab: false, ba: false };

  constructor(
    configA: BfdSessionConfig,
    configB: BfdSessionConfig,
    options: { seed?: number; latencyMs?: number; drop?: () => boolean } = {},
  ) {
    const random = seededRandom(options.seed ?? 1);
    const latency = options.latencyMs ?? 1;
    const drop = options.drop ?? (() => false);
    const make = (config: BfdSessionConfig, deliver: (wire: Buffer) => void): Side => {
      const changes: BfdStateChange[] = [];
      const sent: { atMs: number; packet: BfdControlPacket }[] = [];
      const session = new BfdSession(config, {
        clock: this.clock,
        random,
        send: (packet) => {
          sent.push({ atMs: this.clock.now(), packet });
          deliver(encodeControl(packet));
        },
        onStateChange: (c) => changes.push(c),
      });
      return { session, changes, sent };
    };
    this.a = make(configA, (wire) => {
      if (this.cut.ab || drop()) return;
      this.clock.setTimeout(() => this.b.session.receive(decodeControl(wire)), latency);
    });
    this.b = make(configB, (wire) => {
      if (this.cut.ba || drop()) return;
      this.clock.setTimeout(() => this.a.session.receive(decodeControl(wire)), latency);
    });
  }

  start(): void {
    this.a.session.start();
    this.b.session.start();
  }

  /** Advances in 1 ms steps until `done()` or `limitMs` passes; returns the elapsed time or -1. */
  runUntil(done: () => boolean, limitMs: number): number {
    const start = this.clock.now();
    while (this.clock.now() - start < limitMs) {
      if (done()) return this.clock.now() - start;
      this.clock.advance(1);
    }
    return done() ? this.clock.now() - start : -1;
  }
}
