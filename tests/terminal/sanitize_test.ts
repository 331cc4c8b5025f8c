import assert from "node:assert/strict";
import { sanitizeForTerminal, sanitizeLines } from "../../terminal/sanitize.ts";

/** No C0 control, DEL or C1 control may reach the terminal. */
function assertInert(text: string): void {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    assert.ok(
      !(code < 0x20 || (code >= 0x7f && code <= 0x9f)),
      `raw control U+${code.toString(16)} in ${JSON.stringify(text)}`,
    );
  }
}

Deno.test("sanitizeForTerminal() shows a clear-screen sequence in caret notation", () => {
  const out = sanitizeForTerminal("hi\x1b[2Jthere");
  assert.equal(out, "hi^[[2Jthere");
  assertInert(out);
});

Deno.test("sanitizeForTerminal() defuses an OSC window-title sequence", () => {
  const out = sanitizeForTerminal("\x1b]0;pwned\x07");
  assert.equal(out, "^[]0;pwned^G");
  assertInert(out);
});

Deno.test("sanitizeForTerminal() defuses a C1 CSI", () => {
  const out = sanitizeForTerminal("a\u009b31mred");
  assert.equal(out, "a<U+009B>31mred");
  assertInert(out);
});

Deno.test("sanitizeForTerminal() makes bidirectional controls visible", () => {
  assert.equal(sanitizeForTerminal("abc\u202etxt.exe"), "abc<U+202E>txt.exe");
  assert.equal(
    sanitizeForTerminal("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"),
    "<U+061C><U+200E><U+200F><U+202A><U+202B><U+202C><U+202D><U+2066><U+2067><U+2068><U+2069>",
  );
});

Deno.test("sanitizeForTerminal() makes line and paragraph separators visible", () => {
  assert.equal(sanitizeForTerminal("a\u2028b\u2029c"), "a<U+2028>b<U+2029>c");
});

Deno.test("sanitizeForTerminal() spells C0 controls and DEL in caret notation", () => {
  assert.equal(sanitizeForTerminal("\x00\x07\n\r\x1b\x7f"), "^@^G^J^M^[^?");
  assert.equal(sanitizeForTerminal("\x1f"), "^_");
});

Deno.test("sanitizeForTerminal() turns a tab into one space", () => {
  assert.equal(sanitizeForTerminal("a\tb"), "a b");
});

Deno.test("sanitizeForTerminal() replaces lone surrogates", () => {
  assert.equal(sanitizeForTerminal("a\ud800b\udc00"), "a\ufffdb\ufffd");
});

Deno.test("sanitizeForTerminal() keeps ordinary Unicode untouched", () => {
  const samples = [
    "plain ASCII, with punctuation!?",
    "héllo e\u0301 ñ",
    "日本語のテキスト 한국어 中文",
    "👍🏽 👨‍👩‍👧 🇫🇷 ❤️ 1️⃣",
    "Ελληνικά Русский עברית العربية",
    "zero\u200bwidth space and \u00a0nbsp",
  ];
  for (const sample of samples) assert.equal(sanitizeForTerminal(sample), sample);
});

Deno.test("sanitizeForTerminal() leaves no raw control in any input", () => {
  let every = "";
  for (let code = 0; code <= 0xa0; code++) every += String.fromCharCode(code);
  assertInert(sanitizeForTerminal(every));
});

Deno.test("sanitizeLines() splits on LF and CRLF and sanitizes each line", () => {
  assert.deepEqual(sanitizeLines("one\ntwo\r\nthree"), ["one", "two", "three"]);
  assert.deepEqual(sanitizeLines("a\x1b[Hb\nc\rd"), ["a^[[Hb", "c^Md"]);
  assert.deepEqual(sanitizeLines("single"), ["single"]);
  for (const line of sanitizeLines("x\n\x1b]0;t\x07\n\u009b2J")) assertInert(line);
});
