/**
 * The relay's abuse limits over in-memory connections, each with a fake clock moved by hand: what
 * one connection, one address or a crowd of them can no longer make the relay do, and that
 * honest members are not hurt by it (issue 8).
 */
import assert from "node:assert/strict";
import { MAX_SEALED_BYTES } from "../../protocol.ts";
import { MAX_ROOM_DELAY_MS } from "../../relay/guess_guard.ts";
import { DEFAULT_LIMITS } from "../../relay/limits.ts";
import { Relay } from "../../relay/relay.ts";
import { SqliteStore } from "../../storage/sqlite_store.ts";
import {
  greeted,
  join,
  KEY_CHECK,
  member,
  messageId,
  newRelay,
  OTHER_KEY_CHECK,
  sealedBytes,
} from "./relay_harness.ts";

function fakeClock(start = 1_700_000_000_000) {
  const clock = { now: start };
  return { clock, read: () => clock.now };
}

// ---- connections that do not join ----

Deno.test("Relay ends a connection that joins no room in time with join_timeout", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({ now: read, idleTimeoutMs: Infinity, limits: { joinTimeoutMs: 60_000 } });
  await using idle = await greeted(relay);
  await using ana = await member(relay, "ana");
  clock.now += 59_000;
  idle.send({ type: "ping", token: 1 });
  await idle.expect("pong");
  relay.sweep();
  clock.now += 2_000;
  relay.sweep();
  await idle.expectFatal("join_timeout");
  // A member is not timed out for being in a room; leaving its last room starts the clock.
  ana.send({ type: "leave", room: "ops" });
  await ana.expect("left");
  clock.now += 30_000;
  ana.send({ type: "ping", token: 2 });
  await ana.expect("pong");
  relay.sweep();
  assert.equal(relay.connectionCount, 1);
  clock.now += 31_000;
  relay.sweep();
  await ana.expectFatal("join_timeout");
});

Deno.test("Relay refuses new connections while too many are in no room, and admits after", async () => {
  const relay = newRelay({ limits: { maxUnjoined: 2 } });
  await using first = await greeted(relay);
  await using _second = await greeted(relay);
  await using third = await greeted(relay).catch(() => null) ?? null;
  assert.equal(third, null, "a third unjoined connection gets no welcome");
  join(first, "ana");
  await first.expect("joined");
  await using fourth = await greeted(relay);
  assert.ok(fourth, "once one joined, a new connection is admitted");
});

// ---- guessing ----

Deno.test("Relay closes a connection after three wrong passphrases", async () => {
  const relay = newRelay({ limits: { guesses: DEFAULT_LIMITS.guesses, guessesPerConnection: 3 } });
  await using _ana = await member(relay, "ana");
  await using guesser = await greeted(relay, { address: "10.0.0.66" });
  for (let i = 0; i < 2; i++) {
    join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
    await guesser.expectError("wrong_passphrase", false);
  }
  join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
  await guesser.expectFatal("too_many_attempts");
});

Deno.test("Relay slows down an address that keeps guessing, without a verdict, across connections", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({ now: read, limits: { guesses: { perAddress: 5, perRoom: 100 } } });
  await using _ana = await member(relay, "ana");
  for (let i = 0; i < 3; i++) {
    await using guesser = await greeted(relay, { address: "10.0.0.66" });
    for (let j = 0; j < 2; j++) {
      join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
      const error = await guesser.read();
      if (error?.type !== "error") assert.fail(`expected an error, got ${JSON.stringify(error)}`);
      if (i * 2 + j < 5) assert.equal(error.code, "wrong_passphrase");
    }
  }
  await using guesser = await greeted(relay, { address: "10.0.0.66" });
  // Even the right passphrase gets no verdict now: a refusal says nothing about the guess.
  join(guesser, "mallory", { keyCheck: KEY_CHECK });
  const refused = await guesser.expectError("too_many_attempts", false);
  assert.equal(refused.retryAfterMs, 1_000);
  await using other = await greeted(relay, { address: "10.0.0.7" });
  join(other, "bob");
  await other.expect("joined");
  clock.now += 1_000;
  join(guesser, "mallory", { keyCheck: KEY_CHECK });
  await guesser.expect("joined");
});

Deno.test("Relay holds every verdict for a room under a spread-out guessing attack", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({
    now: read,
    limits: { guesses: { perAddress: 100, perRoom: 4 }, guessesPerConnection: 100 },
  });
  await using _ana = await member(relay, "ana");
  for (let i = 0; i < 5; i++) {
    await using guesser = await greeted(relay, { address: `10.0.${i}.1` });
    join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
    await guesser.expectError("wrong_passphrase", false);
  }
  await using bob = await greeted(relay, { address: "10.9.9.9" });
  join(bob, "bob");
  await using wrong = await greeted(relay, { address: "10.0.99.1" });
  join(wrong, "eve", { keyCheck: OTHER_KEY_CHECK });
  relay.sweep();
  bob.send({ type: "ping", token: 7 });
  assert.equal((await bob.expect("pong")).token, 7, "no verdict before the delay");
  clock.now += 1_000;
  relay.sweep();
  await bob.expect("joined");
  await wrong.expectError("wrong_passphrase", false);
  // The delay grows with each miss but never past its ceiling: members get in, only later.
  for (let i = 0; i < 40; i++) {
    await using guesser = await greeted(relay, { address: `10.1.${i}.1` });
    join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
    clock.now += MAX_ROOM_DELAY_MS;
    relay.sweep();
    await guesser.expectError("wrong_passphrase", false);
  }
  await using cy = await greeted(relay, { address: "10.9.9.10" });
  join(cy, "cy");
  clock.now += MAX_ROOM_DELAY_MS;
  relay.sweep();
  await cy.expect("joined");
});

Deno.test("Relay logs wrong passphrases once per room, then a summary", async () => {
  const { clock, read } = fakeClock();
  const lines: string[] = [];
  const relay = newRelay({
    now: read,
    log: (line) => lines.push(line),
    limits: { guesses: { perAddress: 1_000, perRoom: 1_000 }, guessesPerConnection: 1_000 },
  });
  await using _ana = await member(relay, "ana");
  await using guesser = await greeted(relay);
  for (let i = 0; i < 200; i++) {
    join(guesser, "mallory", { keyCheck: OTHER_KEY_CHECK });
    await guesser.expectError("wrong_passphrase", false);
  }
  assert.equal(lines.filter((line) => /wrong passphrase/.test(line)).length, 1);
  clock.now += 60_000;
  relay.sweep();
  assert.ok(
    lines.includes(`200 wrong passphrase(s) for "ops" from 1 address(es) in the last minute`),
  );
});

// ---- sends ----

Deno.test("Relay refuses a sealed body larger than any honest client makes, and keeps the link", async () => {
  const relay = newRelay({ limits: { maxSealedBytes: MAX_SEALED_BYTES } });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  // The largest frame that fits: its deliver would not.
  ana.send({ type: "send", room: "ops", id: messageId(1), sealed: new Uint8Array(65_515) });
  const nack = await ana.expect("nack");
  assert.equal(nack.code, "message_too_large");
  ana.send({
    type: "send",
    room: "ops",
    id: messageId(2),
    sealed: new Uint8Array(MAX_SEALED_BYTES),
  });
  assert.equal(
    (await bob.expect("deliver")).sealed.length,
    MAX_SEALED_BYTES,
    "the largest honest one passes",
  );
  assert.equal((await ana.expect("ack")).seq, 1);
});

Deno.test("Relay makes a member over its send rate wait, losing and reordering nothing", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({ now: read, limits: { sendRate: { perSecond: 2, burst: 3 } } });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  for (let n = 1; n <= 5; n++) {
    ana.send({ type: "send", room: "ops", id: messageId(n), sealed: sealedBytes(10, n) });
  }
  const replies = [];
  for (let n = 1; n <= 5; n++) replies.push(await ana.read());
  assert.deepEqual(replies.map((reply) => reply?.type), ["ack", "ack", "ack", "nack", "nack"]);
  const nack = replies[3];
  assert.ok(nack?.type === "nack" && nack.code === "rate_limited" && nack.retryAfterMs === 500);
  // Message 5 may not overtake 4 even once a token is back: the wait covers both.
  clock.now += 499;
  ana.send({ type: "send", room: "ops", id: messageId(5), sealed: sealedBytes(10, 5) });
  assert.equal((await ana.expect("nack")).code, "rate_limited");
  clock.now += 1_001;
  for (const n of [4, 5]) {
    ana.send({ type: "send", room: "ops", id: messageId(n), sealed: sealedBytes(10, n) });
  }
  assert.deepEqual([(await ana.expect("ack")).seq, (await ana.expect("ack")).seq], [4, 5]);
  const delivered = [];
  for (let n = 1; n <= 5; n++) delivered.push((await bob.expect("deliver")).id[0]);
  assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
});

Deno.test("Relay counts sealed bytes against a connection's byte rate", async () => {
  const { read } = fakeClock();
  const relay = newRelay({ now: read, limits: { sendBytes: { perSecond: 1_000, burst: 2_000 } } });
  await using ana = await member(relay, "ana");
  ana.send({ type: "send", room: "ops", id: messageId(1), sealed: new Uint8Array(1_500) });
  await ana.expect("ack");
  ana.send({ type: "send", room: "ops", id: messageId(2), sealed: new Uint8Array(1_500) });
  const nack = await ana.expect("nack");
  assert.equal(nack.code, "rate_limited");
  assert.equal(nack.retryAfterMs, 1_000);
});

Deno.test("Relay refuses send, leave and who with another spelling of the room than its own", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  ana.send({ type: "send", room: "OPS", id: messageId(1), sealed: sealedBytes(10, 1) });
  const nack = await ana.expect("nack");
  assert.equal(nack.code, "invalid_room");
  assert.match(nack.message, /spelled "ops"/);
  ana.send({ type: "who", room: "Ops", offset: 0 });
  await ana.expectError("invalid_room", false);
  ana.send({ type: "leave", room: "Ops" });
  await ana.expectError("invalid_room", false);
  await using bob = await greeted(relay);
  join(bob, "bob", { room: "OPS" });
  await bob.expectError("invalid_room", false);
});

// ---- rooms ----

Deno.test("Relay lets one address create only so many rooms an hour", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({
    now: read,
    limits: { roomCreation: { perSecond: 3 / 3600, burst: 3 } },
  });
  await using squatter = await greeted(relay, { address: "10.0.0.66" });
  for (let i = 0; i < 3; i++) {
    join(squatter, "mallory", { room: `room${i}` });
    await squatter.expect("joined");
    await squatter.expect("caught_up");
  }
  join(squatter, "mallory", { room: "room3" });
  const refused = await squatter.expectError("too_many_rooms", false);
  assert.equal(refused.retryAfterMs, 1_200_000);
  await using other = await greeted(relay, { address: "10.0.0.7" });
  join(other, "ana", { room: "room3" });
  await other.expect("joined");
  clock.now += 1_200_000;
  join(squatter, "mallory", { room: "room4" });
  await squatter.expect("joined");
});

Deno.test("Relay creates only the rooms the operator allows, and no more than its cap", async () => {
  const relay = newRelay({ limits: { roomAllowlist: new Set(["lobby", "ops"]), maxRooms: 1 } });
  await using peer = await greeted(relay);
  join(peer, "ana", { room: "random" });
  await peer.expectError("room_not_allowed", false);
  join(peer, "ana", { room: "Lobby" });
  await peer.expect("joined");
  await peer.expect("caught_up");
  join(peer, "ana", { room: "ops" });
  await peer.expectError("room_limit", false);
});

Deno.test("Relay expires a room with no members and nothing stored, and keeps one with history", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({ now: read, limits: { emptyRoomMs: 10 * 60_000 } });
  {
    await using squatter = await greeted(relay);
    join(squatter, "mallory", { room: "lobby" });
    await squatter.expect("joined");
    await squatter.expect("caught_up");
    join(squatter, "mallory", { room: "kept" });
    await squatter.expect("joined");
    await squatter.expect("caught_up");
    squatter.send({ type: "send", room: "kept", id: messageId(1), sealed: sealedBytes(10, 1) });
    await squatter.expect("ack");
    squatter.send({ type: "bye" });
    await squatter.expectClosed();
  }
  relay.sweep();
  clock.now += 10 * 60_000 + 1;
  relay.sweep();
  await using ana = await greeted(relay);
  ana.send({ type: "room_query", room: "lobby" });
  assert.equal((await ana.expect("room_info")).params, null, "the squatted room is gone");
  ana.send({ type: "room_query", room: "kept" });
  assert.notEqual((await ana.expect("room_info")).params, null, "a room with history stays");
});

Deno.test("Relay keeps an empty room while a dropped member's name is held in it", async () => {
  const { clock, read } = fakeClock();
  const relay = newRelay({
    now: read,
    idleTimeoutMs: Infinity,
    holdMs: 30 * 60_000,
    limits: { emptyRoomMs: 60_000 },
  });
  const ana = await member(relay, "ana");
  await ana.conn.close();
  await ana.accepted;
  clock.now += 20 * 60_000;
  relay.sweep();
  await using bob = await greeted(relay);
  bob.send({ type: "room_query", room: "ops" });
  assert.notEqual((await bob.expect("room_info")).params, null);
  clock.now += 11 * 60_000;
  relay.sweep();
  clock.now += 61_000;
  relay.sweep();
  bob.send({ type: "room_query", room: "ops" });
  assert.equal((await bob.expect("room_info")).params, null);
});

Deno.test("Relay refuses a name that looks like a member's, and a room that looks like a room", async () => {
  const relay = newRelay();
  await using _alice = await member(relay, "alice");
  for (const impostor of ["AIice", "\u0251lice", "\u13AAlice"]) {
    await using peer = await greeted(relay);
    join(peer, impostor);
    const refused = await peer.expectError("name_confusable", false);
    assert.match(refused.message, /looks too much like "alice"/);
  }
  await using bob = await greeted(relay);
  join(bob, "bob", { room: "Iobby" });
  await bob.expect("joined");
  await bob.expect("caught_up");
  join(bob, "bob", { room: "lobby" });
  await bob.expectError("name_confusable", false);
});

// ---- large rooms ----

Deno.test("Relay lists at most 100 members in joined and pages the rest through who", async () => {
  // 2,000 names of 32 characters: one frame listing them all would be over 64 KiB.
  const relay = newRelay({ limits: { presenceSummaryAbove: 64 } });
  const peers = [];
  for (let i = 0; i < 2_000; i++) {
    const name = `member${String(i).padStart(4, "0")}${"x".repeat(22)}`;
    peers.push(await member(relay, name));
  }
  await using late = await greeted(relay);
  join(late, "late");
  const joined = await late.expect("joined");
  assert.equal(joined.memberCount, 2_001);
  assert.equal(joined.members.length, 100);
  await late.expect("caught_up");
  const names: string[] = [];
  while (names.length < 2_001) {
    late.send({ type: "who", room: "ops", offset: names.length });
    const page = await late.expect("members");
    assert.equal(page.total, 2_001);
    assert.ok(page.members.length > 0);
    names.push(...page.members);
  }
  assert.equal(new Set(names).size, 2_001);
  for (const peer of peers) await peer[Symbol.asyncDispose]();
});

Deno.test("Relay tells a large room of joins and leaves in one summary per interval", async () => {
  const relay = newRelay({ limits: { presenceSummaryAbove: 3 } });
  await using ana = await member(relay, "ana");
  await using bob = await member(relay, "bob");
  await ana.expect("presence");
  await using cy = await member(relay, "cy");
  assert.equal((await ana.expect("presence")).name, "cy", "at 3 members, presence as before");
  assert.equal((await bob.expect("presence")).name, "cy");
  const more = [];
  for (const name of ["di", "ed", "flo"]) more.push(await member(relay, name));
  await more[0]![Symbol.asyncDispose]();
  relay.flushPresence();
  for (const peer of [ana, bob, cy]) {
    const summary = await peer.expect("presence_summary");
    assert.deepEqual(
      [summary.joined, summary.left, summary.joinedNames, summary.leftNames],
      [3, 1, ["di", "ed", "flo"], ["di"]],
    );
  }
  relay.flushPresence();
  ana.send({ type: "ping", token: 1 });
  assert.equal((await ana.expect("pong")).token, 1, "nothing more until something happens");
  for (const peer of more.slice(1)) await peer[Symbol.asyncDispose]();
});

// ---- time ----

Deno.test("Relay does not prune by age when its clock disagrees with the stored history", async () => {
  const { clock, read } = fakeClock();
  const store = SqliteStore.open(":memory:");
  const retention = { maxMessagesPerRoom: 1_000, maxAgeMs: 30 * 86_400_000 };
  const first = new Relay({ store, now: read, retention, defer: queueMicrotask });
  {
    await using ana = await greeted(first);
    join(ana, "ana");
    await ana.expect("joined");
    await ana.expect("caught_up");
    ana.send({ type: "send", room: "ops", id: messageId(1), sealed: sealedBytes(10, 1) });
    await ana.expect("ack");
  }
  // The machine comes back with its clock a year ahead.
  clock.now += 365 * 86_400_000;
  const lines: string[] = [];
  const second = new Relay({
    store,
    now: read,
    retention,
    log: (line) => lines.push(line),
    defer: queueMicrotask,
  });
  assert.equal(second.prune(), 0);
  assert.equal(store.readMessages("ops", 0, 10).length, 1);
  assert.ok(lines.some((line) => /ahead of the newest stored message/.test(line)));
});

Deno.test("Relay keeps its timestamps steady when the system clock jumps while it runs", async () => {
  let wall = 1_700_000_000_000;
  let monotonic = 0;
  const relay = new Relay({
    store: SqliteStore.open(":memory:"),
    now: () => wall,
    monotonic: () => monotonic,
    defer: queueMicrotask,
  });
  await using bob = await greeted(relay);
  join(bob, "bob");
  await bob.expect("joined");
  await bob.expect("caught_up");
  monotonic += 1_000;
  wall += 1_000 + 365 * 86_400_000;
  bob.send({ type: "send", room: "ops", id: messageId(2), sealed: sealedBytes(10, 2) });
  assert.equal((await bob.expect("ack")).ts, 1_700_000_001_000);
  assert.equal(relay.prune(), 0);
});

Deno.test("Relay counts the bytes of every connection from one address together", async () => {
  const { read } = fakeClock();
  const relay = newRelay({ now: read, limits: { addressBytes: { perSecond: 1, burst: 3_000 } } });
  const peers = [];
  for (const name of ["ana", "bob", "cy"]) {
    peers.push(await member(relay, name, { address: "10.0.0.66" }));
  }
  const replies = [];
  for (const [i, peer] of peers.entries()) {
    peer.send({ type: "send", room: "ops", id: messageId(i + 1), sealed: new Uint8Array(1_400) });
    for (;;) {
      const reply = await peer.read();
      if (reply?.type === "ack" || reply?.type === "nack") {
        replies.push(reply.type === "nack" ? reply.code : "ack");
        break;
      }
    }
  }
  assert.deepEqual(replies, ["ack", "ack", "rate_limited"]);
  await using other = await member(relay, "di", { address: "10.0.0.7" });
  other.send({ type: "send", room: "ops", id: messageId(9), sealed: new Uint8Array(1_400) });
  await other.expect("ack");
  for (const peer of peers) await peer[Symbol.asyncDispose]();
});
