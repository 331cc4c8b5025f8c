/**
 * A latency histogram with logarithmic buckets (64 per doubling, so a percentile is within about
 * 1.1 % of the true value) and the exact maximum. Recording is O(1) and allocation-free, so the
 * load process can record millions of deliveries without becoming the bottleneck.
 */

const BUCKETS_PER_DOUBLING = 64;
/** Covers 1 µs to 2^28 µs (about 4.5 minutes); anything longer lands in the last bucket. */
const BUCKET_COUNT = 28 * BUCKETS_PER_DOUBLING + 1;

/** Percentiles of a histogram, in milliseconds; null when nothing was recorded. */
export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

/** Records durations in milliseconds. */
export class Histogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #sum = 0;
  #max = 0;

  record(ms: number): void {
    const micros = ms * 1000;
    const index = micros < 1
      ? 0
      : Math.min(BUCKET_COUNT - 1, 1 + Math.floor(Math.log2(micros) * BUCKETS_PER_DOUBLING));
    this.#counts[index]! += 1;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** The value below which `fraction` of the recordings fall, in milliseconds. */
  percentile(fraction: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(fraction * this.#count));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.#counts[index]!;
      if (seen >= rank) return Math.min(this.#max, bucketMidpointMs(index));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    const empty = this.#count === 0;
    return {
      count: this.#count,
      p50Ms: this.percentile(0.5),
      p99Ms: this.percentile(0.99),
      maxMs: empty ? null : this.#max,
      meanMs: empty ? null : this.#sum / this.#count,
    };
  }
}

function bucketMidpointMs(index: number): number {
  if (index === 0) return 0.0005;
  return 2 ** ((index - 0.5) / BUCKETS_PER_DOUBLING) / 1000;
}
