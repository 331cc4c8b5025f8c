/**
 * The relay's promises about storage, over a real SQLite database: history on join, resume after
 * a drop, names held for members who dropped, nothing acknowledged before it is stored, and a
 * restart that keeps everything acknowledged.
 */
import assert from "node:assert/strict";
import { RESUME_TOKEN_BYTES } from "../../protocol.ts";
import { Relay } from "../../relay/relay.ts";
import { StorageFullError } from "../../relay/store.ts";
import { SqliteStore } from "../../storage/sqlite_store.ts";
import {
  greeted,
  join,
  member,
  messageId,
  newRelay,
  type Peer,
  sealedBytes,
} from "./relay_harness.ts";

/** Sends message `n` and returns its sequence number; presence frames on the way are skipped. */
async function send(from: Peer, n: number): Promise<number> {
  from.send({ type: "send", room: "ops", id: messageId(n), sealed: sealedBytes(20, n) });
  for (;;) {
    const reply = await from.read();
    if (reply?.type === "ack") return reply.seq;
    assert.equal(reply?.type, "presence", `expected ack, got ${JSON.stringify(reply)}`);
  }
}

Deno.test("Relay replays the most recent messages as history to a new member", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  for (let n = 1; n <= 5; n++) await send(ana, n);
  await using bob = await greeted(relay);
  join(bob, "bob", { catchup: { kind: "history", limit: 3 } });
  const joined = await bob.expect("joined");
  assert.equal(joined.lastSeq, 5);
  assert.equal(joined.firstSeq, 1);
  const replayed = [];
  for (let i = 0; i < 3; i++) replayed.push((await bob.expect("deliver")).seq);
  assert.deepEqual(replayed, [3, 4, 5]);
  assert.equal((await bob.expect("caught_up")).lastSeq, 5);
  await send(ana, 6);
  assert.equal((await bob.expect("deliver")).seq, 6, "live messages follow the history");
});

Deno.test("Relay resumes a member with exactly what it missed, and keeps its name for it", async () => {
  let now = 1_000_000;
  const relay = newRelay({ now: () => now });
  await using ana = await member(relay, "ana");
  const bob = await greeted(relay);
  join(bob, "bob");
  const token = (await bob.expect("joined")).resumeToken;
  assert.equal(token.length, RESUME_TOKEN_BYTES);
  await bob.expect("caught_up");
  await send(ana, 1);
  assert.equal((await bob.expect("deliver")).seq, 1);
  await bob.conn.close();
  await bob.accepted;
  const left = await ana.expect("presence");
  assert.equal(left.reason, "disconnected");
  await send(ana, 2);
  await send(ana, 3);

  await using thief = await greeted(relay);
  join(thief, "BOB");
  const held = await thief.expectError("name_taken", false);
  assert.match(held.message, /held for a member/);
  assert.equal(held.retryAfterMs, 5 * 60_000, "when the name frees");

  await using back = await greeted(relay);
  join(back, "bob", { catchup: { kind: "resume", afterSeq: 1 }, resumeToken: token });
  await back.expect("joined");
  assert.deepEqual([(await back.expect("deliver")).seq, (await back.expect("deliver")).seq], [
    2,
    3,
  ]);
  await back.expect("caught_up");

  now += 10 * 60_000;
  relay.sweep();
  await using later = await greeted(relay);
  join(later, "cy");
  await later.expect("joined");
});

Deno.test("Relay hands a name to a new connection with the token and ends the stale one", async () => {
  const relay = newRelay();
  await using ana = await member(relay, "ana");
  await using stale = await greeted(relay);
  join(stale, "bob");
  const token = (await stale.expect("joined")).resumeToken;
  await stale.expect("caught_up");
  await using fresh = await greeted(relay);
  join(fresh, "bob", { catchup: { kind: "resume", afterSeq: 0 }, resumeToken: token });
  await fresh.expect("joined");
  await stale.expectFatal("replaced");
  await fresh.expect("caught_up");
  ana.send({ type: "send", room: "ops", id: messageId(9), sealed: sealedBytes(9, 9) });
  assert.equal((await fresh.expect("deliver")).seq, 1);
});

Deno.test("Relay holds the names of members it had when it restarts, and keeps their messages", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/chat.db`;
  try {
    const first = new Relay({ store: SqliteStore.open(path), defer: queueMicrotask });
    const ana = await member(first, "ana");
    const bob = await greeted(first);
    join(bob, "bob");
    const token = (await bob.expect("joined")).resumeToken;
    await bob.expect("caught_up");
    await send(ana, 1);
    await send(ana, 2);
    // A crash: no goodbye to anyone, the store is simply abandoned.
    await ana.conn.close();
    await bob.conn.close();
    await Promise.all([ana.accepted, bob.accepted]);

    const second = new Relay({ store: SqliteStore.open(path), defer: queueMicrotask });
    await using thief = await greeted(second);
    join(thief, "bob");
    await thief.expectError("name_taken", false);
    await using back = await greeted(second);
    join(back, "bob", { catchup: { kind: "resume", afterSeq: 0 }, resumeToken: token });
    assert.equal((await back.expect("joined")).lastSeq, 2);
    assert.deepEqual([(await back.expect("deliver")).seq, (await back.expect("deliver")).seq], [
      1,
      2,
    ]);
    await back.expect("caught_up");
    await using cy = await member(second, "cy");
    assert.equal((await back.expect("presence")).name, "cy");
    await send(cy, 3);
    assert.equal((await back.expect("deliver")).seq, 3, "numbering continues after the restart");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Relay relays but does not acknowledge messages it cannot store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = SqliteStore.open(`${dir}/chat.db`, { maxBytes: 64 * 1024 });
    const relay = new Relay({ store, defer: queueMicrotask });
    await using ana = await member(relay, "ana");
    await using bob = await member(relay, "bob");
    await ana.expect("presence");
    let stored = 0;
    for (let n = 1; n < 200; n++) {
      ana.send({ type: "send", room: "ops", id: messageId(n % 250), sealed: sealedBytes(4000, n) });
      const reply = await ana.read();
      const delivered = await bob.expect("deliver");
      if (reply?.type === "ack") {
        stored++;
        assert.equal(delivered.seq, reply.seq);
        continue;
      }
      assert.equal(reply?.type, "nack");
      assert.equal(reply.type === "nack" && reply.code, "storage_full");
      assert.equal(delivered.seq, 0, "an unstored message travels unsequenced");
      break;
    }
    assert.ok(stored > 0 && stored < 199, `stored ${stored} before the storage filled`);
    await using cy = await greeted(relay);
    join(cy, "cy", { catchup: { kind: "history", limit: 1000 } });
    assert.equal((await cy.expect("joined")).lastSeq, stored);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Relay stores a retried message even when another member took its id meanwhile", async () => {
  const sqlite = SqliteStore.open(":memory:");
  let full = true;
  // The real store, refusing appends while `full`, as a disk that fills and frees up.
  const store = new Proxy(sqlite, {
    get(target, property) {
      if (property === "appendMessages" && full) {
        return () => {
          throw new StorageFullError("the disk is full");
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const relay = new Relay({ store, defer: queueMicrotask });
  await using ana = await member(relay, "ana");
  await using mallory = await member(relay, "mallory");
  await ana.expect("presence");
  const id = messageId(7);
  ana.send({ type: "send", room: "ops", id, sealed: sealedBytes(20, 1) });
  assert.equal((await ana.expect("nack")).code, "storage_full");
  // Relayed live, unsequenced: mallory now knows the id.
  assert.deepEqual((await mallory.expect("deliver")).id, id);
  full = false;
  mallory.send({ type: "send", room: "ops", id, sealed: sealedBytes(20, 2) });
  const stolen = await mallory.expect("ack");
  assert.equal((await ana.expect("deliver")).from, "mallory");
  ana.send({ type: "send", room: "ops", id, sealed: sealedBytes(20, 1) });
  const ack = await ana.expect("ack");
  assert.notEqual(ack.seq, stolen.seq, "ana's retry must not be taken for mallory's message");
  const history = sqlite.readMessages("ops", 0, 10);
  assert.deepEqual(history.map((m) => [m.seq, m.from]), [[stolen.seq, "mallory"], [
    ack.seq,
    "ana",
  ]]);
  assert.deepEqual(history[1]?.sealed, sealedBytes(20, 1));
});
