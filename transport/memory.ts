/**
 * Two `FrameConnection`s joined back to back in memory, for testing the relay and the client
 * without sockets. Frames pass through the real decoder, so framing limits apply as on the wire.
 */
import { FrameDecoder, MAX_FRAME_BYTES, ProtocolError } from "../protocol.ts";
import type { FrameConnection } from "./types.ts";

/** A connected pair: what one end sends, the other receives. */
export function memoryPair(
  options: { maxQueueBytes?: number; labels?: [string, string]; addresses?: [string, string] } = {},
): [MemoryConnection, MemoryConnection] {
  const [a, b] = options.labels ?? ["memory-a", "memory-b"];
  // Each end's `address` is the other end's: it is whom this end talks to.
  const [addressA, addressB] = options.addresses ?? [b, a];
  const left = new MemoryConnection(a, addressA, options.maxQueueBytes ?? Infinity);
  const right = new MemoryConnection(b, addressB, options.maxQueueBytes ?? Infinity);
  left.remote = right;
  right.remote = left;
  return [left, right];
}

/** One end of a `memoryPair`. Frames sent stay queued until the other end reads them. */
export class MemoryConnection implements FrameConnection {
  readonly peer: string;
  readonly address: string;
  remote: MemoryConnection | null = null;
  readonly #maxQueueBytes: number;
  readonly #decoder = new FrameDecoder(MAX_FRAME_BYTES);
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #failure: ProtocolError | null = null;
  #ended = false;
  #wake: (() => void) | null = null;
  #readWaiters: (() => void)[] = [];

  constructor(peer: string, address: string, maxQueueBytes: number) {
    this.peer = peer;
    this.address = address;
    this.#maxQueueBytes = maxQueueBytes;
  }

  /** Bytes the other end has sent that this end has not read: the sender's queue. */
  get queuedBytes(): number {
    return this.remote?.unreadBytes ?? 0;
  }

  get open(): boolean {
    return !this.#ended;
  }

  /** Bytes received and not yet read through `frames()`. */
  get unreadBytes(): number {
    return this.#inboxBytes;
  }

  /** Feeds raw bytes as if they arrived on the wire, framing errors included. */
  receiveRaw(bytes: Uint8Array): void {
    try {
      for (const frame of this.#decoder.push(bytes)) {
        this.#inbox.push(frame);
        this.#inboxBytes += frame.length + 4;
      }
      this.#decoder.check();
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#failure = error;
    }
    this.#notify();
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    while (true) {
      const frame = this.#inbox.shift();
      if (frame) {
        this.#inboxBytes -= frame.length + 4;
        if (this.#inboxBytes === 0) this.#wakeReaders();
        yield frame;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  send(frame: Uint8Array): boolean {
    const remote = this.remote;
    if (this.#ended || !remote) return false;
    if (this.queuedBytes + frame.length > this.#maxQueueBytes) return false;
    remote.receiveRaw(frame);
    return true;
  }

  /** Resolves once the other end has read everything sent to it, or either end has closed. */
  drained(): Promise<void> {
    const remote = this.remote;
    if (!remote || this.#ended || remote.unreadBytes === 0) return Promise.resolve();
    return new Promise((resolve) => remote.#readWaiters.push(resolve));
  }

  close(finalFrame?: Uint8Array): Promise<void> {
    const remote = this.remote;
    if (remote && this.queuedBytes + (finalFrame?.length ?? 0) > this.#maxQueueBytes) {
      remote.dropUnread();
    }
    if (finalFrame && !this.#ended) remote?.receiveRaw(finalFrame);
    this.endOfStream();
    this.remote?.endOfStream();
    return Promise.resolve();
  }

  /** Discards frames received and not yet read, as a closing sender drops its full queue. */
  dropUnread(): void {
    this.#inbox = [];
    this.#inboxBytes = 0;
    this.#wakeReaders();
  }

  /** Ends this end's frame stream, as a closed socket would. */
  endOfStream(): void {
    this.#ended = true;
    this.#notify();
    this.#wakeReaders();
  }

  #wakeReaders(): void {
    for (const wake of this.#readWaiters.splice(0)) wake();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
