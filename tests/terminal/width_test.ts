import assert from "node:assert/strict";
import { displayWidth, graphemes, graphemeWidth } from "../../terminal/width.ts";

Deno.test("displayWidth() counts ASCII as one column each", () => {
  assert.equal(displayWidth(""), 0);
  assert.equal(displayWidth("hello, world"), 12);
});

Deno.test("displayWidth() counts East Asian wide and fullwidth characters as two", () => {
  assert.equal(displayWidth("日本語"), 6);
  assert.equal(displayWidth("한국어"), 6);
  assert.equal(displayWidth("ひらがな"), 8);
  assert.equal(displayWidth("\uff21\uff22"), 4); // fullwidth A B
  assert.equal(displayWidth("a中b"), 4);
});

Deno.test("displayWidth() counts emoji, including sequences, as two", () => {
  assert.equal(displayWidth("😀"), 2);
  assert.equal(displayWidth("👍🏽"), 2);
  assert.equal(displayWidth("👨‍👩‍👧"), 2);
  assert.equal(displayWidth("🇫🇷"), 2);
  assert.equal(displayWidth("❤️"), 2);
  assert.equal(displayWidth("ok👍"), 4);
});

Deno.test("displayWidth() counts text-presentation symbols as one", () => {
  assert.equal(displayWidth("❤"), 1);
  assert.equal(displayWidth("©"), 1);
  assert.equal(displayWidth("→"), 1);
});

Deno.test("displayWidth() counts combining marks and format characters as zero", () => {
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth("a\u0300\u0301\u0302"), 1);
  assert.equal(displayWidth("a\u200bb"), 2);
  assert.equal(displayWidth("\u1100\u1161\u11a8"), 2); // conjoining Hangul jamo
});

Deno.test("graphemes() keeps clusters together", () => {
  assert.deepEqual(graphemes("ae\u0301👨‍👩‍👧🇫🇷"), ["a", "e\u0301", "👨‍👩‍👧", "🇫🇷"]);
});

Deno.test("graphemeWidth() measures one cluster", () => {
  assert.equal(graphemeWidth("a"), 1);
  assert.equal(graphemeWidth("中"), 2);
  assert.equal(graphemeWidth("\u0301"), 0);
});
