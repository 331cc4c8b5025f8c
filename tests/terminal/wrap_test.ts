import assert from "node:assert/strict";
import { visibleWidth, wrapLine } from "../../terminal/wrap.ts";
import { createStyle } from "../../terminal/colors.ts";
import { prng } from "../prng.ts";

Deno.test("wrapLine() leaves a line that fits alone", () => {
  assert.deepEqual(wrapLine("12:00 ana: hello", 16), ["12:00 ana: hello"]);
  assert.deepEqual(wrapLine({ text: "", indent: 4 }, 10), [""]);
});

Deno.test("wrapLine() breaks at spaces with a hanging indent", () => {
  const line = { text: "12:00 ana: the quick brown fox jumps over the dog", indent: 11 };
  assert.deepEqual(wrapLine(line, 30), [
    "12:00 ana: the quick brown fox",
    "           jumps over the dog",
  ]);
  assert.deepEqual(wrapLine(line, 24), [
    "12:00 ana: the quick",
    "           brown fox",
    "           jumps over",
    "           the dog",
  ]);
});

Deno.test("wrapLine() caps the indent at half a row", () => {
  const line = { text: "12:00 a-very-long-name: one two three four", indent: 24 };
  assert.deepEqual(wrapLine(line, 20), [
    "12:00",
    "          a-very-lon",
    "          g-name:",
    "          one two",
    "          three four",
  ]);
});

Deno.test("wrapLine() never splits a wide character or an emoji", () => {
  assert.deepEqual(wrapLine("日本語中文字", 5), ["日本", "語中", "文字"]);
  assert.deepEqual(wrapLine({ text: "ab 👨‍👩‍👧👍🏽🇫🇷 c", indent: 3 }, 5), [
    "ab",
    "  👨‍👩‍👧",
    "  👍🏽",
    "  🇫🇷",
    "  c",
  ]);
});

Deno.test("wrapLine() keeps styles to their rows and picks them up after the indent", () => {
  const style = createStyle(true);
  const text = `${style.dim("12:00")} ${style.name("ana")}: ${style.bold("one two three")}`;
  const rows = wrapLine({ text, indent: 11 }, 15);
  assert.equal(rows.length, 3);
  assert.equal(rows[0], `${style.dim("12:00")} ${style.name("ana")}: \x1b[1mone\x1b[0m`);
  // The indent is capped at half of 15 columns.
  assert.ok(rows[1]!.startsWith(`${" ".repeat(7)}\x1b[2m`), JSON.stringify(rows[1]));
  assert.ok(rows[1]!.endsWith("\x1b[1mtwo\x1b[0m"), JSON.stringify(rows[1]));
  assert.ok(rows[2]!.endsWith("\x1b[1mthree\x1b[22m"), JSON.stringify(rows[2]));
});

Deno.test("wrapLine() keeps every row within the width, for any text and width", () => {
  const next = prng(9);
  const random = { int: (below: number) => Math.floor(next() * below) };
  const words = ["a", "hello", "日本語", "👍🏽", "e\u0301", "supercalifragilistic", "  ", "🇫🇷x"];
  for (let round = 0; round < 300; round++) {
    const text = Array.from({ length: random.int(30) }, () => words[random.int(words.length)])
      .join(" ");
    const columns = 2 + random.int(40);
    const rows = wrapLine({ text, indent: random.int(20) }, columns);
    for (const row of rows) {
      assert.ok(visibleWidth(row) <= columns, `${JSON.stringify(row)} at ${columns}`);
    }
    const kept = rows.join(" ").replace(/\s+/g, "");
    assert.equal(kept, text.replace(/\s+/g, ""), "nothing lost");
  }
});
