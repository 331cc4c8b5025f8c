import assert from "node:assert/strict";
import { BufferedLog } from "../../cli/buffered_log.ts";

Deno.test("BufferedLog writes the lines of one turn together", async () => {
  const writes: string[] = [];
  const log = new BufferedLog((text) => writes.push(text), Infinity);
  log.write("one");
  log.write("two");
  assert.deepEqual(writes, []);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(writes, ["one\ntwo"]);
});

Deno.test("BufferedLog writes at most its rate and then says how many it left out", () => {
  let now = 0;
  const writes: string[] = [];
  const log = new BufferedLog((text) => writes.push(text), 3, () => now);
  for (let i = 0; i < 10; i++) log.write(`line ${i}`);
  log.flush();
  assert.deepEqual(writes, ["line 0\nline 1\nline 2"]);
  now = 999;
  log.write("still the same second");
  now = 1_000;
  log.write("next second");
  log.flush();
  assert.deepEqual(writes.slice(1), [
    "(8 log line(s) left out: more than 3 a second)\nnext second",
  ]);
});
