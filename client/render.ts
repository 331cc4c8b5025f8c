/**
 * How events look: one JSON object per line for scripts, or short human lines. Everything that
 * came from the network is passed through `sanitizeForTerminal` before it can reach a terminal,
 * and JSON lines spell every control character as an escape, so neither carries a raw ESC, BEL
 * or C1 byte from a peer or the relay.
 */
import { foldName } from "../protocol.ts";
import { sanitizeForTerminal, sanitizeLines } from "../terminal/sanitize.ts";
import type { Style } from "../terminal/colors.ts";
import { type LogLine, visibleWidth } from "../terminal/wrap.ts";
import type { SessionEvent } from "./events.ts";

/** The event that starts every session's output: the client has joined. */
export interface ReadyEvent {
  type: "ready";
  room: string;
  name: string;
  /** The first members, in join order (a relay lists at most 100). */
  members: string[];
  /** How many members the room has, this one included. */
  memberCount: number;
  fingerprint: string;
  created: boolean;
  /** Fingerprint of this user's identity key. */
  identity: string;
  /** Whether the identity key was made just now, on this first run. */
  newIdentity: boolean;
}

/** Anything the client reports. */
export type OutputEvent = SessionEvent | ReadyEvent;

/** A message received. */
export type MessageEvent = Extract<SessionEvent, { type: "message" }>;

/** What marks a message whose sender is in doubt; nothing for trusted ones. */
const TRUST_MARKERS: Record<string, string | undefined> = {
  changed: "[KEY CHANGED]",
  bad_signature: "[UNVERIFIED]",
};

/**
 * Characters JSON.stringify leaves raw that a terminal may act on or that reorder text: DEL and
 * the C1 controls (U+009B is a one-character CSI), line separators and bidirectional controls.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * One JSON line for an event, in the documented shape. Strings keep their exact value: the
 * characters above are written as `\uXXXX` escapes, which parse back to the same text.
 */
export function jsonLine(event: OutputEvent): string {
  return JSON.stringify(event).replace(
    RAW_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** "14:03:09" in local time. */
export function clock(ts: number): string {
  const date = new Date(ts);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, "0")).join(":");
}

/**
 * Human lines for an event, or none when it is not worth showing (acks). Names and text are
 * made inert; styling is applied after.
 */
export function humanLines(event: OutputEvent, style: Style): string[] {
  switch (event.type) {
    case "ready":
      return [
        style.dim(
          `Joined ${sanitizeForTerminal(event.room)} as ${sanitizeForTerminal(event.name)}` +
            `${event.created ? " (new room)" : ""}. Here: ${
              nameList(event.members, event.memberCount)
            }`,
        ),
        style.dim(`Room key fingerprint ${event.fingerprint}: compare it with the others`),
        style.dim(
          `Your identity key ${event.identity}${
            event.newIdentity ? " (new: made for you just now)" : ""
          }`,
        ),
      ];
    case "message": {
      const lines = messageLines(event.ts, event.from, event.text, event.kind === "action", style);
      const markers = messageMarkers(event, style);
      const marked = markers ? lines.map((line) => `${markers} ${line}`) : lines;
      return event.history ? marked.map((line) => style.dim(`[history] ${line}`)) : marked;
    }
    case "key_changed": {
      const name = sanitizeForTerminal(event.from);
      return [
        style.error(
          `!!! WARNING: ${name} is signing with a different identity key than before ` +
            `(was ${event.previous}, now ${event.key}). Someone else may be using the name.`,
        ),
        style.error(
          `!!! Ask ${name} in person: /verify ${name}; if they really changed keys, /trust ${name}`,
        ),
      ];
    }
    case "disconnected":
      return [
        style.error(`! Connection lost (${sanitizeForTerminal(event.reason)}); reconnecting…`),
      ];
    case "reconnected":
      return [style.dim("Reconnected; anything missed follows")];
    case "gap":
      return [
        style.error(`! ${event.missed} message(s) were missed: older than the server keeps`),
      ];
    case "join":
      return [style.dim(`${clock(event.ts)} → ${sanitizeForTerminal(event.from)} joined`)];
    case "leave":
      return [
        style.dim(
          `${clock(event.ts)} ← ${sanitizeForTerminal(event.from)} left${
            event.reason ? ` (${event.reason.replaceAll("_", " ")})` : ""
          }`,
        ),
      ];
    case "presence_summary":
      return [
        ...(event.joined > 0
          ? [style.dim(`${clock(event.ts)} → ${crowd(event.joined, event.joinedNames)} joined`)]
          : []),
        ...(event.left > 0
          ? [style.dim(`${clock(event.ts)} ← ${crowd(event.left, event.leftNames)} left`)]
          : []),
      ];
    case "renamed":
      return [
        style.dim(
          `${clock(event.ts)} ${sanitizeForTerminal(event.from)} is now ` +
            `${sanitizeForTerminal(event.to)}${event.self ? " (you)" : ""}`,
        ),
      ];
    case "topic": {
      const marker = TRUST_MARKERS[event.trust];
      const who = `${sanitizeForTerminal(event.from)} at ${clock(event.ts)}`;
      const line = event.current
        ? `Topic: ${sanitizeForTerminal(event.text)} (set by ${who})`
        : `${sanitizeForTerminal(event.from)} set the topic: ${sanitizeForTerminal(event.text)}`;
      return [marker ? `${style.error(marker)} ${line}` : line];
    }
    case "ack":
      return [];
    case "error":
      return [style.error(`! ${sanitizeForTerminal(event.message)}`)];
  }
}

/**
 * What puts a message's sender or age in doubt ("[UNVERIFIED]", "[OLD, sent 13:50]"), styled as
 * an error, or "" for a message from a trusted sender that arrived when it was written.
 */
export function messageMarkers(event: MessageEvent, style: Style): string {
  const markers = [
    TRUST_MARKERS[event.trust],
    event.stale ? `[OLD, sent ${sentLabel(event.sentAt, event.ts)}]` : undefined,
  ].filter((marker) => marker !== undefined).join(" ");
  return markers ? style.error(markers) : "";
}

/** A chat line: time, coloured name, text; continuation lines are indented. */
export function messageLines(
  ts: number,
  from: string,
  text: string,
  action: boolean,
  style: Style,
): string[] {
  const name = sanitizeForTerminal(from);
  const [first = "", ...rest] = sanitizeLines(text);
  const head = action
    ? `${clock(ts)} * ${style.name(name)} ${first}`
    : `${clock(ts)} ${style.name(name)}: ${first}`;
  return [head, ...rest.map((line) => `         ${line}`)];
}

/** What the terminal shows of one chat message. */
export interface ChatLineOptions {
  style: Style;
  /** Now, to tell lines from today (time only) from older ones (date and time). */
  now: number;
  /** The user's own name, highlighted where a message mentions it. */
  me?: string;
  /** Show the time (and the date when not today) before each message; on unless false. */
  timestamps?: boolean;
}

/**
 * A chat message as log lines for the terminal: time (with the date when not today), coloured
 * name, text, the user's name highlighted where mentioned. Each line of a multi-line message,
 * and each row the screen wraps it into, starts under the text, after "name: ".
 */
export function chatLines(
  message: { ts: number; from: string; text: string; action: boolean },
  options: ChatLineOptions,
): LogLine[] {
  const { style } = options;
  const name = sanitizeForTerminal(message.from);
  const time = options.timestamps === false ? "" : `${timeLabel(message.ts, options.now)} `;
  const head = message.action ? `${time}* ${name} ` : `${time}${name}: `;
  const indent = visibleWidth(head);
  const styledHead = message.action
    ? `${time}* ${style.name(name)} `
    : `${time}${style.name(name)}: `;
  const highlight = (line: string) =>
    options.me === undefined ? line : markMentions(line, options.me, style.highlight);
  return sanitizeLines(message.text).map((line, index) => ({
    text: (index === 0 ? styledHead : " ".repeat(indent)) + highlight(line),
    indent,
  }));
}

/** Words that may be a name: what names are made of, @ and punctuation around them left out. */
const NAME_WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*/gu;

/** Whether `text` mentions `name` as a word of its own, compared as the protocol compares names. */
export function mentions(text: string, name: string): boolean {
  return mentionSpans(text, name).length > 0;
}

/** `text` with each mention of `name` passed through `mark`. */
function markMentions(text: string, name: string, mark: (text: string) => string): string {
  let result = "";
  let last = 0;
  for (const [start, end] of mentionSpans(text, name)) {
    result += text.slice(last, start) + mark(text.slice(start, end));
    last = end;
  }
  return result + text.slice(last);
}

function mentionSpans(text: string, name: string): [number, number][] {
  const folded = foldName(name);
  const spans: [number, number][] = [];
  for (const match of text.matchAll(NAME_WORD)) {
    // "ana." and "ana-" at the end of a sentence or clause still mention ana.
    const word = match[0].replace(/[_.-]+$/, "");
    if (foldName(word) === folded) spans.push([match.index, match.index + word.length]);
  }
  return spans;
}

/** "14:03:09" today, "2026-11-02 14:03:09" on another day (local time). */
export function timeLabel(ts: number, now: number): string {
  return sameDay(ts, now) ? clock(ts) : `${isoDate(ts)} ${clock(ts)}`;
}

/** Whether two times fall on the same local day. */
export function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

/** The line the log shows where a new day starts: "── Monday 2 November 2026 ──". */
export function dayLine(ts: number): string {
  const date = new Date(ts);
  const weekday = date.toLocaleDateString("en-GB", { weekday: "long" });
  const month = date.toLocaleDateString("en-GB", { month: "long" });
  return `── ${weekday} ${date.getDate()} ${month} ${date.getFullYear()} ──`;
}

/** "2026-11-02" in local time. */
function isoDate(ts: number): string {
  const date = new Date(ts);
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()]
    .map((part) => String(part).padStart(2, "0")).join("-");
}

/** "ana, bob and 10 more": names made inert, and how many the list leaves out. */
export function nameList(names: readonly string[], count: number): string {
  const shown = names.map(sanitizeForTerminal).join(", ");
  const more = count - names.length;
  return more > 0 ? `${shown} and ${more.toLocaleString("en")} more` : shown;
}

/** "12 people: ana, bob and 10 more", "1 person: ana". */
function crowd(count: number, names: readonly string[]): string {
  const people = count === 1 ? "1 person" : `${count.toLocaleString("en")} people`;
  return names.length === 0 ? people : `${people}: ${nameList(names, count)}`;
}

/** When an old message was written: the time, and the date too when it is not the day it arrived. */
function sentLabel(sentAt: number, ts: number): string {
  if (sameDay(sentAt, ts)) return clock(sentAt).slice(0, 5);
  return `${isoDate(sentAt)} ${clock(sentAt).slice(0, 5)}`;
}
