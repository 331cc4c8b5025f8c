/**
 * How events look: one JSON object per line for scripts, or short human lines. Everything that
 * came from the network is passed through `sanitizeForTerminal` before it can reach a terminal,
 * and JSON lines spell every control character as an escape, so neither carries a raw ESC, BEL
 * or C1 byte from a peer or the relay.
 */
import { sanitizeForTerminal, sanitizeLines } from "../terminal/sanitize.ts";
import type { Style } from "../terminal/colors.ts";
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
      const markers = [
        TRUST_MARKERS[event.trust],
        event.stale ? `[OLD, sent ${sentLabel(event.sentAt, event.ts)}]` : undefined,
      ].filter((marker) => marker !== undefined).join(" ");
      const marked = markers ? lines.map((line) => `${style.error(markers)} ${line}`) : lines;
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
    case "ack":
      return [];
    case "error":
      return [style.error(`! ${sanitizeForTerminal(event.message)}`)];
  }
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
  const sent = new Date(sentAt);
  if (sent.toDateString() === new Date(ts).toDateString()) return clock(sentAt).slice(0, 5);
  const date = [sent.getFullYear(), sent.getMonth() + 1, sent.getDate()]
    .map((part) => String(part).padStart(2, "0")).join("-");
  return `${date} ${clock(sentAt).slice(0, 5)}`;
}
