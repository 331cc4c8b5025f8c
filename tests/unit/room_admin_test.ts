/**
 * The operator's room commands on a real database file, with and without a relay running on it.
 */
import assert from "node:assert/strict";
import { join as joinPath } from "node:path";
import { Relay } from "../../relay/relay.ts";
import { dropRoom, listRooms } from "../../storage/room_admin.ts";
import { SqliteStore, StorageOpenError } from "../../storage/sqlite_store.ts";
import {
  greeted,
  join,
  member,
  messageId,
  NO_LIMITS,
  PARAMS,
  sealedBytes,
} from "./relay_harness.ts";

async function withDatabase(test: (path: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat_rooms_test_" });
  try {
    await test(joinPath(dir, "chat.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("listRooms() shows each room with what it stores", async () => {
  await withDatabase((path) => {
    using store = SqliteStore.open(path);
    store.createRoom({ name: "Ops", params: PARAMS, keyCheck: new Uint8Array(32) });
    store.createRoom({ name: "lobby", params: PARAMS, keyCheck: new Uint8Array(32) });
    store.appendMessages([1, 2].map((seq) => ({
      room: "Ops",
      seq,
      ts: 1_000 * seq,
      from: "ana",
      id: messageId(seq),
      sealed: new Uint8Array(100),
    })));
    const rooms = listRooms(path);
    assert.deepEqual(
      rooms.map((room) => [room.name, room.messages, room.bytes, room.lastMessageAt, room.lastSeq]),
      [["lobby", 0, 0, null, 0], ["Ops", 2, 200, 2_000, 2]],
    );
    assert.ok(rooms.every((room) => typeof room.createdAt === "number"));
  });
});

Deno.test("dropRoom() and listRooms() refuse a directory with no database", async () => {
  await withDatabase((path) => {
    assert.throws(() => listRooms(path), StorageOpenError);
    assert.throws(() => dropRoom(path, "ops"), StorageOpenError);
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound, "nothing was created");
  });
});

Deno.test("dropRoom() on a running relay's database tells the members and frees the name", async () => {
  await withDatabase(async (path) => {
    const store = SqliteStore.open(path);
    const relay = new Relay({ store, defer: queueMicrotask, limits: NO_LIMITS });
    await using ana = await member(relay, "ana");
    ana.send({ type: "send", room: "ops", id: messageId(1), sealed: sealedBytes(10, 1) });
    await ana.expect("ack");
    assert.equal(dropRoom(path, "OPS"), "ops");
    assert.equal(dropRoom(path, "ops"), null, "gone already");
    relay.sweep();
    const told = await ana.expectError("room_dropped", false);
    assert.equal(told.room, "ops");
    ana.send({ type: "send", room: "ops", id: messageId(2), sealed: sealedBytes(10, 2) });
    assert.equal((await ana.expect("nack")).code, "not_joined");
    await using bob = await greeted(relay);
    bob.send({ type: "room_query", room: "ops" });
    assert.equal((await bob.expect("room_info")).params, null);
    join(bob, "bob");
    const joined = await bob.expect("joined");
    assert.deepEqual([joined.lastSeq, joined.memberCount], [0, 1], "a new room, empty");
    assert.deepEqual(listRooms(path).map((room) => [room.name, room.messages]), [["ops", 0]]);
    await relay.shutdown();
    store.close();
  });
});
