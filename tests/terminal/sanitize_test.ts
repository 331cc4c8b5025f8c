import assert from "node:assert/strict";
import {
  dropUnshown,
  MAX_MARKS_PER_CHARACTER,
  sanitizeForTerminal,
  sanitizeLines,
} from "../../terminal/sanitize.ts";
import { displayWidth } from "../../terminal/width.ts";

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
    "no-break\u00a0space",
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

/** Spells `text`'s code points, for readable assertion messages. */
function codes(text: string): string {
  return Array.from(text, (char) => (char.codePointAt(0) ?? 0).toString(16)).join(" ");
}

Deno.test("sanitizeForTerminal() shows zero-width and other invisible characters", () => {
  const invisible = [
    0x200b, // zero width space
    0x2060, // word joiner
    0x2061, // function application
    0x2062, // invisible times
    0x2063, // invisible separator
    0x2064, // invisible plus
    0xfeff, // zero width no-break space (byte order mark)
    0x00ad, // soft hyphen
    0x034f, // combining grapheme joiner
    0x115f, // Hangul choseong filler
    0x1160, // Hangul jungseong filler
    0x3164, // Hangul filler
    0xffa0, // halfwidth Hangul filler
    0x17b4, // Khmer vowel inherent aq
    0x180e, // Mongolian vowel separator
    0xfff9, // interlinear annotation anchor
    0x1d173, // musical symbol begin beam
  ];
  for (const code of invisible) {
    const label = `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
    assert.equal(sanitizeForTerminal(`a${String.fromCodePoint(code)}b`), `a${label}b`, label);
  }
});

Deno.test("sanitizeForTerminal() shows tag characters outside the flags that use them", () => {
  const tags = (ascii: string) =>
    Array.from(ascii, (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("");
  assert.equal(
    sanitizeForTerminal(`hi${tags("ok")}\u{E007F}`),
    "hi<U+E006F><U+E006B><U+E007F>",
  );
  for (const region of ["gbeng", "gbsct", "gbwls"]) {
    const flag = `\u{1F3F4}${tags(region)}\u{E007F}`;
    assert.equal(sanitizeForTerminal(`a${flag}b`), `a${flag}b`, region);
  }
  // The same base with other tags, or without the cancel tag, is no flag.
  assert.equal(sanitizeForTerminal(`\u{1F3F4}${tags("us")}`), "\u{1F3F4}<U+E0075><U+E0073>");
  assert.equal(
    sanitizeForTerminal(`\u{1F3F4}${tags("gbeng")}`),
    "\u{1F3F4}<U+E0067><U+E0062><U+E0065><U+E006E><U+E0067>",
  );
});

Deno.test("sanitizeForTerminal() keeps one variation selector after a character, no more", () => {
  for (
    const text of ["\u2764\ufe0f", "1\ufe0f\u20e3", "\u845b\u{E0100}", "\u1820\u180b", "a\ufe0e"]
  ) {
    assert.equal(sanitizeForTerminal(text), text, codes(text));
  }
  // Data hidden in a run of selectors after an emoji, a selector with nothing before it.
  assert.equal(
    sanitizeForTerminal("\u{1F600}\u{E0100}\u{E0101}\ufe0f"),
    "\u{1F600}\u{E0100}<U+E0101><U+FE0F>",
  );
  assert.equal(sanitizeForTerminal("\ufe0fa"), "<U+FE0F>a");
  assert.equal(sanitizeForTerminal("a \ufe0f"), "a <U+FE0F>");
  assert.equal(sanitizeForTerminal("\u200b\ufe0f"), "<U+200B><U+FE0F>");
});

Deno.test("sanitizeForTerminal() keeps U+200D between pictographs and shows it elsewhere", () => {
  const sequences = [
    "\u{1F468}\u200d\u{1F469}\u200d\u{1F467}", // family
    "\u{1F469}\u{1F3FD}\u200d\u{1F4BB}", // woman technologist, medium skin tone
    "\u2764\ufe0f\u200d\u{1F525}", // heart on fire
    "\u{1F3F3}\ufe0f\u200d\u{1F308}", // rainbow flag
    "\u{1F408}\u200d\u2b1b", // black cat
    "\u{1F9D1}\u{1F3FD}\u200d\u{1F91D}\u200d\u{1F9D1}\u{1F3FB}", // people holding hands
  ];
  for (const text of sequences) assert.equal(sanitizeForTerminal(text), text, codes(text));
  assert.equal(sanitizeForTerminal("a\u200db"), "a<U+200D>b");
  assert.equal(sanitizeForTerminal("\u{1F600}\u200da"), "\u{1F600}<U+200D>a");
  assert.equal(sanitizeForTerminal("\u{1F600}\u200d"), "\u{1F600}<U+200D>");
  assert.equal(sanitizeForTerminal("a\u200d\u{1F600}"), "a<U+200D>\u{1F600}");
  assert.equal(
    sanitizeForTerminal("\u{1F600}\u200d\u200d\u{1F600}"),
    "\u{1F600}<U+200D><U+200D>\u{1F600}",
  );
});

Deno.test("sanitizeForTerminal() keeps joiners inside Persian and Indic words, not Latin", () => {
  const words = [
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", // Persian mi-khaham, with ZWNJ
    "\u0646\u0627\u0645\u0647\u200c\u0647\u0627", // Persian name-ha
    "\u0930\u094d\u200d\u092f", // Devanagari eyelash ra
    "\u0d28\u0d4d\u200d", // Malayalam chillu n, old spelling
    "\u0dc1\u0dca\u200d\u0dbb\u0dd3", // Sinhala shri with rakaransaya
    "\u0995\u09cd\u200c\u09b7", // Bengali k, virama, ZWNJ, ss: no conjunct
  ];
  for (const word of words) assert.equal(sanitizeForTerminal(word), word, codes(word));
  assert.equal(sanitizeForTerminal("a\u200cb"), "a<U+200C>b");
  assert.equal(sanitizeForTerminal("\u200c\u0645"), "<U+200C>\u0645");
  assert.equal(sanitizeForTerminal("\u0645 \u200c"), "\u0645 <U+200C>");
  assert.equal(sanitizeForTerminal("\u0645\u200c\u200c\u0645"), "\u0645\u200c<U+200C>\u0645");
});

Deno.test("sanitizeForTerminal() cuts stacks of combining marks and says how many", () => {
  const marks = (count: number) =>
    "\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307".repeat(8)
      .slice(0, count);
  assert.equal(MAX_MARKS_PER_CHARACTER, 5);
  assert.equal(sanitizeForTerminal(`a${marks(5)}b`), `a${marks(5)}b`);
  assert.equal(sanitizeForTerminal(`a${marks(6)}b`), `a${marks(5)}<+1 mark>b`);
  assert.equal(sanitizeForTerminal(`a${marks(40)}`), `a${marks(5)}<+35 marks>`);
  assert.equal(
    sanitizeForTerminal(`h${marks(20)}i${marks(20)}`),
    `h${marks(5)}<+15 marks>i${marks(5)}<+15 marks>`,
  );
  // Enclosing marks stack too; marks with nothing before them are counted all the same.
  assert.equal(sanitizeForTerminal("\u0489".repeat(7)), `${"\u0489".repeat(5)}<+2 marks>`);
  // A spelled-out character starts a new stack: it is what the next marks are drawn on.
  assert.equal(
    sanitizeForTerminal(`a${marks(5)}\u200b${marks(5)}`),
    `a${marks(5)}<U+200B>${marks(5)}`,
  );
});

Deno.test("sanitizeForTerminal() keeps the marks real text stacks, and cuts Zalgo", () => {
  const texts = [
    "Vie\u0323\u0302t Nam", // Vietnamese, decomposed: two marks on one letter
    "\u0e17\u0e35\u0e48\u0e19\u0e35\u0e48", // Thai thi-ni: vowel and tone mark
    "\u05e9\u05c1\u05bc\u05b8\u05a3", // Hebrew shin with shin dot, dagesh, qamats, munah
    "\u05d1\u05bc\u05b0\u05bd\u05a5", // Hebrew bet with dagesh, sheva, meteg, merkha
    "\u0f67\u0f71\u0f74\u0f83", // Tibetan hum: three marks
    "\u0f62\u0f92\u0fb1\u0f74", // Tibetan rgyu: two subjoined letters and a vowel
    "\u0628\u0651\u064e", // Arabic beh with shadda and fatha
  ];
  for (const text of texts) assert.equal(sanitizeForTerminal(text), text, codes(text));
  assert.notEqual(
    sanitizeForTerminal(`Z${"\u0336\u0337\u0338".repeat(4)}`),
    `Z${"\u0336\u0337\u0338".repeat(4)}`,
  );
});

Deno.test("sanitizeForTerminal() output measures as wide as it is shown", () => {
  assert.equal(displayWidth(sanitizeForTerminal("a\u200bb")), 10); // a<U+200B>b
  assert.equal(displayWidth(sanitizeForTerminal("\u{E0041}")), 9); // <U+E0041>
  assert.equal(displayWidth(sanitizeForTerminal(`a${"\u0300".repeat(9)}`)), 11); // a<+4 marks>
  assert.equal(displayWidth(sanitizeForTerminal("\u{1F468}\u200d\u{1F469}\u200d\u{1F467}")), 2);
  assert.equal(
    displayWidth(
      sanitizeForTerminal("\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"),
    ),
    2,
  );
  assert.equal(displayWidth(sanitizeForTerminal("\u2764\ufe0f")), 2);
  // Persian letters take a column each; the kept non-joiner takes none, in width.ts and terminals.
  assert.equal(displayWidth(sanitizeForTerminal("\u0646\u0627\u0645\u0647\u200c\u0647\u0627")), 6);
});

Deno.test("dropUnshown() drops what sanitizeForTerminal() would spell out or cut", () => {
  assert.equal(dropUnshown("a\u200bb\u202ec\x1b[1m\td"), "abc[1md");
  assert.equal(dropUnshown(`a${"\u0300".repeat(9)}`), `a${"\u0300".repeat(5)}`);
  const kept =
    "\u2764\ufe0f \u{1F468}\u200d\u{1F469}\u200d\u{1F467} \u0645\u06cc\u200c\u062e e\u0301";
  assert.equal(dropUnshown(kept), kept);
  assert.equal(dropUnshown("plain"), "plain");
});
