/**
 * Two members the flood cell adds to its room to check how the relay treats one connection while
 * flooded, rather than how fast it goes: a late joiner, which connects in the middle of the send
 * phase and times its `joined`, `caught_up` and first `deliver`, and a stalled reader, which joins
 * before the flood and then never reads, so the relay's slow-consumer policy has to drop it.
 *
 * Neither is one of the load's members: each keeps its own counters, so nothing it receives or
 * misses counts toward the cell's delivery, loss or latency figures, and the relay dropping the
 * stalled reader is expected, not an anomaly. When the relay dropped it comes from the relay's
 * log, which `run_cell.ts` reads; the load only knows the member's address and the clock.
 */
import { createShared, LoadConn } from "./load_conn.ts";

/** The late joiner's timings, in ms from starting to connect; null when it never got that far. */
export interface LateJoinResult {
  /** When it started to connect, in ms into the send phase. */
  atMs: number | null;
  joinedMs: number | null;
  caughtUpMs: number | null;
  firstMessageMs: number | null;
  /** Why it failed to join, if it did. */
  error: string | null;
}

/** What became of the stalled reader. */
export interface StalledResult {
  /** Its address as the relay's log names it. */
  peer: string;
  /** Wall-clock time (epoch ms, the clock of the relay's log) when the send phase started. */
  sendStartEpochMs: number | null;
  /** When it started reading again, in ms into the send phase; null if it never did. */
  resumedAtMs: number | null;
  /** Bytes and deliveries that were waiting in the socket buffers when it read again. */
  unreadBytes: number;
  unreadDeliveries: number;
  /**
   * How the connection ended once read: the relay's error code when its fatal error frame got
   * through, "eof" or a read error's name, or "open" if it was still open after `RESUME_WAIT_MS`.
   */
  ended: string;
  /** What the relay's log says about it; filled in by `run_cell.ts`, null until then. */
  relay: RelayVerdict | null;
}

/** The relay's log lines about one peer it dropped. */
export interface RelayVerdict {
  /** When it removed the member from the room ("left ... (too_slow)"), epoch ms. */
  leftAtEpochMs: number | null;
  /** The reason in that line. */
  leaveReason: string | null;
  /** The code in "disconnected (<code>)", logged once the close completes. */
  code: string | null;
}

/** Longest wait, once the stalled reader reads again, for the connection to end. */
export const RESUME_WAIT_MS = 2_000;

/** Joins `room` at `delayMs` after construction, and times it. */
export class LateJoiner {
  readonly #options: { port: number; room: string; readBufferBytes: number };
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #origin: number;
  #startedAt = 0;
  #member: LoadConn | null = null;
  #error: string | null = null;
  #closed = false;

  constructor(
    delayMs: number,
    options: { port: number; room: string; readBufferBytes: number },
  ) {
    this.#options = options;
    this.#origin = performance.now();
    this.#timer = setTimeout(() => this.#join(), delayMs);
  }

  /** Timings so far; a step not reached yet is null. */
  result(): LateJoinResult {
    const member = this.#member;
    const since = (at: number) => at > 0 ? at - this.#startedAt : null;
    return {
      atMs: this.#startedAt > 0 ? this.#startedAt - this.#origin : null,
      joinedMs: member ? since(member.joinedAt) : null,
      caughtUpMs: member ? since(member.caughtUpAt) : null,
      firstMessageMs: member ? since(member.firstDeliverAt) : null,
      error: this.#error,
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#member?.close();
  }

  async #join(): Promise<void> {
    const { port, room, readBufferBytes } = this.#options;
    this.#startedAt = performance.now();
    try {
      const member = await LoadConn.connect(port, room, "late-joiner", {
        shared: createShared(),
        readBufferBytes,
      });
      this.#member = member;
      if (this.#closed) member.close();
      await member.caughtUp;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    }
  }
}

/** A member that stops reading its socket once caught up. */
export class StalledReader {
  readonly #member: LoadConn;
  #sendStartEpochMs: number | null = null;
  #sendStart = 0;
  #resumedAt = 0;
  #bytesAtResume = 0;
  #deliveriesAtResume = 0;

  private constructor(member: LoadConn) {
    this.#member = member;
  }

  /** Joins `room` and stops reading. */
  static async join(port: number, options: { room: string; readBufferBytes: number }) {
    const member = await LoadConn.join(port, options.room, "stalled-reader", {
      shared: createShared(),
      readBufferBytes: options.readBufferBytes,
      stallAfterCaughtUp: true,
    });
    return new StalledReader(member);
  }

  /** Notes when the send phase started (`performance.now()`), to time the relay's verdict. */
  sendStarted(at: number): void {
    this.#sendStart = at;
    this.#sendStartEpochMs = performance.timeOrigin + at;
  }

  /** Reads again, and waits at most `waitMs` for the connection to end. */
  async resume(waitMs: number): Promise<void> {
    this.#resumedAt = performance.now();
    this.#bytesAtResume = this.#member.bytesRead;
    this.#deliveriesAtResume = this.#member.delivered + this.#member.unsequenced;
    this.#member.resume();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => timer = setTimeout(resolve, waitMs));
    await Promise.race([this.#member.closed, expired]);
    clearTimeout(timer);
  }

  result(): StalledResult {
    const member = this.#member;
    const resumed = this.#resumedAt > 0;
    return {
      peer: `127.0.0.1:${member.localPort}`,
      sendStartEpochMs: this.#sendStartEpochMs,
      resumedAtMs: resumed ? this.#resumedAt - this.#sendStart : null,
      unreadBytes: resumed ? member.bytesRead - this.#bytesAtResume : 0,
      unreadDeliveries: resumed
        ? member.delivered + member.unsequenced - this.#deliveriesAtResume
        : 0,
      ended: member.closeCode || member.endedBy || "open",
      relay: null,
    };
  }

  close(): void {
    this.#member.close();
  }
}
