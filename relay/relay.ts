/**
 * The relay: rooms, members and fan-out of sealed messages, durable through a `RelayStore`, with a
 * deadline on every wait. It knows nothing about sockets (connections arrive as
 * `FrameConnection`s), nothing about keys or plaintext (it never imports crypto), and takes its
 * clock as a parameter so tests need no sleeps.
 */
import { encodeDeliver, foldName, type Join } from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { type FlushResult, MessageLog } from "./message_log.ts";
import { ReservationLog } from "./reservation_log.ts";
import { Room } from "./room.ts";
import { disconnectLagging, type Membership, type RelayContext, Session } from "./session.ts";
import { type RelayStore, type Retention, StorageFullError } from "./store.ts";

/** How often clients are asked to ping, in milliseconds. */
export const HEARTBEAT_MS = 15_000;
/** Silence after which a client is presumed dead. */
export const IDLE_TIMEOUT_MS = 3 * HEARTBEAT_MS;
/** Time a new connection has to say hello. */
export const HANDSHAKE_TIMEOUT_MS = 20_000;
/** Rooms one relay holds at most. */
export const MAX_ROOMS = 10_000;
/** How long the name of a member who dropped stays held for it. */
export const HOLD_MS = 5 * 60_000;
/** What the relay keeps when not told otherwise. */
export const DEFAULT_RETENTION: Retention = {
  maxMessagesPerRoom: 10_000,
  maxAgeMs: 30 * 24 * 3600_000,
};

/** Options for a relay; all but the store have defaults. */
export interface RelayOptions {
  store: RelayStore;
  now?: () => number;
  log?: (line: string) => void;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  heartbeatMs?: number;
  holdMs?: number;
  maxRooms?: number;
  retention?: Retention;
  software?: string;
  /** Runs a commit after the current turn; tests may run it at once. */
  defer?: (flush: () => void) => void;
}

/** Routes sealed messages between the members of rooms. */
export class Relay {
  readonly #sessions = new Set<Session>();
  readonly #rooms = new Map<string, Room<Membership>>();
  readonly #context: RelayContext;
  readonly #store: RelayStore;
  readonly #log: MessageLog<Session>;
  readonly #reservations: ReservationLog;
  readonly #handshakeTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #maxRooms: number;
  readonly #retention: Retention;
  #storageFull = false;
  #shuttingDown = false;

  constructor(options: RelayOptions) {
    const now = options.now ?? Date.now;
    const log = options.log ?? (() => {});
    this.#store = options.store;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    this.#maxRooms = options.maxRooms ?? MAX_ROOMS;
    this.#retention = options.retention ?? DEFAULT_RETENTION;
    const holdMs = options.holdMs ?? HOLD_MS;
    const defer = options.defer ?? ((flush) => setTimeout(flush, 0));
    this.#log = new MessageLog<Session>(this.#store, {
      defer,
      onFlushed: (result) => this.#flushed(result),
    });
    this.#reservations = new ReservationLog(this.#store, { defer, log });
    this.#context = {
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      software: options.software ?? "chat",
      store: this.#store,
      reservations: this.#reservations,
      holdMs,
      retainCount: this.#retention.maxMessagesPerRoom,
      now,
      log,
      findRoom: (name) => this.#rooms.get(foldName(name)),
      createRoom: (join) => this.#createRoom(join),
      publish: (membership, id, sealed) => this.#publish(membership, id, sealed),
    };
    this.#load(now(), holdMs);
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
   * Ends connections that missed a deadline (no hello within the handshake timeout, or nothing
   * heard within the idle timeout) and releases expired name holds. The host calls this on a timer.
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
    for (const room of this.#rooms.values()) {
      for (const name of room.expireHolds(now)) this.#reservations.remove(room.name, name);
    }
  }

  /** Deletes stored messages that retention no longer allows; returns how many. */
  prune(): number {
    return this.#store.prune(this.#context.now(), this.#retention);
  }

  /** Stores what is pending, tells every member the server is going away, and closes. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#log.flush();
    await Promise.all(
      [...this.#sessions].map((session) =>
        session.end("server_shutdown", "The server is shutting down", "server_shutdown")
      ),
    );
    this.#reservations.flush();
  }

  #load(now: number, holdMs: number): void {
    for (const stored of this.#store.loadRooms()) {
      const room = new Room<Membership>(
        stored.name,
        stored.params,
        stored.keyCheck,
        stored.lastSeq,
      );
      this.#rooms.set(foldName(room.name), room);
    }
    // Names held by connections the last process had are held for their owners to come back.
    for (const reservation of this.#store.loadReservations(now)) {
      const room = this.#rooms.get(foldName(reservation.room));
      if (!room) continue;
      const hold = { ...reservation, expiresAt: Math.min(reservation.expiresAt, now + holdMs) };
      room.hold(hold);
      if (hold.expiresAt !== reservation.expiresAt) this.#reservations.save(hold);
    }
  }

  #createRoom(join: Join): Room<Membership> | null {
    if (this.#rooms.size >= this.#maxRooms) return null;
    const room = new Room<Membership>(join.room, join.params, join.keyCheck);
    this.#store.createRoom({ name: room.name, params: room.params, keyCheck: room.keyCheck });
    this.#rooms.set(foldName(room.name), room);
    return room;
  }

  #publish(membership: Membership, id: Uint8Array, sealed: Uint8Array): void {
    const room = membership.room;
    const known = this.#log.find(room.name, membership.name, id);
    if (known && "pending" in known) {
      known.pending.senders.push(membership.session);
      return;
    }
    if (known) {
      membership.session.reply({ type: "ack", room: room.name, id, ...known.stored });
      return;
    }
    this.#log.append({
      room: room.name,
      seq: room.nextSeq(),
      ts: this.#context.now(),
      from: membership.name,
      id,
      sealed,
      senders: [membership.session],
    });
  }

  #flushed({ messages, failure }: FlushResult<Session>): void {
    if (failure) this.#reportStorageFailure(failure);
    else if (this.#storageFull) {
      this.#storageFull = false;
      this.#context.log("storage accepts messages again");
    }
    for (const message of messages) {
      const room = this.#rooms.get(foldName(message.room))!;
      // Unstored messages still reach live members, unsequenced (seq 0), and are not acked.
      const seq = failure ? 0 : message.seq;
      if (!failure) room.committedSeq = message.seq;
      const frame = encodeDeliver({ ...message, seq }, message.sealed);
      disconnectLagging(room.broadcast(frame, message.from));
      for (const sender of message.senders) {
        if (sender.ending) continue;
        sender.reply(
          failure
            ? {
              type: "nack",
              room: room.name,
              id: message.id,
              code: failure instanceof StorageFullError ? "storage_full" : "storage_failed",
              message: `Not stored: ${failure.message}; it will be sent again`,
              retryAfterMs: 0,
            }
            : { type: "ack", room: room.name, id: message.id, seq, ts: message.ts },
        );
      }
    }
    if (failure) {
      for (const room of this.#rooms.values()) room.lastSeq = room.committedSeq;
    }
  }

  #reportStorageFailure(failure: Error): void {
    if (this.#storageFull) return;
    this.#storageFull = true;
    this.#context.log(`storage refused messages: ${failure.message}; relaying without storing`);
  }
}
