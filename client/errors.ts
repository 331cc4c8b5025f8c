/** Errors the client shows the user as one line, with a code scripts can branch on. */

/** Something went wrong that the user should read about: unreachable server, refusal, and so on. */
export class ChatError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "ChatError";
    this.code = code;
  }
}
