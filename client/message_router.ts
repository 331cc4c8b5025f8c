/**
 * Buffering between a new connection and the session that will own it: frames can arrive before
 * the session is ready (right after `joined`), and must reach it in order.
 */
import type { Unprompted } from "./connection.ts";

/**
 * Holds what a new connection receives before its session is ready for it, then hands it over
 * in order. Pass `router.receive` as the connection's message handler.
 */
export class MessageRouter {
  #buffer: Unprompted[] = [];
  #target: ((message: Unprompted) => void) | null = null;

  readonly receive = (message: Unprompted): void => {
    if (this.#target) this.#target(message);
    else this.#buffer.push(message);
  };

  deliverTo(target: (message: Unprompted) => void): void {
    this.#target = target;
    for (const message of this.#buffer.splice(0)) target(message);
  }
}
