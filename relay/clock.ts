/**
 * The relay's sense of time. Timestamps (a message's ts, a name hold's expiry) follow the system
 * clock, but a jump of the system clock (a wrong clock set right, a VM restored from a snapshot)
 * must not make the relay delete history or time everyone out: `SteadyClock` follows the system
 * clock while it agrees with the monotonic clock and keeps counting from the monotonic clock when
 * it jumps. Deadlines use the monotonic clock alone. Both clocks come in as functions, so tests
 * move time by hand.
 */

/** Where the relay reads time: the system clock (ms since the epoch) and a monotonic one (ms). */
export interface Clocks {
  wall(): number;
  monotonic(): number;
}

/** The real clocks. */
export const SYSTEM_CLOCKS: Clocks = {
  wall: () => Date.now(),
  monotonic: () => performance.now(),
};

/** How far the system clock may drift from the monotonic one before it counts as a jump. */
export const CLOCK_JUMP_MS = 60_000;

/** The system clock, minus its jumps. */
export class SteadyClock {
  readonly #clocks: Clocks;
  readonly #log: (line: string) => void;
  #anchorWall: number;
  #anchorMonotonic: number;
  #jumped = false;

  constructor(clocks: Clocks, log: (line: string) => void) {
    this.#clocks = clocks;
    this.#log = log;
    this.#anchorWall = clocks.wall();
    this.#anchorMonotonic = clocks.monotonic();
  }

  /** Whether the system clock has jumped since the relay started. */
  get jumped(): boolean {
    return this.#jumped;
  }

  /**
   * Milliseconds since the epoch: the system clock while it keeps step with the monotonic clock;
   * after a jump, the last agreeing reading plus the monotonic time since, until the relay
   * restarts (a clock set right by hand cannot be told from one set wrong).
   */
  now(): number {
    const monotonic = this.#clocks.monotonic();
    const expected = this.#anchorWall + (monotonic - this.#anchorMonotonic);
    if (!this.#jumped) {
      const wall = this.#clocks.wall();
      if (Math.abs(wall - expected) <= CLOCK_JUMP_MS) {
        this.#anchorWall = wall;
        this.#anchorMonotonic = monotonic;
        return wall;
      }
      this.#jumped = true;
      const minutes = Math.round((wall - expected) / 60_000);
      this.#log(
        `the system clock jumped ${minutes >= 0 ? "forward" : "back"} by ${Math.abs(minutes)} ` +
          `min; timestamps keep counting from before the jump until the relay restarts`,
      );
    }
    return Math.round(expected);
  }
}
