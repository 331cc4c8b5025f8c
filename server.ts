/**
 * Front door of the relay: listens on TCP or TLS (transport/listener.ts, which caps open sockets
 * in total and per address), hands each connection to the socket-free `Relay`, and runs its
 * deadline sweep.
 */
import { DEFAULT_RETENTION, Relay } from "./relay/relay.ts";
import type { Retention } from "./relay/store.ts";
import type { RelayLimits } from "./relay/limits.ts";
import { databasePath, ensureDataDir } from "./storage/data_dir.ts";
import { SqliteStore } from "./storage/sqlite_store.ts";
import { setImmediate } from "node:timers";
import { DEFAULT_MAX_PER_ADDRESS, MAX_REFUSING } from "./transport/connection_gate.ts";
import { type FrameListener, listenFrames } from "./transport/listener.ts";
import { SendBudget } from "./transport/send_budget.ts";

/**
 * File descriptors kept free for the listener, storage, the runtime itself (about 30 together)
 * and the sockets being refused at once (`MAX_REFUSING`).
 */
const RESERVED_DESCRIPTORS = 48 + MAX_REFUSING;
/**
 * Cap on connections when the descriptor limit cannot be read, as under `deno task serve` (Deno
 * lets only --allow-all read /proc/self/limits); the listener lowers it if the limit is reached.
 */
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
  software?: string;
  /** Serve TLS (1.2 and 1.3 only) with this PEM certificate chain and key instead of plain TCP. */
  tls?: { cert: string; key: string };
  // Socket limits (transport/listener.ts).
  /** Sockets open at once (default: the descriptor limit less a reserve). */
  maxConnections?: number;
  /** Sockets open at once from one IPv4 address or IPv6 /64 (default 32); 0 for no limit. */
  maxPerAddress?: number;
  /** How long a TLS client has to finish its handshake (default 10 s). */
  tlsHandshakeTimeoutMs?: number;
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
  let listener: FrameListener;
  try {
    listener = listenFrames({
      host: options.host,
      port: options.port,
      tls: options.tls,
      maxConnections: options.maxConnections ?? defaultMaxConnections(),
      maxPerAddress: options.maxPerAddress ?? DEFAULT_MAX_PER_ADDRESS,
      tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
      budget,
      log,
    }, (connection) => relay.accept(connection));
  } catch (error) {
    store.close();
    throw error;
  }
  const sweep = setInterval(() => relay.sweep(), SWEEP_INTERVAL_MS);
  const presence = setInterval(() => relay.flushPresence(), PRESENCE_INTERVAL_MS);
  const prune = setInterval(() => relay.prune(), PRUNE_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  return {
    addr: listener.addr,
    databasePath: path,
    shutdown() {
      stopping ??= (async () => {
        clearInterval(sweep);
        clearInterval(presence);
        clearInterval(prune);
        await listener.stop();
        await relay.shutdown();
        await listener.settled();
        store.close();
      })();
      return stopping;
    },
  };
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
