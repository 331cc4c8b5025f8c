/**
 * How many terminal columns text takes, so the line editor can place the cursor and scroll without
 * asking the terminal. It follows what common terminals (xterm, VTE, kitty, Windows Terminal) do:
 * East Asian Wide and Fullwidth characters and emoji take two columns, combining marks and format
 * characters none, everything else one.
 *
 * Width is measured per grapheme cluster (`Intl.Segmenter`) so that an emoji sequence joined with
 * ZWJ or carrying a skin-tone modifier counts once, as terminals draw it. No tables from npm: the
 * wide ranges below come from Unicode's EastAsianWidth.txt, and emoji from V8's Unicode properties.
 */

/** East Asian Wide (W) and Fullwidth (F) ranges that are not emoji, sorted, inclusive. */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // kana, Bopomofo, Hangul compatibility Jamo, Kanbun, enclosed CJK
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x16ff1], // ideographic symbols
  [0x17000, 0x18d08], // Tangut, Khitan
  [0x1aff0, 0x1b2ff], // kana supplement and extensions, Nushu
  [0x1f200, 0x1f265], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B onwards
  [0x30000, 0x3fffd], // CJK extensions G onwards
];

const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}/u;
const EMOJI = /^\p{Emoji}/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const VARIATION_SELECTOR_EMOJI = "\ufe0f";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns `text` takes in a terminal: the sum of its grapheme clusters' widths. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** Splits `text` into grapheme clusters: what a user sees, and deletes, as one character. */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), ({ segment }) => segment);
}

/** Columns one grapheme cluster takes: 0, 1 or 2 for all but unusual clusters. */
export function graphemeWidth(grapheme: string): number {
  // Emoji sequences (ZWJ families, flags, skin tones, keycaps) are drawn as one two-column glyph.
  if (EMOJI_PRESENTATION.test(grapheme)) return 2;
  if (grapheme.includes(VARIATION_SELECTOR_EMOJI) && EMOJI.test(grapheme)) return 2;
  // Otherwise add up code points, as wcwidth does, so spacing marks in Indic scripts count.
  let width = 0;
  for (const char of grapheme) width += codePointWidth(char);
  return width;
}

function codePointWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (ZERO_WIDTH.test(char)) return 0;
  // Hangul medial vowels and final consonants join the preceding initial consonant's two columns.
  if ((code >= 0x1160 && code <= 0x11ff) || (code >= 0xd7b0 && code <= 0xd7ff)) return 0;
  return isWide(code) ? 2 : 1;
}

function isWide(code: number): boolean {
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = WIDE_RANGES[middle];
    if (range === undefined) return false;
    if (code < range[0]) high = middle - 1;
    else if (code > range[1]) low = middle + 1;
    else return true;
  }
  return false;
}
