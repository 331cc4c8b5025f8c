/**
 * tmux for end-to-end tests of the interactive client: a pseudo-terminal the program runs in,
 * send-keys to type and capture-pane to read the screen as a person would see it.
 */
import { chatFlags, withTimeout } from "./harness.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * True, after saying how to install it, when tmux is not installed and this is not CI: the test
 * then returns early. Under CI=true a missing tmux fails the test instead.
 */
export function tmuxMissing(): boolean {
  try {
    new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync();
    return false;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) || Deno.env.get("CI") === "true") throw error;
    console.log("skipped: tmux is not installed (apt-get install tmux)");
    return true;
  }
}

/** A tmux server of our own, so tests never touch a developer's sessions. */
export class Tmux implements AsyncDisposable {
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

  /** A tmux format evaluated for the pane, e.g. "#{pane_title}". */
  async format(format: string): Promise<string> {
    return (await this.run("display-message", "-p", "-t", "chat", format)).trimEnd();
  }

  /** Types `text` literally, as keys, not as tmux key names. */
  async type(text: string): Promise<void> {
    await this.run("send-keys", "-t", "chat", "-l", text);
  }

  /** Presses keys by tmux's names: "Enter", "C-c", "M-b", "C-Left". */
  async keys(...keys: string[]): Promise<void> {
    await this.run("send-keys", "-t", "chat", ...keys);
  }

  /** Pastes `text` as a terminal does: between bracketed-paste markers if the program asked. */
  async paste(text: string): Promise<void> {
    await this.run("set-buffer", "-b", "paste", text);
    await this.run("paste-buffer", "-p", "-d", "-b", "paste", "-t", "chat");
  }

  /**
   * Waits until the screen satisfies `predicate`. A terminal has no event for "the screen now
   * shows X", so this re-reads the pane at a short interval, bounded by a deadline.
   */
  waitForScreen(predicate: (screen: string) => boolean, ms = 10_000): Promise<string> {
    return this.#waitFor(() => this.screen(), predicate, ms, "screen");
  }

  /** Waits until a tmux format for the pane ("#{pane_title}") satisfies `predicate`. */
  waitForFormat(format: string, predicate: (value: string) => boolean, ms = 10_000) {
    return this.#waitFor(() => this.format(format), predicate, ms, format);
  }

  async #waitFor(
    read: () => Promise<string>,
    predicate: (value: string) => boolean,
    ms: number,
    what: string,
  ): Promise<string> {
    let last = "";
    return await withTimeout(
      (async () => {
        while (!predicate(last = await read())) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return last;
      })(),
      ms,
      `${what} never matched; it showed:\n${last}`,
    ).catch((error) => {
      throw new Error(`${error.message}\n--- ${what} ---\n${last}`);
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.run("kill-server").catch(() => {});
  }
}

/** How to start `chat join` in a tmux pane. */
export interface InteractiveJoin {
  port: number;
  name: string;
  /** XDG_CONFIG_HOME (and, under it, XDG_STATE_HOME) for the client. */
  configHome: string;
  /** Given in CHAT_PASSPHRASE; the client prompts for it when not. */
  passphrase?: string;
  columns?: number;
  rows?: number;
  /** Colours and styles on (NO_COLOR unset). */
  color?: boolean;
  /**
   * Keep the pane after the client exits: print "[exit N]" with its exit code, then run
   * `cat -v`, which shows any bracketed-paste marker a paste still gets as "^[[200~".
   */
  keepPane?: boolean;
}

/** Runs `chat join` in a new tmux session called "chat". */
export async function startInteractive(tmux: Tmux, join: InteractiveJoin): Promise<void> {
  const command = [
    Deno.execPath(),
    "run",
    ...await chatFlags(),
    MAIN,
    "join",
    `127.0.0.1:${join.port}`,
    "--name",
    join.name,
  ].map((word) => `'${word}'`).join(" ");
  const env = [
    join.color ? "" : "NO_COLOR=1",
    `XDG_CONFIG_HOME='${join.configHome}'`,
    `XDG_STATE_HOME='${join.configHome}/state'`,
    join.passphrase ? `CHAT_PASSPHRASE='${join.passphrase}'` : "",
  ].filter((word) => word !== "").join(" ");
  const after = join.keepPane ? '; echo "[exit $?]"; exec cat -v' : "";
  await tmux.run(
    "new-session",
    "-d",
    "-s",
    "chat",
    "-x",
    String(join.columns ?? 100),
    "-y",
    String(join.rows ?? 30),
    `env ${env} ${command}${after}`,
  );
}
