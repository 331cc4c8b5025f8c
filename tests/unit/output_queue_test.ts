import assert from "node:assert/strict";
import { OutputQueue } from "../../transport/output_queue.ts";
import { SendBudget } from "../../transport/send_budget.ts";

function recorder() {
  const writes: number[][] = [];
  const write = (batch: Uint8Array) => {
    writes.push([...batch]);
    return Promise.resolve();
  };
  return { writes, write };
}

Deno.test("OutputQueue.push() sends frames queued in one turn as one write", async () => {
  const { writes, write } = recorder();
  const queue = new OutputQueue(write, { maxBytes: 100 });
  assert.ok(queue.push(Uint8Array.of(1, 2)));
  assert.ok(queue.push(Uint8Array.of(3)));
  assert.equal(queue.bytes, 3);
  await queue.drained();
  assert.deepEqual(writes, [[1, 2, 3]]);
  assert.equal(queue.bytes, 0);
});

Deno.test("OutputQueue.push() refuses a frame past the bound and queues nothing of it", async () => {
  const { writes, write } = recorder();
  const queue = new OutputQueue(write, { maxBytes: 4 });
  assert.ok(queue.push(Uint8Array.of(1, 2, 3)));
  assert.equal(queue.push(Uint8Array.of(4, 5)), false);
  await queue.drained();
  assert.deepEqual(writes, [[1, 2, 3]]);
});

Deno.test("OutputQueue.pushLast() drops a full queue so the last frame can still go", async () => {
  const { writes, write } = recorder();
  const queue = new OutputQueue(write, { maxBytes: 4 });
  queue.push(Uint8Array.of(1, 2, 3, 4));
  queue.pushLast(Uint8Array.of(9));
  await queue.drained();
  assert.deepEqual(writes, [[9]]);
});

Deno.test("OutputQueue marks itself failed when a write fails, and refuses more", async () => {
  const queue = new OutputQueue(() => Promise.reject(new Error("reset")), { maxBytes: 100 });
  queue.push(Uint8Array.of(1));
  await queue.drained();
  assert.ok(queue.failed);
  assert.equal(queue.bytes, 0);
  assert.equal(queue.push(Uint8Array.of(2)), false);
});

Deno.test("OutputQueue keeps a shared SendBudget up to date, up to its per-connection cap", async () => {
  const budget = new SendBudget({ highWater: 10, lowWater: 5, perConnectionCap: 8 });
  const { write } = recorder();
  const queue = new OutputQueue(write, { maxBytes: 100, budget });
  queue.push(new Uint8Array(6));
  queue.push(new Uint8Array(6));
  assert.equal(budget.counted, 8);
  await queue.drained();
  assert.equal(budget.counted, 0);
  queue.push(new Uint8Array(3));
  queue.stop();
  assert.equal(budget.counted, 0, "stopping releases what was queued");
});
