/**
 * Which part of the input line fits on the one row the prompt has, and where the cursor goes.
 * Keeps the scroll position between draws so the view does not jump, never splits a wide
 * character at an edge, shows a line break as "↵", and marks a line whose start is scrolled out
 * of view with "<".
 */
import { displayWidth, graphemes, graphemeWidth } from "./width.ts";

/** How a line break in the buffer is shown on the one-row input line. */
export const NEWLINE_MARK = "↵";
/** Shown in the first column when the start of the line is scrolled out of view. */
export const SCROLLED_MARK = "<";

/** Columns kept for the buffer on a narrow terminal: one wide character and the cursor. */
const MIN_INPUT_COLUMNS = 2;

/** The prompt and the visible part of the buffer, with where the cursor goes (0-based). */
export interface RenderedLine {
  text: string;
  cursorColumn: number;
}

/** A horizontally scrolling view of one line. */
export class InputView {
  /** Grapheme index of the first visible character. */
  #scroll = 0;

  /** The prompt and the part of the text around the cursor that fit in `width - 1` columns. */
  render(line: { prompt: string; text: string; cursor: number }, width: number): RenderedLine {
    const { prompt, text, cursor } = line;
    if (!Number.isInteger(width) || width < 0) {
      throw new RangeError(`Terminal width must be a non-negative integer, got ${width}`);
    }
    // The last column stays free: writing into it makes many terminals wrap or scroll.
    const limit = Math.max(0, width - 1);
    const shownPrompt = fitToWidth(prompt, Math.max(0, limit - MIN_INPUT_COLUMNS));
    const promptWidth = displayWidth(shownPrompt);
    const available = limit - promptWidth;
    // With the start scrolled away, "<" takes a column, when there is one to spare.
    const usable = (start: number) => start > 0 && available >= 2 ? available - 1 : available;

    const cells = graphemes(text);
    const offsets = [0];
    for (const cell of cells) offsets.push((offsets.at(-1) ?? 0) + cellWidth(cell));
    const columnOf = (index: number): number => offsets[index] ?? 0;
    const cursorIndex = graphemes(text.slice(0, cursor)).length;

    let start = Math.min(this.#scroll, cursorIndex);
    while (start < cursorIndex && columnOf(cursorIndex) - columnOf(start) > usable(start)) {
      start++;
    }
    // Scroll back while the rest of the line still fits, so no columns are wasted after deletes.
    while (start > 0 && columnOf(cells.length) - columnOf(start - 1) <= usable(start - 1)) {
      start--;
    }
    this.#scroll = start;

    let end = start;
    while (end < cells.length && columnOf(end + 1) - columnOf(start) <= usable(start)) end++;
    const marker = usable(start) < available ? SCROLLED_MARK : "";
    return {
      text: shownPrompt + marker + cells.slice(start, end).map(cellShown).join(""),
      cursorColumn: promptWidth + marker.length + columnOf(cursorIndex) - columnOf(start),
    };
  }
}

function cellShown(cell: string): string {
  return cell === "\n" ? NEWLINE_MARK : cell;
}

function cellWidth(cell: string): number {
  return cell === "\n" ? 1 : graphemeWidth(cell);
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
