/**
 * Front door of the relay: listens on TCP, caps concurrent connections below the process's file
 * descriptor limit, hands each connection to the socket-free `Relay`, and runs its deadline sweep.
 */
import { encodeMessage } from "./protocol.ts";
import { Relay } from "./relay/relay.ts";
import { StreamConnection } from "./transport/stream_connection.ts";

/** File descriptors kept free for the listener, storage and the runtime itself. */
const RESERVED_DESCRIPTORS = 64;
/** Cap on connections when the descriptor limit cannot be read. */
const FALLBACK_MAX_CONNECTIONS = 1_000;
const SWEEP_INTERVAL_MS = 1_000;

/** How to run a relay. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Where a log line goes; never given plaintext, keys or passphrases. */
  log?: (line: string) => void;
  maxConnections?: number;
  software?: string;
}

/** A relay that is listening. */
export interface RunningServer {
  /** The address actually bound (the port is real even when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Tells every member, closes every connection and stops listening. */
  shutdown(): Promise<void>;
}

/** Starts a relay listening on `options.host:options.port`. */
export function serve(options: ServeOptions): RunningServer {
  const log = options.log ?? (() => {});
  const listener = Deno.listen({ hostname: options.host, port: options.port, transport: "tcp" });
  const maxConnections = options.maxConnections ?? defaultMaxConnections();
  const relay = new Relay({ log, ...(options.software ? { software: options.software } : {}) });
  const sweep = setInterval(() => relay.sweep(), SWEEP_INTERVAL_MS);
  const sessions = new Set<Promise<void>>();

  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) {
        const connection = new StreamConnection(conn);
        const session = relay.connectionCount >= maxConnections
          ? refuseFull(connection, log)
          : relay.accept(connection);
        sessions.add(session);
        session.finally(() => sessions.delete(session));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();

  let stopping: Promise<void> | null = null;
  return {
    addr: listener.addr as Deno.NetAddr,
    shutdown() {
      stopping ??= (async () => {
        clearInterval(sweep);
        listener.close();
        await acceptLoop;
        await relay.shutdown();
        await Promise.all(sessions);
      })();
      return stopping;
    },
  };
}

async function refuseFull(connection: StreamConnection, log: (line: string) => void) {
  log(`${connection.peer} refused: connection limit reached`);
  await connection.close(encodeMessage({
    type: "error",
    code: "too_many_connections",
    room: "",
    message: "The server has too many connections; try again later",
    fatal: true,
  }));
}

/** Connections allowed at once: the soft descriptor limit less a reserve, where it can be read. */
export function defaultMaxConnections(): number {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = limits.match(/^Max open files\s+(\d+)/m)?.[1];
    if (soft) return Math.max(16, Number(soft) - RESERVED_DESCRIPTORS);
  } catch {
    // Not Linux, or /proc is hidden: fall back to a conservative figure.
  }
  return FALLBACK_MAX_CONNECTIONS;
}

/** Addresses on this machine that others could use to reach a server bound to `host`. */
export function reachableAddresses(host: string, port: number): string[] {
  const wildcard = host === "0.0.0.0" || host === "::";
  if (!wildcard) return [formatHostPort(host, port)];
  let interfaces: Deno.NetworkInterfaceInfo[];
  try {
    interfaces = Deno.networkInterfaces();
  } catch {
    return [];
  }
  return interfaces
    .filter((info) => info.family === "IPv4" || host === "::")
    .filter((info) => !info.address.startsWith("fe80:"))
    .map((info) => formatHostPort(info.address, port));
}

function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
