/**
 * Requests of the session that the relay answers with a frame every member also gets (`renamed`,
 * `topic`), or refuses with an `error` for the room: at most one of each kind on its way, with a
 * deadline. It matches answers and refusals to what was asked; it knows nothing about frames.
 */
import type { Clock, Timer } from "./clock.ts";
import { ChatError } from "./errors.ts";

/** A request on its way: what answers it, which refusals end it, and its promise. */
interface Pending<T> {
  matches(answer: T): boolean;
  codes: ReadonlySet<string>;
  resolve(answer: T): void;
  reject(error: Error): void;
  timer: Timer;
}

/** One outstanding request of one kind. */
export class Request<T> {
  readonly #what: string;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #pending: Pending<T> | null = null;

  constructor(what: string, options: { clock: Clock; timeoutMs: number }) {
    this.#what = what;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * Sends with `send` and resolves with the answer `matches` accepts; rejects on an error whose
   * code is in `codes`, on the deadline, or when one is already on its way.
   */
  ask(send: () => boolean, matches: (answer: T) => boolean, codes: readonly string[]): Promise<T> {
    if (this.#pending) {
      return Promise.reject(new ChatError("busy", `A ${this.#what} is already on its way`));
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const timer = this.#clock.after(this.#timeoutMs, () => {
      this.#settle()?.reject(
        new ChatError("timeout", `The server did not answer the ${this.#what} in time`),
      );
    });
    this.#pending = { matches, codes: new Set(codes), resolve, reject, timer };
    if (!send()) {
      this.#settle()?.reject(new ChatError("disconnected", "Not connected to the server"));
    }
    return promise;
  }

  /** Whether `answer` answers the request on its way (which it then settles). */
  answer(answer: T): boolean {
    if (!this.#pending?.matches(answer)) return false;
    this.#settle()?.resolve(answer);
    return true;
  }

  /** Whether a refusal with `code` ends the request on its way (rejected with `error`). */
  refuse(code: string, error: Error): boolean {
    if (!this.#pending?.codes.has(code)) return false;
    this.#settle()?.reject(error);
    return true;
  }

  /** Ends the request on its way, if any, with `error`. */
  cancel(error: Error): void {
    this.#settle()?.reject(error);
  }

  #settle(): Pending<T> | null {
    const pending = this.#pending;
    this.#pending = null;
    pending?.timer.cancel();
    return pending;
  }
}
