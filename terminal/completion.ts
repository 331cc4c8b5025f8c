/**
 * Tab completion of the word before the cursor, as irssi and weechat do it: the first Tab puts in
 * the first match, each further Tab the next one (Shift-Tab the one before), and any other key
 * keeps what is there. Which words match is the caller's business: it passes a function.
 */
import type { LineBuffer } from "./line_buffer.ts";
import { dropUnshown } from "./sanitize.ts";

/** Replacements for `word` ("ana: ", "/who "); `atLineStart` when the word starts the line. */
export type Completer = (word: string, atLineStart: boolean) => string[];

/** One run of Tab presses. */
export class TabCompletion {
  readonly #start: number;
  #end: number;
  readonly #candidates: string[];
  #index: number;

  private constructor(start: number, candidates: string[], step: 1 | -1) {
    this.#start = start;
    this.#end = start;
    this.#candidates = candidates;
    this.#index = step === 1 ? 0 : candidates.length - 1;
  }

  /**
   * Completes the word before the cursor of `buffer` with its first match. Returns the run to
   * keep for the next Tab, or null when there is nothing more to cycle through.
   */
  static begin(
    buffer: LineBuffer,
    options: { complete: Completer; step: 1 | -1 },
  ): TabCompletion | null {
    const { complete, step } = options;
    const before = buffer.text.slice(0, buffer.cursor);
    const start = before.search(/\S+$/);
    if (start < 0) return null;
    // Candidates may be names from the network: only what our own line can show as itself.
    const candidates = complete(before.slice(start), start === 0)
      .map(dropUnshown).filter((candidate) => candidate.trim() !== "");
    if (candidates.length === 0) return null;
    const run = new TabCompletion(start, candidates, step);
    run.#end = buffer.cursor;
    run.#put(buffer);
    return candidates.length > 1 ? run : null;
  }

  /** Replaces the previous match with the next one (`step` 1) or the one before (-1). */
  next(buffer: LineBuffer, step: 1 | -1): void {
    const count = this.#candidates.length;
    this.#index = (this.#index + step + count) % count;
    this.#put(buffer);
  }

  #put(buffer: LineBuffer): void {
    const candidate = this.#candidates[this.#index] ?? "";
    const text = buffer.text;
    buffer.set(
      text.slice(0, this.#start) + candidate + text.slice(this.#end),
      this.#start + candidate.length,
    );
    this.#end = this.#start + candidate.length;
  }
}
