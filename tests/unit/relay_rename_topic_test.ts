/**
 * /nick and /topic on the relay: a member goes by another name (keeping its resume token), and a
 * room keeps a sealed topic that newcomers get right after joining, across restarts.
 */
import assert from "node:assert/strict";
import { MAX_SEALED_BYTES } from "../../protocol.ts";
import { Relay } from "../../relay/relay.ts";
import { SqliteStore } from "../../storage/sqlite_store.ts";
import {
  greeted,
  join,
  member,
  messageId,
  newRelay,
  NO_LIMITS,
  sealedBytes,
} from "./relay_harness.ts";

Deno.test("Relay renames a member, tells everyone, and keeps the name for its token", async () => {
  let now = 1_700_000_000_000;
  const relay = newRelay({ now: () => now });
  const ana = await greeted(relay);
  join(ana, "ana");
  const token = (await ana.expect("joined")).resumeToken;
  await ana.expect("caught_up");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  ana.send({ type: "rename", room: "ops", name: "anna" });
  for (const peer of [ana, bob]) {
    const renamed = await peer.expect("renamed");
    assert.deepEqual([renamed.from, renamed.to], ["ana", "anna"]);
  }
  bob.send({ type: "who", room: "ops", offset: 0 });
  // Renaming files the member anew: it moves to the end of the list.
  assert.deepEqual((await bob.expect("members")).members, ["bob", "anna"]);
  ana.send({ type: "send", room: "ops", id: messageId(1), sealed: sealedBytes(8, 1) });
  assert.equal((await bob.expect("deliver")).from, "anna");
  await ana.expect("ack");
  // Taken, held or look-alike names are refused.
  bob.send({ type: "rename", room: "ops", name: "ANNA" });
  await bob.expectError("name_taken", false);
  bob.send({ type: "rename", room: "ops", name: "annn" });
  bob.send({ type: "rename", room: "ops", name: "b0b" });
  assert.equal((await bob.expect("renamed")).to, "annn");
  assert.equal((await bob.expect("renamed")).to, "b0b", "a look-alike of one's own name is fine");
  bob.send({ type: "rename", room: "ops", name: "a nna" });
  await bob.expectError("invalid_name", false);
  // Ana drops; her new name is held for her token, and the old one is free.
  await ana.conn.close();
  await ana.accepted;
  await bob.expect("presence");
  await using thief = await greeted(relay);
  join(thief, "anna");
  await thief.expectError("name_taken", false);
  join(thief, "ana");
  await thief.expect("joined");
  now += 1_000;
  await using back = await greeted(relay);
  join(back, "anna", { resumeToken: token, catchup: { kind: "resume", afterSeq: 1 } });
  assert.equal((await back.expect("joined")).name, "anna");
});

Deno.test("Relay keeps a room's topic sealed, sends it to everyone and to newcomers", async () => {
  const store = SqliteStore.open(":memory:");
  const relay = new Relay({ store, defer: queueMicrotask, limits: NO_LIMITS });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  const sealed = sealedBytes(60, 9);
  ana.send({ type: "set_topic", room: "ops", id: messageId(5), sealed });
  for (const peer of [ana, bob]) {
    const topic = await peer.expect("topic");
    assert.deepEqual([topic.from, topic.sealed], ["ana", sealed]);
  }
  await using cy = await greeted(relay);
  join(cy, "cy");
  await cy.expect("joined");
  const told = await cy.expect("topic");
  assert.deepEqual([told.from, told.id, told.sealed], ["ana", messageId(5), sealed]);
  await cy.expect("caught_up");
  assert.equal((await ana.expect("presence")).name, "cy");
  ana.send({
    type: "set_topic",
    room: "ops",
    id: messageId(6),
    sealed: new Uint8Array(MAX_SEALED_BYTES + 1),
  });
  await ana.expectError("message_too_large", false);
  await relay.shutdown();
  // A relay started on the same storage still has it.
  const again = new Relay({ store, defer: queueMicrotask, limits: NO_LIMITS });
  await using di = await greeted(again);
  join(di, "di");
  await di.expect("joined");
  assert.deepEqual((await di.expect("topic")).sealed, sealed);
});

Deno.test("Relay counts renames and topics against the connection's send rate", async () => {
  // A clock that stands still, so the wait is exactly one token's.
  const relay = newRelay({
    now: () => 1_000_000,
    limits: { sendRate: { perSecond: 1, burst: 2 } },
  });
  await using ana = await member(relay, "ana");
  ana.send({ type: "rename", room: "ops", name: "a1" });
  ana.send({ type: "set_topic", room: "ops", id: messageId(1), sealed: sealedBytes(10, 1) });
  ana.send({ type: "rename", room: "ops", name: "a2" });
  assert.equal((await ana.expect("renamed")).to, "a1");
  await ana.expect("topic");
  assert.equal((await ana.expectError("rate_limited", false)).retryAfterMs, 1_000);
});
