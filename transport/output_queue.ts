/**
 * The write side every transport shares: frames queued during one turn of the event loop leave in
 * one write, the bytes waiting for a peer are bounded, and a relay-wide `SendBudget` sees every
 * change. How bytes reach the wire is the transport's business, passed in as `write`.
 */
import { setImmediate } from "node:timers";
import { concatBytes } from "../protocol.ts";
import type { SendBudget } from "./send_budget.ts";

/** A bounded, coalescing queue of outgoing frames. */
export class OutputQueue {
  readonly #write: (batch: Uint8Array) => Promise<void>;
  readonly #maxBytes: number;
  readonly #budget: SendBudget | undefined;
  #frames: Uint8Array[] = [];
  #bytes = 0;
  /** Bytes of the batch being written now, part of `#bytes`. */
  #writingBytes = 0;
  #writing: Promise<void> | null = null;
  #failed = false;
  #stopped = false;

  constructor(
    write: (batch: Uint8Array) => Promise<void>,
    options: { maxBytes: number; budget?: SendBudget | undefined },
  ) {
    this.#write = write;
    this.#maxBytes = options.maxBytes;
    this.#budget = options.budget;
  }

  /** Bytes queued and not yet written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a write failed: the peer is gone, and everything queued was dropped. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Queues a frame; false, queuing nothing, when it would pass the bound or a write failed. */
  push(frame: Uint8Array): boolean {
    if (this.#failed || this.#stopped || this.#bytes + frame.length > this.#maxBytes) return false;
    this.#enqueue(frame);
    return true;
  }

  /**
   * Queues a last frame after what is queued, dropping the queue first when both would not fit:
   * a peer that does not read would never get to it otherwise.
   */
  pushLast(frame: Uint8Array | undefined): void {
    if (this.#failed || this.#stopped) return;
    if (this.#bytes + (frame?.length ?? 0) > this.#maxBytes) {
      this.#frames = [];
      this.#setBytes(this.#writingBytes);
    }
    if (frame) this.#enqueue(frame);
  }

  /** Resolves once everything queued so far has been written, or writing has stopped. */
  async drained(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Writes nothing more; what is still queued no longer counts against the budget. */
  stop(): void {
    this.#stopped = true;
    this.#frames = [];
    this.#setBytes(this.#writingBytes);
  }

  #enqueue(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#setBytes(this.#bytes + frame.length);
    this.#writing ??= this.#writeLoop();
  }

  #setBytes(bytes: number): void {
    this.#budget?.track(this.#bytes, bytes);
    this.#bytes = bytes;
  }

  async #writeLoop(): Promise<void> {
    // Let everything this turn of the event loop handles queue its frames, so they leave in one
    // write: setImmediate runs after all pending I/O callbacks, a microtask after this one only.
    await nextTurn();
    try {
      while (this.#frames.length > 0 && !this.#stopped) {
        const batch = coalesce(this.#frames);
        this.#frames = [];
        this.#writingBytes = batch.length;
        await this.#write(batch);
        this.#writingBytes = 0;
        this.#setBytes(this.#bytes - batch.length);
      }
    } catch {
      // A failed write means the peer is gone whatever the error says; its reader sees the end.
      this.#failed = true;
      this.#frames = [];
      this.#writingBytes = 0;
      this.#setBytes(0);
    } finally {
      this.#writing = null;
    }
  }
}

let turn: Promise<void> | null = null;

/**
 * Resolves after the current turn of the event loop. Shared by every queue: a message to 1,000
 * members then costs one setImmediate, not 1,000.
 */
function nextTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = null;
      resolve();
    })
  );
  return turn;
}

function coalesce(frames: Uint8Array[]): Uint8Array {
  return frames.length === 1 ? frames[0]! : concatBytes(...frames);
}
