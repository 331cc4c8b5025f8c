/**
 * Makes untrusted text (message text and names received from the network) inert before it reaches
 * a terminal. A peer's bytes are written between our own escape sequences, so a single raw ESC,
 * C1 CSI or BEL would let them move the cursor, retitle the window, clear the screen or forge
 * lines that look like ours; bidirectional controls would let them reorder what is shown;
 * invisible characters would let them hide text (or smuggle it to whoever copies the line), and
 * a tall stack of combining marks would let them paint over the lines around theirs.
 *
 * Dangerous characters are replaced by a visible spelling rather than dropped, so a reader can see
 * that something was there; marks past the limit are cut and counted in one marker. Everything
 * else (emoji, CJK, a few combining marks, the joiners words need) passes untouched. This module
 * knows nothing about colours or layout.
 */

/** Characters that reorder text, split lines or hide text whatever surrounds them. */
const VISIBLE_AS_CODE_POINT: ReadonlySet<number> = new Set([
  0x061c, // Arabic letter mark
  0x200e, // left-to-right mark
  0x200f, // right-to-left mark
  0x202a, // left-to-right embedding
  0x202b, // right-to-left embedding
  0x202c, // pop directional formatting
  0x202d, // left-to-right override
  0x202e, // right-to-left override
  0x2066, // left-to-right isolate
  0x2067, // right-to-left isolate
  0x2068, // first strong isolate
  0x2069, // pop directional isolate
  0x2028, // line separator
  0x2029, // paragraph separator
  0xfff9, // interlinear annotation anchor: these three hide or move the annotated text
  0xfffa, // interlinear annotation separator
  0xfffb, // interlinear annotation terminator
]);

/**
 * Combining marks (nonspacing and enclosing) kept on one character; the rest are dropped and
 * counted in one `<+N marks>`. Real text needs up to about five: two in Vietnamese (ệ), two or
 * three in Thai and Lao, up to four or five in pointed Hebrew with cantillation, three or four in
 * Tibetan stacks, two in a keycap emoji. Names allow three. "Zalgo" text stacks dozens to paint
 * over other lines; five marks reach at most about one line up in terminals that let them.
 */
export const MAX_MARKS_PER_CHARACTER = 5;

/**
 * Everything that may need work: controls, lone surrogates, default-ignorable code points (which
 * include bidi controls, variation selectors and joiners), the other characters above, and runs
 * of more marks than allowed. Text without any passes unchanged.
 */
const NEEDS_WORK = new RegExp(
  "[\\p{Cc}\\p{Cs}\\p{Default_Ignorable_Code_Point}\\u2028\\u2029\\ufff9-\\ufffb]|" +
    `[\\p{Mn}\\p{Me}]{${MAX_MARKS_PER_CHARACTER + 1}}`,
  "u",
);

const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const STACKING_MARK = /^[\p{Mn}\p{Me}]$/u;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
const EMOJI_MODIFIER = /^\p{Emoji_Modifier}$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
const SPACE = /^\s$/u;

/**
 * Scripts whose spelling needs U+200C ZERO WIDTH NON-JOINER or U+200D ZERO WIDTH JOINER inside
 * words: Persian and Urdu (Arabic script) write a non-joiner in most compound words, Syriac,
 * N'Ko and Mongolian join like Arabic, and the Brahmic scripts of South and Southeast Asia use
 * both after a virama to choose a conjunct's form (Devanagari eyelash ra, Malayalam chillu,
 * Sinhala yansaya).
 */
const JOINING_SCRIPT = new RegExp(
  `^[${
    "Arab Syrc Nkoo Mong Deva Beng Guru Gujr Orya Taml Telu Knda Mlym Sinh Mymr Khmr".split(" ")
      .map((script) => `\\p{scx=${script}}`).join("")
  }]$`,
  "u",
);

const ZWNJ = 0x200c;
const ZWJ = 0x200d;

/** The only emoji tag sequences recommended for general interchange: England, Scotland, Wales. */
const TAG_FLAGS: readonly string[] = ["gbeng", "gbsct", "gbwls"].map((region) =>
  `\u{1F3F4}${tagged(region)}\u{E007F}`
);

/**
 * Returns `text` with every control, bidi, invisible and line-separator character made visible
 * and inert, and stacks of combining marks cut to `MAX_MARKS_PER_CHARACTER`.
 */
export function sanitizeForTerminal(text: string): string {
  if (isPlainAscii(text) || !NEEDS_WORK.test(text)) return text;
  return rewrite(text, true);
}

/**
 * Returns `text` without what `sanitizeForTerminal` would replace or cut, for input typed or
 * pasted into our own line, where a spelled-out `<U+200B>` would only surprise.
 */
export function dropUnshown(text: string): string {
  if (isPlainAscii(text) || !NEEDS_WORK.test(text)) return text;
  return rewrite(text, false);
}

/** Splits `text` on "\n" or "\r\n" and sanitizes each line, for showing a multi-line message. */
export function sanitizeLines(text: string): string[] {
  return text.split(/\r?\n/).map(sanitizeForTerminal);
}

/**
 * What was last written as itself, which decides whether a selector or joiner may follow: a
 * visible character ("base"), a letter or mark of a joining script, a mark, a joiner, or
 * "nothing" (the start, a space, a spelled-out character).
 */
type Previous = "nothing" | "base" | "joining" | "mark" | "joiner";

/**
 * The slow path. Invisible characters are shown except where real text needs them:
 * - a variation selector directly after a visible character (❤️, 1️⃣, CJK variants), but not a
 *   second one: runs of selectors are how data is smuggled inside an emoji;
 * - U+200D between two pictographs, as in family and profession emoji (👩‍💻);
 * - U+200C or U+200D directly after a letter or mark of a script in `JOINING_SCRIPT`;
 * - tag characters only inside the three flags that use them.
 */
function rewrite(text: string, visible: boolean): string {
  const writer = new Writer(visible);
  for (let i = 0; i < text.length;) {
    const code = text.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(code);
    const flag = code === 0x1f3f4 ? TAG_FLAGS.find((tagged) => text.startsWith(tagged, i)) : "";
    i += char.length;
    if (code >= 0x20 && code < 0x7f) {
      writer.base(char, code === 0x20 ? "nothing" : "base", false);
    } else if (needsReplacing(code)) {
      writer.replace(code);
    } else if (flag) {
      writer.base(flag, "base", true);
      i += flag.length - char.length;
    } else if (DEFAULT_IGNORABLE.test(char)) {
      const next = String.fromCodePoint(text.codePointAt(i) ?? 0);
      const previous = writer.previous;
      if (isVariationSelector(code) && (previous === "base" || previous === "joining")) {
        writer.invisible(char, "mark");
      } else if (
        (code === ZWJ && writer.pictograph && PICTOGRAPHIC.test(next)) ||
        ((code === ZWJ || code === ZWNJ) && previous === "joining")
      ) {
        writer.invisible(char, "joiner");
      } else {
        writer.replace(code);
      }
    } else if (STACKING_MARK.test(char)) {
      writer.mark(char, JOINING_SCRIPT.test(char));
    } else if (EMOJI_MODIFIER.test(char)) {
      writer.invisible(char, writer.previous); // a skin tone belongs to the emoji before it
    } else {
      const joining = LETTER_OR_MARK.test(char) && JOINING_SCRIPT.test(char);
      const kind = joining ? "joining" : SPACE.test(char) ? "nothing" : "base";
      writer.base(char, kind, PICTOGRAPHIC.test(char));
    }
  }
  return writer.finish();
}

/** Builds the output and keeps count of the marks on the current character. */
class Writer {
  /** What was last written as itself. */
  previous: Previous = "nothing";
  /** Whether the current character is a pictograph, which U+200D may join to another. */
  pictograph = false;
  #out = "";
  #marks = 0;
  #dropped = 0;
  readonly #visible: boolean;

  constructor(visible: boolean) {
    this.#visible = visible;
  }

  /** Writes a character that combining marks stack on. */
  base(shown: string, kind: Previous, pictograph: boolean): void {
    this.#write(shown);
    this.#marks = 0;
    this.previous = kind;
    this.pictograph = pictograph;
  }

  /** Writes a combining mark, or cuts it when the current character has enough. */
  mark(char: string, joining: boolean): void {
    if (this.#marks >= MAX_MARKS_PER_CHARACTER) {
      this.#dropped++;
      return;
    }
    this.#write(char);
    this.#marks++;
    this.previous = joining ? "joining" : "mark";
    this.pictograph = false;
  }

  /** Writes an invisible character that belongs where it is. */
  invisible(char: string, kind: Previous): void {
    this.#write(char);
    this.previous = kind;
  }

  /** Writes the visible spelling of `code`, or nothing when spellings are not wanted. */
  replace(code: number): void {
    // The spelling becomes the character later marks stack on; when it is dropped, nothing does.
    if (this.#visible) this.base(replacement(code), "nothing", false);
    else this.previous = "nothing";
  }

  finish(): string {
    this.#write("");
    return this.#out;
  }

  #write(shown: string): void {
    if (this.#dropped > 0 && this.#visible) {
      this.#out += `<+${this.#dropped} mark${this.#dropped === 1 ? "" : "s"}>`;
    }
    this.#dropped = 0;
    this.#out += shown;
  }
}

/** `ascii` spelled in tag characters (U+E0020 to U+E007E), as in an emoji tag sequence. */
function tagged(ascii: string): string {
  return Array.from(ascii, (char) => String.fromCodePoint(0xe0000 + char.charCodeAt(0))).join("");
}

function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code >= 0x7f) return false;
  }
  return true;
}

/** Whether `code` is replaced whatever surrounds it (default-ignorables are decided apart). */
function needsReplacing(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xdfff) || VISIBLE_AS_CODE_POINT.has(code);
}

function isVariationSelector(code: number): boolean {
  return (code >= 0xfe00 && code <= 0xfe0f) || (code >= 0xe0100 && code <= 0xe01ef) ||
    (code >= 0x180b && code <= 0x180d) || code === 0x180f;
}

function replacement(code: number): string {
  if (code === 0x09) return " ";
  // Caret notation, as `cat -v` and most terminals' own echo show C0 controls and DEL.
  if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
  if (code === 0x7f) return "^?";
  // A surrogate seen here is unpaired: `codePointAt` joins paired ones into one code point.
  if (code >= 0xd800 && code <= 0xdfff) return "\ufffd";
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}
