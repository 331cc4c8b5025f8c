import assert from "node:assert/strict";
import {
  CLOCK_SKEW_MS,
  ReplayGuard,
  SAVE_DELAY_MS,
  STALE_AFTER_MS,
} from "../../client/replay_guard.ts";
import { InMemoryRoomStore, type RoomMemory, SEEN_LIMIT } from "../../storage/room_memory.ts";
import { ManualClock } from "./manual_clock.ts";

const ID_A = "a".repeat(32);
const ID_B = "b".repeat(32);

function open(store: InMemoryRoomStore, clock: ManualClock, errors: unknown[] = []) {
  return ReplayGuard.open(store, {
    clock,
    onSaveError: (error) => errors.push(error),
    onLoadError: (error) => errors.push(error),
  });
}

Deno.test("ReplayGuard.seen() tells this session's messages from an earlier session's", async () => {
  const clock = new ManualClock();
  const store = new InMemoryRoomStore();
  const first = await open(store, clock);
  assert.equal(first.seen("bob", ID_A), null);
  first.remember("bob", ID_A);
  assert.equal(first.seen("bob", ID_A), "this_session");
  assert.equal(first.seen("cy", ID_A), null, "keyed by sender and id, not id alone");
  await first.close();

  const second = await open(store, clock);
  assert.equal(second.seen("bob", ID_A), "earlier");
  assert.equal(second.seen("bob", ID_B), null);
});

Deno.test("ReplayGuard.isStale() marks messages signed an hour before now or before the last session", async () => {
  const clock = new ManualClock();
  const store = new InMemoryRoomStore();
  const first = await open(store, clock);
  assert.equal(first.previousSessionEnd, null);
  assert.equal(first.isStale(clock.now() - STALE_AFTER_MS + 1), false);
  assert.equal(first.isStale(clock.now() - STALE_AFTER_MS - 1), true);
  await first.close();
  const ended = clock.now();

  clock.advance(30 * 60_000);
  const second = await open(store, clock);
  assert.equal(second.previousSessionEnd, ended);
  assert.equal(second.isStale(ended - CLOCK_SKEW_MS + 1), false, "clocks may disagree a little");
  assert.equal(second.isStale(ended - CLOCK_SKEW_MS - 1), true, "written before we last left");
  assert.equal(second.isStale(clock.now()), false);
});

Deno.test("ReplayGuard saves a few seconds after a change, not on every message", async () => {
  const clock = new ManualClock();
  const store = new InMemoryRoomStore();
  const guard = await open(store, clock);
  for (let i = 0; i < 100; i++) guard.remember("bob", i.toString(16).padStart(32, "0"));
  assert.equal(store.saves, 0);
  clock.advance(SAVE_DELAY_MS);
  await guard.save(); // waits for the save the timer started, then saves once more
  assert.equal(store.saves, 2);
  assert.equal(store.memory.seen.length, 100);
  assert.equal(store.memory.sessionEndedAt, clock.now());
});

Deno.test("ReplayGuard remembers at most SEEN_LIMIT messages, forgetting the oldest", async () => {
  const clock = new ManualClock();
  const store = new InMemoryRoomStore();
  const guard = await open(store, clock);
  for (let i = 0; i < SEEN_LIMIT + 10; i++) {
    guard.remember("bob", i.toString(16).padStart(32, "0"));
  }
  await guard.close();
  assert.equal(store.memory.seen.length, SEEN_LIMIT);
  assert.equal(guard.seen("bob", "0".repeat(32)), null);
  assert.deepEqual(store.memory.seen.at(-1), [
    "bob",
    (SEEN_LIMIT + 9).toString(16).padStart(32, "0"),
  ]);
});

Deno.test("ReplayGuard.open() reports a memory it cannot read and starts empty", async () => {
  const errors: unknown[] = [];
  const broken = new InMemoryRoomStore();
  broken.load = (): Promise<RoomMemory> => Promise.reject(new SyntaxError("damaged"));
  const guard = await open(broken, new ManualClock(), errors);
  assert.equal(errors.length, 1);
  assert.equal(guard.previousSessionEnd, null);
});
