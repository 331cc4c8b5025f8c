/**
 * Tests for the SQLite store: every `RelayStore` method, durability across reopening and a killed
 * process, all-or-nothing appends when the size cap is reached, and refusal of files that are
 * not ours without changing a byte of them.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { type MessageRecord, StorageFullError } from "../../relay/store.ts";
import { SCHEMA_VERSION, SqliteStore, StorageOpenError } from "../../storage/sqlite_store.ts";

const PARAMS = { salt: new Uint8Array(16).fill(7), iterations: 600_000, kdf: 2 };
const KEY_CHECK = new Uint8Array(32).fill(3);

function room(name: string) {
  return { name, params: PARAMS, keyCheck: KEY_CHECK };
}

function message(roomName: string, seq: number, options: { ts?: number; size?: number } = {}) {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, seq);
  id.set(new TextEncoder().encode(roomName).subarray(0, 12), 4);
  const sealed = new Uint8Array(options.size ?? 40).fill(seq % 256);
  return { room: roomName, seq, ts: options.ts ?? 1_000 + seq, from: "ana", id, sealed };
}

function messages(roomName: string, from: number, to: number): MessageRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => message(roomName, from + i));
}

function seqs(store: SqliteStore, roomName: string): number[] {
  return store.readMessages(roomName, 0, 1_000_000).map((m) => m.seq);
}

/** Runs `test` with a fresh temporary directory, removed afterwards. */
async function withTempDir(test: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat_store_test_" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createRoom() and loadRooms() round-trip a room with lastSeq 0", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  assert.deepEqual(store.loadRooms(), [{ ...room("Ops"), lastSeq: 0, topic: null }]);
  // Rooms are keyed by their folded name: "ops" is the same room.
  assert.throws(() => store.createRoom(room("ops")), /UNIQUE/);
});

Deno.test("appendMessages() stores a batch and advances each room's lastSeq", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.createRoom(room("dev"));
  store.appendMessages([...messages("Ops", 1, 3), ...messages("dev", 1, 2)]);
  store.appendMessages([]);
  const lastSeqs = Object.fromEntries(store.loadRooms().map((r) => [r.name, r.lastSeq]));
  assert.deepEqual(lastSeqs, { Ops: 3, dev: 2 });
  const [first] = store.readMessages("Ops", 0, 1);
  assert.deepEqual(first, {
    seq: 1,
    ts: 1_001,
    from: "ana",
    id: message("Ops", 1).id,
    sealed: message("Ops", 1).sealed,
  });
});

Deno.test("appendMessages() stores nothing of a batch that breaks a constraint", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.appendMessages(messages("Ops", 1, 2));
  // seq 2 is taken: the whole batch, including the valid seq 3 before it, must roll back.
  assert.throws(() => store.appendMessages([message("Ops", 3), message("Ops", 2)]), /UNIQUE/);
  assert.deepEqual(seqs(store, "Ops"), [1, 2]);
  assert.equal(store.loadRooms()[0]?.lastSeq, 2);
  store.appendMessages([message("Ops", 3)]);
  assert.deepEqual(seqs(store, "Ops"), [1, 2, 3]);
});

Deno.test("appendMessages() rejects a room that was never created, storing nothing", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  assert.throws(
    () => store.appendMessages([message("Ops", 1), message("ghost", 1)]),
    (error) => error instanceof RangeError && /"ghost": it was never created/.test(error.message),
  );
  assert.deepEqual(seqs(store, "Ops"), []);
});

Deno.test("readMessages() pages after a sequence number, in order, with a limit", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.createRoom(room("dev"));
  store.appendMessages([...messages("dev", 1, 5), ...messages("Ops", 1, 10)]);
  assert.deepEqual(store.readMessages("Ops", 3, 4).map((m) => m.seq), [4, 5, 6, 7]);
  assert.deepEqual(store.readMessages("Ops", 8, 100).map((m) => m.seq), [9, 10]);
  assert.deepEqual(store.readMessages("Ops", 10, 100), []);
  assert.deepEqual(store.readMessages("Ops", 0, 0), []);
  assert.deepEqual(store.readMessages("nowhere", 0, 10), []);
});

Deno.test("readMessages() returns bytes the caller owns", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.appendMessages([message("Ops", 1)]);
  const [first] = store.readMessages("Ops", 0, 1);
  assert.ok(first);
  first.sealed.fill(0xee);
  first.id.fill(0xee);
  assert.deepEqual(store.readMessages("Ops", 0, 1)[0]?.sealed, message("Ops", 1).sealed);
  assert.ok(store.findMessage("Ops", "ana", message("Ops", 1).id));
});

Deno.test("findMessage() finds a kept message by id and returns null once it is pruned", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.createRoom(room("dev"));
  store.appendMessages(messages("Ops", 1, 3));
  assert.deepEqual(store.findMessage("Ops", "ana", message("Ops", 2).id), { seq: 2, ts: 1_002 });
  assert.equal(store.findMessage("dev", "ana", message("Ops", 2).id), null);
  assert.equal(store.findMessage("Ops", "ana", new Uint8Array(16)), null);
  store.prune(0, { maxMessagesPerRoom: 1, maxAgeMs: Infinity });
  assert.equal(store.findMessage("Ops", "ana", message("Ops", 2).id), null);
  assert.deepEqual(store.findMessage("Ops", "ana", message("Ops", 3).id), { seq: 3, ts: 1_003 });
});

Deno.test("firstSeq() is the oldest kept seq, or lastSeq + 1 when none is kept", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  assert.equal(store.firstSeq("Ops"), 1);
  store.appendMessages(messages("Ops", 1, 5));
  assert.equal(store.firstSeq("Ops"), 1);
  store.prune(0, { maxMessagesPerRoom: 2, maxAgeMs: Infinity });
  assert.equal(store.firstSeq("Ops"), 4);
  store.prune(0, { maxMessagesPerRoom: 0, maxAgeMs: Infinity });
  assert.equal(store.firstSeq("Ops"), 6);
});

Deno.test("prune() keeps the newest maxMessagesPerRoom of each room", () => {
  using store = SqliteStore.open(":memory:");
  for (const name of ["Ops", "dev", "quiet"]) store.createRoom(room(name));
  store.appendMessages([...messages("Ops", 1, 10), ...messages("dev", 1, 3)]);
  assert.equal(store.prune(0, { maxMessagesPerRoom: 4, maxAgeMs: Infinity }), 6);
  assert.deepEqual(seqs(store, "Ops"), [7, 8, 9, 10]);
  assert.deepEqual(seqs(store, "dev"), [1, 2, 3]);
  assert.equal(store.prune(0, { maxMessagesPerRoom: 4, maxAgeMs: Infinity }), 0);
  // Pruning never moves lastSeq back: new messages continue the sequence.
  assert.equal(store.loadRooms().find((r) => r.name === "Ops")?.lastSeq, 10);
});

Deno.test("prune() deletes messages older than maxAgeMs and keeps all with Infinity", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.appendMessages([1, 2, 3, 4].map((seq) => message("Ops", seq, { ts: seq * 1_000 })));
  const unlimited = { maxMessagesPerRoom: 100, maxAgeMs: Infinity };
  assert.equal(store.prune(1_000_000, unlimited), 0);
  // now - maxAgeMs = 2_500: the messages at 1_000 and 2_000 are older.
  assert.equal(store.prune(10_000, { maxMessagesPerRoom: 100, maxAgeMs: 7_500 }), 2);
  assert.deepEqual(seqs(store, "Ops"), [3, 4]);
  // Age and count apply together: age takes seq 3 (ts 3_000 < 3_500), count takes seq 4.
  assert.equal(store.prune(10_000, { maxMessagesPerRoom: 0, maxAgeMs: 6_500 }), 2);
  assert.deepEqual(seqs(store, "Ops"), []);
});

Deno.test("loadReservations() returns unexpired reservations and deletes expired ones", () => {
  using store = SqliteStore.open(":memory:");
  const token = new Uint8Array([1, 2, 3]);
  store.updateReservations([{
    kind: "save",
    reservation: { room: "Ops", name: "Ana", token, expiresAt: 5_000 },
  }]);
  store.updateReservations([{
    kind: "save",
    reservation: { room: "Ops", name: "bob", token, expiresAt: 1_000 },
  }]);
  store.updateReservations([{
    kind: "save",
    reservation: { room: "dev", name: "ana", token, expiresAt: 5_000 },
  }]);
  assert.deepEqual(store.loadReservations(1_000), [
    { room: "Ops", name: "Ana", token, expiresAt: 5_000 },
    { room: "dev", name: "ana", token, expiresAt: 5_000 },
  ]);
  // bob's expired reservation is gone, not merely hidden.
  assert.equal(store.loadReservations(0).length, 2);
  assert.deepEqual(store.loadReservations(5_000), []);
});

Deno.test("updateReservations() replaces and deletes by folded name", () => {
  using store = SqliteStore.open(":memory:");
  store.updateReservations([{
    kind: "save",
    reservation: { room: "Ops", name: "Ana", token: new Uint8Array([1]), expiresAt: 10 },
  }]);
  store.updateReservations([{
    kind: "save",
    reservation: { room: "Ops", name: "ANA", token: new Uint8Array([2]), expiresAt: 20 },
  }]);
  assert.deepEqual(store.loadReservations(0), [
    { room: "Ops", name: "ANA", token: new Uint8Array([2]), expiresAt: 20 },
  ]);
  store.updateReservations([{ kind: "delete", room: "Ops", name: "ana" }]);
  store.updateReservations([{ kind: "delete", room: "Ops", name: "nobody" }]);
  assert.deepEqual(store.loadReservations(0), []);
});

Deno.test("SqliteStore.open() finds rooms, messages and reservations again after reopening", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    const token = new Uint8Array([9, 9]);
    {
      using store = SqliteStore.open(path);
      store.createRoom(room("Ops"));
      store.appendMessages(messages("Ops", 1, 7));
      store.prune(0, { maxMessagesPerRoom: 5, maxAgeMs: Infinity });
      store.updateReservations([{
        kind: "save",
        reservation: { room: "Ops", name: "ana", token, expiresAt: 50 },
      }]);
    }
    using store = SqliteStore.open(path);
    assert.deepEqual(store.loadRooms(), [{ ...room("Ops"), lastSeq: 7, topic: null }]);
    assert.deepEqual(seqs(store, "Ops"), [3, 4, 5, 6, 7]);
    assert.equal(store.firstSeq("Ops"), 3);
    assert.deepEqual(store.findMessage("Ops", "ana", message("Ops", 6).id), { seq: 6, ts: 1_006 });
    assert.deepEqual(store.loadReservations(0), [{
      room: "Ops",
      name: "ana",
      token,
      expiresAt: 50,
    }]);
  });
});

Deno.test("SqliteStore.open() keeps every committed batch when the process is killed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "chat.db");
    const module = import.meta.resolve("../../storage/sqlite_store.ts");
    const code = `
      const { SqliteStore } = await import(${JSON.stringify(module)});
      const store = SqliteStore.open(${JSON.stringify(path)});
      const params = { salt: new Uint8Array(16), iterations: 1, kdf: 1 };
      store.createRoom({ name: "Ops", params, keyCheck: new Uint8Array(32) });
      for (let seq = 1; seq <= 300; seq++) {
        const id = new Uint8Array(16); new DataView(id.buffer).setUint32(0, seq);
        store.appendMessages([{ room: "Ops", seq, ts: seq, from: "a", id, sealed: id }]);
      }
      console.log("committed");
      setInterval(() => {}, 1000);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!output.includes("committed")) {
      const { value, done } = await reader.read();
      if (done) break;
      output += value;
    }
    child.kill("SIGKILL");
    await reader.cancel();
    assert.equal((await child.status).signal, "SIGKILL");
    assert.match(output, /committed/);
    // The killed process left its WAL behind, never checkpointed; reopening must replay it.
    assert.ok(Deno.statSync(`${path}-wal`).size > 0);
    using store = SqliteStore.open(path);
    assert.equal(store.loadRooms()[0]?.lastSeq, 300);
    assert.equal(seqs(store, "Ops").length, 300);
  });
});

Deno.test("appendMessages() throws StorageFullError and stores nothing at maxBytes", async () => {
  await withTempDir((dir) => {
    using store = SqliteStore.open(join(dir, "chat.db"), { maxBytes: 64 * 1024 });
    store.createRoom(room("Ops"));
    let seq = 0;
    let full: unknown = null;
    while (full === null && seq < 10_000) {
      const batch = Array.from({ length: 5 }, (_, i) => message("Ops", seq + 1 + i, { size: 500 }));
      try {
        store.appendMessages(batch);
        seq += batch.length;
      } catch (error) {
        full = error;
      }
    }
    assert.ok(full instanceof StorageFullError, String(full));
    assert.match(full.message, /database or disk is full/);
    assert.ok(seq > 0, "some batches fit before the cap");
    // Nothing of the failed batch, everything of the earlier ones, and lastSeq in step.
    assert.deepEqual(seqs(store, "Ops"), Array.from({ length: seq }, (_, i) => i + 1));
    assert.equal(store.findMessage("Ops", "ana", message("Ops", seq + 1).id), null);
    assert.equal(store.loadRooms()[0]?.lastSeq, seq);
    // Pruning frees pages onto the freelist, which SQLite reuses for the next appends.
    assert.ok(store.prune(0, { maxMessagesPerRoom: 5, maxAgeMs: Infinity }) > 0);
    store.appendMessages(
      Array.from({ length: 5 }, (_, i) => message("Ops", seq + 1 + i, { size: 500 })),
    );
    assert.equal(store.loadRooms()[0]?.lastSeq, seq + 5);
  });
});

Deno.test("SqliteStore.open() refuses a file of garbage and leaves it byte-identical", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    const garbage = new Uint8Array(8192).map((_, i) => (i * 7919) % 251);
    Deno.writeFileSync(path, garbage);
    assert.throws(
      () => SqliteStore.open(path),
      (error) =>
        error instanceof StorageOpenError && error.code === "not_a_database" &&
        error.message.startsWith(
          `Cannot open the data file ${path}: file is not a database; it was left untouched`,
        ),
    );
    assert.deepEqual(Deno.readFileSync(path), garbage);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["chat.db"]);
  });
});

Deno.test("SqliteStore.open() refuses a truncated chat database, leaving it as found", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    {
      using store = SqliteStore.open(path);
      store.createRoom(room("Ops"));
      store.appendMessages(Array.from({ length: 200 }, (_, i) => message("Ops", i + 1)));
    }
    const truncated = Deno.readFileSync(path).slice(0, 3 * 4096);
    Deno.writeFileSync(path, truncated);
    assert.throws(
      () => SqliteStore.open(path),
      (error) => error instanceof StorageOpenError && error.code === "corrupt",
    );
    assert.deepEqual(Deno.readFileSync(path), truncated);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["chat.db"]);
  });
});

Deno.test("SqliteStore.open() refuses another program's SQLite database, byte-identical", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "notes.db");
    const other = new DatabaseSync(path);
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    other.close();
    const before = Deno.readFileSync(path);
    assert.throws(
      () => SqliteStore.open(path),
      (error) =>
        error instanceof StorageOpenError && error.code === "foreign_schema" &&
        error.message.includes(path),
    );
    assert.deepEqual(Deno.readFileSync(path), before);
  });
});

Deno.test("SqliteStore.open() refuses a database from a newer schema version", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    SqliteStore.open(path).close();
    const future = new DatabaseSync(path);
    future.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    future.close();
    const before = Deno.readFileSync(path);
    assert.throws(
      () => SqliteStore.open(path),
      (error) =>
        error instanceof StorageOpenError && error.code === "newer_version" &&
        error.message.includes(
          `newer chat (schema ${SCHEMA_VERSION + 1}, this one reads ${SCHEMA_VERSION})`,
        ),
    );
    assert.deepEqual(Deno.readFileSync(path), before);
  });
});

Deno.test("SqliteStore.open() sets up an empty existing file", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    Deno.writeFileSync(path, new Uint8Array());
    using store = SqliteStore.open(path);
    store.createRoom(room("Ops"));
    assert.equal(store.loadRooms().length, 1);
  });
});

Deno.test('SqliteStore.open(":memory:") writes nothing to disk', async () => {
  await withTempDir((dir) => {
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      using store = SqliteStore.open(":memory:");
      store.createRoom(room("Ops"));
      store.appendMessages(messages("Ops", 1, 50));
      store.updateReservations([{
        kind: "save",
        reservation: { room: "Ops", name: "ana", token: new Uint8Array(1), expiresAt: 9 },
      }]);
      assert.equal(store.readMessages("Ops", 0, 100).length, 50);
    } finally {
      Deno.chdir(cwd);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("SqliteStore.open() rejects a bad maxBytes and close() may be called twice", () => {
  assert.throws(() => SqliteStore.open(":memory:", { maxBytes: 0 }), RangeError);
  assert.throws(() => SqliteStore.open(":memory:", { maxBytes: 1.5 }), RangeError);
  assert.throws(() => SqliteStore.open(""), RangeError);
  const store = SqliteStore.open(":memory:");
  store.close();
  store.close();
});

Deno.test("appendMessages() keeps messages of two senders that share an id", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  const ana = message("Ops", 1);
  store.appendMessages([ana, { ...message("Ops", 2), id: ana.id, from: "mallory" }]);
  assert.deepEqual(store.findMessage("Ops", "ana", ana.id), { seq: 1, ts: 1_001 });
  assert.deepEqual(store.findMessage("Ops", "mallory", ana.id), { seq: 2, ts: 1_002 });
  // One sender may not store two messages under one id.
  assert.throws(() => store.appendMessages([{ ...message("Ops", 3), id: ana.id }]), /UNIQUE/);
});

Deno.test("appendMessages() keeps a room within its quota by deleting its oldest messages", () => {
  using store = SqliteStore.open(":memory:", { roomQuotaBytes: 1_000 });
  store.createRoom(room("Ops"));
  store.createRoom(room("dev"));
  store.appendMessages([message("dev", 1, { size: 900 })]);
  for (let seq = 1; seq <= 30; seq++) store.appendMessages([message("Ops", seq, { size: 100 })]);
  assert.deepEqual(seqs(store, "Ops"), Array.from({ length: 10 }, (_, i) => 21 + i));
  assert.deepEqual(seqs(store, "dev"), [1], "another room's messages are not touched");
  // A batch bigger than the quota keeps itself whole: nothing just stored is deleted.
  store.appendMessages(messages("Ops", 31, 45).map((m) => ({ ...m, sealed: new Uint8Array(100) })));
  assert.deepEqual(seqs(store, "Ops"), Array.from({ length: 15 }, (_, i) => 31 + i));
});

Deno.test("prune() keeps each room's byte count right for its quota", () => {
  using store = SqliteStore.open(":memory:", { roomQuotaBytes: 1_000 });
  store.createRoom(room("Ops"));
  store.appendMessages(messages("Ops", 1, 9).map((m) => ({ ...m, sealed: new Uint8Array(100) })));
  store.prune(0, { maxMessagesPerRoom: 2, maxAgeMs: Infinity });
  assert.deepEqual(seqs(store, "Ops"), [8, 9]);
  // 200 bytes are left: eight more of 100 fit without deleting anything.
  store.appendMessages(messages("Ops", 10, 17).map((m) => ({ ...m, sealed: new Uint8Array(100) })));
  assert.deepEqual(seqs(store, "Ops"), [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
  store.prune(1_016, { maxMessagesPerRoom: 100, maxAgeMs: 0 });
  assert.deepEqual(seqs(store, "Ops"), [16, 17]);
  store.appendMessages(messages("Ops", 18, 25).map((m) => ({ ...m, sealed: new Uint8Array(100) })));
  assert.equal(seqs(store, "Ops").length, 10);
});

Deno.test("deleteRoom() removes a room with its messages and reservations", () => {
  using store = SqliteStore.open(":memory:");
  store.createRoom(room("Ops"));
  store.createRoom(room("dev"));
  store.appendMessages([...messages("Ops", 1, 3), ...messages("dev", 1, 1)]);
  store.updateReservations([{
    kind: "save",
    reservation: { room: "Ops", name: "ana", token: new Uint8Array(16), expiresAt: 10 },
  }]);
  store.deleteRoom("OPS");
  assert.deepEqual(store.loadRooms().map((r) => r.name), ["dev"]);
  assert.deepEqual(seqs(store, "Ops"), []);
  assert.deepEqual(store.loadReservations(0), []);
  assert.deepEqual(seqs(store, "dev"), [1]);
  store.createRoom(room("Ops"));
  assert.equal(store.firstSeq("Ops"), 1);
});

Deno.test("newestTs() is the newest stored ts, null when nothing is stored", () => {
  using store = SqliteStore.open(":memory:");
  assert.equal(store.newestTs(), null);
  store.createRoom(room("Ops"));
  store.appendMessages([message("Ops", 1, { ts: 50 }), message("Ops", 2, { ts: 40 })]);
  assert.equal(store.newestTs(), 50);
});

Deno.test("SqliteStore.open() upgrades a version 1 database, keeping its data", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    const v1 = new DatabaseSync(path);
    v1.exec(`
      CREATE TABLE rooms (
        folded TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL,
        iterations INTEGER NOT NULL, key_check BLOB NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER
      ) STRICT;
      CREATE TABLE messages (
        room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, sender TEXT NOT NULL,
        id BLOB NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (room, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX messages_by_id ON messages (room, id);
      CREATE INDEX messages_by_ts ON messages (ts);
      CREATE TABLE reservations (
        room TEXT NOT NULL, folded_name TEXT NOT NULL, name TEXT NOT NULL, token BLOB NOT NULL,
        expires_at INTEGER NOT NULL, PRIMARY KEY (room, folded_name)
      ) STRICT;
      PRAGMA user_version = 1;`);
    v1.prepare("INSERT INTO rooms VALUES ('ops', 'Ops', ?, 600000, ?, 2, 0)").run(
      PARAMS.salt,
      KEY_CHECK,
    );
    const insert = v1.prepare("INSERT INTO messages VALUES ('Ops', ?, ?, 'ana', ?, ?)");
    for (const m of messages("Ops", 1, 2)) insert.run(m.seq, m.ts, m.id, new Uint8Array(600));
    v1.close();
    {
      using store = SqliteStore.open(path, { roomQuotaBytes: 1_000 });
      assert.deepEqual(store.loadRooms().map((r) => [r.name, r.lastSeq]), [["Ops", 2]]);
      assert.equal(store.loadRooms()[0]?.params.kdf, 1, "a room from before keeps its derivation");
      assert.deepEqual(seqs(store, "Ops"), [1, 2]);
      // The byte count was filled in from what was stored: one more message passes the quota.
      store.appendMessages([message("Ops", 3, { size: 100 })]);
      assert.deepEqual(seqs(store, "Ops"), [2, 3]);
      const other = { ...message("Ops", 4), from: "bob", id: message("Ops", 2).id };
      store.appendMessages([other]);
      assert.deepEqual(store.findMessage("Ops", "bob", other.id), { seq: 4, ts: 1_004 });
    }
    const check = new DatabaseSync(path, { readOnly: true });
    assert.equal(check.prepare("PRAGMA user_version").get()?.["user_version"], SCHEMA_VERSION);
    check.close();
  });
});

Deno.test("SqliteStore.open() makes the database and its -wal and -shm owner-only", async () => {
  if (Deno.build.os === "windows") return;
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    const old = Deno.umask(0o022);
    try {
      {
        using store = SqliteStore.open(path);
        store.createRoom(room("Ops"));
        store.appendMessages(messages("Ops", 1, 3));
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          assert.equal(Deno.statSync(file).mode! & 0o777, 0o600, file);
        }
      }
      // A file an older chat left 0644 is narrowed when opened.
      Deno.chmodSync(path, 0o644);
      using store = SqliteStore.open(path);
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      assert.equal(store.loadRooms().length, 1);
    } finally {
      Deno.umask(old);
    }
  });
});

Deno.test("setTopic() keeps a room's sealed topic across reopening", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "chat.db");
    const topic = {
      from: "ana",
      ts: 42,
      id: new Uint8Array(16).fill(4),
      sealed: new Uint8Array(30),
    };
    {
      using store = SqliteStore.open(path);
      store.createRoom(room("Ops"));
      store.setTopic("OPS", topic);
    }
    using store = SqliteStore.open(path);
    assert.deepEqual(store.loadRooms()[0]?.topic, topic);
    assert.equal(store.loadRooms()[0]?.params.kdf, 2);
  });
});
