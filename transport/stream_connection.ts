/**
 * `FrameConnection` over a Deno stream connection (TCP or TLS). Reads with a `conn.read` loop into
 * one reused buffer and writes each turn's queued frames as one coalesced write, with a bound on
 * how much may wait for a peer that does not read.
 */
import { setImmediate } from "node:timers";
import { FrameDecoder, MAX_FRAME_BYTES, ProtocolError } from "../protocol.ts";
import type { SendBudget } from "./send_budget.ts";
import type { FrameConnection } from "./types.ts";

/** Default bound on bytes waiting to be written to one peer. */
export const DEFAULT_MAX_QUEUE_BYTES = 1024 * 1024;
/** How long closing waits for queued bytes to leave before dropping them. */
export const CLOSE_FLUSH_MS = 2_000;
/** First read buffer: small, so an idle connection costs little memory. */
const MIN_READ_BUFFER_BYTES = 2 * 1024;
/** Largest read buffer, grown to by connections whose reads keep filling it. */
const MAX_READ_BUFFER_BYTES = 64 * 1024;

/** Options for wrapping a stream connection. */
export interface StreamConnectionOptions {
  maxQueueBytes?: number;
  maxFrameBytes?: number;
  /** A budget shared with other connections: reading pauses while it is congested. */
  budget?: SendBudget;
}

/** A framed connection over `Deno.Conn`. */
export class StreamConnection implements FrameConnection {
  readonly peer: string;
  readonly #conn: Deno.Conn;
  readonly #maxQueueBytes: number;
  readonly #maxFrameBytes: number;
  readonly #budget: SendBudget | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Bytes of the batch being written now, part of `#queuedBytes`. */
  #writingBytes = 0;
  #writing: Promise<void> | null = null;
  #closing = false;
  #closed = false;

  constructor(conn: Deno.Conn, options: StreamConnectionOptions = {}) {
    this.#conn = conn;
    this.peer = formatAddress(conn.remoteAddr);
    this.#maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#budget = options.budget;
    // Only a plain TCP connection has setNoDelay; a TLS one reports "tcp" as its transport too.
    if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** False once closing has begun or a write failed: nothing more can be sent. */
  get open(): boolean {
    return !this.#closing;
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    let buffer = new Uint8Array(MIN_READ_BUFFER_BYTES);
    const decoder = new FrameDecoder(this.#maxFrameBytes);
    while (true) {
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch (error) {
        if (this.#closed || isConnectionGone(error)) return;
        throw error;
      }
      if (count === null) {
        if (decoder.bufferedBytes > 0) {
          throw new ProtocolError("bad_frame", "Connection closed in the middle of a frame");
        }
        return;
      }
      const frames = decoder.push(buffer.subarray(0, count));
      // A read that fills the buffer suggests more is waiting: read bigger next time.
      if (count === buffer.length && buffer.length < MAX_READ_BUFFER_BYTES) {
        buffer = new Uint8Array(buffer.length * 2);
      }
      for (const frame of frames) {
        // Checked before each frame, not each read: one read can hold hundreds of messages.
        if (this.#budget?.congested) await this.#budget.whenClear();
        yield frame;
      }
      decoder.check();
    }
  }

  send(frame: Uint8Array): boolean {
    if (this.#closing || this.#queuedBytes + frame.length > this.#maxQueueBytes) return false;
    this.#enqueue(frame);
    return true;
  }

  async close(finalFrame?: Uint8Array): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#queuedBytes + (finalFrame?.length ?? 0) > this.#maxQueueBytes) {
      this.#queue = [];
      this.#setQueued(this.#writingBytes);
    }
    if (finalFrame) this.#enqueue(finalFrame);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_FLUSH_MS));
    await Promise.race([this.drained(), deadline]);
    clearTimeout(timer);
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer or the runtime: closing is done either way.
    }
  }

  #enqueue(frame: Uint8Array): void {
    this.#queue.push(frame);
    this.#setQueued(this.#queuedBytes + frame.length);
    this.#writing ??= this.#writeLoop();
  }

  #setQueued(bytes: number): void {
    this.#budget?.track(this.#queuedBytes, bytes);
    this.#queuedBytes = bytes;
  }

  async drained(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #writeLoop(): Promise<void> {
    // Let everything this turn of the event loop handles queue its frames, so they leave in one
    // write: setImmediate runs after all pending I/O callbacks, a microtask after this one only.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = coalesce(this.#queue);
        this.#queue = [];
        this.#writingBytes = batch.length;
        let written = 0;
        while (written < batch.length) {
          written += await this.#conn.write(batch.subarray(written));
        }
        this.#writingBytes = 0;
        this.#setQueued(this.#queuedBytes - batch.length);
      }
    } catch {
      // A failed write means the peer is gone whatever the error says; its reader sees the end.
      this.#queue = [];
      this.#writingBytes = 0;
      this.#setQueued(0);
      this.#closing = true;
    } finally {
      this.#writing = null;
    }
  }
}

/** "host:port", with IPv6 hosts in brackets. */
export function formatAddress(address: Deno.Addr): string {
  if (address.transport === "tcp" || address.transport === "udp") {
    const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
    return `${host}:${address.port}`;
  }
  return address.transport;
}

function coalesce(frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0]!;
  let total = 0;
  for (const frame of frames) total += frame.length;
  const batch = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    batch.set(frame, offset);
    offset += frame.length;
  }
  return batch;
}

function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    // A TLS peer that closed without close_notify: gone all the same (frames carry their length).
    error instanceof Deno.errors.UnexpectedEof;
}
