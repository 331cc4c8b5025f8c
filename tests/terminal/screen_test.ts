import assert from "node:assert/strict";
import { RECENT_LINES, Screen, type TerminalSize } from "../../terminal/screen.ts";

/** A screen writing into a string, with a size the test changes. */
function fakeScreen(size: TerminalSize, prompt = "> ") {
  const output = { text: "" };
  const screen = new Screen((text) => output.text += text, () => size, {
    prompt: { render: () => ({ text: prompt, cursorColumn: prompt.length }) },
    dim: (text) => text,
  });
  return { screen, output, take: () => output.text.slice((output.text = "", 0)) };
}

const ESCAPE_OR_CR = new RegExp(`${"\x1b"}\\[[0-9;]*[A-Za-z]|\r`, "g");

/** The rows a chunk of output writes above the live region, with escapes left out. */
function rowsOf(written: string): string[] {
  return written.split("\r\n").slice(0, -1).map((row) => row.replace(ESCAPE_OR_CR, ""));
}

Deno.test("Screen.print() wraps lines one column short of the width, with their indent", () => {
  const { screen, take } = fakeScreen({ columns: 21, rows: 10 });
  screen.print([{ text: "12:00 ana: one two three four", indent: 11 }, "short"]);
  assert.deepEqual(rowsOf(take()), ["12:00 ana: one two", "          three four", "short"]);
});

Deno.test("Screen.resized() paints the recent lines again when the width changed", () => {
  const size = { columns: 41, rows: 5 };
  const { screen, take } = fakeScreen(size);
  screen.print(["old line 1", "old line 2"]);
  screen.print([{ text: "12:00 ana: one two three four five six", indent: 11 }]);
  take();
  screen.resized();
  assert.ok(!take().includes("\x1b[2J"), "same width: only the prompt is drawn again");
  size.columns = 21;
  screen.resized();
  const written = take();
  assert.ok(written.startsWith("\x1b[H\x1b[2J"), "cleared, so no stale prompt row is left");
  // 5 rows: 4 for the log, the last for the prompt; the oldest line no longer fits.
  assert.deepEqual(rowsOf(written), [
    "old line 2",
    "12:00 ana: one two",
    "          three four",
    "          five six",
  ]);
  assert.ok(written.endsWith("> \r\x1b[2C"));
});

Deno.test("Screen.repaint() keeps the status lines and at most RECENT_LINES lines", () => {
  const { screen, take } = fakeScreen({ columns: 40, rows: 1000 });
  for (let i = 0; i < RECENT_LINES + 50; i++) screen.print([`line ${i}`]);
  screen.setStatus(["sending: hi"]);
  take();
  screen.repaint();
  const rows = rowsOf(take());
  assert.equal(rows.length, RECENT_LINES + 1);
  assert.equal(rows[0], "line 50");
  assert.equal(rows.at(-1), "sending: hi");
});

Deno.test("Screen.clear() clears the scrollback too and forgets the log", () => {
  const { screen, take } = fakeScreen({ columns: 40, rows: 10 });
  screen.print(["secret"]);
  take();
  screen.clear();
  assert.ok(take().startsWith("\x1b[H\x1b[2J\x1b[3J"));
  screen.repaint();
  assert.ok(!take().includes("secret"));
});
