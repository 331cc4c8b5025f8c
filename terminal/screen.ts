/**
 * The interactive screen: a log that scrolls, and below it a small live region (messages waiting
 * for acknowledgement, then the prompt line) that is erased and redrawn whenever a line is added
 * above it, so incoming messages never corrupt what is being typed.
 */
import { displayWidth, graphemes } from "./width.ts";

/** What the screen draws in its prompt line. */
export interface PromptView {
  render(width: number): { text: string; cursorColumn: number };
}

/** Writes log lines above a redrawable live region. */
export class Screen {
  readonly #write: (text: string) => void;
  readonly #width: () => number;
  readonly #prompt: PromptView;
  readonly #dim: (text: string) => string;
  #status: string[] = [];
  #drawnStatusRows = 0;

  constructor(
    write: (text: string) => void,
    width: () => number,
    options: { prompt: PromptView; dim: (text: string) => string },
  ) {
    this.#write = write;
    this.#width = width;
    this.#prompt = options.prompt;
    this.#dim = options.dim;
  }

  /** Adds lines to the log, above the live region. */
  print(lines: string[]): void {
    if (lines.length === 0) return;
    this.#write(this.#erase() + lines.map((line) => `${line}\r\n`).join("") + this.#draw());
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

  /** Erases the live region, leaving the cursor at the start of an empty line. */
  close(): void {
    this.#write(this.#erase());
  }

  #erase(): string {
    const up = this.#drawnStatusRows > 0 ? `\x1b[${this.#drawnStatusRows}A` : "";
    return `\r${up}\x1b[J`;
  }

  #draw(): string {
    const width = Math.max(this.#width(), 8);
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
