/**
 * tmux for end-to-end tests of the interactive client: a pseudo-terminal the program runs in,
 * send-keys to type and capture-pane to read the screen as a person would see it.
 */
import { withTimeout } from "./harness.ts";

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
