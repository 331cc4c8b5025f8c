import assert from "node:assert/strict";
import { createStyle, NAME_PALETTE, nameColor } from "../../terminal/colors.ts";

Deno.test("nameColor() gives the same name the same colour", () => {
  assert.equal(nameColor("ana"), nameColor("ana"));
  assert.ok(NAME_PALETTE.includes(nameColor("ana")));
});

Deno.test("nameColor() is stable across runs", () => {
  // Fixed answers: if these change, every member's colour changes for everyone who upgrades.
  assert.equal(nameColor("ana"), 136);
  assert.equal(nameColor("bob"), 133);
});

Deno.test("nameColor() ignores case and compatibility forms", () => {
  assert.equal(nameColor("Ana"), nameColor("ana"));
  assert.equal(nameColor("ANA"), nameColor("ana"));
  assert.equal(nameColor("\uff21na"), nameColor("ana")); // full-width A
});

Deno.test("nameColor() spreads distinct names over the palette", () => {
  const counts = new Map<number, number>();
  for (let i = 0; i < 240; i++) {
    const color = nameColor(`user${i}`);
    counts.set(color, (counts.get(color) ?? 0) + 1);
  }
  assert.equal(counts.size, NAME_PALETTE.length);
  for (const count of counts.values()) assert.ok(count <= 40, `uneven spread: ${count}`);
});

Deno.test("createStyle() is the identity when disabled", () => {
  const style = createStyle(false);
  for (const text of ["ana", "", "日本 👍"]) {
    assert.equal(style.name(text), text);
    assert.equal(style.dim(text), text);
    assert.equal(style.bold(text), text);
    assert.equal(style.error(text), text);
    assert.equal(style.highlight(text), text);
  }
});

Deno.test("createStyle() wraps text in SGR codes when enabled", () => {
  const style = createStyle(true);
  assert.equal(style.name("Ana"), `\x1b[38;5;${nameColor("ana")}mAna\x1b[39m`);
  assert.equal(style.dim("12:00"), "\x1b[2m12:00\x1b[22m");
  assert.equal(style.bold("ops"), "\x1b[1mops\x1b[22m");
  assert.equal(style.error("oops"), "\x1b[31moops\x1b[39m");
  assert.equal(style.highlight("ana"), "\x1b[7mana\x1b[27m");
});
