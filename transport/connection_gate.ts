/**
 * The relay's accept loop and its socket accounting. Every accepted socket counts, from accept
 * until it is closed, against a total cap and a cap per peer address (transport/address.ts);
 * one over a cap is sent a fatal `too_many_connections` frame and closed. Accept errors (EMFILE,
 * ENFILE, ECONNABORTED, anything) never end the loop: they are logged once per burst and the
 * loop backs off, while connections already accepted are served on. Only closing the gate ends
 * it. What a connection carries (plain frames, TLS) is the caller's business: it is handed the
 * socket to serve or to refuse, and the gate closes it afterwards regardless.
 */
import { encodeMessage } from "../protocol.ts";
import { AcceptBackoff } from "./accept_backoff.ts";
import { addressKey } from "./address.ts";
import { formatAddress } from "./stream_connection.ts";

/** Connections one address may hold at once unless told otherwise. */
export const DEFAULT_MAX_PER_ADDRESS = 32;
/**
 * Sockets being refused at once: each is sent a short frame before it is closed. Past this, a
 * socket over a cap is closed at once without a word, so refusing cannot itself use up
 * descriptors.
 */
export const MAX_REFUSING = 16;
/** How long refusing one socket may take, writing its frame (and a TLS handshake) included. */
export const REFUSAL_MS = 2_000;
/** Retry hint in a refusal: connections come and go within seconds. */
const REFUSAL_RETRY_MS = 1_000;
/**
 * Descriptors left for the rest of the process (storage, the runtime) when the cap comes down to
 * what the open-file limit allows, besides those kept for refusing.
 */
const LIMIT_SLACK = 8;

/** Why a socket is refused: the relay is full, or its address holds its share. */
export type Refusal = "server_full" | "address_full";

/** What the gate needs of an accepted socket. */
export interface GateConn {
  readonly remoteAddr: Deno.Addr;
  close(): void;
}

/** What the gate needs of a listener; `Deno.Listener` is one. */
export interface GateListener<C extends GateConn> {
  accept(): Promise<C>;
  close(): void;
}

/** Caps, handlers and (for tests) the clock of a gate. */
export interface ConnectionGateOptions<C extends GateConn> {
  /** Sockets open at once, refused ones aside. */
  maxConnections: number;
  /** Sockets open at once from one address (an IPv4 address, an IPv6 /64); 0 for no limit. */
  maxPerAddress: number;
  /** Serves a socket that was let in; resolves once done with it. */
  serve(conn: C): Promise<void>;
  /** Sends `finalFrame` on a socket over a cap and closes it; bounded by the gate. */
  refuse(conn: C, finalFrame: Uint8Array): Promise<void>;
  log(line: string): void;
  maxRefusing?: number;
  refusalMs?: number;
  /** The backoff's clock (transport/accept_backoff.ts); fakes let tests skip the waiting. */
  now?(): number;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

/** Accepts sockets from a listener until closed, within its caps. */
export class ConnectionGate<C extends GateConn> {
  readonly #listener: GateListener<C>;
  readonly #options: ConnectionGateOptions<C>;
  readonly #maxRefusing: number;
  readonly #refusalMs: number;
  readonly #stop = new AbortController();
  readonly #perAddress = new Map<string, number>();
  readonly #handlers = new Set<Promise<void>>();
  readonly #done: Promise<void>;
  #maxConnections: number;
  #open = 0;
  #refusing = 0;
  /** Sockets closed without a word since refusing was last full. */
  #dropped = 0;

  constructor(listener: GateListener<C>, options: ConnectionGateOptions<C>) {
    if (options.maxConnections < 1) throw new RangeError("maxConnections must be at least 1");
    this.#listener = listener;
    this.#options = options;
    this.#maxConnections = options.maxConnections;
    this.#maxRefusing = options.maxRefusing ?? MAX_REFUSING;
    this.#refusalMs = options.refusalMs ?? REFUSAL_MS;
    this.#done = this.#acceptLoop();
  }

  /** Sockets let in and not yet closed. */
  get openSockets(): number {
    return this.#open;
  }

  /**
   * The cap on sockets open at once: `maxConnections`, or less once the open-file limit was
   * reached below it.
   */
  get maxConnections(): number {
    return this.#maxConnections;
  }

  /** Sockets being refused and not yet closed. */
  get refusingSockets(): number {
    return this.#refusing;
  }

  /** Stops accepting and closes the listener; sockets already in are left to their handlers. */
  async close(): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort();
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
    }
    await this.#done;
  }

  /** Resolves once every socket the gate accepted has been served or refused, and closed. */
  async settled(): Promise<void> {
    while (this.#handlers.size > 0) await Promise.all(this.#handlers);
  }

  async #acceptLoop(): Promise<void> {
    const backoff = new AcceptBackoff({
      log: this.#options.log,
      signal: this.#stop.signal,
      ...(this.#options.now ? { now: this.#options.now } : {}),
      ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
    });
    while (!this.#stop.signal.aborted) {
      let conn: C;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        // Closing the listener is how the loop is told to end; any other failure is waited out.
        if (this.#stop.signal.aborted) break;
        if (isDescriptorExhaustion(error)) this.#fitToLimit();
        await backoff.failed(error);
        continue;
      }
      backoff.succeeded();
      if (this.#stop.signal.aborted) {
        closeQuietly(conn);
        break;
      }
      this.#admit(conn);
    }
    backoff.end();
  }

  #admit(conn: C): void {
    const remote = conn.remoteAddr;
    const key = remote.transport === "tcp" ? addressKey(remote.hostname) : remote.transport;
    const fromAddress = this.#perAddress.get(key) ?? 0;
    const max = this.#options.maxPerAddress;
    const refusal: Refusal | null = this.#open >= this.#maxConnections
      ? "server_full"
      : max > 0 && fromAddress >= max
      ? "address_full"
      : null;
    if (refusal) return this.#refuse(conn, refusal);
    this.#open++;
    this.#perAddress.set(key, fromAddress + 1);
    this.#track(conn, this.#options.serve(conn), () => {
      this.#open--;
      const left = (this.#perAddress.get(key) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(key, left);
      else this.#perAddress.delete(key);
    });
  }

  /**
   * The open-file limit was reached (it cannot always be read beforehand: Deno needs --allow-all
   * for /proc/self/limits): cap connections where they leave room for refusing and some slack,
   * so that from now on a socket past the cap is refused in words rather than left unaccepted.
   */
  #fitToLimit(): void {
    const fits = Math.max(1, this.#open + this.#refusing - this.#maxRefusing - LIMIT_SLACK);
    if (fits >= this.#maxConnections) return;
    this.#options.log(
      `open-file limit reached with ${this.#open} connection(s) open: capping connections ` +
        `at ${fits} (was ${this.#maxConnections})`,
    );
    this.#maxConnections = fits;
  }

  #refuse(conn: C, refusal: Refusal): void {
    const peer = formatAddress(conn.remoteAddr);
    if (this.#refusing >= this.#maxRefusing) {
      if (this.#dropped++ === 0) {
        this.#options.log(
          `${peer} closed at once: ${this.#refusing} connections are being refused already`,
        );
      }
      closeQuietly(conn);
      return;
    }
    this.#options.log(
      `${peer} refused: ${
        refusal === "server_full" ? "connection limit reached" : "its address holds its share"
      }`,
    );
    this.#refusing++;
    // Caught before the deadline races it: a late failure must not go unhandled.
    const refusing = this.#options.refuse(conn, refusalFrame(refusal))
      .catch((error) => this.#options.log(`${peer} refusing failed: ${describe(error)}`));
    const refused = withDeadline(refusing, this.#refusalMs);
    this.#track(conn, refused, () => {
      this.#refusing--;
      if (this.#refusing === 0 && this.#dropped > 0) {
        this.#options.log(`closed ${this.#dropped} connection(s) at once while refusing was full`);
        this.#dropped = 0;
      }
    });
  }

  /** Runs `handled` to its end, then closes the socket for sure and frees its place. */
  #track(conn: C, handled: Promise<void>, release: () => void): void {
    const peer = formatAddress(conn.remoteAddr);
    const tracked = handled
      .catch((error) => this.#options.log(`${peer} failed: ${describe(error)}`))
      .finally(() => {
        closeQuietly(conn);
        release();
        this.#handlers.delete(tracked);
      });
    this.#handlers.add(tracked);
  }
}

/** The fatal error frame a refused socket is sent. */
export function refusalFrame(refusal: Refusal): Uint8Array {
  return encodeMessage({
    type: "error",
    code: "too_many_connections",
    room: "",
    message: refusal === "server_full"
      ? "The server has too many connections; try again later"
      : "Too many connections from your address; close some and try again",
    fatal: true,
    retryAfterMs: REFUSAL_RETRY_MS,
  });
}

function closeQuietly(conn: GateConn): void {
  try {
    conn.close();
  } catch {
    // Closed already: what matters is that it is closed.
  }
}

/** EMFILE or ENFILE: the process or the system has no descriptor left. */
function isDescriptorExhaustion(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = "code" in error ? error.code : undefined;
  return code === "EMFILE" || code === "ENFILE" || /too many open files/i.test(error.message);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `promise`, or nothing once `ms` have passed. */
async function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}
