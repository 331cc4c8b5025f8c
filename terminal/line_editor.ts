/**
 * The input line of the chat: a pure editing state machine for a raw-mode terminal. It takes
 * decoded stdin text, maps keys to edits of its `LineBuffer`, keeps the history, and says what
 * the visible line should look like for a given width. It never writes to the terminal and never
 * calls Deno: the caller reads stdin, feeds it here, and writes `render()`'s result, so all of it
 * is testable in memory.
 *
 * Keys follow readline's emacs mode. A paste keeps its line breaks (shown as "↵") and goes out
 * with the rest of the line as one message when Enter is pressed; a line of more than
 * `confirmLines` lines goes only after a yes, and one over `maxBytes` not at all.
 */
import { type Completer, TabCompletion } from "./completion.ts";
import { HistorySearch } from "./history_search.ts";
import { InputView, type RenderedLine } from "./input_view.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineBuffer } from "./line_buffer.ts";
import { dropUnshown } from "./sanitize.ts";

export type { RenderedLine } from "./input_view.ts";

/** History entries kept; older ones are forgotten. */
export const MAX_HISTORY = 100;
/** Lines a message may have before Enter asks whether to send it (irssi asks above 5 too). */
export const CONFIRM_LINES = 5;

/** What the caller should do after input: the editor has no other way to reach it. */
export type EditorAction =
  /** Enter was pressed (and, for a long paste, confirmed); the buffer is now empty. */
  | { type: "submit"; line: string }
  /** Ctrl-D on an empty line. */
  | { type: "eof" }
  /**
   * Ctrl-C. With text on the line it clears it (`cleared`: Ctrl-Y brings it back); on an empty
   * line it arms, and a second Ctrl-C in a row asks to `leave`.
   */
  | { type: "interrupt"; leave: boolean; cleared: boolean }
  /** Ctrl-L: clear the screen and draw everything again. */
  | { type: "redraw" }
  /**
   * A line (or, with `paste`, a paste) over `limit` bytes was refused and the buffer keeps what
   * it had. `bytes` is null for a paste too long to even hold.
   */
  | { type: "too_long"; bytes: number | null; limit: number; paste: boolean }
  /** The terminal reported that its window gained or lost focus. */
  | { type: "focus"; focused: boolean };

/** Options for a new line editor. */
export interface LineEditorOptions {
  /** Plain text shown before the input, such as "> ". */
  prompt: string;
  /** Longest line, in UTF-8 bytes, that Enter submits and a paste may make. */
  maxBytes?: number;
  /** Lines a submitted line may have before it needs a yes; `CONFIRM_LINES` when not given. */
  confirmLines?: number;
  /** What Tab puts in for the word before the cursor; nothing when not given. */
  complete?: Completer;
}

type Mode =
  | { type: "edit" }
  | { type: "search"; search: HistorySearch }
  | { type: "confirm"; line: string; lines: number };

const utf8 = new TextEncoder();

/** A single-line editor with emacs-style keys, history and horizontal scrolling. */
export class LineEditor {
  #prompt: string;
  readonly #maxBytes: number;
  readonly #confirmLines: number;
  readonly #complete: Completer;
  readonly #keys = new KeyDecoder();
  readonly #buffer = new LineBuffer();
  readonly #view = new InputView();
  #mode: Mode = { type: "edit" };
  #history: string[] = [];
  /** Which history entry is shown; `#history.length` means the line being written. */
  #historyIndex = 0;
  /** The line being written, kept while walking through history. */
  #draft = "";
  /** Whether the last key was a Ctrl-C, so another one on an empty line leaves. */
  #interrupted = false;
  #completion: TabCompletion | null = null;

  constructor(options: LineEditorOptions) {
    this.#prompt = options.prompt;
    this.#maxBytes = options.maxBytes ?? Infinity;
    this.#confirmLines = options.confirmLines ?? CONFIRM_LINES;
    this.#complete = options.complete ?? (() => []);
  }

  /** The current contents of the buffer. */
  get line(): string {
    return this.#buffer.text;
  }

  /** Changes the prompt, e.g. to show that the user is away. */
  set prompt(prompt: string) {
    this.#prompt = prompt;
  }

  /** Applies raw-mode input (any number of keys, or part of one) and returns what to do. */
  feed(input: string): EditorAction[] {
    const actions: EditorAction[] = [];
    for (const key of this.#keys.feed(input)) {
      const action = this.#key(key);
      if (action !== undefined) actions.push(action);
    }
    return actions;
  }

  /** The line to draw on a terminal `width` columns wide: at most `width - 1` columns. */
  render(width: number): RenderedLine {
    const mode = this.#mode;
    switch (mode.type) {
      case "edit":
        return this.#view.render(
          { prompt: this.#prompt, text: this.#buffer.text, cursor: this.#buffer.cursor },
          width,
        );
      case "search": {
        const { search } = mode;
        const label = `(${search.failed ? "failed " : ""}reverse-i-search)'${search.query}': `;
        return this.#view.render(
          { prompt: label, text: search.text, cursor: search.cursor },
          width,
        );
      }
      case "confirm": {
        const bytes = utf8.encode(mode.line).length.toLocaleString("en");
        const question = `Send ${mode.lines} lines (${bytes} bytes) as one message? (y/n) `;
        return this.#view.render({ prompt: question, text: "", cursor: 0 }, width);
      }
    }
  }

  #key(key: Key): EditorAction | undefined {
    if (key.type === "focus-in" || key.type === "focus-out") {
      return { type: "focus", focused: key.type === "focus-in" };
    }
    const interrupted = this.#interrupted;
    this.#interrupted = false;
    if (key.type !== "tab" && key.type !== "backtab") this.#completion = null;
    if (!isKill(key)) this.#buffer.endKill();
    const mode = this.#mode;
    if (mode.type === "confirm") {
      // Only a yes sends; any other key goes back to editing the line as it was.
      this.#mode = { type: "edit" };
      if (key.type === "text" && /^y/i.test(key.text)) return this.#submitNow(mode.line);
      return undefined;
    }
    if (mode.type === "search" && !this.#searchKey(mode.search, key)) return undefined;
    if (key.type === "ctrl" && key.letter === "c") return this.#interrupt(interrupted);
    return this.#apply(key);
  }

  /** A key during Ctrl-R: true when it ends the search and should act on the match as well. */
  #searchKey(search: HistorySearch, key: Key): boolean {
    if (key.type === "text") search.type(dropUnshown(key.text));
    else if (key.type === "backspace") search.backspace();
    else if (key.type === "ctrl" && key.letter === "r") search.older();
    else {
      this.#mode = { type: "edit" };
      if (key.type === "ctrl" && (key.letter === "g" || key.letter === "c")) return false;
      this.#buffer.set(search.text, search.cursor);
      return true;
    }
    return false;
  }

  #interrupt(interrupted: boolean): EditorAction {
    this.#interrupted = true;
    if (this.#buffer.text === "") return { type: "interrupt", leave: interrupted, cleared: false };
    // Into the kill ring, so a Ctrl-C pressed by mistake costs nothing: Ctrl-Y brings it back.
    this.#buffer.kill(0, this.#buffer.text.length);
    this.#buffer.endKill();
    this.#historyIndex = this.#history.length;
    return { type: "interrupt", leave: false, cleared: true };
  }

  #apply(key: Key): EditorAction | undefined {
    const buffer = this.#buffer;
    switch (key.type) {
      case "text":
        buffer.insert(dropUnshown(key.text));
        break;
      case "paste":
        return this.#paste(key.text, key.complete);
      case "enter":
        return this.#submit();
      case "backspace":
        buffer.delete(buffer.previousBoundary(), buffer.cursor);
        break;
      case "delete":
        buffer.delete(buffer.cursor, buffer.nextBoundary());
        break;
      case "left":
        buffer.moveTo(buffer.previousBoundary());
        break;
      case "right":
        buffer.moveTo(buffer.nextBoundary());
        break;
      case "word-left":
        buffer.moveTo(buffer.previousWordStart("alnum"));
        break;
      case "word-right":
        buffer.moveTo(buffer.nextWordEnd("alnum"));
        break;
      case "word-delete":
        buffer.kill(buffer.cursor, buffer.nextWordEnd("alnum"));
        break;
      case "home":
        buffer.moveTo(0);
        break;
      case "end":
        buffer.moveTo(buffer.text.length);
        break;
      case "up":
      case "down":
        this.#walkHistory(key.type === "up" ? -1 : 1);
        break;
      case "tab":
      case "backtab": {
        const step = key.type === "tab" ? 1 : -1;
        if (this.#completion) this.#completion.next(buffer, step);
        else this.#completion = TabCompletion.begin(buffer, { complete: this.#complete, step });
        break;
      }
      case "alt":
        return this.#alt(key.key);
      case "ctrl":
        return this.#control(key.letter);
    }
    return undefined;
  }

  #alt(key: string): EditorAction | undefined {
    switch (key.toLowerCase()) {
      case "b":
        return this.#apply({ type: "word-left" });
      case "f":
        return this.#apply({ type: "word-right" });
      case "d":
        return this.#apply({ type: "word-delete" });
      case "backspace":
        this.#buffer.kill(this.#buffer.previousWordStart("alnum"), this.#buffer.cursor);
        return undefined;
      default:
        return undefined;
    }
  }

  #control(letter: string): EditorAction | undefined {
    const buffer = this.#buffer;
    switch (letter) {
      case "a":
        return this.#apply({ type: "home" });
      case "b":
        return this.#apply({ type: "left" });
      case "d":
        return buffer.text === "" ? { type: "eof" } : this.#apply({ type: "delete" });
      case "e":
        return this.#apply({ type: "end" });
      case "f":
        return this.#apply({ type: "right" });
      case "k":
        buffer.kill(buffer.cursor, buffer.text.length);
        return undefined;
      case "l":
        return { type: "redraw" };
      case "n":
        return this.#apply({ type: "down" });
      case "p":
        return this.#apply({ type: "up" });
      case "r":
        this.#mode = { type: "search", search: new HistorySearch(this.#history, buffer.text) };
        return undefined;
      case "u":
        buffer.kill(0, buffer.cursor);
        return undefined;
      case "w":
        buffer.kill(buffer.previousWordStart("spaced"), buffer.cursor);
        return undefined;
      case "y":
        buffer.yank();
        return undefined;
      default:
        return undefined;
    }
  }

  /** Inserts a paste whole, line breaks kept, unless the line would grow past the limit. */
  #paste(text: string, complete: boolean): EditorAction | undefined {
    if (!complete) return { type: "too_long", bytes: null, limit: this.#maxBytes, paste: true };
    // Only characters the terminal shows as themselves: a pasted bidi override or stray control
    // would garble our own line and make the cursor arithmetic wrong. Joiners and selectors are
    // judged by their neighbours within what arrived (a pasted emoji comes whole). Trailing line
    // breaks are dropped, so a copied line does not end in an empty one.
    const clean = text.split("\n").map(dropUnshown).join("\n").replace(/\n+$/, "");
    const bytes = utf8.encode(this.#buffer.text).length + utf8.encode(clean).length;
    if (bytes > this.#maxBytes) {
      return { type: "too_long", bytes, limit: this.#maxBytes, paste: true };
    }
    this.#buffer.insert(clean);
    return undefined;
  }

  #submit(): EditorAction | undefined {
    const line = this.#buffer.text;
    const bytes = utf8.encode(line).length;
    if (bytes > this.#maxBytes) {
      return { type: "too_long", bytes, limit: this.#maxBytes, paste: false };
    }
    const lines = line.split("\n").length;
    if (lines > this.#confirmLines) {
      this.#mode = { type: "confirm", line, lines };
      return undefined;
    }
    return this.#submitNow(line);
  }

  #submitNow(line: string): EditorAction {
    if (line !== "" && this.#history.at(-1) !== line) {
      this.#history.push(line);
      if (this.#history.length > MAX_HISTORY) this.#history.shift();
    }
    this.#historyIndex = this.#history.length;
    this.#draft = "";
    this.#buffer.set("");
    return { type: "submit", line };
  }

  #walkHistory(step: -1 | 1): void {
    const target = this.#historyIndex + step;
    if (target < 0 || target > this.#history.length) return;
    if (this.#historyIndex === this.#history.length) this.#draft = this.#buffer.text;
    this.#historyIndex = target;
    this.#buffer.set(this.#history[target] ?? this.#draft);
  }
}

/** Kill keys, which add to the same kill-ring entry when pressed in a row. */
function isKill(key: Key): boolean {
  if (key.type === "word-delete") return true;
  if (key.type === "alt") return ["d", "backspace"].includes(key.key.toLowerCase());
  return key.type === "ctrl" && ["k", "u", "w"].includes(key.letter);
}
