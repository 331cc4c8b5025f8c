/**
 * Time as the client core sees it: the wall clock and timers, passed in so that tests of waiting
 * (reconnect backoff, rate-limit holds, the replay rules) advance time instead of sleeping.
 */

/** A cancellable timer. */
export interface Timer {
  cancel(): void;
}

/** The clock and timers the client core uses. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, after `ms`. */
  after(ms: number, callback: () => void): Timer;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  after(ms, callback) {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}
