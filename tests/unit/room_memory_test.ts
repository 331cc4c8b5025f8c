import assert from "node:assert/strict";
import { defaultStateDir } from "../../storage/data_dir.ts";
import {
  parseRoomMemory,
  RoomMemoryFile,
  SEEN_LIMIT,
  serializeRoomMemory,
} from "../../storage/room_memory.ts";

const WHERE = { server: "127.0.0.1:7777", room: "lobby", name: "ana" };

Deno.test("defaultStateDir() uses XDG_STATE_HOME, then ~/.local/state, on Linux", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(defaultStateDir(env({ XDG_STATE_HOME: "/st", HOME: "/h" }), "linux"), "/st/chat");
  assert.equal(defaultStateDir(env({ HOME: "/h" }), "linux"), "/h/.local/state/chat");
  assert.equal(
    defaultStateDir(env({ XDG_STATE_HOME: "relative", HOME: "/h" }), "linux"),
    "/h/.local/state/chat",
  );
  assert.equal(
    defaultStateDir(env({ HOME: "/Users/ana" }), "darwin"),
    "/Users/ana/Library/Application Support/chat/state",
  );
  assert.equal(
    defaultStateDir(env({ LOCALAPPDATA: "C:\\L", APPDATA: "C:\\R" }), "windows"),
    "C:\\L\\chat\\state",
  );
  assert.throws(() => defaultStateDir(env({}), "linux"), /HOME/);
});

Deno.test("RoomMemoryFile saves owner-only and loads what it saved", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-state-" });
  try {
    const file = await RoomMemoryFile.forRoom(dir, WHERE);
    assert.deepEqual(await file.load(), { seen: [], sessionEndedAt: null });
    const memory = { seen: [["bob", "ab".repeat(16)] as [string, string]], sessionEndedAt: 42 };
    await file.save(memory);
    assert.deepEqual(await file.load(), memory);
    assert.ok(file.path.startsWith(`${dir}/rooms/`));
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(file.path)).mode! & 0o777, 0o600);
    }
    assert.deepEqual([...Deno.readDirSync(`${dir}/rooms`)].length, 1, "no temporary file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RoomMemoryFile.forRoom() keeps servers, rooms and members apart, and rooms by folded name", async () => {
  const path = async (where: typeof WHERE) => (await RoomMemoryFile.forRoom("/s", where)).path;
  const base = await path(WHERE);
  assert.equal(await path({ ...WHERE, room: "LOBBY" }), base);
  assert.notEqual(await path({ ...WHERE, room: "ops" }), base);
  assert.notEqual(await path({ ...WHERE, name: "bob" }), base);
  assert.notEqual(await path({ ...WHERE, server: "127.0.0.1:7778" }), base);
});

Deno.test("parseRoomMemory() refuses what is not a room memory, and keeps at most SEEN_LIMIT", () => {
  for (const text of ["", "{}", '{"version":2,"seen":[]}', '{"version":1,"seen":[["a"]]}']) {
    assert.throws(() => parseRoomMemory(text), SyntaxError, text);
  }
  assert.throws(
    () => parseRoomMemory('{"version":1,"seen":[],"sessionEndedAt":"yesterday"}'),
    SyntaxError,
  );
  const seen = Array.from({ length: SEEN_LIMIT + 5 }, (_, i) => ["bob", String(i)]);
  const parsed = parseRoomMemory(
    serializeRoomMemory({ seen: seen as [string, string][], sessionEndedAt: 1 }, WHERE),
  );
  assert.equal(parsed.seen.length, SEEN_LIMIT);
  assert.deepEqual(parsed.seen[0], ["bob", "5"]);
});

Deno.test("RoomMemoryFile keeps the resume token beside the memory, each save keeping the other", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-state-" });
  try {
    const file = await RoomMemoryFile.forRoom(dir, WHERE);
    assert.equal(await file.loadResumeToken(), null);
    const token = new Uint8Array(16).map((_, i) => i * 17);
    await file.saveResumeToken(token);
    const memory = { seen: [["bob", "cd".repeat(16)] as [string, string]], sessionEndedAt: 7 };
    await file.save(memory);
    // A new run, as after a closed terminal: both are there.
    const again = await RoomMemoryFile.forRoom(dir, { ...WHERE, room: "Lobby" });
    assert.deepEqual(await again.loadResumeToken(), token);
    assert.deepEqual(await again.load(), memory);
    await again.saveResumeToken(new Uint8Array(16).fill(9));
    assert.deepEqual(await (await RoomMemoryFile.forRoom(dir, WHERE)).load(), memory);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(file.path)).mode! & 0o777, 0o600);
    }
    assert.throws(
      () => parseRoomMemory('{"version":1,"seen":[],"sessionEndedAt":null,"resumeToken":"zz"}'),
      SyntaxError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
