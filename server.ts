/**
 * Front door of the relay: listens on TCP or TLS, caps concurrent connections below the process's file
 * descriptor limit, hands each connection to the socket-free `Relay`, and runs its deadline sweep.
 */
import { encodeMessage } from "./protocol.ts";
import { DEFAULT_RETENTION, Relay } from "./relay/relay.ts";
import type { Retention } from "./relay/store.ts";
import type { RelayLimits } from "./relay/limits.ts";
import { databasePath, ensureDataDir } from "./storage/data_dir.ts";
import { SqliteStore } from "./storage/sqlite_store.ts";
import { setImmediate } from "node:timers";
import { SendBudget } from "./transport/send_budget.ts";
import { StreamConnection } from "./transport/stream_connection.ts";

/** File descriptors kept free for the listener, storage and the runtime itself. */
const RESERVED_DESCRIPTORS = 64;
/** Cap on connections when the descriptor limit cannot be read. */
const FALLBACK_MAX_CONNECTIONS = 1_000;
const SWEEP_INTERVAL_MS = 1_000;
/** How often large rooms hear a summary of who joined and left. */
const PRESENCE_INTERVAL_MS = 500;
/**
 * Output backlog at which the relay stops reading input, and where it resumes. Each connection
 * counts for at most 32 KiB of it, so only a relay-wide backlog, never one stalled reader, pauses
 * input.
 */
const BACKLOG = { highWater: 4 * 1024 * 1024, lowWater: 1024 * 1024, perConnectionCap: 32 * 1024 };
const PRUNE_INTERVAL_MS = 60_000;

/** How to run a relay. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Directory for the relay's database, or ":memory:" to keep nothing on disk. */
  dataDir: string;
  retention?: Retention;
  /** Cap on the database's size; when reached, messages are relayed but not stored. */
  maxStorageBytes?: number;
  /** Sealed bytes one room keeps at most; its oldest messages go first. */
  roomQuotaBytes?: number;
  /** The relay's abuse limits; any not given takes its default (relay/limits.ts). */
  limits?: Partial<RelayLimits>;
  /** Where a log line goes; never given plaintext, keys or passphrases. */
  log?: (line: string) => void;
  maxConnections?: number;
  software?: string;
  /** Serve TLS (1.2 and 1.3 only) with this PEM certificate chain and key instead of plain TCP. */
  tls?: { cert: string; key: string };
}

/** A relay that is listening. */
export interface RunningServer {
  /** The address actually bound (the port is real even when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Where the relay keeps its data: a file path, or ":memory:". */
  readonly databasePath: string;
  /** Tells every member, closes every connection and stops listening. */
  shutdown(): Promise<void>;
}

/**
 * Opens the relay's storage and starts listening on `options.host:options.port`. Throws
 * `StorageOpenError` for an unreadable database, which it leaves untouched.
 */
export function serve(options: ServeOptions): RunningServer {
  const log = options.log ?? (() => {});
  ensureDataDir(options.dataDir);
  const path = databasePath(options.dataDir);
  const store = SqliteStore.open(path, {
    ...(options.maxStorageBytes === undefined ? {} : { maxBytes: options.maxStorageBytes }),
    ...(options.roomQuotaBytes === undefined ? {} : { roomQuotaBytes: options.roomQuotaBytes }),
  });
  let listener: Deno.Listener;
  try {
    const address = { hostname: options.host, port: options.port, transport: "tcp" } as const;
    // A TlsConn is a Conn: past the handshake (done by the first read) nothing else changes.
    listener = options.tls ? Deno.listenTls({ ...address, ...options.tls }) : Deno.listen(address);
  } catch (error) {
    store.close();
    throw error;
  }
  const maxConnections = options.maxConnections ?? defaultMaxConnections();
  const budget = new SendBudget(BACKLOG);
  const relay = new Relay({
    // setImmediate runs the group commit right after pending I/O; setTimeout(0) waits ~2 ms.
    defer: (flush) => setImmediate(flush),
    store,
    log,
    retention: options.retention ?? DEFAULT_RETENTION,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.software ? { software: options.software } : {}),
  });
  const pruned = relay.prune();
  if (pruned > 0) log(`pruned ${pruned} message(s) past retention`);
  const sweep = setInterval(() => relay.sweep(), SWEEP_INTERVAL_MS);
  const presence = setInterval(() => relay.flushPresence(), PRESENCE_INTERVAL_MS);
  const prune = setInterval(() => relay.prune(), PRUNE_INTERVAL_MS);
  const sessions = new Set<Promise<void>>();

  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) {
        const connection = new StreamConnection(conn, { budget });
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
    databasePath: path,
    shutdown() {
      stopping ??= (async () => {
        clearInterval(sweep);
        clearInterval(presence);
        clearInterval(prune);
        listener.close();
        await acceptLoop;
        await relay.shutdown();
        await Promise.all(sessions);
        store.close();
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
    retryAfterMs: 0,
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
