/**
 * Where the relay's connections come from: a TCP listener (`Deno.listen`, so that accept errors
 * are ours to survive), TLS over it when asked (transport/tls_server.ts), and the caps of
 * transport/connection_gate.ts. Each socket let in reaches `serve` as a `FrameConnection`; the
 * host (server.ts) hands it to the relay, which never sees a socket.
 */
import { ConnectionGate, REFUSAL_MS } from "./connection_gate.ts";
import type { SendBudget } from "./send_budget.ts";
import { formatAddress, StreamConnection } from "./stream_connection.ts";
import { TlsAcceptor } from "./tls_server.ts";
import type { FrameConnection } from "./types.ts";

/** Where to listen, with what, and how many sockets to allow. */
export interface FrameListenerOptions {
  host: string;
  port: number;
  /** Serve TLS (1.2 and 1.3) with this PEM certificate chain and key instead of plain TCP. */
  tls?: { cert: string; key: string } | undefined;
  maxConnections: number;
  /** 0 for no limit per address. */
  maxPerAddress: number;
  /** How long a TLS client has to finish its handshake. */
  tlsHandshakeTimeoutMs?: number | undefined;
  /** The relay-wide output budget the connections let in share. */
  budget?: SendBudget;
  log(line: string): void;
}

/** A listener handing out framed connections. */
export interface FrameListener {
  /** The address actually bound. */
  readonly addr: Deno.NetAddr;
  /** Stops accepting, and fails TLS handshakes under way; connections already served go on. */
  stop(): Promise<void>;
  /** Resolves once every socket accepted so far has closed. */
  settled(): Promise<void>;
}

interface Opened {
  connection: FrameConnection;
  closed: Promise<void>;
}

/**
 * Listens on `options.host:options.port` and calls `serve` for each connection let in; `serve`
 * resolves when the connection has ended. Throws as `Deno.listen` does, and
 * `Deno.errors.InvalidData` for an unusable certificate or key.
 */
export function listenFrames(
  options: FrameListenerOptions,
  serve: (connection: FrameConnection) => Promise<void>,
): FrameListener {
  const { log, budget } = options;
  const acceptor = options.tls
    ? new TlsAcceptor({
      ...options.tls,
      ...(options.tlsHandshakeTimeoutMs === undefined
        ? {}
        : { handshakeTimeoutMs: options.tlsHandshakeTimeoutMs }),
    })
    : null;
  const listener = Deno.listen({ hostname: options.host, port: options.port, transport: "tcp" });

  const open = async (conn: Deno.TcpConn, refusing: boolean): Promise<Opened | null> => {
    const shared = refusing || !budget ? {} : { budget };
    if (!acceptor) {
      const connection = new StreamConnection(conn, shared);
      return { connection, closed: connection.closed };
    }
    const peer = formatAddress(conn.remoteAddr);
    const accepted = await acceptor.handshake(conn, peer, {
      ...shared,
      ...(refusing ? { timeoutMs: REFUSAL_MS } : {}),
    });
    if ("connection" in accepted) return accepted;
    await accepted.closed;
    // Logged once the socket is closed, so the line also says the descriptor is free.
    const { kind, reason } = accepted.failure;
    log(`${peer} TLS handshake ${kind === "timeout" ? "timed out" : `failed: ${reason}`}`);
    return null;
  };

  const gate = new ConnectionGate(listener, {
    maxConnections: options.maxConnections,
    maxPerAddress: options.maxPerAddress,
    log,
    async serve(conn) {
      const opened = await open(conn, false);
      if (!opened) return;
      await serve(opened.connection);
      // The session is over; the socket counts until it is closed for real.
      await opened.closed;
    },
    async refuse(conn, finalFrame) {
      const opened = await open(conn, true);
      if (!opened) return;
      await opened.connection.close(finalFrame);
      await opened.closed;
    },
  });

  return {
    addr: listener.addr,
    async stop() {
      acceptor?.close();
      await gate.close();
    },
    settled: () => gate.settled(),
  };
}
