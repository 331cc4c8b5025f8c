/**
 * Issue 9, item 13: /nick and /topic in a real terminal against a real relay. The room hears of
 * the new name, the new name's messages open, and a newcomer finds the topic on joining.
 */
import assert from "node:assert/strict";
import { joinClient, startServer } from "./harness.ts";
import { startInteractive, Tmux, tmuxMissing } from "./tmux.ts";

const PASSPHRASE = "velvet-anchor-quiet-meadow";

Deno.test("join (terminal): /topic sets a topic newcomers find, /nick renames, and both reach the room", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  const configHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(configHome, { recursive: true }),
  };
  await using tmux = new Tmux();
  await startInteractive(tmux, {
    port: server.port,
    name: "ana",
    configHome,
    passphrase: PASSPHRASE,
  });
  await tmux.waitForScreen((screen) => screen.includes("lobby>"));

  await tmux.type("/topic Friday: demo at 3pm\r");
  const topic = await bob.event((event) => event.type === "topic");
  assert.deepEqual([topic.from, topic.text, topic.current, topic.trust], [
    "ana",
    "Friday: demo at 3pm",
    false,
    "new",
  ]);
  await tmux.waitForScreen((screen) => screen.includes("ana set the topic: Friday: demo at 3pm"));

  await tmux.type("/nick anna\r");
  const renamed = await bob.event((event) => event.type === "renamed");
  assert.deepEqual([renamed.from, renamed.to], ["ana", "anna"]);
  await tmux.waitForScreen((screen) => screen.includes("ana is now anna (you)"));
  await tmux.type("hello as anna\r");
  const message = await bob.event((event) => event.type === "message");
  assert.deepEqual([message.from, message.text], ["anna", "hello as anna"]);

  await tmux.type("/nick bob\r");
  await tmux.waitForScreen((screen) => /Not renamed: .*bob/.test(screen));

  await using cy = await joinClient(server.port, "cy", { passphrase: PASSPHRASE });
  const found = await cy.event((event) => event.type === "topic");
  assert.deepEqual([found.text, found.from, found.current], ["Friday: demo at 3pm", "ana", true]);
  await tmux.type("/topic\r");
  await tmux.waitForScreen((screen) => screen.includes("Topic: Friday: demo at 3pm (set by ana)"));
});
