/**
 * How the interactive client lays out the screen under a real pseudo-terminal (tmux): long
 * messages wrapped under their text with wide characters intact, a long input line scrolled and
 * marked, and the screen painted again when the window narrows, with no stale prompt left over.
 */
import assert from "node:assert/strict";
import { joinClient, startServer } from "./harness.ts";
import { startInteractive, Tmux, tmuxMissing } from "./tmux.ts";
import { displayWidth } from "../../terminal/width.ts";

const PASSPHRASE = "velvet-anchor-quiet-meadow";
// A plain emoji: tmux 3.3 draws one with a skin tone as four columns, where newer terminals
// (and terminal/width.ts) take two.
const TEXT = "the quick brown fox jumps over the lazy dog while 日本語のテキスト and 👍 emoji " +
  "keep their two columns each";

/** The rows of `bob`'s message on `screen`: its first row and the indented ones after it. */
function messageRows(screen: string): string[] {
  const rows = screen.split("\n");
  const first = rows.findIndex((row) => /^\d\d:\d\d:\d\d bob: /.test(row));
  assert.ok(first >= 0, screen);
  const rest = rows.slice(first + 1);
  const end = rest.findIndex((row) => !row.startsWith(" ".repeat(14)));
  return [rows[first]!, ...rest.slice(0, end < 0 ? rest.length : end)];
}

function assertWrapped(screen: string, columns: number): void {
  const rows = messageRows(screen);
  assert.ok(rows.length > 1, screen);
  for (const row of rows) {
    assert.ok(displayWidth(row) < columns, `too wide for ${columns}: ${JSON.stringify(row)}`);
  }
  for (const row of rows.slice(1)) assert.match(row, /^ {14}\S/, "hangs under the text");
  const words = rows.map((row, i) => i === 0 ? row.replace(/^\S+ bob: /, "") : row.trim());
  // A word wider than a row (the Japanese one, on a narrow window) is split, so compare letters.
  assert.equal(words.join("").replace(/\s/g, ""), TEXT.replace(/\s/g, ""));
}

Deno.test("join (terminal): long lines wrap under the text, and narrowing the window leaves no stale prompt", async () => {
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
    columns: 50,
    rows: 20,
  });
  await tmux.waitForScreen((screen) => screen.includes("lobby>"));
  await bob.writeLine(TEXT);
  assertWrapped(await tmux.waitForScreen((screen) => /^ +each$/m.test(screen)), 50);

  await tmux.type(`a long draft ${"x".repeat(80)}`);
  let screen = await tmux.waitForScreen((text) => /^lobby> <x+$/m.test(text));
  assert.equal(screen.split("\n").find((row) => row.startsWith("lobby>"))?.length, 49);

  await tmux.run("resize-window", "-t", "chat", "-x", "30");
  // Painted again: the prompt at the new width, and no row wider than it.
  screen = await tmux.waitForScreen((text) =>
    text.includes(`lobby> <${"x".repeat(21)}\n`) &&
    text.split("\n").every((row) => displayWidth(row) < 30)
  );
  assertWrapped(screen, 30);
  const prompts = screen.split("\n").filter((row) => row.includes("lobby>") || /^x+$/.test(row));
  assert.deepEqual(prompts, [`lobby> <${"x".repeat(21)}`], "one prompt row, no stale copy");

  await tmux.keys("C-l");
  await tmux.keys("C-e", "C-u");
  screen = await tmux.waitForScreen((text) => /^lobby>\s*$/m.test(text));
  assertWrapped(screen, 30);
  await tmux.keys("C-d");
  await bob.event((event) => event.type === "leave" && event.from === "ana");
});
