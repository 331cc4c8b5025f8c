/** Tests for the known-hosts file: parsing, naming servers, and atomic owner-only updates. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  knownHostAddress,
  KnownHostsFile,
  knownHostsPath,
  parseKnownHosts,
  withEntry,
} from "../../storage/known_hosts.ts";

const A = "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";
const B = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

Deno.test("knownHostAddress() lower-cases names and brackets IPv6", () => {
  assert.equal(knownHostAddress("Chat.LAN", 7777), "chat.lan:7777");
  assert.equal(knownHostAddress("10.0.0.5", 7000), "10.0.0.5:7000");
  assert.equal(knownHostAddress("::1", 7777), "[::1]:7777");
  assert.equal(
    knownHostsPath("/home/ana/.config/chat"),
    join("/home/ana/.config/chat", "known_hosts"),
  );
});

Deno.test("parseKnownHosts() reads entries with their line numbers and skips the rest", () => {
  const text = [
    "# servers I trust",
    `10.0.0.5:7777 ${A}`,
    "",
    "garbage line",
    `[::1]:7777   ${B}  `,
    `chat.lan:7777 SHA256:not-a-fingerprint`,
    `nohostport ${A}`,
    `Chat.Lan:7000 ${A} extra`,
  ].join("\n");
  assert.deepEqual(parseKnownHosts(text), [
    { address: "10.0.0.5:7777", fingerprint: A, line: 2 },
    { address: "[::1]:7777", fingerprint: B, line: 5 },
  ]);
});

Deno.test("withEntry() appends, keeping comments, and replaces an address's entries on request", () => {
  assert.deepEqual(withEntry("", { address: "h:1", fingerprint: A }), {
    text: `h:1 ${A}\n`,
    line: 1,
  });
  const text = `# mine\nh:1 ${A}\nother:2 ${A}\n`;
  assert.deepEqual(withEntry(text, { address: "h:1", fingerprint: B }), {
    text: `# mine\nh:1 ${A}\nother:2 ${A}\nh:1 ${B}\n`,
    line: 4,
  });
  assert.deepEqual(withEntry(text, { address: "h:1", fingerprint: B }, { replace: true }), {
    text: `# mine\nother:2 ${A}\nh:1 ${B}\n`,
    line: 3,
  });
  // A file without a final newline gets one.
  assert.equal(
    withEntry(`h:1 ${A}`, { address: "x:2", fingerprint: B }).text,
    `h:1 ${A}\nx:2 ${B}\n`,
  );
});

Deno.test("KnownHostsFile records entries owner-only and finds them again", async () => {
  const root = await Deno.makeTempDir({ prefix: "chat_known_hosts_test_" });
  try {
    const file = new KnownHostsFile(join(root, "config", "chat", "known_hosts"));
    assert.deepEqual(await file.lookup("h:1"), []);
    assert.equal(await file.record({ address: "h:1", fingerprint: A }), 1);
    assert.equal(await file.record({ address: "g:2", fingerprint: B }), 2);
    assert.deepEqual(await file.lookup("h:1"), [{ address: "h:1", fingerprint: A, line: 1 }]);
    assert.equal(await file.record({ address: "h:1", fingerprint: B }, { replace: true }), 2);
    assert.deepEqual(await file.lookup("h:1"), [{ address: "h:1", fingerprint: B, line: 2 }]);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(file.path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(join(root, "config", "chat"))).mode! & 0o777, 0o700);
    }
    // Nothing but the file itself is left behind by the atomic writes.
    const names = [];
    for await (const entry of Deno.readDir(join(root, "config", "chat"))) names.push(entry.name);
    assert.deepEqual(names, ["known_hosts"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
