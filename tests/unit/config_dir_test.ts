/**
 * Tests for choosing the config directory (identity key, known keys, known hosts): each
 * platform's convention from a fake environment.
 */
import assert from "node:assert/strict";
import { defaultConfigDir } from "../../storage/data_dir.ts";

function env(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("defaultConfigDir() uses XDG_CONFIG_HOME, then ~/.config, on Linux and other Unixes", () => {
  const vars = { XDG_CONFIG_HOME: "/cfg", HOME: "/home/ana" };
  assert.equal(defaultConfigDir(env(vars), "linux"), "/cfg/chat");
  assert.equal(defaultConfigDir(env({ HOME: "/home/ana" }), "linux"), "/home/ana/.config/chat");
  assert.equal(defaultConfigDir(env({ HOME: "/home/ana" }), "freebsd"), "/home/ana/.config/chat");
  // Empty or relative XDG_CONFIG_HOME is invalid per the XDG spec and ignored.
  for (const xdg of ["", "cfg"]) {
    const ignored = { XDG_CONFIG_HOME: xdg, HOME: "/home/ana" };
    assert.equal(defaultConfigDir(env(ignored), "linux"), "/home/ana/.config/chat", xdg);
  }
});

Deno.test("defaultConfigDir() uses Application Support on macOS", () => {
  const vars = { HOME: "/Users/ana", XDG_CONFIG_HOME: "/cfg" };
  assert.equal(
    defaultConfigDir(env(vars), "darwin"),
    "/Users/ana/Library/Application Support/chat",
  );
});

Deno.test("defaultConfigDir() uses APPDATA (roaming) on Windows", () => {
  const vars = { APPDATA: "C:\\Users\\ana\\AppData\\Roaming", LOCALAPPDATA: "C:\\Local" };
  assert.equal(defaultConfigDir(env(vars), "windows"), "C:\\Users\\ana\\AppData\\Roaming\\chat");
});

Deno.test("defaultConfigDir() throws when no home directory is known", () => {
  assert.throws(() => defaultConfigDir(env({}), "linux"), /HOME .*is not set/);
  assert.throws(() => defaultConfigDir(env({ HOME: "" }), "darwin"), /HOME is not set/);
  assert.throws(() => defaultConfigDir(env({ HOME: "/home/ana" }), "windows"), /APPDATA/);
});
