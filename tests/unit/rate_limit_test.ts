import assert from "node:assert/strict";
import { KeyedBuckets, TokenBucket } from "../../relay/rate_limit.ts";

Deno.test("TokenBucket.take() allows the burst, then says how long to wait", () => {
  const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, 0);
  assert.deepEqual([bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0)], [0, 0, 0]);
  assert.equal(bucket.take(1, 0), 500);
  assert.equal(bucket.take(1, 499), 2, "waiting does not cost tokens");
  assert.equal(bucket.take(1, 500), 0);
  assert.equal(bucket.take(1, 500), 500);
});

Deno.test("TokenBucket refills up to its burst and no further", () => {
  const bucket = new TokenBucket({ perSecond: 1, burst: 2 }, 0);
  bucket.take(2, 0);
  assert.equal(bucket.full(60_000), true);
  assert.deepEqual([bucket.take(1, 60_000), bucket.take(1, 60_000)], [0, 0]);
  assert.equal(bucket.take(1, 60_000), 1_000);
});

Deno.test("TokenBucket.take() counts a cost above the burst as the whole burst", () => {
  const bucket = new TokenBucket({ perSecond: 100, burst: 1_000 }, 0);
  assert.equal(bucket.take(5_000, 0), 0);
  assert.equal(bucket.take(1, 0), 10);
});

Deno.test("TokenBucket.waitFor() tells without taking", () => {
  const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, 0);
  assert.equal(bucket.waitFor(1, 0), 0);
  assert.equal(bucket.waitFor(1, 0), 0);
  assert.equal(bucket.take(1, 0), 0);
  assert.equal(bucket.waitFor(1, 0), 1_000);
});

Deno.test("TokenBucket refuses a rate that could never pass anything", () => {
  assert.throws(() => new TokenBucket({ perSecond: 0, burst: 1 }, 0), RangeError);
  assert.throws(() => new TokenBucket({ perSecond: 1, burst: 0 }, 0), RangeError);
});

Deno.test("KeyedBuckets keeps one bucket per key and forgets full ones", () => {
  const buckets = new KeyedBuckets({ perSecond: 1, burst: 1 });
  assert.equal(buckets.take("a", 1, 0), 0);
  assert.equal(buckets.take("a", 1, 0), 1_000);
  assert.equal(buckets.take("b", 1, 0), 0, "another key has its own bucket");
  buckets.forgetIdle(500);
  assert.equal(buckets.size, 2);
  buckets.forgetIdle(1_000);
  assert.equal(buckets.size, 0, "refilled buckets are forgotten");
});
