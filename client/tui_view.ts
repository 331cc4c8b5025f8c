/**
 * What the terminal shows of a room, beyond how one event looks: a line where a new day starts,
 * one divider between history and live messages, mentions of the user's name, and what the user
 * chose not to see (/quiet hides joins and leaves, /ignore a member). It also remembers who is
 * around, most recent speaker first, for Tab completion. Pure: it turns events into log lines
 * and keeps no terminal.
 */
import { foldName } from "../protocol.ts";
import type { Style } from "../terminal/colors.ts";
import type { LogLine } from "../terminal/wrap.ts";
import {
  chatLines,
  dayLine,
  humanLines,
  mentions,
  type MessageEvent,
  messageMarkers,
  type OutputEvent,
  sameDay,
} from "./render.ts";

/** Names remembered for completion; the least recently seen are forgotten first. */
export const MAX_REMEMBERED_NAMES = 5_000;

/** What one event comes to on screen. */
export interface Shown {
  lines: (LogLine | string)[];
  /** A live message from someone else that mentions the user. */
  mention: boolean;
}

/** The terminal's view of one room. */
export class RoomView {
  #me: string;
  readonly #style: Style;
  readonly #now: () => number;
  readonly #timestamps: boolean;
  readonly #ignored = new Map<string, string>();
  /** Folded name to name as last seen, most recently seen last. */
  readonly #names = new Map<string, string>();
  #quiet = false;
  #lastDay: number | null = null;
  #historyShown = 0;
  #dividerShown = false;

  constructor(options: { me: string; style: Style; now: () => number; timestamps?: boolean }) {
    this.#me = options.me;
    this.#style = options.style;
    this.#now = options.now;
    this.#timestamps = options.timestamps ?? true;
  }

  /** The user's name, after /nick. */
  set me(name: string) {
    this.#me = name;
  }

  /** Whether joins and leaves are hidden. */
  get quiet(): boolean {
    return this.#quiet;
  }

  set quiet(quiet: boolean) {
    this.#quiet = quiet;
  }

  /** Names ignored, as they were given. */
  get ignored(): string[] {
    return [...this.#ignored.values()];
  }

  /** Hides `name`'s messages and presence; false when it already was. */
  ignore(name: string): boolean {
    const key = foldName(name);
    if (this.#ignored.has(key)) return false;
    this.#ignored.set(key, name);
    return true;
  }

  /** Shows `name` again; false when it was not ignored. */
  unignore(name: string): boolean {
    return this.#ignored.delete(foldName(name));
  }

  /** Lines for an event, or none when it is hidden. */
  show(event: OutputEvent): Shown {
    this.#notice(event);
    const none: Shown = { lines: [], mention: false };
    switch (event.type) {
      case "message": {
        if (this.#isIgnored(event.from)) return none;
        const lines: (LogLine | string)[] = [];
        if (event.history) this.#historyShown++;
        else lines.push(...this.endOfHistory());
        lines.push(...this.#dayChange(event.ts));
        const mention = !event.history && foldName(event.from) !== foldName(this.#me) &&
          mentions(event.text, this.#me);
        return { lines: [...lines, ...this.#message(event)], mention };
      }
      case "join":
      case "leave":
        if (this.#quiet || this.#isIgnored(event.from)) return none;
        return {
          lines: [...this.#dayChange(event.ts), ...humanLines(event, this.#style)],
          mention: false,
        };
      case "presence_summary": {
        if (this.#quiet) return none;
        return {
          lines: [...this.#dayChange(event.ts), ...humanLines(this.#unignored(event), this.#style)],
          mention: false,
        };
      }
      default:
        return { lines: humanLines(event, this.#style), mention: false };
    }
  }

  /** Lines for the user's own message, once the relay has stored it. */
  showOwn(message: { ts: number; text: string; action: boolean }): (LogLine | string)[] {
    return [
      ...this.endOfHistory(),
      ...this.#dayChange(message.ts),
      ...chatLines({ ...message, from: this.#me }, {
        style: this.#style,
        now: this.#now(),
        timestamps: this.#timestamps,
      }),
    ];
  }

  /** The divider after the history shown on joining, once, and only if there was any. */
  endOfHistory(): string[] {
    if (this.#dividerShown || this.#historyShown === 0) return [];
    this.#dividerShown = true;
    const count = this.#historyShown.toLocaleString("en");
    const what = this.#historyShown === 1 ? "message" : "messages";
    return [this.#style.dim(`──── ${count} earlier ${what} above; new ones below ────`)];
  }

  /** Names starting with `prefix` (compared folded), most recently seen first, not the user's. */
  completeName(prefix: string): string[] {
    const folded = foldName(prefix);
    const me = foldName(this.#me);
    return [...this.#names].reverse()
      .filter(([key]) => key !== me && key.startsWith(folded))
      .map(([, name]) => name);
  }

  #message(event: MessageEvent): LogLine[] {
    const style = this.#style;
    const markers = messageMarkers(event, style);
    const lines = chatLines(
      { ts: event.ts, from: event.from, text: event.text, action: event.kind === "action" },
      { style, now: this.#now(), me: this.#me, timestamps: this.#timestamps },
    );
    return lines.map(({ text, indent }) => {
      const marked = markers ? `${markers} ${text}` : text;
      // History is dimmed; the divider, not a prefix on every line, says where it ends.
      return { text: event.history ? style.dim(marked) : marked, indent };
    });
  }

  /** A day line when `ts` falls on another day than the last line with a time. */
  #dayChange(ts: number): string[] {
    const last = this.#lastDay;
    this.#lastDay = ts;
    if (last === null || sameDay(last, ts)) return [];
    return [this.#style.dim(dayLine(ts))];
  }

  #isIgnored(name: string): boolean {
    return this.#ignored.has(foldName(name));
  }

  /** A presence summary without the names the user ignores. */
  #unignored(
    event: Extract<OutputEvent, { type: "presence_summary" }>,
  ): Extract<OutputEvent, { type: "presence_summary" }> {
    const joinedNames = event.joinedNames.filter((name) => !this.#isIgnored(name));
    const leftNames = event.leftNames.filter((name) => !this.#isIgnored(name));
    return {
      ...event,
      joined: event.joined - (event.joinedNames.length - joinedNames.length),
      left: event.left - (event.leftNames.length - leftNames.length),
      joinedNames,
      leftNames,
    };
  }

  /** Keeps track of who is around, for completion. */
  #notice(event: OutputEvent): void {
    switch (event.type) {
      case "ready":
        for (const name of event.members) this.#seen(name);
        return;
      case "message":
      case "join":
        return this.#seen(event.from);
      case "leave":
        this.#names.delete(foldName(event.from));
        return;
      case "presence_summary":
        for (const name of event.joinedNames) this.#seen(name);
        for (const name of event.leftNames) this.#names.delete(foldName(name));
        return;
    }
  }

  #seen(name: string): void {
    const key = foldName(name);
    this.#names.delete(key);
    this.#names.set(key, name);
    if (this.#names.size > MAX_REMEMBERED_NAMES) {
      const oldest = this.#names.keys().next().value;
      if (oldest !== undefined) this.#names.delete(oldest);
    }
  }
}
