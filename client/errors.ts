/** Errors the client shows the user as one line, with a code scripts can branch on. */

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
