/**
 * What one connection may send: no sealed body larger than an honest client makes, and no faster
 * than its rates (messages and bytes, token buckets across its rooms) and its address's rate of
 * bytes (shared by every connection from that address, so that opening more connections does not
 * store more). A refusal is a `nack` the client can act on: too large is final for that message;
 * too fast says when to send again. Once a connection has been told to wait, everything it sends
 * before then is refused too, so a client that sends the refused messages again in order keeps
 * their order.
 */
import type { ErrorCode } from "../protocol.ts";
import type { RelayLimits } from "./limits.ts";
import { type KeyedBuckets, TokenBucket } from "./rate_limit.ts";

/** Why a send was refused, for its nack. */
export interface SendRefusal {
  code: ErrorCode;
  message: string;
  retryAfterMs: number;
}

/** The send limits of one connection. */
export class SendGuard {
  readonly #maxSealedBytes: number;
  readonly #messages: TokenBucket | null;
  readonly #bytes: TokenBucket | null;
  readonly #address: { key: string; buckets: KeyedBuckets } | null;
  #waitUntil = 0;

  constructor(
    limits: RelayLimits,
    options: { now: number; address: { key: string; buckets: KeyedBuckets } | null },
  ) {
    const { now } = options;
    this.#address = options.address;
    this.#maxSealedBytes = limits.maxSealedBytes;
    this.#messages = limits.sendRate ? new TokenBucket(limits.sendRate, now) : null;
    this.#bytes = limits.sendBytes ? new TokenBucket(limits.sendBytes, now) : null;
  }

  /** Null when a sealed body of `size` bytes may be sent now; otherwise why not. */
  check(size: number, now: number): SendRefusal | null {
    if (size > this.#maxSealedBytes) {
      return {
        code: "message_too_large",
        message: `A sealed message of ${size} bytes is over the limit of ${this.#maxSealedBytes}`,
        retryAfterMs: 0,
      };
    }
    if (now < this.#waitUntil) return this.#tooFast(now);
    // Both limits must allow it before either is charged.
    const address = this.#address;
    const wait = Math.max(
      this.#messages?.waitFor(1, now) ?? 0,
      this.#bytes?.waitFor(size, now) ?? 0,
      address?.buckets.waitFor(address.key, size, now) ?? 0,
    );
    if (wait === 0) {
      this.#messages?.take(1, now);
      this.#bytes?.take(size, now);
      address?.buckets.take(address.key, size, now);
      return null;
    }
    this.#waitUntil = now + wait;
    return this.#tooFast(now);
  }

  #tooFast(now: number): SendRefusal {
    return {
      code: "rate_limited",
      message: "Sending too fast; send it again after the wait",
      retryAfterMs: Math.ceil(this.#waitUntil - now),
    };
  }
}
