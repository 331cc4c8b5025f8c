/**
 * How events look: one JSON object per line for scripts, or short human lines. Everything that
 * came from the network is passed through `sanitizeForTerminal` before it can reach a terminal.
 */
import { sanitizeForTerminal, sanitizeLines } from "../terminal/sanitize.ts";
import type { Style } from "../terminal/colors.ts";
import type { SessionEvent } from "./events.ts";

/** The event that starts every session's output: the client has joined. */
export interface ReadyEvent {
  type: "ready";
  room: string;
  name: string;
  members: string[];
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

/** One JSON line for an event, in the documented shape. */
export function jsonLine(event: OutputEvent): string {
  return JSON.stringify(event);
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
              event.members.map(sanitizeForTerminal).join(", ")
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
      const marker = TRUST_MARKERS[event.trust];
      const marked = marker ? lines.map((line) => `${style.error(marker)} ${line}`) : lines;
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
      return [style.error(`! Connection lost (${event.reason}); reconnecting…`)];
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
