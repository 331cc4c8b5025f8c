/**
 * Makes untrusted text (message text and names received from the network) inert before it reaches
 * a terminal. A peer's bytes are written between our own escape sequences, so a single raw ESC,
 * C1 CSI or BEL would let them move the cursor, retitle the window, clear the screen or forge
 * lines that look like ours; bidirectional controls would let them reorder what is shown.
 *
 * Dangerous characters are replaced by a visible spelling rather than dropped, so a reader can see
 * that something was there. Everything else (emoji, CJK, combining marks) passes untouched. This
 * module knows nothing about colours or layout.
 */

/** Characters that reorder text or split lines on their own: shown as `<U+XXXX>`. */
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
]);

/** Returns `text` with every control, bidi and line-separator character made visible and inert. */
export function sanitizeForTerminal(text: string): string {
  if (isAlreadyInert(text)) return text;
  let out = "";
  for (const char of text) out += inertForm(char);
  return out;
}

/** Splits `text` on "\n" or "\r\n" and sanitizes each line, for showing a multi-line message. */
export function sanitizeLines(text: string): string[] {
  return text.split(/\r?\n/).map(sanitizeForTerminal);
}

/** Whether `char` (one code point) needs replacing; the common case is a quick no. */
function needsReplacing(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xdfff) || VISIBLE_AS_CODE_POINT.has(code);
}

function isAlreadyInert(text: string): boolean {
  // Checking code units is enough: a lone surrogate is itself in the surrogate range, and every
  // other character we replace is in the BMP.
  for (let i = 0; i < text.length; i++) {
    if (needsReplacing(text.charCodeAt(i))) return false;
  }
  return true;
}

function inertForm(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (!needsReplacing(code)) return char;
  if (code === 0x09) return " ";
  // Caret notation, as `cat -v` and most terminals' own echo show C0 controls and DEL.
  if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
  if (code === 0x7f) return "^?";
  // A surrogate seen here is unpaired: `for...of` yields paired ones as a single code point.
  if (code >= 0xd800 && code <= 0xdfff) return "\ufffd";
  return codePointLabel(code);
}

function codePointLabel(code: number): string {
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}
