/**
 * Passphrase prompts under a real terminal (tmux): asked on the controlling terminal when input
 * is a pipe, asked again after a slip, a weak passphrase confirmed, Ctrl-C exiting 130.
 */
import assert from "node:assert/strict";
import { chatFlags, joinClient, startServer } from "./harness.ts";
import { Tmux, tmuxMissing } from "./tmux.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const PASSPHRASE = "saffron-kettle-harbor-ninety";

/** Runs `shell` (a sh command line) in a 100x30 pane; it prints EXIT=code when it ends. */
async function runInPane(tmux: Tmux, shell: string, env: Record<string, string>): Promise<void> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const vars = Object.entries(env).map(([name, value]) => quote(`${name}=${value}`)).join(" ");
  await tmux.run(
    "new-session",
    "-d",
    "-s",
    "chat",
    "-x",
    "100",
    "-y",
    "30",
    "sh",
    "-c",
    `env ${vars} ${shell}; echo EXIT=$?; sleep 60`,
  );
}

async function chatCommand(args: string[]): Promise<string> {
  return [Deno.execPath(), "run", ...await chatFlags(), MAIN, ...args]
    .map((word) => `'${word}'`).join(" ");
}

async function configHome(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "chat-e2e-prompt-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("join (pipe in a terminal): the passphrase is asked on the terminal, and again after a wrong one", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using bob = await joinClient(server.port, "bob", { passphrase: PASSPHRASE });
  await using tmux = new Tmux();
  await using home = await configHome();
  const join = await chatCommand(["join", `127.0.0.1:${server.port}`, "--name", "ana"]);
  await runInPane(tmux, `echo 'hi from a pipe' | ${join}`, {
    NO_COLOR: "1",
    XDG_CONFIG_HOME: home.path,
    XDG_STATE_HOME: `${home.path}/state`,
  });
  await tmux.waitForScreen((screen) => screen.includes('Passphrase for room "lobby":'));
  await tmux.run("send-keys", "-t", "chat", "not it", "Enter");
  await tmux.waitForScreen((screen) => screen.includes("Wrong passphrase; try again."));
  await tmux.run("send-keys", "-t", "chat", PASSPHRASE, "Enter");
  const message = await bob.event((event) => event.type === "message");
  assert.equal(message.text, "hi from a pipe");
  assert.equal(message.from, "ana");
  const screen = await tmux.waitForScreen((text) => /EXIT=\d+/.test(text), 15_000);
  assert.match(screen, /EXIT=0/);
  assert.ok(!screen.includes(PASSPHRASE) && !screen.includes("not it"), "a passphrase was echoed");
});

Deno.test("join (terminal): a new room's passphrase survives slips, a weak one is confirmed, Ctrl-C exits 130", async () => {
  if (tmuxMissing()) return;
  await using server = await startServer();
  await using tmux = new Tmux();
  await using home = await configHome();
  const join = await chatCommand(["join", `127.0.0.1:${server.port}`, "--room", "fresh"]);
  await runInPane(tmux, join, {
    NO_COLOR: "1",
    USER: "zed",
    XDG_CONFIG_HOME: home.path,
    XDG_STATE_HOME: `${home.path}/state`,
  });
  // No --name: the login name is offered, and Enter takes it.
  await tmux.waitForScreen((screen) => screen.includes("Your name [zed]:"));
  await tmux.run("send-keys", "-t", "chat", "Enter");
  await tmux.waitForScreen((screen) => screen.includes('New room "fresh": choose a passphrase:'));
  await tmux.run("send-keys", "-t", "chat", "abc", "Enter");
  let screen = await tmux.waitForScreen((text) => text.includes("Use it anyway? [y/N]"));
  assert.match(
    screen.replaceAll("\n", ""),
    /Warning: This passphrase is weak: .* in under a second on one GPU/,
  );
  await tmux.run("send-keys", "-t", "chat", "n", "Enter");
  await tmux.waitForScreen((text) => text.split("choose a passphrase").length === 3);
  await tmux.run("send-keys", "-t", "chat", PASSPHRASE, "Enter");
  await tmux.waitForScreen((text) => text.includes("Type it again:"));
  await tmux.run("send-keys", "-t", "chat", `${PASSPHRASE}x`, "Enter");
  await tmux.waitForScreen((text) => text.includes("The passphrases differ; try again."));
  await tmux.waitForScreen((text) => text.split("choose a passphrase").length === 4);
  await tmux.run("send-keys", "-t", "chat", "C-c");
  screen = await tmux.waitForScreen((text) => /EXIT=\d+/.test(text));
  assert.match(screen, /Interrupted at the passphrase prompt/);
  assert.match(screen, /EXIT=130/);
  assert.ok(!screen.includes(PASSPHRASE), "the passphrase was echoed");
});
