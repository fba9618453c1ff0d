/**
 * The one source of time for the pure core. Domain code never reads Date.now() or sets timers
 * itself: it is handed a Clock, so tests drive timers deterministically with a manual clock.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer;
}
