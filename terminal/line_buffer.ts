/**
 * The text of the input line and its cursor, edited in grapheme clusters, with the word motions
 * and the kill ring of readline. Pure state: the line editor maps keys to these operations and
 * draws the result; nothing here knows about keys, prompts or the screen.
 *
 * The cursor is a UTF-16 offset always on a cluster boundary, so an emoji or a letter with its
 * combining mark moves and deletes as one character.
 */
import { graphemes } from "./width.ts";

/** Which kind of word a motion stops at. */
export type WordKind =
  /** Runs of letters, digits and marks, as readline's Alt-B, Alt-F and Alt-Backspace see them. */
  | "alnum"
  /** Runs of anything but white space, as Ctrl-W sees them. */
  | "spaced";

/** Most killed texts kept for Ctrl-Y; only the latest is yanked. */
const KILL_RING_SIZE = 16;

/** A line of text, a cursor in it, and what was last killed. */
export class LineBuffer {
  #text = "";
  #cursor = 0;
  #killRing: string[] = [];
  /** Whether the last operation was a kill, so the next one adds to the same entry. */
  #killing = false;

  /** The text. */
  get text(): string {
    return this.#text;
  }

  /** The cursor, as a UTF-16 offset on a cluster boundary. */
  get cursor(): number {
    return this.#cursor;
  }

  /** What Ctrl-Y would insert, or "" when nothing was killed yet. */
  get lastKill(): string {
    return this.#killRing.at(-1) ?? "";
  }

  /** Replaces the text, moving the cursor forward onto a cluster boundary if it is inside one. */
  set(text: string, cursor = text.length): void {
    this.#text = text;
    this.#cursor = this.#boundaries().find((boundary) => boundary >= cursor) ?? text.length;
  }

  /** Inserts `text` at the cursor and moves past it. */
  insert(text: string): void {
    this.set(
      this.#text.slice(0, this.#cursor) + text + this.#text.slice(this.#cursor),
      this.#cursor + text.length,
    );
  }

  /** Moves the cursor to `offset`, which must be a boundary this buffer gave out. */
  moveTo(offset: number): void {
    this.#cursor = Math.max(0, Math.min(offset, this.#text.length));
  }

  /** Removes `from`..`to` and leaves the cursor at `from`; returns what was removed. */
  delete(from: number, to: number): string {
    if (from >= to) return "";
    const removed = this.#text.slice(from, to);
    this.set(this.#text.slice(0, from) + this.#text.slice(to), from);
    return removed;
  }

  /**
   * Removes `from`..`to` into the kill ring. Kills in a row make one entry, as in readline:
   * Ctrl-W twice then Ctrl-Y brings back both words.
   */
  kill(from: number, to: number): void {
    // A kill backwards from the cursor goes in front of what was killed before, one forwards
    // after it, so the yanked text reads as it stood.
    const backwards = from < this.#cursor;
    const removed = this.delete(from, to);
    if (removed === "") return;
    const last = this.#killRing.length - 1;
    if (this.#killing && last >= 0) {
      const previous = this.#killRing[last] ?? "";
      this.#killRing[last] = backwards ? removed + previous : previous + removed;
    } else {
      this.#killRing.push(removed);
      if (this.#killRing.length > KILL_RING_SIZE) this.#killRing.shift();
    }
    this.#killing = true;
  }

  /** Marks the end of a run of kills; the editor calls it for every key that is not a kill. */
  endKill(): void {
    this.#killing = false;
  }

  /** Inserts the latest killed text at the cursor (Ctrl-Y). */
  yank(): void {
    this.insert(this.lastKill);
  }

  /** The boundary before the cursor. */
  previousBoundary(): number {
    return this.#boundaries().findLast((boundary) => boundary < this.#cursor) ?? 0;
  }

  /** The boundary after the cursor. */
  nextBoundary(): number {
    return this.#boundaries().find((boundary) => boundary > this.#cursor) ?? this.#text.length;
  }

  /** Where a backward word motion stops: over separators, then over the word before them. */
  previousWordStart(kind: WordKind): number {
    const before = graphemes(this.#text.slice(0, this.#cursor));
    const inWord = WORD_TESTS[kind];
    let index = before.length;
    while (index > 0 && !inWord(before[index - 1])) index--;
    while (index > 0 && inWord(before[index - 1])) index--;
    return before.slice(0, index).join("").length;
  }

  /** Where a forward word motion stops: over separators, then to the end of the next word. */
  nextWordEnd(kind: WordKind): number {
    const after = graphemes(this.#text.slice(this.#cursor));
    const inWord = WORD_TESTS[kind];
    let index = 0;
    while (index < after.length && !inWord(after[index])) index++;
    while (index < after.length && inWord(after[index])) index++;
    return this.#cursor + after.slice(0, index).join("").length;
  }

  /** Offsets where grapheme clusters start, plus the end of the text. */
  #boundaries(): number[] {
    const boundaries: number[] = [];
    let offset = 0;
    for (const cell of graphemes(this.#text)) {
      boundaries.push(offset);
      offset += cell.length;
    }
    boundaries.push(offset);
    return boundaries;
  }
}

const ALNUM = /^[\p{L}\p{N}\p{M}]/u;
const SPACE = /^\s+$/u;

const WORD_TESTS: Readonly<Record<WordKind, (cell: string | undefined) => boolean>> = {
  alnum: (cell) => cell !== undefined && ALNUM.test(cell),
  spaced: (cell) => cell !== undefined && !SPACE.test(cell),
};
