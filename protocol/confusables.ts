/**
 * Whether two names look alike: the confusable skeleton of Unicode's UTS #39 ("Unicode Security
 * Mechanisms", section 4), combined with case folding. `nameProblem` refuses names that mix
 * Latin, Cyrillic and Greek letters; this catches look-alikes that pass that rule because they
 * stay within one script ("AIice" with a capital I) or use a script of their own (Cherokee
 * "Ꭺlice", Armenian "bօb"). Pure and table-driven: the table is generated from confusables.txt
 * by scripts/gen_confusables.ts, and this module knows nothing of members or rooms.
 */
import { CONFUSABLE_LINES } from "./confusables_data.ts";

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Source code point to prototype, decoded on first use so that importing costs nothing. */
let prototypes: Map<number, string> | undefined;

/**
 * The UTS #39 skeleton of `text`: NFD, default-ignorable code points removed, each code point
 * replaced by its confusables.txt prototype, NFD again. Case is kept, as the standard does.
 * A skeleton is for comparing, never for showing.
 */
export function skeleton(text: string): string {
  const table = prototypes ?? decodePrototypes();
  let out = "";
  for (const char of text.normalize("NFD").replace(DEFAULT_IGNORABLE, "")) {
    out += table.get(char.codePointAt(0) ?? 0) ?? char;
  }
  return out.normalize("NFD");
}

/**
 * The key two names are compared by for looking alike, ignoring case: names with equal keys look
 * alike once case is set aside. "AIice" (capital I), "alice", "ALICE", "ALlCE", "ɑlice" and
 * Cherokee "Ꭺlice" share one key, as do "bob" and Armenian "bօb".
 *
 * It is `skeleton(skeleton(name).toLowerCase())` with every "i" then replaced by "l". The first
 * skeleton comes before lowering so that a capital I still counts as the "l" it looks like; the
 * second maps what lowering produced. The last step is there because names are the same name
 * in any case: whoever is "ian" may as well be shown as "IAN", so "lAN" or Greek "ΙΑΝ" pass as
 * them, while a skeleton alone keeps i and l apart. It costs little ("Kali" and "Kall" collide).
 * Other letters whose capital looks like a different letter than the small one (Greek ν is
 * like v, Ν like N) are not merged: "nora" and "vora" must stay apart. So the key does not
 * replace `foldName`, which says when two names are the same name; compare both.
 */
export function confusableKey(name: string): string {
  return skeleton(skeleton(name).toLowerCase()).replaceAll("i", "l");
}

/** Decodes the table (5,246 entries, about 10 ms on first use); the format is in the data. */
function decodePrototypes(): Map<number, string> {
  const table = new Map<number, string>();
  let source = 0;
  for (const line of CONFUSABLE_LINES) {
    for (const entry of line.split(",")) {
      const colon = entry.indexOf(":");
      source += parseInt(entry.slice(0, colon), 36);
      let prototype = "";
      for (let start = colon + 1; start > 0;) {
        const dot = entry.indexOf(".", start);
        const code = parseInt(entry.slice(start, dot < 0 ? undefined : dot), 36);
        prototype += String.fromCodePoint(code);
        start = dot + 1;
      }
      table.set(source, prototype);
    }
  }
  prototypes = table;
  return table;
}
