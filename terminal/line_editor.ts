/**
 * The input line of the chat: a pure editing state machine for a raw-mode terminal. It takes
 * decoded stdin text, keeps the buffer, cursor and history, and says what the visible line should
 * look like for a given width. It never writes to the terminal and never calls Deno: the caller
 * reads stdin, feeds it here, and writes `render()`'s result, so all of it is testable in memory.
 *
 * The buffer is edited in grapheme clusters, so an emoji or a letter with its combining mark moves
 * and deletes as one character. The cursor is kept as a UTF-16 offset on a cluster boundary.
 */
import { type Key, KeyDecoder } from "./keys.ts";
import { dropUnshown } from "./sanitize.ts";
import { displayWidth, graphemes, graphemeWidth } from "./width.ts";

/** History entries kept; older ones are forgotten. */
export const MAX_HISTORY = 100;

/** What the caller should do after input: the editor has no other way to reach it. */
export type EditorAction =
  /** Enter was pressed; the buffer is now empty. */
  | { type: "submit"; line: string }
  /** Ctrl-D on an empty line. */
  | { type: "eof" }
  /** Ctrl-C; the buffer is left as it was, for the caller to clear or keep. */
  | { type: "interrupt" }
  /** Ctrl-L: clear the screen and draw everything again. */
  | { type: "redraw" };

/** The prompt and the visible part of the buffer, with where the cursor goes (0-based). */
export interface RenderedLine {
  text: string;
  cursorColumn: number;
}

/** Options for a new line editor. */
export interface LineEditorOptions {
  /** Plain text shown before the input, such as "> ". */
  prompt: string;
}

/** Columns kept for the buffer on a narrow terminal: one wide character and the cursor. */
const MIN_INPUT_COLUMNS = 2;

/** A single-line editor with emacs-style keys, history and horizontal scrolling. */
export class LineEditor {
  readonly #prompt: string;
  readonly #keys = new KeyDecoder();
  #text = "";
  #cursor = 0;
  #history: string[] = [];
  /** Which history entry is shown; `#history.length` means the line being written. */
  #historyIndex = 0;
  /** The line being written, kept while walking through history. */
  #draft = "";
  /** Grapheme index of the first visible character, kept so the view does not jump. */
  #scroll = 0;

  constructor(options: LineEditorOptions) {
    this.#prompt = options.prompt;
  }

  /** The current contents of the buffer. */
  get line(): string {
    return this.#text;
  }

  /** Applies raw-mode input (any number of keys, or part of one) and returns what to do. */
  feed(input: string): EditorAction[] {
    const actions: EditorAction[] = [];
    for (const key of this.#keys.feed(input)) {
      const action = this.#apply(key);
      if (action !== undefined) actions.push(action);
    }
    return actions;
  }

  /** The line to draw on a terminal `width` columns wide: at most `width - 1` columns. */
  render(width: number): RenderedLine {
    if (!Number.isInteger(width) || width < 0) {
      throw new RangeError(`Terminal width must be a non-negative integer, got ${width}`);
    }
    // The last column stays free: writing into it makes many terminals wrap or scroll.
    const limit = Math.max(0, width - 1);
    const prompt = fitToWidth(this.#prompt, Math.max(0, limit - MIN_INPUT_COLUMNS));
    const promptWidth = displayWidth(prompt);
    const available = limit - promptWidth;

    const cells = graphemes(this.#text);
    const offsets = [0];
    for (const cell of cells) offsets.push((offsets.at(-1) ?? 0) + graphemeWidth(cell));
    const columnOf = (index: number): number => offsets[index] ?? 0;
    const cursorIndex = graphemes(this.#text.slice(0, this.#cursor)).length;

    let start = Math.min(this.#scroll, cursorIndex);
    while (columnOf(cursorIndex) - columnOf(start) > available) start++;
    // Scroll back while the rest of the line still fits, so no columns are wasted after deletes.
    while (start > 0 && columnOf(cells.length) - columnOf(start - 1) <= available) start--;
    this.#scroll = start;

    let end = start;
    while (end < cells.length && columnOf(end + 1) - columnOf(start) <= available) end++;
    return {
      text: prompt + cells.slice(start, end).join(""),
      cursorColumn: promptWidth + columnOf(cursorIndex) - columnOf(start),
    };
  }

  #apply(key: Key): EditorAction | undefined {
    switch (key.type) {
      case "text":
        this.#insert(key.text);
        return undefined;
      case "enter":
        return this.#submit();
      case "backspace":
        this.#deleteRange(this.#previousBoundary(), this.#cursor);
        return undefined;
      case "delete":
        this.#deleteRange(this.#cursor, this.#nextBoundary());
        return undefined;
      case "left":
        this.#cursor = this.#previousBoundary();
        return undefined;
      case "right":
        this.#cursor = this.#nextBoundary();
        return undefined;
      case "home":
        this.#cursor = 0;
        return undefined;
      case "end":
        this.#cursor = this.#text.length;
        return undefined;
      case "up":
        this.#walkHistory(-1);
        return undefined;
      case "down":
        this.#walkHistory(1);
        return undefined;
      case "tab":
        return undefined;
      case "ctrl":
        return this.#control(key.letter);
    }
  }

  #control(letter: string): EditorAction | undefined {
    switch (letter) {
      case "a":
        return this.#apply({ type: "home" });
      case "b":
        return this.#apply({ type: "left" });
      case "c":
        return { type: "interrupt" };
      case "d":
        if (this.#text === "") return { type: "eof" };
        return this.#apply({ type: "delete" });
      case "e":
        return this.#apply({ type: "end" });
      case "f":
        return this.#apply({ type: "right" });
      case "k":
        this.#deleteRange(this.#cursor, this.#text.length);
        return undefined;
      case "l":
        return { type: "redraw" };
      case "n":
        return this.#apply({ type: "down" });
      case "p":
        return this.#apply({ type: "up" });
      case "u":
        this.#deleteRange(0, this.#cursor);
        return undefined;
      case "w":
        this.#deleteRange(this.#previousWordStart(), this.#cursor);
        return undefined;
      default:
        return undefined;
    }
  }

  #insert(text: string): void {
    // Only characters the terminal shows as themselves: a pasted bidi override or stray control
    // would garble our own line and make the cursor arithmetic wrong. Joiners and selectors are
    // judged by their neighbours within what arrived (a pasted or composed emoji comes whole).
    const clean = dropUnshown(text);
    if (clean === "") return;
    this.#setText(
      this.#text.slice(0, this.#cursor) + clean + this.#text.slice(this.#cursor),
      this.#cursor + clean.length,
    );
  }

  #submit(): EditorAction {
    const line = this.#text;
    if (line !== "" && this.#history.at(-1) !== line) {
      this.#history.push(line);
      if (this.#history.length > MAX_HISTORY) this.#history.shift();
    }
    this.#historyIndex = this.#history.length;
    this.#draft = "";
    this.#setText("", 0);
    return { type: "submit", line };
  }

  #walkHistory(step: -1 | 1): void {
    const target = this.#historyIndex + step;
    if (target < 0 || target > this.#history.length) return;
    if (this.#historyIndex === this.#history.length) this.#draft = this.#text;
    this.#historyIndex = target;
    const text = this.#history[target] ?? this.#draft;
    this.#setText(text, text.length);
  }

  #deleteRange(from: number, to: number): void {
    if (from >= to) return;
    this.#setText(this.#text.slice(0, from) + this.#text.slice(to), from);
  }

  /** Replaces the buffer, moving the cursor forward onto a cluster boundary if it is inside one. */
  #setText(text: string, cursor: number): void {
    this.#text = text;
    this.#cursor = this.#boundaries().find((boundary) => boundary >= cursor) ?? text.length;
  }

  /** Offsets where grapheme clusters start, plus the end of the buffer. */
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

  #previousBoundary(): number {
    return this.#boundaries().findLast((boundary) => boundary < this.#cursor) ?? 0;
  }

  #nextBoundary(): number {
    return this.#boundaries().find((boundary) => boundary > this.#cursor) ?? this.#text.length;
  }

  /** Where Ctrl-W deletes back to: over spaces, then over the word before them, as in a shell. */
  #previousWordStart(): number {
    const before = graphemes(this.#text.slice(0, this.#cursor));
    let index = before.length;
    while (index > 0 && isSpace(before[index - 1])) index--;
    while (index > 0 && !isSpace(before[index - 1])) index--;
    return before.slice(0, index).join("").length;
  }
}

function isSpace(cell: string | undefined): boolean {
  return cell !== undefined && /^\s+$/u.test(cell);
}

/** The longest prefix of `text`, in whole clusters, that fits in `columns`. */
function fitToWidth(text: string, columns: number): string {
  let fitted = "";
  let used = 0;
  for (const cell of graphemes(text)) {
    used += graphemeWidth(cell);
    if (used > columns) break;
    fitted += cell;
  }
  return fitted;
}
