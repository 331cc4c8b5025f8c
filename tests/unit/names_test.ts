/**
 * Tests for names: what may reach every member's terminal and the relay's log.
 */
import assert from "node:assert/strict";
import { foldName, MAX_NAME_CHARS, nameProblem, normalizeName } from "../../protocol.ts";

Deno.test("nameProblem() accepts letters, digits and the allowed punctuation", () => {
  for (
    const name of [
      "ana",
      "Zo\u00eb",
      "\u674e\u96f7",
      "bob_2",
      "a.b-c",
      "7of9",
      "\u0410\u043d\u044f",
    ]
  ) {
    assert.equal(nameProblem(name), null, name);
  }
});

Deno.test("nameProblem() accepts a name of exactly MAX_NAME_CHARS characters", () => {
  assert.equal(nameProblem("a".repeat(MAX_NAME_CHARS)), null);
  // Characters, not UTF-8 bytes or UTF-16 units, are counted.
  assert.equal(nameProblem("\u674e".repeat(MAX_NAME_CHARS)), null);
});

Deno.test("nameProblem() rejects an empty name", () => {
  assert.match(nameProblem("") ?? "", /^Name is empty$/);
});

Deno.test("nameProblem() rejects a name over MAX_NAME_CHARS characters", () => {
  assert.match(nameProblem("a".repeat(MAX_NAME_CHARS + 1)) ?? "", /33 characters long/);
});

Deno.test("nameProblem() rejects spaces", () => {
  assert.notEqual(nameProblem(" ana"), null);
  assert.notEqual(nameProblem("ana "), null);
  assert.notEqual(nameProblem("ana bob"), null);
});

Deno.test("nameProblem() rejects control characters and escape sequences", () => {
  for (const name of ["\x1b[31mred", "ana\n", "a\u0000b", "a\u007fb", "a\u0085b"]) {
    assert.notEqual(nameProblem(name), null, JSON.stringify(name));
  }
});

Deno.test("nameProblem() rejects bidirectional formatting characters", () => {
  for (const name of ["a\u202Eb", "a\u202Ab", "a\u2066b", "a\u200Fb", "\u202Eana"]) {
    assert.notEqual(nameProblem(name), null, JSON.stringify(name));
  }
});

Deno.test("nameProblem() rejects zero-width characters", () => {
  for (const name of ["a\u200Bb", "a\u200Cb", "a\u200Db", "a\u2060b", "a\uFEFFb"]) {
    assert.notEqual(nameProblem(name), null, JSON.stringify(name));
  }
});

Deno.test("nameProblem() rejects invisible marks and fillers that would pass as another name", () => {
  // Each is a letter or combining mark by category, but draws nothing: "ana" plus one of them
  // would look like "ana" without being the same name to foldName().
  const invisible = [
    "\u034F", // combining grapheme joiner
    "\uFE0F", // variation selector 16
    "\u{E0100}", // variation selector 17
    "\u180B", // Mongolian free variation selector
    "\u17B4", // Khmer inherent vowel
    "\u115F", // Hangul choseong filler
    "\u1160", // Hangul jungseong filler
  ];
  for (const mark of invisible) {
    assert.notEqual(nameProblem(`ana${mark}`), null, JSON.stringify(mark));
    assert.notEqual(nameProblem(`${mark}ana`), null, JSON.stringify(mark));
  }
});

Deno.test("nameProblem() rejects a name not in NFKC form", () => {
  // Full-width letters, a ligature, and "e" with a combining diaeresis.
  for (const name of ["\uFF41\uFF4E\uFF41", "\uFB01x", "Zoe\u0308"]) {
    assert.notEqual(nameProblem(name), null, JSON.stringify(name));
  }
});

Deno.test("nameProblem() rejects a name that starts with punctuation", () => {
  for (const name of ["-ana", "_ana", ".ana"]) {
    assert.notEqual(nameProblem(name), null, name);
  }
});

Deno.test("nameProblem() rejects symbols and emoji", () => {
  for (const name of ["ana!", "a/b", "a@b", "\u{1F600}", "a\u{1F600}"]) {
    assert.notEqual(nameProblem(name), null, name);
  }
});

Deno.test('nameProblem() says "Room name" for the room kind', () => {
  assert.match(nameProblem("", "room") ?? "", /^Room name /);
  assert.match(nameProblem("a b", "room") ?? "", /^Room name /);
  assert.match(nameProblem("a b") ?? "", /^Name /);
});

Deno.test("foldName() makes names differing only in case equal", () => {
  assert.equal(foldName("ANA"), foldName("ana"));
  assert.equal(foldName("Zo\u00cb"), foldName("zo\u00eb"));
  assert.notEqual(foldName("ana"), foldName("anna"));
});

Deno.test("normalizeName() trims and brings a typed name to NFKC form", () => {
  assert.equal(normalizeName("  \uFF41\uFF4E\uFF41 "), "ana");
  assert.equal(nameProblem(normalizeName(" Zoe\u0308")), null);
});

Deno.test("nameProblem() rejects more than three combining marks stacked on a letter", () => {
  assert.equal(nameProblem("q\u0335\u0336\u0337"), null);
  assert.match(nameProblem("q\u0335\u0336\u0337\u0338") ?? "", /combining marks/);
  assert.match(nameProblem(`a${"\u0489".repeat(31)}`) ?? "", /combining marks/);
});

Deno.test("nameProblem() refuses names mixing Latin, Cyrillic or Greek letters", () => {
  assert.match(nameProblem("\u0430na") ?? "", /mixes Latin and Cyrillic/);
  assert.match(nameProblem("b\u03bfb") ?? "", /mixes Latin and Greek/);
  assert.equal(nameProblem("\u0430\u043d\u0430"), null, "a name in one script is fine");
  assert.equal(nameProblem("\u03b1\u03bd\u03b1"), null);
  assert.equal(nameProblem("ana\u674e"), null, "scripts that do not look alike may mix");
  assert.equal(nameProblem("ana_2"), null);
});
