/**
 * Tests for confusable names: the UTS #39 skeleton, the key names are compared by, and the
 * generated prototype table. Non-ASCII names are spelled with escapes so that what is tested is
 * plain in the source.
 */
import assert from "node:assert/strict";
import data from "unhomoglyph/data.json" with { type: "json" };
import {
  confusableKey,
  CONFUSABLES_UNICODE_VERSION,
  foldName,
  nameProblem,
  skeleton,
} from "../../protocol.ts";
import { CONFUSABLE_ENTRIES } from "../../protocol/confusables_data.ts";
import { OUTPUT, renderModule, UNICODE_VERSION } from "../../scripts/gen_confusables.ts";

/** Asserts that all `names` are valid names and share one key. */
function assertAlike(...names: string[]): void {
  for (const name of names) assert.equal(nameProblem(name), null, JSON.stringify(name));
  const [first = "", ...rest] = names;
  for (const name of rest) {
    assert.equal(confusableKey(name), confusableKey(first), `${name} vs ${first}`);
  }
}

/** Asserts that `a` and `b` are valid names with different keys. */
function assertDistinct(a: string, b: string): void {
  assert.equal(nameProblem(a), null, JSON.stringify(a));
  assert.equal(nameProblem(b), null, JSON.stringify(b));
  assert.notEqual(confusableKey(a), confusableKey(b), `${a} vs ${b}`);
}

Deno.test("confusableKey() gives the issue's look-alikes of alice one key", () => {
  assertAlike(
    "alice",
    "AIice", // capital I for l
    "Alice",
    "ALICE",
    "\u0251lice", // Latin alpha
    "\u13AAlice", // Cherokee A
  );
});

Deno.test("confusableKey() gives bob and Armenian b\u0585b one key", () => {
  assertAlike("bob", "b\u0585b", "BOB");
});

Deno.test("confusableKey() ignores case, and i is l because a capital I looks like l", () => {
  assertAlike("ian", "Ian", "IAN", "lan", "LAN", "1an");
  assertAlike("alice", "ALlCE", "a1ice", "al\u0131ce"); // dotless i
  assertAlike("ceci", "CECI", "Ceci");
});

Deno.test("confusableKey() gives names equal ignoring case one key, for every ASCII letter", () => {
  for (let code = 0x41; code <= 0x5a; code++) {
    const upper = String.fromCharCode(code);
    const lower = upper.toLowerCase();
    assert.equal(confusableKey(`x${upper}y`), confusableKey(`x${lower}y`), upper);
  }
});

Deno.test("confusableKey() catches whole-script look-alikes in Cyrillic, Greek and Cherokee", () => {
  assertAlike("coco", "\u0441\u043e\u0441\u043e"); // Cyrillic
  assertAlike("paya", "\u0440\u0430\u0443\u0430"); // Cyrillic
  assertAlike("BOB", "\u0412\u041e\u0412"); // Cyrillic capitals
  assertAlike("opo", "\u03bf\u03c1\u03bf"); // Greek
  assertAlike("nikh", "NIKH", "\u039d\u0399\u039a\u0397"); // Greek capitals
  assertAlike("ian", "\u13a5an"); // Cherokee v for i
});

Deno.test("confusableKey() catches digits and letter pairs that pass for letters", () => {
  assertAlike("bob", "b0b", "BOB");
  assertAlike("mary", "rnary");
});

Deno.test("confusableKey() keeps ordinary distinct names apart", () => {
  assertDistinct("ana", "anna");
  assertDistinct("bob", "bobb");
  assertDistinct("bob", "rob");
  assertDistinct("\u674e\u96f7", "\u674e\u96ea");
  assertDistinct("\u0410\u043d\u044f", "\u0410\u043d\u0430");
  // Marks are kept, as UTS #39 keeps them: a diaeresis is plain to see, and in many languages
  // it is what tells two names apart (Gul and G\u00fcl).
  assertDistinct("Zo\u00eb", "Zoe");
  assertDistinct("G\u00fcl", "Gul");
  // Greek small nu looks like v, not n: the key does not merge letters through their capitals.
  assertDistinct("nora", "vora");
  assertDistinct("anna", "\u03b1\u03bd\u03bd\u03b1");
});

Deno.test("skeleton() keeps case and drops default-ignorable code points, as UTS #39 does", () => {
  assert.equal(skeleton("Alice"), "Alice");
  assert.equal(skeleton("AIice"), "Alice");
  assert.notEqual(skeleton("Alice"), skeleton("alice"));
  assert.equal(skeleton("a\u200bl\u00adi\u2060ce"), "alice");
});

Deno.test("skeleton() maps spot-checked entries of confusables.txt", () => {
  // Lines of confusables.txt, source ; prototype, checked by hand against Unicode's file.
  const entries: [string, string][] = [
    ["\u0031", "\u006c"], // DIGIT ONE -> LATIN SMALL LETTER L
    ["\u0049", "\u006c"], // LATIN CAPITAL LETTER I -> LATIN SMALL LETTER L
    ["\u006d", "\u0072\u006e"], // LATIN SMALL LETTER M -> r, n
    ["\u0430", "\u0061"], // CYRILLIC SMALL LETTER A -> LATIN SMALL LETTER A
    ["\u0585", "\u006f"], // ARMENIAN SMALL LETTER OH -> LATIN SMALL LETTER O
    ["\u13aa", "\u0041"], // CHEROKEE LETTER GO -> LATIN CAPITAL LETTER A
    ["\u0251", "\u0061"], // LATIN SMALL LETTER ALPHA -> LATIN SMALL LETTER A
    ["\u2160", "\u006c"], // ROMAN NUMERAL ONE -> LATIN SMALL LETTER L
    ["\u{1d400}", "\u0041"], // MATHEMATICAL BOLD CAPITAL A -> LATIN CAPITAL LETTER A
    ["\u05ad", "\u0596"], // HEBREW ACCENT DEHI -> HEBREW ACCENT TIPEHA
    ["\u01c6", "\u0064\u017e"], // LATIN SMALL LETTER DZ WITH CARON -> d, z with caron
  ];
  for (const [source, prototype] of entries) {
    assert.equal(skeleton(source), prototype.normalize("NFD"), JSON.stringify(source));
  }
});

Deno.test("skeleton() maps every entry of the source data to its prototype", () => {
  let checked = 0;
  for (const [source, prototype] of Object.entries(data as Record<string, string>)) {
    if (source.normalize("NFD") !== source) continue; // decomposed before any look-up
    if (/\p{Default_Ignorable_Code_Point}/u.test(source)) continue; // removed before any look-up
    assert.equal(skeleton(source), prototype.normalize("NFD"), JSON.stringify(source));
    checked++;
  }
  assert.equal(checked, CONFUSABLE_ENTRIES);
});

Deno.test("protocol/confusables_data.ts is what scripts/gen_confusables.ts generates", async () => {
  assert.equal(await Deno.readTextFile(OUTPUT), renderModule(data));
  assert.equal(CONFUSABLES_UNICODE_VERSION, UNICODE_VERSION);
  assert.equal(CONFUSABLES_UNICODE_VERSION, "13.0.0");
});

Deno.test("confusableKey() agrees with foldName() on what it cannot tell apart", () => {
  // Case variants the key keeps apart are still one name: callers compare both.
  assert.equal(foldName("\u00d0\u00f3ra"), foldName("\u00f0\u00f3ra"));
  assert.notEqual(confusableKey("\u00d0\u00f3ra"), confusableKey("\u00f0\u00f3ra"));
});
