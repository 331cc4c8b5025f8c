/**
 * The sending side of a simulated member: keeps up to `window` sends unacknowledged, stamps each
 * fake sealed body with its send time (first 8 bytes) and times the relay's acknowledgements.
 * Ids are random 16-byte values, as a real client's are; bodies are random bytes the relay cannot
 * tell from ciphertext.
 */
import { encodeSend, MESSAGE_ID_BYTES } from "../protocol.ts";
import { writeF64 } from "./bytes.ts";
import { countError, type LoadConn, type LoadShared } from "./load_conn.ts";

/** Keeps up to `window` sends unacknowledged on one connection and times their acks. */
export class Sender {
  readonly #member: LoadConn;
  readonly #shared: LoadShared;
  readonly #window: number;
  readonly #body: Uint8Array;
  readonly #ids: Uint8Array;
  readonly #sentAt: Float64Array;
  #head = 0;
  inFlight = 0;
  /** Whether `pump` fills the window (flood) or sends happen only on `sendOne` (paced). */
  greedy = false;
  stopped = false;
  sent = 0;
  acked = 0;
  nacked = 0;
  /** Paced sends skipped because the window was full. */
  windowFull = 0;

  constructor(member: LoadConn, options: { window: number; bodyBytes: number }) {
    this.#member = member;
    this.#shared = member.shared;
    this.#window = options.window;
    this.#body = crypto.getRandomValues(new Uint8Array(Math.max(8, options.bodyBytes)));
    this.#ids = new Uint8Array(options.window * MESSAGE_ID_BYTES);
    this.#sentAt = new Float64Array(options.window);
    member.sender = this;
  }

  /** Whether the relay closed this sender's connection. */
  get gone(): boolean {
    return this.#member.closedByServer;
  }

  /** Fills the window when greedy. */
  pump(): void {
    if (!this.greedy) return;
    while (!this.stopped && this.inFlight < this.#window) this.sendOne();
  }

  /** Sends one message unless stopped or the window is full. */
  sendOne(): void {
    if (this.stopped || this.#member.closedByServer) return;
    if (this.inFlight >= this.#window) {
      this.windowFull++;
      return;
    }
    const slot = (this.#head + this.inFlight) % this.#window;
    const id = this.#ids.subarray(slot * MESSAGE_ID_BYTES, (slot + 1) * MESSAGE_ID_BYTES);
    id.set(this.#shared.ids.take(MESSAGE_ID_BYTES));
    const now = performance.now();
    writeF64(this.#body, 0, now);
    this.#sentAt[slot] = now;
    this.inFlight++;
    this.sent++;
    this.#member.write(encodeSend(this.#member.room, id, this.#body));
  }

  /** An ack or nack for `id`; the relay answers one connection's sends in order. */
  answered(id: Uint8Array, now: number, stored = true): void {
    let found = -1;
    for (let i = 0; i < this.inFlight && found < 0; i++) {
      const slot = (this.#head + i) % this.#window;
      if (sameId(this.#ids, slot * MESSAGE_ID_BYTES, id)) found = i;
    }
    if (found < 0) return countError(this.#shared, "unknown_ack");
    const sentAt = this.#sentAt[(this.#head + found) % this.#window]!;
    if (found > 0) {
      countError(this.#shared, "ack_out_of_order");
      // Close the gap: move the older entries up one slot, keeping their order.
      for (let i = found; i > 0; i--) {
        const to = (this.#head + i) % this.#window;
        const from = (this.#head + i - 1) % this.#window;
        this.#ids.copyWithin(
          to * MESSAGE_ID_BYTES,
          from * MESSAGE_ID_BYTES,
          (from + 1) * MESSAGE_ID_BYTES,
        );
        this.#sentAt[to] = this.#sentAt[from]!;
      }
    }
    this.#head = (this.#head + 1) % this.#window;
    this.inFlight--;
    if (stored) {
      this.acked++;
      this.#shared.ackLatency.record(now - sentAt);
    } else {
      this.nacked++;
    }
  }
}

function sameId(ids: Uint8Array, offset: number, id: Uint8Array): boolean {
  for (let i = 0; i < MESSAGE_ID_BYTES; i++) if (ids[offset + i] !== id[i]) return false;
  return true;
}
