import type { Clock, Timer } from '../../src/domain/clock.js';

/** A Clock whose time moves only when the test says so; timers fire in due order. */
export class ManualClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = this.seq++;
    this.pending.set(id, { at: this.current + Math.max(0, ms), fn });
    return { cancel: () => void this.pending.delete(id) };
  }

  /** Advances time by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.pending) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId < 0) break;
      const timer = this.pending.get(nextId)!;
      this.pending.delete(nextId);
      this.current = timer.at;
      timer.fn();
    }
    this.current = target;
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
