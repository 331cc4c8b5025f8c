/**
 * The terminal modes the interactive client turns on, and what turns them off again: bracketed
 * paste (so a paste arrives marked, not as typed lines), focus reports (so unread mentions can be
 * counted while the window is elsewhere), and a window title of our own, with the title it
 * replaces pushed on the terminal's title stack so it can be put back. Whoever turns them on must
 * write `LEAVE_MODES` (and `RESTORE_TITLE`) on every way out, or the shell is left with a paste
 * mode it does not expect and a title that is not its own.
 */
import { sanitizeForTerminal } from "./sanitize.ts";
import { truncate } from "./screen.ts";

/** Longest window title we set, in columns. */
export const MAX_TITLE_COLUMNS = 80;

/** Bracketed paste on, and focus reports on. */
export const ENTER_MODES = "\x1b[?2004h\x1b[?1004h";
/** Everything `ENTER_MODES` turned on, off again. */
export const LEAVE_MODES = "\x1b[?2004l\x1b[?1004l";
/** Pushes the window title on the terminal's title stack (xterm, tmux, VTE, kitty, iTerm2). */
export const SAVE_TITLE = "\x1b[22;0t";
/** Pops it again: the title from before `SAVE_TITLE` is back. */
export const RESTORE_TITLE = "\x1b[23;0t";

/**
 * The sequence that sets the window title to `title`. The title may hold names from the network,
 * so it is made inert here, whatever the caller did: no ESC, BEL or C1 byte can end the title
 * early and smuggle a sequence of its own.
 */
export function titleSequence(title: string): string {
  return `\x1b]2;${truncate(sanitizeForTerminal(title), MAX_TITLE_COLUMNS)}\x07`;
}
