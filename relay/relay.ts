/**
 * The relay: rooms, members and fan-out of sealed messages, with a deadline on every wait. It
 * knows nothing about sockets (connections arrive as `FrameConnection`s), nothing about keys or
 * plaintext (it never imports crypto), and takes its clock as a parameter so tests need no sleeps.
 */
import type { FrameConnection } from "../transport/types.ts";
import type { Room } from "./room.ts";
import { type RelayContext, Session } from "./session.ts";

/** How often clients are asked to ping, in milliseconds. */
export const HEARTBEAT_MS = 15_000;
/** Silence after which a client is presumed dead. */
export const IDLE_TIMEOUT_MS = 3 * HEARTBEAT_MS;
/** Time a new connection has to say hello. */
export const HANDSHAKE_TIMEOUT_MS = 20_000;
/** Rooms one relay holds at most. */
export const MAX_ROOMS = 10_000;

/** Options for a relay; all have defaults. */
export interface RelayOptions {
  now?: () => number;
  log?: (line: string) => void;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  heartbeatMs?: number;
  maxRooms?: number;
  software?: string;
}

/** Routes sealed messages between the members of rooms. */
export class Relay {
  readonly #sessions = new Set<Session>();
  readonly #context: RelayContext;
  readonly #handshakeTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  #shuttingDown = false;

  constructor(options: RelayOptions = {}) {
    const now = options.now ?? Date.now;
    const log = options.log ?? (() => {});
    this.#context = {
      rooms: new Map<string, Room>(),
      maxRooms: options.maxRooms ?? MAX_ROOMS,
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      software: options.software ?? "chat",
      now,
      log,
    };
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Serves one connection until it ends. Never throws for anything the peer does. */
  async accept(conn: FrameConnection): Promise<void> {
    const session = new Session(conn, this.#context);
    if (this.#shuttingDown) {
      await session.end("server_shutdown", "The server is shutting down", "server_shutdown");
      return;
    }
    this.#sessions.add(session);
    try {
      await session.run();
    } finally {
      this.#sessions.delete(session);
    }
  }

  /**
   * Ends connections that missed a deadline: no hello within the handshake timeout, or nothing
   * heard within the idle timeout. The host calls this on a timer.
   */
  sweep(): void {
    const now = this.#context.now();
    for (const session of this.#sessions) {
      if (!session.greeted && now - session.acceptedAt > this.#handshakeTimeoutMs) {
        session.end("handshake_timeout", "No hello received in time", "disconnected");
      } else if (now - session.lastHeardAt > this.#idleTimeoutMs) {
        session.end("idle_timeout", "Nothing received in time; presumed gone", "timed_out");
      }
    }
  }

  /** Tells every member the server is going away and closes every connection. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    await Promise.all(
      [...this.#sessions].map((session) =>
        session.end("server_shutdown", "The server is shutting down", "server_shutdown")
      ),
    );
  }
}
