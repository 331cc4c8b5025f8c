/**
 * The client's defence against a relay replaying genuine old messages as new. Sealing proves who
 * wrote a message, not when it is shown, so the client remembers, across runs, which messages it
 * has seen (by sender and id) and when this member's last session in the room ended:
 * - a live message (not history) seen before is a duplicate, and is dropped;
 * - a live message whose signed `sent_at` is more than an hour before it arrives, or before the
 *   end of this member's previous session in the room (less a few minutes of clock skew), is
 *   stale: shown, but marked as old.
 * History (what a member asks for when joining) legitimately repeats what it saw before, so it is
 * dropped only when it repeats a message already shown in this session. Only messages that
 * opened and verified are remembered: a relay cannot make the client drop a genuine message by
 * first sending garbage under its id. The memory is saved a few seconds after it changes, not on
 * every message, and when the session ends.
 */
import type { RoomMemory, RoomMemoryStore } from "../storage/room_memory.ts";
import { SEEN_LIMIT } from "../storage/room_memory.ts";
import type { Clock, Timer } from "./clock.ts";

/** A live message sent more than this long before it arrives is marked as old. */
export const STALE_AFTER_MS = 60 * 60_000;
/** Clocks of members may disagree this much without a message looking replayed. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** How long after a change the memory is saved. */
export const SAVE_DELAY_MS = 5_000;

/** Whether a message was seen: in this session, in an earlier one, or not at all. */
export type Seen = "this_session" | "earlier" | null;

/** One member's memory of one room, and the rules built on it. */
export class ReplayGuard {
  readonly #store: RoomMemoryStore;
  readonly #clock: Clock;
  readonly #onSaveError: (error: unknown) => void;
  /** Key id + sender -> seen in this session; in insertion order, oldest first. */
  readonly #seen = new Map<string, boolean>();
  readonly #previousEnd: number | null;
  #timer: Timer | null = null;
  #saving: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    memory: RoomMemory,
    store: RoomMemoryStore,
    options: { clock: Clock; onSaveError(error: unknown): void },
  ) {
    this.#store = store;
    this.#clock = options.clock;
    this.#onSaveError = options.onSaveError;
    this.#previousEnd = memory.sessionEndedAt;
    for (const [sender, id] of memory.seen.slice(-SEEN_LIMIT)) {
      this.#seen.set(key(sender, id), false);
    }
  }

  /**
   * Loads the memory kept in `store`. One that cannot be read is reported through `onLoadError`
   * and replaced by an empty one: the session goes on with less protection, and says so.
   */
  static async open(
    store: RoomMemoryStore,
    options: { clock: Clock; onSaveError(error: unknown): void; onLoadError(error: unknown): void },
  ): Promise<ReplayGuard> {
    let memory: RoomMemory = { seen: [], sessionEndedAt: null };
    try {
      memory = await store.load();
    } catch (error) {
      options.onLoadError(error);
    }
    return new ReplayGuard(memory, store, options);
  }

  /** When this member's previous session in the room ended, or null for a first visit. */
  get previousSessionEnd(): number | null {
    return this.#previousEnd;
  }

  /** Whether the message `id` (hex) from `sender` was seen before. */
  seen(sender: string, id: string): Seen {
    const inSession = this.#seen.get(key(sender, id));
    return inSession === undefined ? null : inSession ? "this_session" : "earlier";
  }

  /** Remembers a message that opened and verified. */
  remember(sender: string, id: string): void {
    const entry = key(sender, id);
    this.#seen.delete(entry);
    this.#seen.set(entry, true);
    if (this.#seen.size > SEEN_LIMIT) this.#seen.delete(this.#seen.keys().next().value!);
    this.#scheduleSave();
  }

  /** Whether a live message signed at `sentAt` is older than a live message can honestly be. */
  isStale(sentAt: number): boolean {
    if (sentAt < this.#clock.now() - STALE_AFTER_MS) return true;
    return this.#previousEnd !== null && sentAt < this.#previousEnd - CLOCK_SKEW_MS;
  }

  /** Saves now, recording the present as the latest moment of this session. */
  save(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    const memory: RoomMemory = {
      seen: [...this.#seen.keys()].map(unkey),
      sessionEndedAt: Math.max(this.#clock.now(), this.#previousEnd ?? 0),
    };
    this.#saving = this.#saving.then(() => this.#store.save(memory)).catch(this.#onSaveError);
    return this.#saving;
  }

  /** Saves a last time, as the session ends; nothing is saved after. */
  async close(): Promise<void> {
    if (this.#closed) return await this.#saving;
    this.#closed = true;
    await this.save();
  }

  #scheduleSave(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = this.#clock.after(SAVE_DELAY_MS, () => {
      this.#timer = null;
      if (!this.#closed) this.save();
    });
  }
}

/** Ids are 32 hex digits, so the id first and the sender after can be told apart again. */
const ID_HEX_CHARS = 32;

function key(sender: string, id: string): string {
  return `${id.padEnd(ID_HEX_CHARS, "-").slice(0, ID_HEX_CHARS)}${sender}`;
}

function unkey(entry: string): [string, string] {
  return [entry.slice(ID_HEX_CHARS), entry.slice(0, ID_HEX_CHARS)];
}
