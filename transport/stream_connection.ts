/**
 * `FrameConnection` over a Deno stream connection (TCP or TLS). Reads with a `conn.read` loop into
 * one reused buffer, pausing while the relay-wide output budget is congested; writes go through
 * an `OutputQueue`.
 */
import { FrameDecoder, MAX_FRAME_BYTES, type OversizedFrames, ProtocolError } from "../protocol.ts";
import { addressKey } from "./address.ts";
import { OutputQueue } from "./output_queue.ts";
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
  /** What to do with a frame over the limit (default "fail"); clients truncate the relay's. */
  oversizedFrames?: OversizedFrames;
  /** A budget shared with other connections: reading pauses while it is congested. */
  budget?: SendBudget;
}

/** A framed connection over `Deno.Conn`. */
export class StreamConnection implements FrameConnection {
  readonly peer: string;
  readonly address: string;
  readonly #conn: Deno.Conn;
  readonly #maxFrameBytes: number;
  readonly #oversized: OversizedFrames;
  readonly #budget: SendBudget | undefined;
  readonly #output: OutputQueue;
  readonly #socketClosed = Promise.withResolvers<void>();
  #closing = false;
  #closed = false;

  constructor(conn: Deno.Conn, options: StreamConnectionOptions = {}) {
    this.#conn = conn;
    this.peer = formatAddress(conn.remoteAddr);
    const remote = conn.remoteAddr;
    this.address = remote.transport === "tcp" ? addressKey(remote.hostname) : this.peer;
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#oversized = options.oversizedFrames ?? "fail";
    this.#budget = options.budget;
    this.#output = new OutputQueue(async (batch) => {
      let written = 0;
      while (written < batch.length) written += await conn.write(batch.subarray(written));
    }, { maxBytes: options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES, budget: options.budget });
    // Only a plain TCP connection has setNoDelay; a TLS one reports "tcp" as its transport too.
    if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
  }

  /** Resolves once `close` has closed the socket. */
  get closed(): Promise<void> {
    return this.#socketClosed.promise;
  }

  get queuedBytes(): number {
    return this.#output.bytes;
  }

  /** False once closing has begun or a write failed: nothing more can be sent. */
  get open(): boolean {
    return !this.#closing && !this.#output.failed;
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    let buffer = new Uint8Array(MIN_READ_BUFFER_BYTES);
    const decoder = new FrameDecoder(this.#maxFrameBytes, { oversized: this.#oversized });
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
    return !this.#closing && this.#output.push(frame);
  }

  async close(finalFrame?: Uint8Array): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#output.pushLast(finalFrame);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_FLUSH_MS));
    await Promise.race([this.#output.drained(), deadline]);
    clearTimeout(timer);
    this.#output.stop();
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer or the runtime: closing is done either way.
    }
    this.#socketClosed.resolve();
  }

  drained(): Promise<void> {
    return this.#output.drained();
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

/** Whether a read or write failed only because the peer or the runtime closed the socket. */
export function isConnectionGone(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    // A TLS peer that closed without close_notify: gone all the same (frames carry their length).
    error instanceof Deno.errors.UnexpectedEof;
}
