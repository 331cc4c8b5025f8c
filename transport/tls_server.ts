/**
 * The relay's side of TLS: a `node:tls` server socket over a connection the relay accepted itself,
 * with a deadline on the handshake. Deno's own TLS listener (`Deno.listenTls`) was measured not to
 * close a socket whose handshake stalls, even when the connection is closed (Deno 2.9.6), so
 * stalled handshakes leaked descriptors; here a stalled or failed handshake closes its socket for
 * real, and `closed` says when. Only TLS 1.2 and 1.3 are offered. After the handshake the socket
 * carries frames through `NodeTlsConnection`, like the client's. Who may connect is not its
 * business (transport/connection_gate.ts).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import { foreignProtocol } from "../protocol.ts";
import { ConnDuplex } from "./conn_duplex.ts";
import { NodeTlsConnection } from "./node_tls.ts";
import type { StreamConnectionOptions } from "./stream_connection.ts";

/** The content type of a TLS record carrying a handshake: what a TLS client sends first. */
const TLS_HANDSHAKE_RECORD = 0x16;

/** What a client that did not start with TLS was, for the log. */
function plainWords(first: Uint8Array): string {
  if (foreignProtocol(first) === "http") {
    return "it spoke plain HTTP (a web browser?), but this port speaks chat over TLS";
  }
  return "it spoke plain chat or something else without TLS; a chat client must join with --tls";
}

/** Time a client has to complete the TLS handshake unless told otherwise. */
export const DEFAULT_TLS_HANDSHAKE_MS = 10_000;

/** Why a handshake did not complete: "timeout", "failed" (the TLS library says why), "closed". */
export interface TlsHandshakeFailure {
  kind: "timeout" | "failed" | "closed";
  reason: string;
}

/** What a handshake attempt left: a connection, or why there is none; and when the socket closed. */
export type TlsAccepted =
  | { connection: NodeTlsConnection; closed: Promise<void> }
  | { failure: TlsHandshakeFailure; closed: Promise<void> };

/** Options for one handshake. */
export interface TlsHandshakeOptions extends StreamConnectionOptions {
  /** A deadline of its own instead of the acceptor's (for a socket that is only refused). */
  timeoutMs?: number;
}

/** Runs server-side TLS handshakes with one certificate. */
export class TlsAcceptor {
  readonly #context: tls.SecureContext;
  readonly #handshakeMs: number;
  readonly #pending = new Set<() => void>();
  #closed = false;

  /**
   * Throws `Deno.errors.InvalidData` for a certificate or key that cannot be used: node:tls would
   * only find out at the first handshake.
   */
  constructor(options: { cert: string; key: string; handshakeTimeoutMs?: number }) {
    checkKeyPair(options.cert, options.key);
    this.#context = tls.createSecureContext({
      cert: options.cert,
      key: options.key,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
    });
    this.#handshakeMs = options.handshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_MS;
  }

  /** Handshakes still under way. */
  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  /**
   * Does the handshake on `conn`, which it takes over, within the deadline. On failure the socket
   * is being closed; `closed` resolves once it is, whatever the outcome.
   */
  handshake(
    conn: Deno.Conn,
    peer: string,
    options: TlsHandshakeOptions = {},
  ): Promise<TlsAccepted> {
    const remote = conn.remoteAddr;
    if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
    const transport = new ConnDuplex(conn);
    const closed = transport.socketClosed;
    const socket = new tls.TLSSocket(transport, { isServer: true, secureContext: this.#context });
    // However the TLS socket ends (here, or later through NodeTlsConnection), the socket under it
    // is closed too.
    socket.once("close", () => transport.destroy());
    const { timeoutMs = this.#handshakeMs, ...connectionOptions } = options;
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        this.#pending.delete(abort);
      };
      const fail = (failure: TlsHandshakeFailure) => {
        if (settled) return;
        settle();
        // A later error on a socket being torn down must not go unhandled.
        socket.on("error", () => {});
        socket.destroy();
        transport.destroy();
        resolve({ failure, closed });
      };
      const abort = () => fail({ kind: "closed", reason: "the server is shutting down" });
      const timer = setTimeout(
        () => fail({ kind: "timeout", reason: `no handshake within ${timeoutMs} ms` }),
        timeoutMs,
      );
      socket.once("error", (error: Error) => {
        // Plain bytes on a TLS port fail as "wrong version number": say what they were.
        const first = transport.firstBytes;
        const plain = first !== null && first[0] !== TLS_HANDSHAKE_RECORD;
        fail({ kind: "failed", reason: plain ? plainWords(first) : error.message });
      });
      // The peer's FIN before the handshake is done shows only as "end" (Deno 2.9.6).
      const gone = () => fail({ kind: "failed", reason: "closed during the handshake" });
      socket.once("end", gone);
      socket.once("close", gone);
      socket.once("secure", () => {
        if (settled) return;
        settle();
        const connection = new NodeTlsConnection(socket, peer, {
          ...connectionOptions,
          ...(remote.transport === "tcp" ? { remoteHost: remote.hostname } : {}),
        });
        resolve({ connection, closed });
      });
      this.#pending.add(abort);
      if (this.#closed) abort();
    });
  }

  /** Fails every handshake under way, and any begun later, closing their sockets. */
  close(): void {
    this.#closed = true;
    for (const abort of [...this.#pending]) abort();
  }
}

function checkKeyPair(cert: string, key: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new Deno.errors.InvalidData(`not a PEM certificate (${String(error)})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new Deno.errors.InvalidData(`not a PEM private key (${String(error)})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Deno.errors.InvalidData("the private key is not the certificate's key");
  }
}
