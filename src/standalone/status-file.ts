import type { Clock, Timer } from '../domain/clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { writeJsonAtomic } from '../io/state-file.js';

/**
 * Keeps a JSON status file in step with the speaker, for tests, the lab demo and the doctor, which
 * read what it is doing without parsing logs. Every change marks the status dirty; a write happens
 * at most every `minIntervalMs` (a claim of 1,000 VIPs is 1,000 changes, not 1,000 writes), one at
 * a time, and always with the latest snapshot. Changes of counters alone (every answered request)
 * wait up to `countersIntervalMs`, so steady traffic costs one write a second, not ten on an SD card.
 * Writes are atomic (write, fsync, rename), so a reader never sees half a file.
 */
export interface StatusWriterOptions {
  readonly path: string;
  readonly snapshot: () => unknown;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly minIntervalMs?: number;
  readonly countersIntervalMs?: number;
}

export class StatusWriter {
  private readonly path: string;
  private readonly snapshot: () => unknown;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly minIntervalMs: number;
  private readonly countersIntervalMs: number;
  private timer: Timer | null = null;
  private timerDue = Infinity;
  private writing: Promise<void> | null = null;
  private dirty = false;
  private lastWriteAt = -Infinity;

  constructor(options: StatusWriterOptions) {
    this.path = options.path;
    this.snapshot = options.snapshot;
    this.clock = options.clock;
    this.log = options.logger;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.countersIntervalMs = options.countersIntervalMs ?? 1000;
  }

  /** Something changed: schedule a write. */
  changed(): void {
    this.schedule(this.minIntervalMs);
  }

  /** Only counters changed: schedule a write, later. */
  countersChanged(): void {
    this.schedule(this.countersIntervalMs);
  }

  private schedule(intervalMs: number): void {
    this.dirty = true;
    if (this.writing !== null) return;
    const now = this.clock.now();
    const due = Math.max(now, this.lastWriteAt + intervalMs);
    if (this.timer !== null && this.timerDue <= due) return;
    this.cancelTimer();
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerDue = Infinity;
      void this.write();
    }, due - now);
  }

  /** Writes the latest snapshot now (after any write in flight) and cancels the pending one. */
  async flush(): Promise<void> {
    this.cancelTimer();
    if (this.writing !== null) await this.writing;
    // The write that just finished may have scheduled another; this one supersedes it.
    this.cancelTimer();
    this.dirty = true;
    await this.write();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerDue = Infinity;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastWriteAt = this.clock.now();
    this.writing = writeJsonAtomic(this.path, this.snapshot()).catch((err: unknown) => {
      this.log.warn('cannot write the status file', { path: this.path, error: describeError(err) });
    });
    await this.writing;
    this.writing = null;
    if (this.dirty) this.changed();
  }
}
