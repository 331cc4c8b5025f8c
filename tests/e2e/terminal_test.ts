/**
 * The interactive client under a real pseudo-terminal: tmux runs `chat join`, send-keys types and
 * capture-pane reads the screen as a person would see it.
 */
import assert from "node:assert/strict";
import { chatFlags, joinClient, startServer, withTimeout } from "./harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A tmux server of our own, so tests never touch a developer's sessions. */
class Tmux implements AsyncDisposable {
  readonly socket = `chat-test-${crypto.randomUUID().slice(0, 8)}`;

  async run(...args: string[]): Promise<string> {
    const output = await new Deno.Command("tmux", { args: ["-L", this.socket, ...args] }).output();
    if (!output.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return new TextDecoder().decode(output.stdout);
  }

  screen(): Promise<string> {
    return this.run("capture-pane", "-p", "-t", "chat");
  }

  /**
   * Waits until the screen satisfies `predicate`. A terminal has no event for "the screen now
   * shows X", so this re-reads the pane at a short interval, bounded by a deadline.
   */
  async waitForScreen(predicate: (screen: string) => boolean, ms = 10_000): Promise<string> {
    let last = "";
    return await withTimeout(
      (async () => {
        while (!predicate(last = await this.screen())) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return last;
      })(),
      ms,
      `screen never matched; it showed:\n${last}`,
    ).catch((error) => {
      throw new Error(`${error.message}\n--- screen ---\n${last}`);
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.run("kill-server").catch(() => {});
  }
}

async function startInteractive(
  tmux: Tmux,
  port: number,
  name: string,
  configHome: string,
): Promise<void> {
  const command = [
    Deno.execPath(),
    "run",
    ...await chatFlags(),
    MAIN,
    "join",
    `127.0.0.1:${port}`,
    "--name",
    name,
  ]
    .map((word) => `'${word}'`).join(" ");
  await tmux.run(
    "new-session",
    "-d",
    "-s",
    "chat",
    "-x",
    "100",
    "-y",
    "30",
    `env NO_COLOR=1 XDG_CONFIG_HOME='${configHome}' XDG_STATE_HOME='${configHome}/state' ${command}`,
  );
}

Deno.test("join (terminal): the passphrase is hidden, typing survives incoming messages, escapes are inert", async () => {
  await using server = await startServer();
  await using tmux = new Tmux();
  const passphrase = "velvet-anchor-quiet-meadow";
  const configHome = await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  await using _cleanup = {
    [Symbol.asyncDispose]: () => Deno.remove(configHome, { recursive: true }),
  };
  await startInteractive(tmux, server.port, "ana", configHome);
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
