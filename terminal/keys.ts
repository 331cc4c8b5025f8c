/**
 * Turns text read from a raw-mode terminal into keys. It owns the byte-level conventions (caret
 * controls, CSI and SS3 escape sequences, bracketed paste) so the line editor only deals in keys.
 *
 * Input arrives in arbitrary chunks, so an escape sequence may be split across reads: an
 * incomplete one is held until the next chunk. Sequences it does not know are swallowed whole so
 * that no stray "[1;5C" ever lands in a message. It knows nothing about editing or the screen.
 */

/** Keys with a name of their own. */
export type NamedKey =
  | "enter"
  | "tab"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "up"
  | "down"
  | "home"
  | "end";

/** One decoded key, or a run of text typed or pasted. */
export type Key =
  /** Text without control characters; `pasted` when it came between bracketed-paste markers. */
  | { type: "text"; text: string; pasted: boolean }
  /** Ctrl with a letter or symbol, lower case: "a" for 0x01, "@" for 0x00, "_" for 0x1f. */
  | { type: "ctrl"; letter: string }
  | { type: NamedKey };

/** Longest escape sequence held while waiting for the rest; longer ones are dropped. */
export const MAX_PENDING_ESCAPE = 64;

const ESC = "\x1b";

const CSI_KEYS: Readonly<Record<string, NamedKey | "paste-start" | "paste-end">> = {
  "A": "up",
  "B": "down",
  "C": "right",
  "D": "left",
  "H": "home",
  "F": "end",
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
};

/** Decodes raw-mode terminal input into keys, across chunk boundaries. */
export class KeyDecoder {
  #pending = "";
  #pasting = false;
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
      if (name !== undefined && !this.#pasting) this.#emit({ type: name });
      return 2 + final.length;
    }
    // Alt+key arrives as ESC then the key: swallowed, the editor has no Alt bindings.
    return 1 + String.fromCodePoint(data.codePointAt(start + 1) ?? 0).length;
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
    const name = CSI_KEYS[data.slice(start + 2, i + 1)];
    if (name === "paste-start" || name === "paste-end") {
      // Text before the marker came in the other mode: flush it so its `pasted` flag is right.
      this.#flushText();
      this.#pasting = name === "paste-start";
    } else if (name !== undefined && !this.#pasting) this.#emit({ type: name });
    return i + 1 - start;
  }

  #character(char: string): void {
    const code = char.codePointAt(0) ?? 0;
    const afterCarriageReturn = this.#afterCarriageReturn;
    this.#afterCarriageReturn = char === "\r";
    // CR LF is one line end, even when the two arrive in different chunks.
    if (char === "\n" && afterCarriageReturn) return;
    if (this.#pasting) {
      // A pasted line break must not send the message half-pasted: it becomes a space.
      if (char === "\r" || char === "\n" || char === "\t") this.#text += " ";
      else if (!isControl(code)) this.#text += char;
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

  #emit(key: Key): void {
    this.#flushText();
    this.#keys.push(key);
  }

  #flushText(): void {
    if (this.#text === "") return;
    this.#keys.push({ type: "text", text: this.#text, pasted: this.#pasting });
    this.#text = "";
  }
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function isCodeIn(data: string, index: number, low: number, high: number): boolean {
  const code = data.charCodeAt(index);
  return code >= low && code <= high;
}
