/**
 * One simulated member for the load process: a raw TCP connection speaking the real protocol
 * (hello, join, send; frames built with `encodeMessage`/`encodeSend`, read with
 * `decodeMessage`), which counts what the relay delivers and times acknowledgements.
 *
 * Deliveries are the hot path: a 1,000-member flood brings millions of them a second to one
 * process, which must not be the bottleneck. `FrameDecoder` copies every frame into a fresh array
 * (a profile of the load put 30 % of its time there), so frames are split in place in the reused
 * read buffer instead. A `deliver` frame is read for only the two fields the bench needs (its seq
 * and the send time in the first 8 bytes of the fake sealed body) and `presence` only counted,
 * where `decodeMessage` would decode strings. The first deliver on each connection is also fully
 * decoded and compared, so a change to the frame layout shows up as `decode_mismatch`, not as
 * bad numbers.
 *
 * A member can also be told to stop reading once caught up (`stallAfterCaughtUp`), to play the
 * slow reader the relay must disconnect, and records when its `joined`, `caught_up` and first
 * `deliver` arrived, for the late joiner the flood cell times.
 */
import {
  CURRENT_KDF,
  decodeMessage,
  encodeMessage,
  FrameType,
  KEY_CHECK_BYTES,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
  MESSAGE_ID_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  SALT_BYTES,
} from "../protocol.ts";
import { coalesce, readF64, readU32 } from "./bytes.ts";
import { Histogram } from "./histogram.ts";
import { RandomPool } from "./bytes.ts";
import type { Sender } from "./sender.ts";

/** PBKDF2 iterations the bench's rooms claim; the relay stores them without deriving anything. */
export const BENCH_ITERATIONS = 1_200_000;
const SALT = new Uint8Array(SALT_BYTES).fill(7);
const KEY_CHECK = new Uint8Array(KEY_CHECK_BYTES).fill(9);
const TWO_TO_32 = 2 ** 32;

/** What all connections of one load process share: clock, histograms and counters. */
export interface LoadShared {
  readonly ackLatency: Histogram;
  readonly deliverLatency: Histogram;
  /** performance.now() after which deliveries no longer count as "in the window". */
  windowEndsAt: number;
  deliveriesInWindow: number;
  errors: Record<string, number>;
  presenceFrames: number;
  ids: RandomPool;
}

/** Counters and histograms for one load process, or for members kept out of its figures. */
export function createShared(): LoadShared {
  return {
    ackLatency: new Histogram(),
    deliverLatency: new Histogram(),
    windowEndsAt: Infinity,
    deliveriesInWindow: 0,
    errors: {},
    presenceFrames: 0,
    ids: new RandomPool(),
  };
}

/** One member: connects, joins, then reads until closed. */
export class LoadConn {
  readonly room: string;
  readonly name: string;
  readonly shared: LoadShared;
  /** The member's own port, as the relay's log names it (`127.0.0.1:<port>`). */
  readonly localPort: number;
  readonly #conn: Deno.TcpConn;
  readonly #readBufferBytes: number;
  readonly #stallAfterCaughtUp: boolean;
  readonly #caughtUp = Promise.withResolvers<void>();
  readonly #resumed = Promise.withResolvers<void>();
  readonly #closed = Promise.withResolvers<void>();
  #queue: Uint8Array[] = [];
  #writing = false;
  /** Deliveries of stored (sequenced) messages, and of unstored ones (seq 0). */
  delivered = 0;
  unsequenced = 0;
  /** Deliveries whose seq was not above the previous one. */
  outOfOrder = 0;
  #lastSeq = 0;
  #checkedLayout = false;
  closedByServer = false;
  closeCode = "";
  /** How reading ended: "eof", the read error's name, or "" while still reading. */
  endedBy = "";
  bytesRead = 0;
  /** performance.now() when `joined`, `caught_up` and the first `deliver` arrived; 0 until then. */
  joinedAt = 0;
  caughtUpAt = 0;
  firstDeliverAt = 0;
  sender: Sender | null = null;

  private constructor(conn: Deno.TcpConn, room: string, name: string, options: ConnOptions) {
    this.#conn = conn;
    this.room = room;
    this.name = name;
    this.shared = options.shared;
    this.#readBufferBytes = options.readBufferBytes;
    this.#stallAfterCaughtUp = options.stallAfterCaughtUp ?? false;
    this.localPort = conn.localAddr.port;
  }

  /** Connects and joins; resolves once the member is live (caught up). */
  static async join(port: number, room: string, name: string, options: ConnOptions) {
    const member = await LoadConn.connect(port, room, name, options);
    await member.caughtUp;
    return member;
  }

  /** Connects and sends hello and join without waiting for the answer. */
  static async connect(port: number, room: string, name: string, options: ConnOptions) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port, transport: "tcp" });
    conn.setNoDelay(true);
    const member = new LoadConn(conn, room, name, options);
    member.#readLoop();
    member.write(
      encodeMessage({
        type: "hello",
        minVersion: PROTOCOL_VERSION,
        maxVersion: PROTOCOL_VERSION,
        software: "bench",
      }),
    );
    member.write(encodeMessage({
      type: "join",
      room,
      name,
      params: { salt: SALT, iterations: BENCH_ITERATIONS, kdf: CURRENT_KDF },
      keyCheck: KEY_CHECK,
      catchup: { kind: "history", limit: 0 },
      resumeToken: new Uint8Array(0),
    }));
    return member;
  }

  /** Resolves once caught up; rejects if the connection ends or is refused first. */
  get caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  /** Resolves once reading has ended (the relay closed the connection, or `close`). */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Starts reading again after a stall. */
  resume(): void {
    this.#resumed.resolve();
  }

  /** Queues bytes; everything queued in one turn leaves in one write. */
  write(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => this.#writeLoop());
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed by the relay.
    }
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.closedByServer) {
        const batch = coalesce(this.#queue);
        this.#queue = [];
        let written = 0;
        while (written < batch.length) written += await this.#conn.write(batch.subarray(written));
      }
    } catch {
      this.#queue = [];
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop(): Promise<void> {
    let buffer = new Uint8Array(this.#readBufferBytes);
    let filled = 0;
    try {
      while (true) {
        const count = await this.#conn.read(buffer.subarray(filled));
        if (count === null) {
          this.endedBy = "eof";
          break;
        }
        filled += count;
        this.bytesRead += count;
        const now = performance.now();
        // Frames are handled where they lie in the buffer; only a partial one at the end moves.
        let offset = 0;
        while (filled - offset >= LENGTH_PREFIX_BYTES) {
          const length = readU32(buffer, offset);
          if (length === 0 || length > MAX_FRAME_BYTES) {
            throw new ProtocolError("frame_too_large", `Bad frame length ${length}`);
          }
          const end = offset + LENGTH_PREFIX_BYTES + length;
          if (end > filled) break;
          this.#frame(buffer.subarray(offset + LENGTH_PREFIX_BYTES, end), now);
          offset = end;
        }
        buffer.copyWithin(0, offset, filled);
        filled -= offset;
        if (filled >= LENGTH_PREFIX_BYTES) {
          const needed = LENGTH_PREFIX_BYTES + readU32(buffer, 0);
          if (needed > buffer.length) {
            const larger = new Uint8Array(needed);
            larger.set(buffer.subarray(0, filled));
            buffer = larger;
          }
        }
        this.sender?.pump();
        // The socket is left unread from here: the relay's writes back up into its queue.
        if (this.#stallAfterCaughtUp && this.caughtUpAt > 0) await this.#resumed.promise;
      }
    } catch (error) {
      this.endedBy = errorName(error);
      if (!(error instanceof Deno.errors.BadResource)) this.#fail(`read_${errorName(error)}`);
    }
    this.closedByServer = true;
    this.#caughtUp.reject(new Error(`${this.name}: closed ${this.closeCode || "by the relay"}`));
    this.#closed.resolve();
  }

  /** Handles one frame body; `frame` is a view into the read buffer, valid only during the call. */
  #frame(frame: Uint8Array, now: number): void {
    if (frame[0] === FrameType.deliver) return this.#deliver(frame, now);
    if (frame[0] === FrameType.presence || frame[0] === FrameType.presence_summary) {
      this.shared.presenceFrames++;
      return;
    }
    const message = decodeMessage(frame);
    switch (message.type) {
      case "joined":
        this.joinedAt = now;
        return;
      case "caught_up":
        this.caughtUpAt = now;
        this.#caughtUp.resolve();
        return;
      case "ack":
        this.sender?.answered(message.id, now);
        return;
      case "nack":
        this.#fail(`nack_${message.code}`);
        this.sender?.answered(message.id, now, false);
        return;
      case "ping":
        this.write(encodeMessage({ type: "pong", token: message.token }));
        return;
      case "error":
        this.#fail(message.code);
        if (message.fatal) this.closeCode = message.code;
        this.#caughtUp.reject(new Error(`${this.name}: ${message.code}: ${message.message}`));
        return;
    }
  }

  #deliver(frame: Uint8Array, now: number): void {
    let offset = 2 + frame[1]!;
    const seq = readU32(frame, offset) * TWO_TO_32 + readU32(frame, offset + 4);
    offset += 16;
    offset += 1 + frame[offset]! + MESSAGE_ID_BYTES;
    const sentAt = readF64(frame, offset);
    if (!this.#checkedLayout) {
      this.#checkedLayout = true;
      const full = decodeMessage(frame);
      if (full.type !== "deliver" || full.seq !== seq || readF64(full.sealed, 0) !== sentAt) {
        this.#fail("decode_mismatch");
      }
    }
    if (this.firstDeliverAt === 0) this.firstDeliverAt = now;
    if (seq === 0) {
      this.unsequenced++;
    } else {
      this.delivered++;
      if (seq <= this.#lastSeq) this.outOfOrder++;
      this.#lastSeq = seq;
    }
    if (now <= this.shared.windowEndsAt) this.shared.deliveriesInWindow++;
    this.shared.deliverLatency.record(now - sentAt);
  }

  #fail(code: string): void {
    countError(this.shared, code);
  }
}

/** Options every connection of a load process shares. */
export interface ConnOptions {
  shared: LoadShared;
  readBufferBytes: number;
  /** Stop reading once caught up, until `resume`. */
  stallAfterCaughtUp?: boolean;
}

/** Counts one occurrence of an error or anomaly by code. */
export function countError(shared: LoadShared, code: string): void {
  shared.errors[code] = (shared.errors[code] ?? 0) + 1;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}
