/**
 * Word wrap for log lines, so a long message continues under its own text (a hanging indent after
 * "14:02 ana: ") instead of at the terminal's first column. Widths are display columns, so wide
 * characters and emoji are measured as the terminal draws them and never split.
 *
 * Lines may carry SGR styling, and only ours: text from the network has been made inert before it
 * got here, so every ESC in a line starts one of our own `ESC [ ... m` sequences. Styling does not
 * leak: a row that ends inside a style is reset, and the next row picks the style up again after
 * its indent.
 */
import { displayWidth, graphemes, graphemeWidth } from "./width.ts";

/** A line for the log: styled text, and the column its continuation rows start at. */
export interface LogLine {
  text: string;
  indent: number;
}

const ESC = "\x1b";
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, "g");
const RESET = `${ESC}[0m`;

/** Columns `text` takes once its SGR sequences are left out. */
export function visibleWidth(text: string): number {
  return displayWidth(text.replace(SGR, ""));
}

/** One unit of a line: a style change, or a run of cells that are all spaces or all not. */
interface Piece {
  text: string;
  width: number;
  kind: "style" | "space" | "word";
}

/**
 * Breaks `line` into rows of at most `columns` columns, at spaces where it can and inside a word
 * only when the word alone is wider than a row. Continuation rows start with `indent` spaces, at
 * most half the row so that a long name cannot squeeze the text into a sliver.
 */
export function wrapLine(line: LogLine | string, columns: number): string[] {
  const { text, indent } = typeof line === "string" ? { text: line, indent: 0 } : line;
  if (columns < 1 || visibleWidth(text) <= columns) return [text];
  const hanging = " ".repeat(Math.max(0, Math.min(indent, Math.floor(columns / 2))));
  const rows: string[] = [];
  /** Every style change so far, replayed at the start of each continuation row. */
  let styles = "";
  let row = "";
  let width = 0;
  let empty = true;
  // Spaces wait for the next word, so that a row never ends in spaces.
  let pendingSpace = "";
  let pendingStyle = "";
  const newRow = (indented: boolean) => {
    rows.push(styles === "" ? row : row + RESET);
    row = (indented ? hanging : "") + styles;
    width = indented ? hanging.length : 0;
    empty = true;
    pendingSpace = "";
    pendingStyle = "";
  };
  const put = (text: string, cellWidth: number) => {
    row += pendingSpace + pendingStyle + text;
    width += displayWidth(pendingSpace) + cellWidth;
    pendingSpace = "";
    pendingStyle = "";
    empty = false;
  };
  for (const piece of pieces(text)) {
    if (piece.kind === "style") {
      // One right after a word (a style ending) stays with it; one after a space waits for the
      // word it starts.
      styles += piece.text;
      if (pendingSpace === "") row += piece.text;
      else pendingStyle += piece.text;
    } else if (piece.kind === "space") {
      pendingSpace += piece.text;
    } else if (width + displayWidth(pendingSpace) + piece.width <= columns) {
      put(piece.text, piece.width);
    } else {
      if (!empty) newRow(true);
      // Leading spaces of a line (an indented continuation) stay only while they fit.
      if (width + displayWidth(pendingSpace) + piece.width > columns) pendingSpace = "";
      for (const cell of graphemes(piece.text)) {
        const cellWidth = graphemeWidth(cell);
        if (width + cellWidth > columns) {
          if (!empty) newRow(true);
          // Too narrow for the indent and this character: the row does without the indent.
          if (width + cellWidth > columns && width > 0) newRow(false);
        }
        put(cell, cellWidth);
      }
    }
  }
  rows.push(row + pendingStyle);
  return rows;
}

/** Splits styled text into style changes, runs of spaces and runs of other cells. */
function pieces(text: string): Piece[] {
  const result: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(SGR)) {
    result.push(...cells(text.slice(last, match.index)));
    result.push({ text: match[0], width: 0, kind: "style" });
    last = match.index + match[0].length;
  }
  result.push(...cells(text.slice(last)));
  return result;
}

function cells(text: string): Piece[] {
  const result: Piece[] = [];
  for (const cell of graphemes(text)) {
    const kind = cell === " " ? "space" : "word";
    const previous = result.at(-1);
    if (previous?.kind === kind) {
      previous.text += cell;
      previous.width += graphemeWidth(cell);
    } else {
      result.push({ text: cell, width: graphemeWidth(cell), kind });
    }
  }
  return result;
}
