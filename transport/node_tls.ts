/**
 * The client's TLS transport, on `node:tls`: Deno's own TLS client cannot show the peer's
 * certificate, and the client must see it (to compare fingerprints) before it sends anything.
 * `connectTls` does the handshake and reports what the server showed; `NodeTlsConnection` then
 * carries frames over the socket (the relay's server sockets too, transport/tls_server.ts)
 * with the same limits and semantics as `StreamConnection`:
 * the same frame decoder, writes coalesced per turn behind the same bounded queue, and the same
 * bounded flush on close. It decides nothing about trust: that is the caller's.
 */
import { isIP } from "node:net";
import tls from "node:tls";
import { FrameDecoder, MAX_FRAME_BYTES, type OversizedFrames, ProtocolError } from "../protocol.ts";
import {
  CLOSE_FLUSH_MS,
  DEFAULT_MAX_QUEUE_BYTES,
  type StreamConnectionOptions,
} from "./stream_connection.ts";
import { addressKey } from "./address.ts";
import { OutputQueue } from "./output_queue.ts";
import type { SendBudget } from "./send_budget.ts";
import type { FrameConnection } from "./types.ts";
import { sshFromHex } from "./tls_fingerprint.ts";

/** Unread bytes past which the socket is paused until the reader catches up. */
const READ_HIGH_WATER_BYTES = 256 * 1024;

/** Where to connect and whom to believe. */
export interface TlsTarget {
  host: string;
  port: number;
  /** PEM certificates of the authorities to trust instead of the system's (--ca). */
  ca?: string;
  /** How long connecting and the handshake may take together. */
  timeoutMs: number;
}

/** What the server showed in the handshake. */
export interface TlsPeer {
  /** The certificate's `SHA256:...` fingerprint. */
  fingerprint: string;
  /** Colon-hex form of the same digest, as openssl prints it. */
  hexFingerprint: string;
  /** The certificate chains to a trusted authority and names the host. */
  authorized: boolean;
  /** Why not, as the TLS library's code (DEPTH_ZERO_SELF_SIGNED_CERT, ...), or null. */
  authorizationError: string | null;
  /** The negotiated protocol, e.g. TLSv1.3. */
  protocol: string | null;
}

/** Why connecting failed: "refused", "timeout", "handshake" (TLS itself failed) or "network". */
export class TlsConnectError extends Error {
  readonly kind: "refused" | "timeout" | "handshake" | "network";

  constructor(kind: TlsConnectError["kind"], message: string) {
    super(message);
    this.name = "TlsConnectError";
    this.kind = kind;
  }
}

/**
 * Connects and completes the TLS handshake without checking the certificate (the caller does,
 * from `peer`), then returns the socket untouched: nothing has been sent on it yet. Only TLS 1.2
 * and 1.3 are offered. Throws `TlsConnectError`.
 */
export function connectTls(target: TlsTarget): Promise<{ socket: tls.TLSSocket; peer: TlsPeer }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // Checked by the caller against its pins before anything is sent; see module comment.
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      // SNI carries DNS names only (RFC 6066); the name is also what the certificate must match.
      ...(isIP(target.host) ? {} : { servername: target.host }),
      ...(target.ca === undefined ? {} : { ca: target.ca }),
    });
    const timer = setTimeout(
      () => fail(new TlsConnectError("timeout", "no answer in time")),
      target.timeoutMs,
    );
    const onError = (error: Error) => fail(classify(error));
    const onClose = () =>
      fail(new TlsConnectError("handshake", "the server closed the connection"));
    function fail(error: TlsConnectError): void {
      clearTimeout(timer);
      socket.off("close", onClose);
      // A later error on a socket being torn down must not go unhandled.
      socket.on("error", () => {});
      socket.destroy();
      reject(error);
    }
    socket.once("error", onError);
    socket.once("close", onClose);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.off("close", onClose);
      // Until a NodeTlsConnection takes the socket over, an error just leaves it closed.
      socket.on("error", () => {});
      let peer: TlsPeer;
      try {
        const hex = socket.getPeerCertificate().fingerprint256;
        peer = {
          fingerprint: sshFromHex(hex),
          hexFingerprint: hex,
          authorized: socket.authorized,
          authorizationError: errorCode(socket.authorizationError),
          protocol: socket.getProtocol(),
        };
      } catch {
        return fail(new TlsConnectError("handshake", "the server showed no certificate"));
      }
      resolve({ socket, peer });
    });
  });
}

/** Options for `NodeTlsConnection`: those of `StreamConnection`, and who the peer is. */
export interface NodeTlsConnectionOptions extends StreamConnectionOptions {
  /**
   * The peer's IP address, for a socket that cannot tell it (a server socket over a stream the
   * relay accepted itself); by default the socket's own `remoteAddress`.
   */
  remoteHost?: string;
}

/** A framed connection over a connected `node:tls` socket. */
export class NodeTlsConnection implements FrameConnection {
  readonly peer: string;
  readonly address: string;
  readonly #socket: tls.TLSSocket;
  readonly #maxFrameBytes: number;
  readonly #oversized: OversizedFrames;
  readonly #budget: SendBudget | undefined;
  readonly #gone = Promise.withResolvers<void>();
  readonly #output: OutputQueue;
  #closing = false;
  #closeCalled = false;
  #closed = false;
  #inbox: Uint8Array[] = [];
  #unreadBytes = 0;
  #ended = false;
  #failure: Error | null = null;
  #wake: (() => void) | null = null;

  /** Takes over `socket`; `peer` names it in log lines ("host:port"). */
  constructor(socket: tls.TLSSocket, peer: string, options: NodeTlsConnectionOptions = {}) {
    this.#socket = socket;
    this.peer = peer;
    const remoteHost = options.remoteHost ?? socket.remoteAddress;
    this.address = remoteHost ? addressKey(remoteHost) : peer;
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#oversized = options.oversizedFrames ?? "fail";
    this.#budget = options.budget;
    this.#output = new OutputQueue((batch) => this.#writeBatch(batch), {
      maxBytes: options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES,
      budget: options.budget,
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      this.#inbox.push(chunk);
      this.#unreadBytes += chunk.length;
      if (this.#unreadBytes > READ_HIGH_WATER_BYTES) socket.pause();
      this.#signal();
    });
    socket.on("end", () => this.#end());
    socket.on("close", () => {
      this.#end();
      this.#gone.resolve();
    });
    socket.on("error", (error: Error) => {
      if (!this.#closed && !isConnectionGone(error)) this.#failure ??= error;
      this.#end();
    });
    if (socket.destroyed) {
      this.#end();
      this.#gone.resolve();
    }
  }

  get queuedBytes(): number {
    return this.#output.bytes;
  }

  /** False once closing has begun or a write failed: nothing more can be sent. */
  get open(): boolean {
    return !this.#closing && !this.#output.failed;
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    const decoder = new FrameDecoder(this.#maxFrameBytes, { oversized: this.#oversized });
    while (!this.#closed) {
      const chunk = this.#inbox.shift();
      if (chunk !== undefined) {
        this.#unreadBytes -= chunk.length;
        if (this.#unreadBytes <= READ_HIGH_WATER_BYTES / 2 && this.#socket.isPaused()) {
          this.#socket.resume();
        }
        for (const frame of decoder.push(chunk)) {
          // As in StreamConnection: input waits while the relay-wide output backlog is congested.
          if (this.#budget?.congested) await this.#budget.whenClear();
          yield frame;
        }
        decoder.check();
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) {
        if (decoder.bufferedBytes > 0) {
          throw new ProtocolError("bad_frame", "Connection closed in the middle of a frame");
        }
        return;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  send(frame: Uint8Array): boolean {
    return !this.#closing && this.#output.push(frame);
  }

  async close(finalFrame?: Uint8Array): Promise<void> {
    if (this.#closeCalled) return;
    this.#closeCalled = true;
    this.#closing = true;
    if (this.#output.failed) {
      // A write failed: the peer is gone, so there is nothing left to flush.
      return this.#destroy();
    }
    this.#output.pushLast(finalFrame);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_FLUSH_MS));
    await Promise.race([this.drained(), deadline, this.#gone.promise]);
    // Say goodbye properly (TLS close_notify, then FIN) and give the peer the rest of the
    // deadline to answer in kind before the socket is torn down regardless.
    if (!this.#socket.destroyed) this.#socket.end();
    await Promise.race([this.#gone.promise, deadline]);
    clearTimeout(timer);
    this.#destroy();
  }

  drained(): Promise<void> {
    return this.#output.drained();
  }

  #destroy(): void {
    this.#closed = true;
    this.#closing = true;
    this.#output.stop();
    this.#socket.destroy();
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #writeBatch(batch: Uint8Array): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.#socket.write(batch, (error) => error ? reject(error) : resolve());
    });
    await Promise.race([
      written,
      this.#gone.promise.then(() => Promise.reject(new Error("closed"))),
    ]);
  }
}

function errorCode(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  if (typeof error === "string") return error;
  if (typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return error instanceof Error ? error.message : String(error);
}

function classify(error: Error): TlsConnectError {
  const code = errorCode(error) ?? "";
  if (code === "ECONNREFUSED") return new TlsConnectError("refused", "connection refused");
  if (["ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"].includes(code)) {
    return new TlsConnectError("network", error.message);
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return new TlsConnectError("handshake", "the server closed the connection");
  }
  return new TlsConnectError("handshake", error.message);
}

function isConnectionGone(error: Error): boolean {
  return ["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_DESTROYED"].includes(
    errorCode(error) ?? "",
  );
}
