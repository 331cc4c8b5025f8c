/**
 * Ctrl-R, as in readline: an incremental search back through the lines sent before. Typing
 * narrows the search, Ctrl-R again finds an older match, and the line editor takes the match
 * when the user accepts it. Pure state over a list of entries, oldest first.
 */

/** One reverse incremental search. */
export class HistorySearch {
  readonly #entries: readonly string[];
  readonly #original: string;
  #query = "";
  /** Index of the entry shown, or -1 while nothing matched yet. */
  #match = -1;
  #position = 0;
  #failed = false;

  constructor(entries: readonly string[], original: string) {
    this.#entries = entries;
    this.#original = original;
  }

  /** What was typed to search for. */
  get query(): string {
    return this.#query;
  }

  /** Whether the query matches nothing (the last match stays shown). */
  get failed(): boolean {
    return this.#failed;
  }

  /** The line shown: the match, or the line being written while there is none. */
  get text(): string {
    return this.#entries[this.#match] ?? this.#original;
  }

  /** Where the match starts in `text`, for the cursor. */
  get cursor(): number {
    return this.#match < 0 ? this.#original.length : this.#position;
  }

  /** Adds to the query and looks again from the current match back. */
  type(text: string): void {
    this.#query += text;
    this.#find(this.#match < 0 ? this.#entries.length - 1 : this.#match);
  }

  /** Removes the last character of the query and looks again from the newest entry. */
  backspace(): void {
    this.#query = Array.from(this.#query).slice(0, -1).join("");
    this.#match = -1;
    this.#failed = false;
    if (this.#query !== "") this.#find(this.#entries.length - 1);
  }

  /** Ctrl-R again: the next older entry that matches. */
  older(): void {
    if (this.#query === "") return;
    this.#find((this.#match < 0 ? this.#entries.length : this.#match) - 1);
  }

  /** Searches from entry `from` back; on no match, keeps what is shown and marks failure. */
  #find(from: number): void {
    const query = this.#query.toLowerCase();
    for (let index = from; index >= 0; index--) {
      const position = (this.#entries[index] ?? "").toLowerCase().lastIndexOf(query);
      if (position >= 0) {
        this.#match = index;
        this.#position = position;
        this.#failed = false;
        return;
      }
    }
    this.#failed = true;
  }
}
