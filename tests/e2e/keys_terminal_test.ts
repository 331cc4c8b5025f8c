/**
 * The interactive client's keys under a real pseudo-terminal (tmux): pastes, Ctrl-C, the exit
 * codes, mentions in the bell and the title, Tab completion and readline's word keys, and what
 * the terminal is left in afterwards.
 */
import assert from "node:assert/strict";
import { joinClient, startServer } from "./harness.ts";
import { startInteractive, Tmux, tmuxMissing } from "./tmux.ts";

const PASSPHRASE = "velvet-anchor-quiet-meadow";

async function tempConfig(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("join (terminal): a 30-line paste is one message, sent after a yes; Ctrl-C twice leaves with 130", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  await using config = await tempConfig();
  await using tmux = new Tmux();
  await startInteractive(tmux, {
    port: server.port,
    name: "ana",
    configHome: config.path,
    passphrase: PASSPHRASE,
    keepPane: true,
    rows: 45,
  });
  await tmux.waitForScreen((screen) => screen.includes("lobby>"));
  const before = await tmux.format("#{pane_title}");
  assert.equal(before, "lobby - chat");

  const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1} of the build log`);
  await tmux.paste(`${lines.join("\n")}\n`);
  // On the line, not sent: one row, scrolled, marked "<", line breaks shown as "↵".
  await tmux.waitForScreen((screen) => /^lobby> <.*log↵line 30 of the build log$/m.test(screen));
  await tmux.keys("Enter");
  const bytes = new TextEncoder().encode(lines.join("\n")).length;
  await tmux.waitForScreen((screen) =>
    screen.includes(`Send 30 lines (${bytes} bytes) as one message?`)
  );
  await tmux.type("y");
  const received = await bob.event((event) => event.type === "message" && event.from === "ana");
  assert.equal(received.text, lines.join("\n"));
  const screen = await tmux.waitForScreen((text) => text.includes("line 30 of the build log"));
  assert.match(
    screen,
    /^\d\d:\d\d:\d\d ana: line 1 of the build log\n {14}line 2 of the build log$/m,
  );

  await tmux.type("a draft to keep");
  await tmux.keys("C-c");
  await tmux.waitForScreen((text) => text.includes("Line cleared") && /^lobby>\s*$/m.test(text));
  await tmux.keys("C-c");
  await tmux.waitForScreen((text) => text.includes("[exit 130]"));
  await bob.event((event) => event.type === "leave" && event.from === "ana");
  assert.equal(
    bob.events().filter((event) => event.type === "message" && event.from === "ana").length,
    1,
    "the paste went out as one message",
  );
  assert.notEqual(await tmux.format("#{pane_title}"), "lobby - chat", "the title is restored");

  // Bracketed paste is off again: the shell's next program gets a paste without markers.
  await tmux.paste("pasted after leaving\n");
  const after = await tmux.waitForScreen((text) => text.includes("pasted after leaving"));
  assert.ok(!after.includes("^[[200~"), after);
});

Deno.test("join (terminal): a mention rings the bell and counts in the title; Tab and word keys; Ctrl-D leaves with 0", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  await using config = await tempConfig();
  await using tmux = new Tmux();
  await startInteractive(tmux, {
    port: server.port,
    name: "ana",
    configHome: config.path,
    passphrase: PASSPHRASE,
    keepPane: true,
  });
  await tmux.waitForScreen((screen) => screen.includes("lobby>"));
  assert.equal(await tmux.format("#{window_bell_flag}"), "0");

  await bob.writeLine("Ana: are you there? \u001b]2;pwned\u0007");
  await tmux.waitForScreen((screen) => screen.includes("bob: Ana: are you there?"));
  await tmux.waitForFormat("#{pane_title}", (title) => title === "(1) lobby - chat");
  assert.equal(await tmux.format("#{window_bell_flag}"), "1", "the bell rang");

  await tmux.type("bo");
  await tmux.keys("Tab");
  await tmux.waitForScreen((screen) => /^lobby> bob:\s*$/m.test(screen));
  await tmux.waitForFormat("#{pane_title}", (title) => title === "lobby - chat");

  await tmux.type("see you at noon");
  await tmux.keys("M-b", "C-Left");
  await tmux.type("tomorrow ");
  await tmux.keys("End", "M-BSpace");
  await tmux.type("ten");
  await tmux.waitForScreen((screen) => /^lobby> bob: see you tomorrow at ten\s*$/m.test(screen));
  await tmux.keys("Enter");
  const sent = await bob.event((event) => event.type === "message" && event.from === "ana");
  assert.equal(sent.text, "bob: see you tomorrow at ten");

  await tmux.keys("C-r");
  await tmux.type("morrow");
  await tmux.waitForScreen((screen) =>
    screen.includes("(reverse-i-search)'morrow': bob: see you tomorrow at ten")
  );
  await tmux.keys("C-g", "C-d");
  await tmux.waitForScreen((text) => text.includes("[exit 0]"));
  await bob.event((event) => event.type === "leave" && event.from === "ana");
  assert.notEqual(await tmux.format("#{pane_title}"), "lobby - chat", "the title is restored");
});
