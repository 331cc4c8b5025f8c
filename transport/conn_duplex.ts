/**
 * A `node:stream` Duplex over an accepted `Deno.Conn`, so that a `node:tls` server socket can run
 * on a connection the relay accepted itself (with its own accept loop and socket accounting).
 * It owns the connection: `closed` resolves once the socket is really closed, which happens when
 * the stream is destroyed, after a bounded linger that lets the TLS layer's last bytes out.
 * It knows nothing about TLS or frames.
 */
import { Duplex } from "node:stream";
import { setImmediate } from "node:timers";
import { isConnectionGone } from "./stream_connection.ts";

/** How long a destroyed stream waits for writes already under way before closing the socket. */
export const LINGER_MS = 1_000;
/** First read buffer: small, so an idle or stalled connection costs little memory. */
const MIN_READ_BUFFER_BYTES = 2 * 1024;
/** Largest read buffer, grown to by connections whose reads keep filling it. */
const MAX_READ_BUFFER_BYTES = 16 * 1024;

/** A Duplex that reads and writes `conn` and closes it when destroyed. */
export class ConnDuplex extends Duplex {
  readonly #conn: Deno.Conn;
  readonly #lingerMs: number;
  readonly #socketClosed = Promise.withResolvers<void>();
  #buffer = new Uint8Array(MIN_READ_BUFFER_BYTES);
  #reading = false;
  #writes = 0;
  #writesDone: (() => void) | null = null;
  #destroying = false;
  #firstBytes: Uint8Array | null = null;

  constructor(conn: Deno.Conn, options: { lingerMs?: number } = {}) {
    // Half-open: the peer's FIN must not end our side before close_notify goes out.
    super({ allowHalfOpen: true });
    this.#conn = conn;
    this.#lingerMs = options.lingerMs ?? LINGER_MS;
  }

  /** The first bytes the peer sent (up to 8), or null before any arrived: what it speaks. */
  get firstBytes(): Uint8Array | null {
    return this.#firstBytes;
  }

  /** Resolves once the socket is closed. */
  get socketClosed(): Promise<void> {
    return this.#socketClosed.promise;
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#conn.read(this.#buffer).then((count) => {
      this.#reading = false;
      if (count === null) {
        this.push(null);
        return;
      }
      this.#firstBytes ??= this.#buffer.slice(0, Math.min(count, 8));
      const more = this.push(this.#buffer.slice(0, count));
      // A read that fills the buffer suggests more is waiting: read bigger next time.
      if (count === this.#buffer.length && count < MAX_READ_BUFFER_BYTES) {
        this.#buffer = new Uint8Array(count * 2);
      }
      if (more) this._read();
    }, (error: unknown) => {
      this.#reading = false;
      // A read cut short by our own close is no error; a reset peer is simply gone.
      if (this.#destroying) return;
      this.push(null);
      if (!isConnectionGone(error)) this.destroy(error as Error);
    });
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    this.#writes++;
    this.#writeAll(chunk).then(() => callback(), (error: Error) => callback(error)).finally(() => {
      if (--this.#writes === 0) this.#writesDone?.();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    // The TLS layer ended its side (close_notify written): send FIN, keep reading the peer's.
    this.#conn.closeWrite().then(() => callback(), () => callback());
  }

  /**
   * Closes the socket soon rather than at once: a TLS socket destroys its transport in the same
   * turn as it queues its last record (an alert for a refused handshake), which leaves a
   * microtask later; without the linger the peer would see a bare close instead of the alert.
   */
  override destroy(error?: Error): this {
    if (this.#destroying) return this;
    this.#destroying = true;
    setImmediate(() => this.#finish(error));
    return this;
  }

  async #finish(error: Error | undefined): Promise<void> {
    if (this.#writes > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#writesDone = resolve),
        new Promise<void>((resolve) => timer = setTimeout(resolve, this.#lingerMs)),
      ]);
      clearTimeout(timer);
    }
    try {
      this.#conn.close();
    } catch {
      // Already closed: the socket is gone either way.
    }
    this.#socketClosed.resolve();
    super.destroy(error);
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    let written = 0;
    while (written < chunk.length) written += await this.#conn.write(chunk.subarray(written));
  }
}
