/**
 * The interactive screen: a log that scrolls, and below it a small live region (status lines,
 * then the prompt line) that is erased and redrawn whenever a line is added above it, so
 * incoming messages never corrupt what is being typed.
 *
 * Log lines are word-wrapped here, at the width of the moment, and the most recent are kept so
 * the screen can be painted again: on Ctrl-L, and when the window changes width, which is also
 * what cleans up a prompt line the terminal rewrapped into two rows when the window narrowed.
 */
import { displayWidth, graphemes } from "./width.ts";
import { type LogLine, wrapLine } from "./wrap.ts";

/** Log lines kept for painting the screen again. */
export const RECENT_LINES = 500;

/** What the screen draws in its prompt line. */
export interface PromptView {
  render(width: number): { text: string; cursorColumn: number };
}

/** The size of the terminal, in character cells. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Writes log lines above a redrawable live region. */
export class Screen {
  readonly #write: (text: string) => void;
  readonly #size: () => TerminalSize;
  readonly #prompt: PromptView;
  readonly #dim: (text: string) => string;
  readonly #recent: (LogLine | string)[] = [];
  #status: string[] = [];
  #drawnStatusRows = 0;
  #drawnColumns: number;

  constructor(
    write: (text: string) => void,
    size: () => TerminalSize,
    options: { prompt: PromptView; dim: (text: string) => string },
  ) {
    this.#write = write;
    this.#size = size;
    this.#prompt = options.prompt;
    this.#dim = options.dim;
    this.#drawnColumns = this.#columns();
  }

  /** Adds lines to the log, above the live region. */
  print(lines: (LogLine | string)[]): void {
    if (lines.length === 0) return;
    this.#recent.push(...lines);
    if (this.#recent.length > RECENT_LINES) {
      this.#recent.splice(0, this.#recent.length - RECENT_LINES);
    }
    this.#write(
      this.#erase() + this.#rows(lines).map((row) => `${row}\r\n`).join("") + this.#draw(),
    );
  }

  /** Replaces the status lines (plain text, shown dimmed) between the log and the prompt. */
  setStatus(lines: string[]): void {
    const erase = this.#erase();
    this.#status = lines;
    this.#write(erase + this.#draw());
  }

  /** Redraws the live region in place, after an edit. */
  redraw(): void {
    this.#write(this.#erase() + this.#draw());
  }

  /**
   * The window changed size. A new width means painting everything again: lines wrapped for the
   * old width, and a prompt line the terminal may have rewrapped into rows we cannot find.
   */
  resized(): void {
    if (this.#columns() === this.#drawnColumns) this.redraw();
    else this.repaint();
  }

  /** Clears the screen and shows the most recent log lines again, wrapped to the width now. */
  repaint(): void {
    const room = Math.max(0, this.#size().rows - this.#status.length - 1);
    const rows: string[] = [];
    for (let i = this.#recent.length - 1; i >= 0 && rows.length < room; i--) {
      rows.unshift(...this.#rows([this.#recent[i] ?? ""]));
    }
    this.#drawnStatusRows = 0;
    const shown = rows.slice(Math.max(0, rows.length - room));
    this.#write(`\x1b[H\x1b[2J${shown.map((row) => `${row}\r\n`).join("")}${this.#draw()}`);
  }

  /** Clears the screen and the terminal's scrollback, and forgets the log (/clear). */
  clear(): void {
    this.#recent.length = 0;
    this.#drawnStatusRows = 0;
    this.#write(`\x1b[H\x1b[2J\x1b[3J${this.#draw()}`);
  }

  /** Erases the live region, leaving the cursor at the start of an empty line. */
  close(): void {
    this.#write(this.#erase());
  }

  #columns(): number {
    return Math.max(this.#size().columns, 8);
  }

  #rows(lines: (LogLine | string)[]): string[] {
    // One column short of the edge, as for the prompt: writing into the last column makes some
    // terminals wrap on their own.
    const columns = this.#columns() - 1;
    return lines.flatMap((line) => wrapLine(line, columns));
  }

  #erase(): string {
    const up = this.#drawnStatusRows > 0 ? `\x1b[${this.#drawnStatusRows}A` : "";
    return `\r${up}\x1b[J`;
  }

  #draw(): string {
    const width = this.#columns();
    this.#drawnColumns = width;
    const status = this.#status.map((line) => `${this.#dim(truncate(line, width - 1))}\r\n`).join(
      "",
    );
    this.#drawnStatusRows = this.#status.length;
    const { text, cursorColumn } = this.#prompt.render(width);
    return `${status}${text}\r${cursorColumn > 0 ? `\x1b[${cursorColumn}C` : ""}`;
  }
}

/** Cuts plain text to at most `columns` display columns, marking the cut with an ellipsis. */
export function truncate(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  let used = 0;
  let result = "";
  for (const grapheme of graphemes(text)) {
    const width = displayWidth(grapheme);
    if (used + width > columns - 1) break;
    result += grapheme;
    used += width;
  }
  return `${result}…`;
}
