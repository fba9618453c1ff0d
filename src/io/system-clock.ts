import type { Clock, Timer } from '../domain/clock.js';

/** The real clock: monotonic time from performance.now(), timers from Node's event loop. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};
