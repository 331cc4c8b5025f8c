import assert from "node:assert/strict";
import {
  ADDRESS_FORGIVE_MS,
  GuessGuard,
  MAX_ADDRESS_DELAY_MS,
  MAX_ROOM_DELAY_MS,
} from "../../relay/guess_guard.ts";

const LIMITS = { perAddress: 5, perRoom: 20 };

Deno.test("GuessGuard lets an address miss its burst, then refuses it for a doubling delay", () => {
  const guard = new GuessGuard(LIMITS, { now: 0, log: () => {} });
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(guard.check("10.0.0.1", "ops", 0), { kind: "judge" });
    guard.miss("10.0.0.1", "ops", "ops", 0);
  }
  assert.deepEqual(guard.check("10.0.0.1", "ops", 0), { kind: "judge" }, "the burst is 5 misses");
  guard.miss("10.0.0.1", "ops", "ops", 0);
  assert.deepEqual(guard.check("10.0.0.1", "ops", 0), { kind: "refuse", retryAfterMs: 1_000 });
  assert.deepEqual(guard.check("10.0.0.2", "ops", 0), { kind: "judge" }, "other addresses pass");
  guard.miss("10.0.0.1", "ops", "ops", 1_000);
  assert.deepEqual(guard.check("10.0.0.1", "lab", 1_000), { kind: "refuse", retryAfterMs: 2_000 });
  for (let i = 0; i < 30; i++) guard.miss("10.0.0.1", "ops", "ops", 1_000);
  const verdict = guard.check("10.0.0.1", "ops", 1_000);
  assert.deepEqual(verdict, { kind: "refuse", retryAfterMs: MAX_ADDRESS_DELAY_MS });
});

Deno.test("GuessGuard forgives one miss of an address per forgiveness period", () => {
  const guard = new GuessGuard(LIMITS, { now: 0, log: () => {} });
  for (let i = 0; i < 6; i++) guard.miss("10.0.0.1", "ops", "ops", 0);
  const later = 6 * ADDRESS_FORGIVE_MS;
  assert.deepEqual(guard.check("10.0.0.1", "ops", later), { kind: "judge" });
  guard.miss("10.0.0.1", "ops", "ops", later);
  assert.deepEqual(guard.check("10.0.0.1", "ops", later), { kind: "judge" }, "back to 1 miss");
});

Deno.test("GuessGuard holds a room's verdicts once misses from many addresses pass its burst", () => {
  const guard = new GuessGuard(LIMITS, { now: 0, log: () => {} });
  for (let i = 0; i < 20; i++) guard.miss(`10.0.${i}.1`, "ops", "ops", 0);
  assert.deepEqual(guard.check("10.9.9.9", "ops", 0), { kind: "judge" });
  guard.miss("10.0.20.1", "ops", "ops", 0);
  assert.deepEqual(guard.check("10.9.9.9", "ops", 0), { kind: "hold", delayMs: 1_000 });
  assert.deepEqual(guard.check("10.9.9.9", "lab", 0), { kind: "judge" }, "other rooms pass");
  for (let i = 0; i < 30; i++) guard.miss(`10.1.${i}.1`, "ops", "ops", 0);
  assert.deepEqual(guard.check("10.9.9.9", "ops", 0), { kind: "hold", delayMs: MAX_ROOM_DELAY_MS });
});

Deno.test("GuessGuard logs the first wrong passphrase per room, then one summary a minute", () => {
  const lines: string[] = [];
  const guard = new GuessGuard(LIMITS, { now: 0, log: (line) => lines.push(line) });
  for (let i = 0; i < 500; i++) guard.miss(`10.0.${i % 7}.1`, "ops", "ops", i);
  guard.miss("10.0.0.1", "lab", "lab", 600);
  assert.equal(lines.length, 2);
  guard.sweep(30_000);
  assert.equal(lines.length, 2, "no summary before the minute is up");
  guard.sweep(60_000);
  assert.deepEqual(lines.slice(2), [
    `500 wrong passphrase(s) for "ops" from 7 address(es) in the last minute`,
  ]);
  guard.sweep(120_000);
  assert.equal(lines.length, 3);
});

Deno.test("GuessGuard forgets addresses and rooms whose misses are all forgiven", () => {
  const guard = new GuessGuard(LIMITS, { now: 0, log: () => {} });
  for (let i = 0; i < 1_000; i++) guard.miss(`10.${i >> 8}.${i & 255}.1`, "ops", "ops", 0);
  guard.sweep(24 * 3600_000);
  assert.deepEqual(guard.check("10.0.0.1", "ops", 24 * 3600_000), { kind: "judge" });
});
