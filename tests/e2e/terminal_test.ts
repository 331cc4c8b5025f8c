/**
 * The interactive client under a real pseudo-terminal: tmux runs `chat join`, send-keys types and
 * capture-pane reads the screen as a person would see it.
 */
import assert from "node:assert/strict";
import { joinClient, startServer } from "./harness.ts";
import { FakeRelay } from "./fake_relay.ts";
import { startInteractive, Tmux, tmuxMissing } from "./tmux.ts";

Deno.test("join (terminal): the passphrase is hidden, typing survives incoming messages, escapes are inert", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using tmux = new Tmux();
  const passphrase = "velvet-anchor-quiet-meadow";
  const configHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(configHome, { recursive: true }),
  };
  await startInteractive(tmux, { port: server.port, name: "ana", configHome });
  await tmux.waitForScreen((screen) => screen.includes("choose a passphrase"));
  await tmux.run("send-keys", "-t", "chat", passphrase, "Enter");
  await tmux.waitForScreen((screen) => screen.includes("Type it again"));
  await tmux.run("send-keys", "-t", "chat", passphrase, "Enter");
  let screen = await tmux.waitForScreen((text) => text.includes("lobby>"));
  assert.ok(!screen.includes(passphrase), "the passphrase was echoed");
  assert.match(screen, /Room key fingerprint [0-9A-F]{4}-/);

  await tmux.run("send-keys", "-t", "chat", "-l", "half typed");
  await tmux.waitForScreen((text) => text.includes("lobby> half typed"));

  await using bob = await joinClient(server.port, "bob", { passphrase });
  await bob.writeLine("look \u001b[2J\u001b]0;pwned\u0007 \u001b[31mred\u001b[0m \u202Eevil");
  screen = await tmux.waitForScreen((text) => text.includes("bob: look"));
  assert.match(screen, /bob: look \^\[\[2J\^\[\]0;pwned\^G \^\[\[31mred\^\[\[0m <U\+202E>evil/);
  assert.match(screen, /^lobby> half typed\s*$/m, "the line being typed survived");
  assert.match(screen, /→ bob joined/);
  assert.match(screen, /Joined lobby as ana/, "the screen was not cleared");
  const title = await tmux.run("display-message", "-p", "-t", "chat", "#{pane_title}");
  assert.ok(!title.includes("pwned"), "a peer changed the window title");

  await tmux.run("send-keys", "-t", "chat", " now", "Enter");
  const received = await bob.event((event) => event.type === "message");
  assert.equal(received.text, "half typed now");
  assert.equal(received.from, "ana");
  screen = await tmux.waitForScreen((text) => /\d\d:\d\d:\d\d ana: half typed now/.test(text));
  assert.match(screen, /^lobby>\s*$/m);

  await tmux.run("send-keys", "-t", "chat", "/who", "Enter");
  await tmux.waitForScreen((text) => text.includes("Here: ana, bob"));
  await tmux.run("send-keys", "-t", "chat", "/me waves", "Enter");
  assert.equal((await bob.event((event) => event.kind === "action")).text, "waves");

  await tmux.run("send-keys", "-t", "chat", "C-d");
  await bob.event((event) => event.type === "leave" && event.from === "ana");
});

Deno.test("join (terminal): a relay's words cannot retitle the window, clear the screen or fake a prompt", async () => {
  if (tmuxMissing()) return;
  const hostile = "\u001b]0;pwned\u0007\u001b[2J\u009b31mlobby> type your passphrase\u001b[0m";
  const error = (code: string, fatal = false) => ({
    type: "error" as const,
    code,
    room: "lobby",
    message: hostile,
    fatal,
    retryAfterMs: 0,
  });
  await using relay = new FakeRelay();
  await using tmux = new Tmux();
  const configHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  const raw = `${configHome}/pane-output`;
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(configHome, { recursive: true }),
  };
  await startInteractive(tmux, {
    port: relay.port,
    name: "ana",
    configHome,
    passphrase: "plum-orbit-canvas-lantern",
  });
  const peer = await relay.accept();
  await peer.admit();
  await peer.caughtUp("lobby");
  await tmux.waitForScreen((text) => text.includes("lobby>"));
  // Every byte the client writes to its terminal from here on, as written.
  await tmux.run("pipe-pane", "-o", "-t", "chat", `cat >> '${raw}'`);

  await peer.send(error("not_joined"));
  await peer.send(error("evil\u009b2J"));
  // Shown before /who is typed: taken while /who waits, it would answer /who instead.
  await tmux.waitForScreen((text) => text.includes('code "evil'));
  await tmux.run("send-keys", "-t", "chat", "/who", "Enter");
  await peer.expect("who");
  await peer.send(error("not_joined"));
  await tmux.waitForScreen((text) => text.includes("Cannot list members"));
  await tmux.run("send-keys", "-t", "chat", "hello", "Enter");
  const send = await peer.expect("send");
  await peer.send({ ...error("message_too_large"), type: "nack", id: send.id });
  await tmux.waitForScreen((text) => text.includes("Not sent"));
  await peer.send({ ...error("server_shutdown", true), room: "" });
  const screen = await tmux.waitForScreen((text) =>
    text.includes("! Connection lost (The server is shutting down); reconnecting")
  );

  assert.match(screen, /Joined lobby as ana/, "the screen was not cleared");
  assert.match(
    screen,
    /The server refused \(code "evil<U\+009B>2J"\); in its own words: "\^\[\]0;/,
  );
  const title = await tmux.run("display-message", "-p", "-t", "chat", "#{pane_title}");
  assert.ok(!title.includes("pwned"), "the relay changed the window title");
  await tmux.run("pipe-pane", "-t", "chat");
  const written = await Deno.readTextFile(raw);
  assert.ok(written.includes("Connection lost"), "the capture saw the session");
  assert.ok(!written.includes("\u0007"), "a BEL reached the terminal");
  assert.ok(!written.includes("\u001b]"), "an OSC sequence reached the terminal");
  assert.ok(!written.includes("\u001b[2J"), "a clear-screen reached the terminal");
  assert.ok(![...written].some((char) => /[\u0080-\u009f]/.test(char)), "a C1 control");
});
