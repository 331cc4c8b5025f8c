import assert from "node:assert/strict";
import { SendBudget } from "../../transport/send_budget.ts";

const OPTIONS = { highWater: 100, lowWater: 40, perConnectionCap: 30 };

Deno.test("SendBudget.congested turns on at the high-water mark and off under the low one", async () => {
  const budget = new SendBudget(OPTIONS);
  for (let i = 0; i < 4; i++) budget.track(0, 25);
  assert.equal(budget.counted, 100);
  assert.ok(budget.congested);
  let cleared = false;
  const waiting = budget.whenClear().then(() => cleared = true);
  budget.track(25, 0);
  await Promise.resolve();
  assert.equal(cleared, false, "75 is still over the low-water mark");
  budget.track(25, 0);
  budget.track(25, 0);
  await waiting;
  assert.ok(cleared);
  assert.ok(!budget.congested);
});

Deno.test("SendBudget.track() counts one connection for at most perConnectionCap", () => {
  const budget = new SendBudget(OPTIONS);
  budget.track(0, 1_000_000);
  assert.equal(budget.counted, 30, "a single stalled reader cannot congest the relay");
  assert.ok(!budget.congested);
  budget.track(1_000_000, 10);
  assert.equal(budget.counted, 10);
});

Deno.test("SendBudget.whenClear() resolves at once when there is no backlog", async () => {
  await new SendBudget(OPTIONS).whenClear();
});
