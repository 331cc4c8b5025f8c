import assert from "node:assert/strict";
import { CLOCK_JUMP_MS, SteadyClock } from "../../relay/clock.ts";

function fakeClocks(wall: number) {
  const clocks = { wallAt: wall, monotonicAt: 0 };
  return {
    clocks,
    source: { wall: () => clocks.wallAt, monotonic: () => clocks.monotonicAt },
    advance(ms: number) {
      clocks.wallAt += ms;
      clocks.monotonicAt += ms;
    },
  };
}

Deno.test("SteadyClock follows the system clock while it keeps step", () => {
  const fake = fakeClocks(1_700_000_000_000);
  const clock = new SteadyClock(fake.source, () => {});
  fake.advance(5_000);
  assert.equal(clock.now(), 1_700_000_005_000);
  // Small drift (NTP slewing) is followed.
  fake.clocks.wallAt += 2_000;
  assert.equal(clock.now(), 1_700_000_007_000);
  assert.equal(clock.jumped, false);
});

Deno.test("SteadyClock keeps counting through a jump of the system clock, and says so once", () => {
  const lines: string[] = [];
  const fake = fakeClocks(1_700_000_000_000);
  const clock = new SteadyClock(fake.source, (line) => lines.push(line));
  fake.advance(1_000);
  fake.clocks.wallAt += 365 * 86_400_000;
  assert.equal(clock.now(), 1_700_000_001_000);
  fake.advance(1_000);
  assert.equal(clock.now(), 1_700_000_002_000);
  assert.equal(clock.jumped, true);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /jumped forward by 525600 min/);
  // Backwards too.
  const back = fakeClocks(1_700_000_000_000);
  const clock2 = new SteadyClock(back.source, () => {});
  back.clocks.wallAt -= CLOCK_JUMP_MS + 1;
  assert.equal(clock2.now(), 1_700_000_000_000);
});
