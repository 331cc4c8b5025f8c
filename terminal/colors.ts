/**
 * Colours for terminal output: a stable colour per member name and a few SGR styles. A name keeps
 * its colour across runs and machines because the colour comes from a fixed hash of the folded
 * name, not from join order or a random seed.
 *
 * Callers pass text that is already sanitized; this module only adds its own SGR codes and knows
 * nothing about where the text came from. With styling disabled (NO_COLOR, output not a TTY) every
 * style is the identity, so callers never branch on colour support themselves.
 */
import { foldName } from "../protocol.ts";

/**
 * xterm-256 colours readable on both dark and light backgrounds. Pure reds are left out so that a
 * name never looks like an error.
 */
export const NAME_PALETTE: readonly number[] = [
  31, // #0087af teal blue
  33, // #0087ff blue
  36, // #00af87 sea green
  37, // #00afaf cyan
  70, // #5faf00 green
  98, // #875fd7 violet
  99, // #875fff light violet
  130, // #af5f00 brown
  133, // #af5faf magenta
  136, // #af8700 olive
  166, // #d75f00 orange
  172, // #d78700 amber
];

/** Ways to decorate already-sanitized text for the terminal. */
export interface Style {
  /** The name in its stable colour. */
  name(name: string): string;
  /** Text in faint intensity, for timestamps and notices. */
  dim(text: string): string;
  /** Text in bold. */
  bold(text: string): string;
  /** Text in red, for errors. */
  error(text: string): string;
  /** Text in reverse video, for the user's own name where a message mentions it. */
  highlight(text: string): string;
}

/** The palette colour for `name`; names differing only in case or width form share a colour. */
export function nameColor(name: string): number {
  const index = fnv1a32(foldName(name)) % NAME_PALETTE.length;
  return NAME_PALETTE[index] ?? 0;
}

/** SGR styles when `enabled`, identity functions otherwise (NO_COLOR or output not a TTY). */
export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const identity = (text: string): string => text;
    return { name: identity, dim: identity, bold: identity, error: identity, highlight: identity };
  }
  // Each style resets only its own attribute (39 = default foreground, 22 = normal intensity, 27 =
  // not reversed), so a coloured name inside dim or bold text does not end the dimming or boldness
  // around it.
  return {
    name: (name) => `\x1b[38;5;${nameColor(name)}m${name}\x1b[39m`,
    dim: (text) => `\x1b[2m${text}\x1b[22m`,
    bold: (text) => `\x1b[1m${text}\x1b[22m`,
    error: (text) => `\x1b[31m${text}\x1b[39m`,
    highlight: (text) => `\x1b[7m${text}\x1b[27m`,
  };
}

const utf8 = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes: tiny, stable across runtimes, and spreads short names well. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
