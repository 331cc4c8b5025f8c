/**
 * Messages sent and not yet acknowledged, in the order they were sent, and what the relay's
 * refusals do to them. Nothing in it is lost and its order is kept: a `rate_limited` refusal
 * holds every send until the relay's wait has passed and every message already on its way has
 * been answered, then sends everything unacknowledged again, oldest first. `message_too_large`
 * is final for its message; a refusal to store (`storage_full`, `storage_failed`) sends that one
 * message again after a pause. It knows nothing about sockets or keys: it transmits through a
 * callback and keeps time with an injected clock.
 */
import type { Nack } from "../protocol.ts";
import type { Clock, Timer } from "./clock.ts";
import { relayError } from "./error_words.ts";
import type { SentMessage, SessionEvent } from "./events.ts";

/** Wait before sending again a message the relay could not store. */
export const NOT_STORED_RETRY_MS = 5_000;
/** Wait when the relay limits the rate but names no time. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
/** Longest wait a relay may impose per refusal: it may refuse again, but cannot park us for days. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** How long a hold waits for answers to messages already sent before resending anyway. */
export const IN_FLIGHT_GRACE_MS = 15_000;
/** The user hears about rate limiting at most this often. */
const RATE_NOTICE_INTERVAL_MS = 60_000;

/** Refusals that are final for the one message they name: its send rejects with them. */
export const FINAL_MESSAGE_CODES: ReadonlySet<string> = new Set(["message_too_large"]);

/** One message waiting for its acknowledgement. */
export interface Outgoing {
  id: Uint8Array;
  idHex: string;
  sealed: Uint8Array;
  resolve(sent: SentMessage): void;
  reject(error: Error): void;
}

/** What the outbox needs from its session. */
export interface OutboxOptions {
  room: string;
  clock: Clock;
  /** Writes one message to the current connection; false when there is none. */
  transmit(outgoing: Outgoing): boolean;
  /** Tells the user something happened to what they sent. */
  notify(event: Extract<SessionEvent, { type: "error" }>): void;
}

/** The unacknowledged messages of one member in one room. */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #pending = new Map<string, Outgoing>();
  /** Sent on the current connection and not answered yet. */
  readonly #inFlight = new Set<string>();
  readonly #retries = new Map<string, Timer>();
  #holdUntil = 0;
  #holdTimer: Timer | null = null;
  #graceTimer: Timer | null = null;
  #lastRateNotice = -Infinity;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Messages sent and not yet acknowledged. */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether sending is held because the relay limited the rate. */
  get held(): boolean {
    return this.#holdTimer !== null || this.#graceTimer !== null;
  }

  /** Whether `idHex` is one of ours, still waiting. */
  has(idHex: string): boolean {
    return this.#pending.has(idHex);
  }

  /** Queues a message, and sends it unless sending is held. */
  add(outgoing: Outgoing): void {
    this.#pending.set(outgoing.idHex, outgoing);
    if (!this.held) this.#send(outgoing);
  }

  /** A new connection: what was in flight on the old one is unknown; send it all again, in order. */
  reconnected(): void {
    this.#inFlight.clear();
    if (!this.held) this.#sendAll();
    else this.#maybeRelease();
  }

  /** The connection dropped: nothing is in flight any more. */
  disconnected(): void {
    this.#inFlight.clear();
  }

  /** The relay stored `idHex`: resolves its send. Returns whether it was ours. */
  acknowledge(idHex: string, seq: number, ts: number): boolean {
    const outgoing = this.#pending.get(idHex);
    if (!outgoing) return false;
    this.#forget(idHex);
    outgoing.resolve({ id: idHex, seq, ts });
    this.#maybeRelease();
    return true;
  }

  /** The relay refused to store one message. */
  refuse(nack: Nack, idHex: string): void {
    const outgoing = this.#pending.get(idHex);
    if (!outgoing) return;
    this.#inFlight.delete(idHex);
    const error = relayError({ ...nack, fatal: false }, {}, "nack");
    switch (nack.code) {
      case "rate_limited":
        this.#hold(nack.retryAfterMs);
        return;
      case "message_too_large":
        this.#forget(idHex);
        outgoing.reject(error);
        this.#maybeRelease();
        return;
      default: {
        this.#options.notify({
          type: "error",
          code: nack.code,
          message: error.message,
          room: this.#options.room,
          id: idHex,
          ...(nack.retryAfterMs > 0 ? { retryAfterMs: nack.retryAfterMs } : {}),
        });
        this.#retries.get(idHex)?.cancel();
        const wait = Math.min(
          MAX_RATE_LIMIT_WAIT_MS,
          Math.max(NOT_STORED_RETRY_MS, nack.retryAfterMs),
        );
        this.#retries.set(
          idHex,
          this.#options.clock.after(wait, () => {
            this.#retries.delete(idHex);
            if (this.#pending.has(idHex) && !this.held) this.#send(outgoing);
          }),
        );
        this.#maybeRelease();
      }
    }
  }

  /** Fails every waiting send with `error` and stops every timer. */
  rejectAll(error: Error): void {
    for (const outgoing of this.#pending.values()) outgoing.reject(error);
    this.#pending.clear();
    this.#inFlight.clear();
    for (const timer of this.#retries.values()) timer.cancel();
    this.#retries.clear();
    this.#holdTimer?.cancel();
    this.#graceTimer?.cancel();
    this.#holdTimer = this.#graceTimer = null;
  }

  #hold(retryAfterMs: number): void {
    const { clock } = this.#options;
    const wait = retryAfterMs > 0
      ? Math.min(retryAfterMs, MAX_RATE_LIMIT_WAIT_MS)
      : DEFAULT_RATE_LIMIT_WAIT_MS;
    const until = clock.now() + wait;
    if (!this.held && clock.now() - this.#lastRateNotice >= RATE_NOTICE_INTERVAL_MS) {
      this.#lastRateNotice = clock.now();
      this.#options.notify({
        type: "error",
        code: "rate_limited",
        room: this.#options.room,
        message: relayError(
          { code: "rate_limited", room: "", message: "", retryAfterMs: wait },
          {},
          "nack",
        )
          .message,
        retryAfterMs: wait,
      });
    }
    if (until <= this.#holdUntil && this.#holdTimer) return;
    this.#holdUntil = Math.max(until, this.#holdUntil);
    this.#holdTimer?.cancel();
    this.#graceTimer?.cancel();
    this.#graceTimer = null;
    this.#holdTimer = clock.after(this.#holdUntil - clock.now(), () => {
      this.#holdTimer = null;
      // Answers to messages already on their way come in order; resending before they are all
      // in could put a resent message behind one the relay is still to take.
      this.#graceTimer = clock.after(IN_FLIGHT_GRACE_MS, () => {
        this.#graceTimer = null;
        this.#sendAll();
      });
      this.#maybeRelease();
    });
  }

  #maybeRelease(): void {
    if (this.#holdTimer !== null || this.#graceTimer === null || this.#inFlight.size > 0) return;
    this.#graceTimer.cancel();
    this.#graceTimer = null;
    this.#sendAll();
  }

  #sendAll(): void {
    for (const outgoing of this.#pending.values()) {
      if (!this.#inFlight.has(outgoing.idHex)) this.#send(outgoing);
    }
  }

  #send(outgoing: Outgoing): void {
    if (this.#options.transmit(outgoing)) this.#inFlight.add(outgoing.idHex);
  }

  #forget(idHex: string): void {
    this.#pending.delete(idHex);
    this.#inFlight.delete(idHex);
    this.#retries.get(idHex)?.cancel();
    this.#retries.delete(idHex);
  }
}
