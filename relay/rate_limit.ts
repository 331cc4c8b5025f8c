/**
 * Token buckets, alone and keyed by address or room, with the time passed in: a bucket holds up
 * to `burst` tokens and refills at `perSecond`; taking more than it holds says how long to wait.
 * Keyed buckets forget keys whose bucket is full again, so their memory stays bounded by how many
 * keys were active recently, not by how many were ever seen.
 */

/** A sustained rate and the burst allowed above it. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** One token bucket. */
export class TokenBucket {
  readonly #rate: Rate;
  #tokens: number;
  #updatedAt: number;

  constructor(rate: Rate, now: number) {
    if (!(rate.perSecond > 0 && rate.burst >= 1)) {
      throw new RangeError(
        `A rate needs perSecond > 0 and burst >= 1, got ${JSON.stringify(rate)}`,
      );
    }
    this.#rate = rate;
    this.#tokens = rate.burst;
    this.#updatedAt = now;
  }

  /**
   * Takes `cost` tokens (at most the burst) and returns 0, or takes nothing and returns the
   * milliseconds until `cost` will be there.
   */
  take(cost: number, now: number): number {
    const wait = this.waitFor(cost, now);
    if (wait === 0) this.#tokens -= Math.min(cost, this.#rate.burst);
    return wait;
  }

  /** Milliseconds until `cost` tokens (at most the burst) are there; 0 when they are now. */
  waitFor(cost: number, now: number): number {
    this.#refill(now);
    const needed = Math.min(cost, this.#rate.burst);
    if (this.#tokens >= needed) return 0;
    return Math.ceil((needed - this.#tokens) / this.#rate.perSecond * 1_000);
  }

  /** Whether the bucket has refilled completely by `now`, so forgetting it changes nothing. */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#rate.burst;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(
      this.#rate.burst,
      this.#tokens + elapsed * this.#rate.perSecond / 1_000,
    );
    this.#updatedAt = now;
  }
}

/** Token buckets by key (an address, a room), created full on first use. */
export class KeyedBuckets {
  readonly #rate: Rate;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(rate: Rate) {
    this.#rate = rate;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** As `TokenBucket.take`, for the bucket of `key`. */
  take(key: string, cost: number, now: number): number {
    return this.#bucket(key, now).take(cost, now);
  }

  /** As `TokenBucket.waitFor`, for the bucket of `key`. */
  waitFor(key: string, cost: number, now: number): number {
    return this.#buckets.get(key)?.waitFor(cost, now) ?? 0;
  }

  #bucket(key: string, now: number): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#rate, now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Forgets keys whose buckets are full again. */
  forgetIdle(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.full(now)) this.#buckets.delete(key);
    }
  }
}
