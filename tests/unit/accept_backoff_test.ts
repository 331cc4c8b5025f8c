import assert from "node:assert/strict";
import {
  ACCEPT_BACKOFF_MS,
  AcceptBackoff,
  BURST_QUIET_MS,
} from "../../transport/accept_backoff.ts";

/** A fake clock: sleeping advances it at once and records the pause. */
function fakeClock() {
  const clock = {
    time: 0,
    pauses: [] as number[],
    now: () => clock.time,
    sleep: (ms: number) => {
      clock.pauses.push(ms);
      clock.time += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

const emfile = new Error("Too many open files (os error 24)");

Deno.test("AcceptBackoff.failed() doubles the pause up to its ceiling", async () => {
  const clock = fakeClock();
  const backoff = new AcceptBackoff({
    log: () => {},
    signal: new AbortController().signal,
    ...clock,
  });
  for (let i = 0; i < 7; i++) await backoff.failed(emfile);
  assert.deepEqual(clock.pauses, [50, 100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(ACCEPT_BACKOFF_MS.max, 1_000);
  backoff.succeeded();
  clock.pauses.length = 0;
  await backoff.failed(emfile);
  assert.deepEqual(clock.pauses.slice(0, 1), [50], "a working accept starts the pause over");
});

Deno.test("AcceptBackoff logs a burst of failures once, then one summary when it is quiet", async () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const backoff = new AcceptBackoff({
    log: (line) => lines.push(line),
    signal: new AbortController().signal,
    ...clock,
  });
  for (let i = 0; i < 5; i++) await backoff.failed(emfile);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^accept failed: Too many open files \(os error 24\); retrying/);
  // Accepting works again, but fails once more soon after: still the same burst.
  backoff.succeeded();
  await backoff.failed(emfile);
  backoff.succeeded();
  // The fake sleep lets the quiet period pass at once.
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(backoff.failures, 0);
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[1]!, /^accept failed 6 time\(s\) over \d+\.\d s; accepting again$/);
  assert.ok(clock.time >= BURST_QUIET_MS);
  // A later failure opens a new burst, logged again.
  await backoff.failed(emfile);
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /^accept failed: /);
});

Deno.test("AcceptBackoff.end() sums up a burst still under way", async () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const backoff = new AcceptBackoff({
    log: (line) => lines.push(line),
    signal: new AbortController().signal,
    ...clock,
  });
  await backoff.failed(emfile);
  await backoff.failed(emfile);
  backoff.end();
  assert.deepEqual(lines.slice(1), ["accept failed 2 time(s) over 0.1 s"]);
  backoff.end();
  assert.equal(lines.length, 2, "nothing left to sum up");
});

Deno.test("AcceptBackoff.failed() returns at once when its signal aborts", async () => {
  const stop = new AbortController();
  const backoff = new AcceptBackoff({ log: () => {}, signal: stop.signal });
  const started = performance.now();
  const waiting = backoff.failed(emfile);
  stop.abort();
  await waiting;
  assert.ok(performance.now() - started < ACCEPT_BACKOFF_MS.first);
});
