/**
 * Group commit: messages accepted during one turn of the event loop are stored in one transaction,
 * and only then delivered and acknowledged, so an acknowledgement always means "stored" and one
 * disk write serves many messages. Repeated message ids are recognised so a retry is acknowledged
 * again instead of stored twice.
 */
import { type MessageRecord, type RelayStore, StorageFullError } from "./store.ts";

/**
 * Most messages in one commit. Past it the batch is stored at once: this bounds how much output
 * one turn can create, so the relay's backpressure (it stops reading while its output backlog is
 * high) takes effect between batches rather than after a burst of thousands of messages.
 */
export const MAX_BATCH = 128;

/** A message waiting for the next commit, and who must hear back about it. */
export interface PendingMessage<S> extends MessageRecord {
  /** Senders to acknowledge: the original, and any that retried the same id before the commit. */
  senders: S[];
}

/** What a flush did, for the relay to deliver, acknowledge or refuse. */
export interface FlushResult<S> {
  messages: PendingMessage<S>[];
  /** Null when stored; otherwise why not (the messages were not stored). */
  failure: Error | null;
}

/** Batches messages into transactions. */
export class MessageLog<S> {
  readonly #store: RelayStore;
  readonly #defer: (flush: () => void) => void;
  readonly #onFlushed: (result: FlushResult<S>) => void;
  #pending: PendingMessage<S>[] = [];
  readonly #pendingById = new Map<string, PendingMessage<S>>();

  constructor(
    store: RelayStore,
    options: {
      defer: (flush: () => void) => void;
      onFlushed: (result: FlushResult<S>) => void;
    },
  ) {
    this.#store = store;
    this.#defer = options.defer;
    this.#onFlushed = options.onFlushed;
  }

  /** Messages waiting to be stored. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * A message from `sender` with this id in the room: waiting for the commit (the caller adds
   * itself to its senders) or already stored (the caller acknowledges it again). Null when new.
   * The sender is part of what identifies a message: a member who reuses another's id (seen in
   * a delivery) stores a message of its own, and never makes the other's retry look done.
   */
  find(
    room: string,
    sender: string,
    id: Uint8Array,
  ): { pending: PendingMessage<S> } | { stored: { seq: number; ts: number } } | null {
    const pending = this.#pendingById.get(idKey(room, sender, id));
    if (pending) return { pending };
    const stored = this.#store.findMessage(room, sender, id);
    return stored ? { stored } : null;
  }

  /** Queues a message for the next commit. */
  append(message: PendingMessage<S>): void {
    if (this.#pending.length === 0) this.#defer(() => this.flush());
    this.#pending.push(message);
    this.#pendingById.set(idKey(message.room, message.from, message.id), message);
    if (this.#pending.length >= MAX_BATCH) this.flush();
  }

  /** Stores everything queued in one transaction and reports the outcome. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const messages = this.#pending;
    this.#pending = [];
    this.#pendingById.clear();
    let failure: Error | null = null;
    try {
      this.#store.appendMessages(messages);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      failure = error instanceof StorageFullError
        ? error
        : new Error(`Storage failed: ${error.message}`);
    }
    this.#onFlushed({ messages, failure });
  }
}

function idKey(room: string, sender: string, id: Uint8Array): string {
  let hex = "";
  for (const byte of id) hex += byte.toString(16).padStart(2, "0");
  return `${room}\u0000${sender}\u0000${hex}`;
}
