/**
 * Tests for choosing the data directory: each platform's convention from a fake environment, and
 * creating the directory owner-only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { databasePath, defaultDataDir, ensureDataDir } from "../../storage/data_dir.ts";

function env(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("defaultDataDir() uses XDG_DATA_HOME on Linux", () => {
  const vars = { XDG_DATA_HOME: "/data", HOME: "/home/ana" };
  assert.equal(defaultDataDir(env(vars), "linux"), "/data/chat");
});

Deno.test("defaultDataDir() falls back to ~/.local/share on Linux and other Unixes", () => {
  assert.equal(defaultDataDir(env({ HOME: "/home/ana" }), "linux"), "/home/ana/.local/share/chat");
  assert.equal(
    defaultDataDir(env({ HOME: "/home/ana" }), "freebsd"),
    "/home/ana/.local/share/chat",
  );
  // An empty or relative XDG_DATA_HOME is invalid per the XDG spec and ignored.
  const empty = { XDG_DATA_HOME: "", HOME: "/home/ana" };
  assert.equal(defaultDataDir(env(empty), "linux"), "/home/ana/.local/share/chat");
  const relative = { XDG_DATA_HOME: "data", HOME: "/home/ana" };
  assert.equal(defaultDataDir(env(relative), "linux"), "/home/ana/.local/share/chat");
});

Deno.test("defaultDataDir() uses Application Support on macOS", () => {
  const vars = { HOME: "/Users/ana", XDG_DATA_HOME: "/data" };
  assert.equal(defaultDataDir(env(vars), "darwin"), "/Users/ana/Library/Application Support/chat");
});

Deno.test("defaultDataDir() uses LOCALAPPDATA, then APPDATA, on Windows", () => {
  const local = { LOCALAPPDATA: "C:\\Users\\ana\\AppData\\Local", APPDATA: "C:\\Roaming" };
  assert.equal(defaultDataDir(env(local), "windows"), "C:\\Users\\ana\\AppData\\Local\\chat");
  const roaming = { APPDATA: "C:\\Users\\ana\\AppData\\Roaming" };
  assert.equal(defaultDataDir(env(roaming), "windows"), "C:\\Users\\ana\\AppData\\Roaming\\chat");
});

Deno.test("defaultDataDir() throws when no home directory is known", () => {
  assert.throws(() => defaultDataDir(env({}), "linux"), /HOME .*is not set; set it or pass --data/);
  assert.throws(() => defaultDataDir(env({ HOME: "" }), "darwin"), /HOME is not set/);
  assert.throws(
    () => defaultDataDir(env({ HOME: "/home/ana" }), "windows"),
    /LOCALAPPDATA or APPDATA is not set/,
  );
});

Deno.test("databasePath() is chat.db in the directory, or :memory:", () => {
  assert.equal(databasePath("/var/lib/chat"), join("/var/lib/chat", "chat.db"));
  assert.equal(databasePath(":memory:"), ":memory:");
});

Deno.test("ensureDataDir() creates nested directories readable by the owner only", async () => {
  const root = await Deno.makeTempDir({ prefix: "chat_data_dir_test_" });
  try {
    const dir = join(root, "a", "b", "chat");
    ensureDataDir(dir);
    ensureDataDir(dir); // Already there: no error.
    const info = Deno.statSync(dir);
    assert.ok(info.isDirectory);
    if (Deno.build.os !== "windows") assert.equal((info.mode ?? 0) & 0o777, 0o700);
    ensureDataDir(":memory:");
    assert.equal(Deno.statSync(root).isDirectory, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
