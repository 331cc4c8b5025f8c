/**
 * What draws the user back to the window: the bell when a message mentions them, and the window
 * title, which names the room and counts the mentions not yet seen ("(2) lobby - chat"). A
 * mention counts while the window is not known to have focus; a key or the focus coming back
 * means the user has seen it. It also keeps the away state the title shows, and how many
 * mentions came meanwhile. It writes escape sequences through the function it is given.
 */
import { RESTORE_TITLE, SAVE_TITLE, titleSequence } from "../terminal/modes.ts";

/** Shortest time between two bells, so a flood of mentions cannot make the terminal ring on. */
export const BELL_INTERVAL_MS = 2_000;

/** Options for the bell and the title. */
export interface AttentionOptions {
  room: string;
  write: (text: string) => void;
  now: () => number;
  bell: boolean;
  title: boolean;
}

/** The bell, the title and the unread count of one interactive session. */
export class Attention {
  readonly #options: AttentionOptions;
  #active = false;
  /** Whether the window has focus: null until the terminal says. */
  #focused: boolean | null = null;
  #unread = 0;
  #lastBell = -Infinity;
  /** The away reason ("" for none given) while away, null otherwise. */
  #away: string | null = null;
  #mentionsWhileAway = 0;

  constructor(options: AttentionOptions) {
    this.#options = options;
  }

  /** The away reason while away ("" when none was given), else null. */
  get away(): string | null {
    return this.#away;
  }

  /** Sets the title, saving the one it replaces. */
  start(): string {
    this.#active = true;
    return this.#options.title ? SAVE_TITLE + this.#titleText() : "";
  }

  /** Puts back the title `start` saved; nothing is written after this. */
  stop(): string {
    this.#active = false;
    return this.#options.title ? RESTORE_TITLE : "";
  }

  /** A live message from someone else mentioned the user. */
  mentioned(): void {
    if (this.#away !== null) this.#mentionsWhileAway++;
    if (!this.#active) return;
    if (this.#focused !== true) {
      this.#unread++;
      this.#showTitle();
    }
    const now = this.#options.now();
    if (this.#options.bell && now - this.#lastBell >= BELL_INTERVAL_MS) {
      this.#lastBell = now;
      this.#options.write("\x07");
    }
  }

  /** The terminal reported focus coming or going. */
  focus(focused: boolean): void {
    this.#focused = focused;
    if (focused) this.seen();
  }

  /** The user pressed a key: what was unread has been seen. */
  seen(): void {
    if (this.#unread === 0) return;
    this.#unread = 0;
    this.#showTitle();
  }

  /** Marks the user away with `reason`, or back with null; returns the mentions missed. */
  setAway(reason: string | null): number {
    const missed = this.#mentionsWhileAway;
    this.#away = reason;
    this.#mentionsWhileAway = 0;
    this.#showTitle();
    return missed;
  }

  #showTitle(): void {
    if (this.#options.title && this.#active) this.#options.write(this.#titleText());
  }

  /** "(2) lobby (away) - chat": unread mentions, the room, and whether the user is away. */
  #titleText(): string {
    const unread = this.#unread > 0 ? `(${this.#unread}) ` : "";
    const away = this.#away === null ? "" : " (away)";
    return titleSequence(`${unread}${this.#options.room}${away} - chat`);
  }
}
