/**
 * Errors the client shows the user as one line, with a code scripts can branch on, and the exit
 * code each kind of failure ends the program with (docs/JSON.md lists them).
 */

/** Something went wrong that the user should read about: unreachable server, refusal, and so on. */
export class ChatError extends Error {
  readonly code: string;
  /** For refusals that pass with time: how long the server asked to wait, in ms; 0 otherwise. */
  readonly retryAfterMs: number;

  constructor(code: string, message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = "ChatError";
    this.code = code;
    this.retryAfterMs = options.retryAfterMs ?? 0;
  }
}

/**
 * A refusal the relay sent (an `error` or `nack` frame). Its message is always the client's own
 * words for the code (client/error_words.ts); the relay's free text is kept in `serverText` for
 * nothing but a sanitized quote when the code is unknown.
 */
export class RelayError extends ChatError {
  /** The relay closes the connection after a fatal error. */
  readonly fatal: boolean;
  /** The room the refusal named, as the relay spelled it; empty when none. */
  readonly room: string;
  /** The relay's own text: untrusted, never shown raw. */
  readonly serverText: string;

  constructor(
    code: string,
    message: string,
    details: { fatal: boolean; room: string; serverText: string; retryAfterMs: number },
  ) {
    super(code, message, { retryAfterMs: details.retryAfterMs });
    this.name = "RelayError";
    this.fatal = details.fatal;
    this.room = details.room;
    this.serverText = details.serverText;
  }
}

/** Exit codes, one per class of failure, so a script can tell them apart without reading words. */
export const EXIT = {
  /** The user left, or input ended and everything was acknowledged. */
  ok: 0,
  /** Anything not below: a file that cannot be written, a bug. */
  failure: 1,
  /** The command line (or the config file) is wrong. */
  usage: 2,
  /** The server could not be reached, or the connection was lost for good. */
  network: 3,
  /** The passphrase was wrong, missing or refused. */
  passphrase: 4,
  /** The server refused the name or the room. */
  refused: 5,
  /** Messages were not sent (refused, too long, or still queued when the session ended). */
  notSent: 6,
  /**
   * The server cannot be trusted or talked to: a changed certificate, a broken protocol, weak key
   * settings, another protocol version, or not a chat server at all.
   */
  trust: 7,
  /** Interrupted (Ctrl-C, SIGINT or SIGTERM), as shells report it: 128 + 2. */
  interrupted: 130,
} as const;

const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  config: EXIT.usage,
  unreachable: EXIT.network,
  timeout: EXIT.network,
  disconnected: EXIT.network,
  tls_failed: EXIT.network,
  server_shutdown: EXIT.network,
  too_many_connections: EXIT.network,
  idle_timeout: EXIT.network,
  slow_consumer: EXIT.network,
  join_timeout: EXIT.network,
  wrong_passphrase: EXIT.passphrase,
  no_passphrase: EXIT.passphrase,
  too_many_attempts: EXIT.passphrase,
  name_taken: EXIT.refused,
  name_confusable: EXIT.refused,
  invalid_name: EXIT.refused,
  invalid_room: EXIT.refused,
  room_not_allowed: EXIT.refused,
  room_limit: EXIT.refused,
  too_many_rooms: EXIT.refused,
  room_dropped: EXIT.refused,
  room_changed: EXIT.refused,
  replaced: EXIT.refused,
  no_room: EXIT.refused,

  line_too_long: EXIT.notSent,
  not_sent: EXIT.notSent,
  unsent: EXIT.notSent,
  bad_input: EXIT.notSent,
  certificate_changed: EXIT.trust,
  untrusted_certificate: EXIT.trust,
  certificate_mismatch: EXIT.trust,
  protocol_violation: EXIT.trust,
  weak_room_params: EXIT.trust,
  version_mismatch: EXIT.trust,
  wrong_protocol: EXIT.trust,
  frame_too_large: EXIT.trust,
  bad_frame: EXIT.trust,
  unknown_frame: EXIT.trust,
  unexpected_frame: EXIT.trust,
  interrupted: EXIT.interrupted,
};

/** The exit code for a failure with `code` (a `ChatError`'s). */
export function exitCodeFor(code: string): number {
  return EXIT_BY_CODE[code] ?? EXIT.failure;
}
