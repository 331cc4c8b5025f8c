/**
 * Turns text read from a raw-mode terminal into keys. It owns the byte-level conventions (caret
 * controls, Alt as an ESC prefix, CSI and SS3 escape sequences with their modifiers, focus
 * reports, bracketed paste) so the line editor only deals in keys.
 *
 * Input arrives in arbitrary chunks, so an escape sequence may be split across reads: an
 * incomplete one is held until the next chunk, and a paste is held until its end marker. Sequences
 * it does not know are swallowed whole so that no stray "[1;5C" ever lands in a message. It knows
 * nothing about editing or the screen.
 */

/** Keys with a name of their own. */
export type NamedKey =
  | "enter"
  | "tab"
  /** Shift-Tab. */
  | "backtab"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "up"
  | "down"
  | "home"
  | "end"
  /** Ctrl or Alt with Left or Right. */
  | "word-left"
  | "word-right"
  /** Ctrl-Delete. */
  | "word-delete"
  /** The terminal window gained or lost focus (only once focus reporting is on). */
  | "focus-in"
  | "focus-out";

/** One decoded key, a run of text typed, or one whole paste. */
export type Key =
  /** Text typed, without control characters. */
  | { type: "text"; text: string }
  /**
   * Text that came between bracketed-paste markers, line breaks as "\n", tabs as spaces, other
   * controls dropped. `complete` is false when it was longer than `MAX_PASTE_CHARS` and cut.
   */
  | { type: "paste"; text: string; complete: boolean }
  /** Ctrl with a letter or symbol, lower case: "a" for 0x01, "@" for 0x00, "_" for 0x1f. */
  | { type: "ctrl"; letter: string }
  /** Alt (ESC prefix) with a printable character as typed ("b", "B"), or with "backspace". */
  | { type: "alt"; key: string }
  | { type: NamedKey };

/** Longest escape sequence held while waiting for the rest; longer ones are dropped. */
export const MAX_PENDING_ESCAPE = 64;
/** Most characters of one paste kept; a longer paste is cut and marked incomplete. */
export const MAX_PASTE_CHARS = 256 * 1024;

const ESC = "\x1b";

const CSI_KEYS: Readonly<Record<string, NamedKey | "paste-start" | "paste-end">> = {
  "A": "up",
  "B": "down",
  "C": "right",
  "D": "left",
  "H": "home",
  "F": "end",
  "Z": "backtab",
  "I": "focus-in",
  "O": "focus-out",
  "1~": "home",
  "7~": "home",
  "3~": "delete",
  "4~": "end",
  "8~": "end",
  "200~": "paste-start",
  "201~": "paste-end",
};

const SS3_KEYS: Readonly<Record<string, NamedKey>> = {
  "A": "up",
  "B": "down",
  "C": "right",
  "D": "left",
  "H": "home",
  "F": "end",
  // rxvt's Ctrl-Right and Ctrl-Left.
  "c": "word-right",
  "d": "word-left",
};

/** Keys that become word-wise with Ctrl or Alt held (xterm's "1;5C", "1;3D", "3;5~"). */
const WORD_WISE: Readonly<Partial<Record<NamedKey, NamedKey>>> = {
  "left": "word-left",
  "right": "word-right",
  "delete": "word-delete",
};

/** xterm modifier parameter bits, after subtracting one: 1 Shift, 2 Alt, 4 Ctrl. */
const ALT_OR_CTRL = 2 | 4;

/** Decodes raw-mode terminal input into keys, across chunk boundaries. */
export class KeyDecoder {
  #pending = "";
  #paste: string | null = null;
  #pasteComplete = true;
  #afterCarriageReturn = false;
  #text = "";
  #keys: Key[] = [];

  /** Decodes `input`, returning the keys it completes; an unfinished sequence waits for more. */
  feed(input: string): Key[] {
    const data = this.#pending + input;
    this.#pending = "";
    let i = 0;
    while (i < data.length) {
      const char = String.fromCodePoint(data.codePointAt(i) ?? 0);
      if (char === ESC) {
        const consumed = this.#escape(data, i);
        if (consumed === 0) {
          const held = data.slice(i);
          // Held only while it could still be a sequence we know; a runaway one is dropped.
          if (held.length <= MAX_PENDING_ESCAPE) this.#pending = held;
          break;
        }
        i += consumed;
      } else {
        this.#character(char);
        i += char.length;
      }
    }
    this.#flushText();
    const keys = this.#keys;
    this.#keys = [];
    return keys;
  }

  /** Handles the escape sequence starting at `start`: code units consumed, 0 if incomplete. */
  #escape(data: string, start: number): number {
    this.#afterCarriageReturn = false;
    const introducer = data[start + 1];
    if (introducer === undefined) return 0;
    // A second ESC starts the real sequence (some terminals send Alt+arrow as ESC ESC [ A).
    if (introducer === ESC) return 1;
    if (introducer === "[") return this.#csi(data, start);
    if (introducer === "O") {
      if (start + 2 >= data.length) return 0;
      const final = String.fromCodePoint(data.codePointAt(start + 2) ?? 0);
      const name = SS3_KEYS[final];
      if (name !== undefined) this.#emit({ type: name });
      return 2 + final.length;
    }
    const char = String.fromCodePoint(data.codePointAt(start + 1) ?? 0);
    const code = char.codePointAt(0) ?? 0;
    if (code === 0x7f || code === 0x08) this.#emit({ type: "alt", key: "backspace" });
    else if (!isControl(code)) this.#emit({ type: "alt", key: char });
    // Alt with another control (Alt-Enter, Alt-Tab) is swallowed: no binding, and no stray text.
    return 1 + char.length;
  }

  #csi(data: string, start: number): number {
    let i = start + 2;
    // ECMA-48: parameter bytes 0x30-0x3F, then intermediate bytes 0x20-0x2F, then a final byte.
    while (i < data.length && isCodeIn(data, i, 0x30, 0x3f)) i++;
    while (i < data.length && isCodeIn(data, i, 0x20, 0x2f)) i++;
    if (i >= data.length) return 0;
    if (!isCodeIn(data, i, 0x40, 0x7e)) {
      // Malformed: drop what we read and let the offending character be handled on its own.
      return i - start;
    }
    const body = data.slice(start + 2, i + 1);
    const name = CSI_KEYS[body] ?? modified(body);
    if (name === "paste-start") {
      // Text typed before the marker is a key run of its own.
      this.#flushText();
      this.#paste ??= "";
    } else if (name === "paste-end") {
      if (this.#paste !== null) {
        this.#keys.push({ type: "paste", text: this.#paste, complete: this.#pasteComplete });
      }
      this.#paste = null;
      this.#pasteComplete = true;
    } else if (name !== undefined) this.#emit({ type: name });
    return i + 1 - start;
  }

  #character(char: string): void {
    const code = char.codePointAt(0) ?? 0;
    const afterCarriageReturn = this.#afterCarriageReturn;
    this.#afterCarriageReturn = char === "\r";
    // CR LF is one line end, even when the two arrive in different chunks.
    if (char === "\n" && afterCarriageReturn) return;
    if (this.#paste !== null) {
      if (char === "\r" || char === "\n") this.#pasted("\n");
      else if (char === "\t") this.#pasted(" ");
      else if (!isControl(code)) this.#pasted(char);
      return;
    }
    if (!isControl(code)) {
      this.#text += char;
      return;
    }
    if (char === "\r" || char === "\n") this.#emit({ type: "enter" });
    else if (char === "\t") this.#emit({ type: "tab" });
    else if (code === 0x7f || code === 0x08) this.#emit({ type: "backspace" });
    else if (code < 0x20) {
      this.#emit({ type: "ctrl", letter: String.fromCharCode(code + 0x40).toLowerCase() });
    }
    // C1 controls (0x80-0x9F) are never typed on purpose: ignored.
  }

  #pasted(text: string): void {
    if (this.#paste === null) return;
    if (this.#paste.length + text.length > MAX_PASTE_CHARS) this.#pasteComplete = false;
    else this.#paste += text;
  }

  #emit(key: Key): void {
    // Keys inside a paste are part of what was pasted, not commands: never acted on.
    if (this.#paste !== null) return;
    this.#flushText();
    this.#keys.push(key);
  }

  #flushText(): void {
    if (this.#text === "") return;
    this.#keys.push({ type: "text", text: this.#text });
    this.#text = "";
  }
}

/** A CSI key with an xterm modifier ("1;5C", "3;5~"), as the key it means, or undefined. */
function modified(body: string): NamedKey | undefined {
  const match = /^(\d+);(\d+)([A-Z~])$/.exec(body);
  if (!match) return undefined;
  const [, first = "", modifier = "", final = ""] = match;
  const base = CSI_KEYS[final === "~" ? `${first}~` : final];
  if (base === undefined || base === "paste-start" || base === "paste-end") return undefined;
  const bits = Number(modifier) - 1;
  return (bits & ALT_OR_CTRL) !== 0 ? WORD_WISE[base] ?? base : base;
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function isCodeIn(data: string, index: number, low: number, high: number): boolean {
  const code = data.charCodeAt(index);
  return code >= low && code <= high;
}
