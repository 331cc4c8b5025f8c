/**
 * Backpressure across connections. When the relay queues output faster than it can write it (its
 * own CPU is the bottleneck, not any one reader), every queue grows together; rather than let
 * healthy readers hit their queue bound and be dropped as slow, the relay stops reading input
 * until the backlog drains. One peer that does not read can hold only `perConnectionCap` of the
 * budget, so it cannot stall everyone; it meets its own queue bound instead.
 */

/** A relay-wide budget of bytes waiting to be written. */
export class SendBudget {
  readonly #highWater: number;
  readonly #lowWater: number;
  readonly perConnectionCap: number;
  #counted = 0;
  #waiters: (() => void)[] = [];

  constructor(options: { highWater: number; lowWater: number; perConnectionCap: number }) {
    if (options.lowWater > options.highWater) throw new RangeError("lowWater above highWater");
    this.#highWater = options.highWater;
    this.#lowWater = options.lowWater;
    this.perConnectionCap = options.perConnectionCap;
  }

  /** Bytes counted against the budget now. */
  get counted(): number {
    return this.#counted;
  }

  /** Whether input should wait: the backlog passed the high-water mark. */
  get congested(): boolean {
    return this.#counted >= this.#highWater;
  }

  /** Records a connection's queue going from `before` to `after` bytes. */
  track(before: number, after: number): void {
    const cap = this.perConnectionCap;
    this.#counted += Math.min(after, cap) - Math.min(before, cap);
    if (this.#counted <= this.#lowWater && this.#waiters.length > 0) {
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /** Resolves once the backlog is back under the low-water mark. */
  whenClear(): Promise<void> {
    if (this.#counted <= this.#lowWater) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
