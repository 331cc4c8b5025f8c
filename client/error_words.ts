/**
 * The client's own words for every error code a relay may send (protocol/errors.ts), in one
 * table. A relay's free text is never shown: it could carry escape sequences that retitle the
 * window or forge a prompt, or simply mislead. An unknown code is shown sanitized and marked as
 * the server's words. Pure: it builds strings and knows nothing about terminals or connections.
 */
import { type ErrorCode, MAX_ITERATIONS, MIN_ITERATIONS, PROTOCOL_VERSION } from "../protocol.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import { ChatError, RelayError } from "./errors.ts";

/** What the words may mention; every value is made inert before it is used. */
export interface ErrorContext {
  /** The room the refusal is about. */
  room?: string;
  /** This member's name, for refusals of a join. */
  name?: string;
  /** How long the server asked to wait, in ms; 0 or absent when it did not say. */
  retryAfterMs?: number;
}

interface Shown {
  room: string;
  name: string;
  /** "; try again in 3 s", or "" when the server gave no time. */
  wait: string;
  /** "3 s", "4 min", or "" when the server gave no time. */
  waitFor: string;
}

type Words = (shown: Shown) => string;

/** Words for each code as an `error` frame brings it. A new code fails to compile until it has words. */
const ERROR_WORDS: Readonly<Record<ErrorCode, Words>> = {
  bad_frame: () => "The server says this client sent a malformed frame",
  frame_too_large: () => "The server says this client sent a frame over its size limit",
  foreign_protocol: () =>
    "The server says this client does not speak chat (TLS to a plain port, or the reverse?)",
  unknown_frame: () => "The server did not understand a frame this client sent",
  unexpected_frame: () => "The server says this client sent a frame it did not expect",
  version_mismatch: () =>
    `The server does not speak protocol version ${PROTOCOL_VERSION}; update whichever is older`,
  handshake_timeout: () => "The server closed the connection: the greeting took too long",
  idle_timeout: () => "The server heard nothing from this client for too long",
  slow_consumer: () => "The server gave up on this client: it was not reading fast enough",
  too_many_connections: ({ wait }) =>
    `The server has too many connections (from this address, or in all)${wait || "; try later"}`,
  invalid_name: ({ name }) => `The server refused the name "${name}"; choose another with --name`,
  invalid_room: ({ room }) =>
    `The server refused the room name "${room}"; choose another with --room`,
  // A time comes only with a name held for a member whose connection dropped: it frees then.
  name_taken: ({ room, name, waitFor }) =>
    waitFor
      ? `Cannot join room "${room}": the name "${name}" is held for a member who dropped; it is ` +
        `free in ${waitFor}, or choose another with --name`
      : `Cannot join room "${room}": the name "${name}" is taken there; choose another with --name`,
  wrong_passphrase: ({ room }) =>
    `Cannot join room "${room}": wrong passphrase. If you did not expect the room to exist, ` +
    `someone else may have created it first: pick another room with --room, or ask the ` +
    `server's operator to drop it (chat rooms drop ${room} --data DIR)`,
  room_changed: ({ room }) =>
    `Room "${room}" was created again with other settings (another member created it at the ` +
    `same moment, or the server's operator replaced it); join it again`,
  weak_room_params: () =>
    `The server refused the room's key settings: PBKDF2 iterations must be ` +
    `${MIN_ITERATIONS.toLocaleString("en")} to ${MAX_ITERATIONS.toLocaleString("en")}`,
  not_joined: ({ room }) => `The server says this client is not in room "${room}"`,
  already_joined: ({ room }) => `The server says this client is already in room "${room}"`,
  replaced: ({ room }) =>
    `Another connection took over this name in room "${room}" (is this client running twice?)`,
  storage_full: () => "The server's storage is full: messages are not being stored",
  storage_failed: () => "The server could not use its storage",
  server_shutdown: () => "The server is shutting down",
  join_timeout: () => "The server closed the connection: no room was joined in time",
  too_many_attempts: ({ room, wait }) =>
    `Too many wrong passphrases were tried from this address or for room "${room}", so the ` +
    `server is slowing guesses down${wait}`,
  rate_limited: ({ wait }) => `Sending faster than the server allows${wait}`,
  message_too_large: () => "The server refuses messages this large",
  room_not_allowed: ({ room }) =>
    `The server does not allow a room named "${room}": its operator limits which rooms exist`,
  room_limit: ({ room }) =>
    `The server holds as many rooms as it allows, so room "${room}" cannot be created; join an ` +
    `existing room or ask the server's operator`,
  too_many_rooms: ({ wait }) => `Too many new rooms were created from this address${wait}`,
  room_dropped: ({ room }) =>
    `The server's operator removed room "${room}" and its messages; join again to start it anew`,
  name_confusable: ({ room, name }) =>
    `Cannot join room "${room}": the name "${name}" looks too much like the name of someone ` +
    `in the room; choose another with --name`,
};

/** Words for a `nack`: what happened to the one message it refuses. */
const NACK_WORDS: Readonly<Partial<Record<ErrorCode, Words>>> = {
  storage_full: () => "Not stored: the server's storage is full; it will be sent again",
  storage_failed: () => "Not stored: the server could not write it; it will be sent again",
  rate_limited: ({ wait }) =>
    `Sending faster than the server allows${wait}; nothing is lost, messages go in order`,
  message_too_large: () => "the server refuses messages this large",
};

/** Every code the protocol defines, each with words here. */
export const KNOWN_ERROR_CODES: readonly ErrorCode[] = Object.keys(ERROR_WORDS) as ErrorCode[];
const KNOWN_CODES: ReadonlySet<string> = new Set(KNOWN_ERROR_CODES);

/** Whether `code` is one the protocol defines (and this client has words for). */
export function isKnownCode(code: string): code is ErrorCode {
  return KNOWN_CODES.has(code);
}

/** The client's words for an error code from the relay; `serverText` is quoted only if unknown. */
export function errorWords(
  code: string,
  serverText: string,
  context: ErrorContext = {},
  kind: "error" | "nack" = "error",
): string {
  const shown = show(context);
  if (!isKnownCode(code)) {
    const quoted = sanitizeForTerminal(serverText).slice(0, MAX_QUOTED_CHARS);
    return `The server refused (code "${sanitizeForTerminal(code).slice(0, 64)}"); ` +
      `in its own words: "${quoted}"`;
  }
  const words = (kind === "nack" ? NACK_WORDS[code] : undefined) ?? ERROR_WORDS[code];
  return words(shown);
}

/** A `RelayError` for an `error` or `nack` frame, in the client's words. */
export function relayError(
  frame: { code: string; room: string; message: string; retryAfterMs: number; fatal?: boolean },
  context: ErrorContext = {},
  kind: "error" | "nack" = "error",
): RelayError {
  const withRoom = { room: frame.room, retryAfterMs: frame.retryAfterMs, ...context };
  return new RelayError(frame.code, errorWords(frame.code, frame.message, withRoom, kind), {
    fatal: frame.fatal ?? false,
    room: frame.room,
    serverText: frame.message,
    retryAfterMs: frame.retryAfterMs,
  });
}

/** The same refusal, reworded with what the caller knows (the name it asked to join as). */
export function reworded(error: RelayError, context: ErrorContext): RelayError {
  return relayError({
    code: error.code,
    room: error.room,
    message: error.serverText,
    retryAfterMs: error.retryAfterMs,
    fatal: error.fatal,
  }, context);
}

/** "3 s", "2 min", for waits the server asks for. */
export function describeWait(ms: number): string {
  if (ms < 1_000) return "a moment";
  const seconds = Math.ceil(ms / 1_000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.ceil(minutes / 60)} h`;
}

/** Longest quote of a relay's own words for an unknown code. */
const MAX_QUOTED_CHARS = 200;

function show(context: ErrorContext): Shown {
  const retry = context.retryAfterMs ?? 0;
  return {
    room: sanitizeForTerminal(context.room ?? "").slice(0, 64),
    name: sanitizeForTerminal(context.name ?? "").slice(0, 64),
    wait: retry > 0 ? `; try again in ${describeWait(retry)}` : "",
    waitFor: retry > 0 ? describeWait(retry) : "",
  };
}

/**
 * A refused rename in the client's words: the name asked for (valid, so inert: `rename` checked
 * it), never the relay's text.
 */
export function renameWords(
  message: { code: string; retryAfterMs: number },
  name: string,
): ChatError {
  const shown = name;
  switch (message.code) {
    case "name_taken":
      return new ChatError(message.code, `"${shown}" is taken in this room`);
    case "name_confusable":
      return new ChatError(message.code, `"${shown}" looks too much like someone's name here`);
    case "invalid_name":
      return new ChatError(message.code, `"${shown}" is not a name the server accepts`);
    case "rate_limited":
      return new ChatError(
        message.code,
        `Too fast; try again in ${Math.ceil(message.retryAfterMs / 1000)} s`,
      );
    default:
      return new ChatError(message.code, "The server refused the new name");
  }
}
