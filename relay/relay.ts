/**
 * The relay: rooms, members and fan-out of sealed messages, durable through a `RelayStore`, with a
 * deadline on every wait and a limit on everything a peer can make it do (relay/limits.ts). It
 * knows nothing about sockets (connections arrive as `FrameConnection`s), nothing about keys or
 * plaintext (it never imports crypto), and takes its clocks as parameters so tests need no sleeps.
 */
import { encodeDeliver, encodeMessage, type LeaveReason } from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { type Clocks, SteadyClock } from "./clock.ts";
import { GuessGuard } from "./guess_guard.ts";
import { DEFAULT_LIMITS, type RelayLimits } from "./limits.ts";
import { type FlushResult, MessageLog } from "./message_log.ts";
import { PresenceBatch } from "./presence.ts";
import { KeyedBuckets } from "./rate_limit.ts";
import { ReservationLog } from "./reservation_log.ts";
import type { Room } from "./room.ts";
import { RoomRegistry } from "./rooms.ts";
import type { RelayContext } from "./context.ts";
import { disconnectLagging, errorFrame, type Membership } from "./membership.ts";
import { Session } from "./session.ts";
import { type RelayStore, type Retention, StorageFullError } from "./store.ts";

/** How often clients are asked to ping, in milliseconds. */
export const HEARTBEAT_MS = 15_000;
/** Silence after which a client is presumed dead. */
export const IDLE_TIMEOUT_MS = 3 * HEARTBEAT_MS;
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
  /** The system clock, for timestamps; by default Date.now. */
  now?: () => number;
  /** A monotonic clock for deadlines and rates; by default `now` when given, else performance.now. */
  monotonic?: () => number;
  log?: (line: string) => void;
  idleTimeoutMs?: number;
  heartbeatMs?: number;
  holdMs?: number;
  retention?: Retention;
  /** Any limit not given takes its default from DEFAULT_LIMITS. */
  limits?: Partial<RelayLimits>;
  software?: string;
  /** Runs a commit after the current turn; tests may run it at once. */
  defer?: (flush: () => void) => void;
}

/** Routes sealed messages between the members of rooms. */
export class Relay {
  readonly #sessions = new Set<Session>();
  /** Sessions in no room: new ones, and ones between rooms. */
  readonly #unjoined = new Set<Session>();
  readonly #rooms: RoomRegistry;
  /** Large rooms with joins or leaves waiting for the next presence summary. */
  readonly #presencePending = new Set<Room<Membership>>();
  readonly #context: RelayContext;
  readonly #store: RelayStore;
  readonly #log: MessageLog<Session>;
  readonly #reservations: ReservationLog;
  readonly #clock: SteadyClock;
  readonly #monotonic: () => number;
  readonly #idleTimeoutMs: number;
  readonly #limits: RelayLimits;
  readonly #retention: Retention;
  /** Whether the clock agreed with the newest stored message at start: age pruning is safe. */
  readonly #clockTrusted: boolean;
  #storageFull = false;
  #shuttingDown = false;

  constructor(options: RelayOptions) {
    const clocks: Clocks = {
      wall: options.now ?? Date.now,
      monotonic: options.monotonic ?? options.now ?? (() => performance.now()),
    };
    const log = options.log ?? (() => {});
    this.#clock = new SteadyClock(clocks, log);
    this.#monotonic = clocks.monotonic;
    this.#store = options.store;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#retention = options.retention ?? DEFAULT_RETENTION;
    const holdMs = options.holdMs ?? HOLD_MS;
    const defer = options.defer ?? ((flush) => setTimeout(flush, 0));
    this.#log = new MessageLog<Session>(this.#store, {
      defer,
      onFlushed: (result) => this.#flushed(result),
    });
    this.#reservations = new ReservationLog(this.#store, { defer, log });
    this.#rooms = new RoomRegistry(this.#store, {
      reservations: this.#reservations,
      limits: this.#limits,
      log,
    });
    const guessLimits = this.#limits.guesses;
    this.#context = {
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      software: options.software ?? "chat",
      store: this.#store,
      reservations: this.#reservations,
      rooms: this.#rooms,
      limits: this.#limits,
      guesses: guessLimits ? new GuessGuard(guessLimits, { now: clocks.monotonic(), log }) : null,
      addressBytes: this.#limits.addressBytes ? new KeyedBuckets(this.#limits.addressBytes) : null,
      holdMs,
      retainCount: this.#retention.maxMessagesPerRoom,
      now: () => this.#clock.now(),
      monotonic: clocks.monotonic,
      log,
      publish: (membership, id, sealed) => this.#publish(membership, id, sealed),
      announce: (room, event, name, reason) => this.#announce(room, event, name, reason),
      roomsChanged: (session, inAny) => {
        if (inAny) this.#unjoined.delete(session);
        else if (this.#sessions.has(session)) this.#unjoined.add(session);
      },
    };
    const now = this.#clock.now();
    this.#rooms.load({ wall: now, monotonic: clocks.monotonic() }, holdMs);
    this.#clockTrusted = this.#checkClock(now);
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
    if (this.#unjoined.size >= this.#limits.maxUnjoined) {
      this.#context.log(`${conn.peer} refused: too many connections waiting to join a room`);
      await conn.close(errorFrame(
        "too_many_connections",
        "",
        "Too many connections are waiting to join a room; try again shortly",
        true,
        5_000,
      ));
      return;
    }
    this.#sessions.add(session);
    this.#unjoined.add(session);
    try {
      await session.run();
    } finally {
      this.#sessions.delete(session);
      this.#unjoined.delete(session);
    }
  }

  /**
   * Ends connections that missed a deadline (no hello within the handshake timeout, no room
   * joined in time, or nothing heard within the idle timeout), judges joins whose guessing delay
   * has passed, releases expired name holds, expires unused rooms and forgets rooms an operator
   * dropped. The host calls this on a timer, about once a second.
   */
  sweep(): void {
    const now = this.#monotonic();
    const { handshakeTimeoutMs, joinTimeoutMs } = this.#limits;
    for (const session of this.#sessions) {
      if (!session.greeted && now - session.acceptedAt > handshakeTimeoutMs) {
        session.end("handshake_timeout", "No hello received in time", "disconnected");
      } else if (now - session.lastHeardAt > this.#idleTimeoutMs) {
        session.end("idle_timeout", "Nothing received in time; presumed gone", "timed_out");
      } else if (
        session.unjoinedSince !== null && now - session.unjoinedSince > joinTimeoutMs
      ) {
        session.end("join_timeout", "No room joined in time", "disconnected");
      } else {
        session.judgeHeldJoin(now);
      }
    }
    this.#context.guesses?.sweep(now);
    this.#context.addressBytes?.forgetIdle(now);
    for (const name of this.#rooms.sweep({ wall: this.#clock.now(), monotonic: now })) {
      this.#context.log(`room "${name}" expired: no members and nothing stored`);
    }
    for (const folded of this.#store.takeRoomDrops()) this.#dropRoom(folded);
  }

  /** Sends the presence summaries of large rooms gathered since the last call. */
  flushPresence(): void {
    if (this.#presencePending.size === 0) return;
    const ts = this.#clock.now();
    for (const room of this.#presencePending) {
      const batch = room.presence;
      room.presence = null;
      if (batch) disconnectLagging(room.broadcast(encodeMessage(batch.summary(room.name, ts))));
    }
    this.#presencePending.clear();
  }

  /** Deletes stored messages that retention no longer allows; returns how many. */
  prune(): number {
    // A clock that disagreed with the stored history at start may be wrong by years: prune by
    // count only, rather than delete everything as "too old".
    const retention = this.#clockTrusted && !this.#clock.jumped
      ? this.#retention
      : { ...this.#retention, maxAgeMs: Infinity };
    return this.#store.prune(this.#clock.now(), retention);
  }

  /** Stores what is pending, tells every member the server is going away, and closes. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#log.flush();
    this.flushPresence();
    await Promise.all(
      [...this.#sessions].map((session) =>
        session.end("server_shutdown", "The server is shutting down", "server_shutdown")
      ),
    );
    this.#reservations.flush();
  }

  /**
   * Whether the clock agrees with the newest stored message: not before it (a clock set back)
   * and not so far after it that age pruning would delete it (a clock set years ahead). Logs why
   * when it does not.
   */
  #checkClock(now: number): boolean {
    const newest = this.#store.newestTs();
    if (newest === null) return true;
    const ahead = now - newest;
    if (ahead >= -CLOCK_SLACK_MS && ahead < this.#retention.maxAgeMs) return true;
    const days = (Math.abs(ahead) / 86_400_000).toFixed(1);
    this.#context.log(
      `the clock is ${days} days ${ahead < 0 ? "behind" : "ahead of"} the newest stored ` +
        `message; messages are pruned by count only until a restart finds the clock right`,
    );
    return false;
  }

  #announce(
    room: Room<Membership>,
    event: "join" | "leave",
    name: string,
    reason: LeaveReason | "",
  ): void {
    if (this.#shuttingDown) return;
    const size = room.size + (event === "leave" ? 1 : 0);
    if (size > this.#limits.presenceSummaryAbove) {
      (room.presence ??= new PresenceBatch()).add(event, name);
      this.#presencePending.add(room);
      return;
    }
    const frame = encodeMessage({
      type: "presence",
      room: room.name,
      event,
      name,
      ts: this.#clock.now(),
      reason,
    });
    disconnectLagging(room.broadcast(frame, name));
  }

  #dropRoom(folded: string): void {
    const room = this.#rooms.forget(folded);
    if (!room) return;
    this.#presencePending.delete(room);
    for (const session of new Set([...this.#sessions])) session.dropRoom(room);
    this.#context.log(`room "${room.name}" dropped by the operator`);
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
      ts: this.#clock.now(),
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
      const room = this.#rooms.find(message.room);
      // Unstored messages still reach live members, unsequenced (seq 0), and are not acked.
      const seq = failure ? 0 : message.seq;
      if (room && !failure) room.committedSeq = message.seq;
      if (room) {
        disconnectLagging(
          room.broadcast(encodeDeliver({ ...message, seq }, message.sealed), message.from),
        );
      }
      for (const sender of message.senders) {
        if (sender.ending) continue;
        sender.reply(
          failure
            ? {
              type: "nack",
              room: message.room,
              id: message.id,
              code: failure instanceof StorageFullError ? "storage_full" : "storage_failed",
              message: `Not stored: ${failure.message}; it will be sent again`,
              retryAfterMs: 0,
            }
            : { type: "ack", room: message.room, id: message.id, seq, ts: message.ts },
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

/** How far the clock may be behind the newest stored message and still count as right. */
const CLOCK_SLACK_MS = 5 * 60_000;
