/**
 * Buffering between a new connection and the session that will own it: frames can arrive before
 * the session is ready (right after `joined`), and must reach it in order. The buffer is bounded
 * like the session's own backlog: past the bound the connection stops reading.
 */
import type { Unprompted } from "./connection.ts";

/** Messages buffered before the session takes over, past which reading pauses. */
const MAX_BUFFERED = 64;

/**
 * Holds what a new connection receives before its session is ready for it, then hands it over
 * in order. Pass `router.receive` as the connection's message handler and `router.backpressure`
 * as its backpressure.
 */
export class MessageRouter {
  #buffer: Unprompted[] = [];
  #target: ((message: Unprompted) => void) | null = null;
  #pressure: () => Promise<void> | null = () => null;
  readonly #ready = Promise.withResolvers<void>();

  readonly receive = (message: Unprompted): void => {
    if (this.#target) this.#target(message);
    else this.#buffer.push(message);
  };

  /** Null while there is room for more; else a promise that settles when there is. */
  readonly backpressure = (): Promise<void> | null => {
    if (this.#target) return this.#pressure();
    return this.#buffer.length >= MAX_BUFFERED ? this.#ready.promise : null;
  };

  /** Hands what is buffered, and all that follows, to `target`, whose backlog `pressure` tells. */
  deliverTo(
    target: (message: Unprompted) => void,
    pressure: () => Promise<void> | null = () => null,
  ): void {
    this.#target = target;
    this.#pressure = pressure;
    for (const message of this.#buffer.splice(0)) target(message);
    this.#ready.resolve();
  }
}
