/**
 * The client's side of one connection: the handshake, requests matched to their replies, and the
 * heartbeat. Everything else the relay sends (deliveries, acks, presence) goes to the owner as
 * it arrives, and reading pauses while the owner says its backlog is full. It believes nothing
 * the relay did not earn: a reply must answer a request this client made, for the room and name
 * it asked about, and room traffic must be for a room this connection joined. It knows nothing
 * about keys or terminals.
 */
import {
  type ClientMessage,
  decodeMessage,
  encodeMessage,
  encodeSend,
  foldName,
  type Join,
  type Joined,
  type Message,
  nameProblem,
  PROTOCOL_VERSION,
  ProtocolError,
  type RoomInfo,
  type ServerMessage,
  type Welcome,
} from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { relayError, reworded } from "./error_words.ts";
import { ChatError, RelayError } from "./errors.ts";

/** How long the client waits for any single reply. */
export const REPLY_TIMEOUT_MS = 15_000;
/** Most member names `who` collects, page after page. */
export const MAX_WHO_NAMES = 10_000;
/** Bounds on the heartbeat a relay may ask for: a relay cannot make the client deaf or busy. */
const MIN_HEARTBEAT_MS = 1_000;
const MAX_HEARTBEAT_MS = 60_000;

/** Messages the relay sends unprompted, passed on to the connection's owner. */
export type Unprompted = Extract<
  ServerMessage,
  {
    type:
      | "deliver"
      | "ack"
      | "nack"
      | "presence"
      | "presence_summary"
      | "renamed"
      | "topic"
      | "caught_up"
      | "error";
  }
>;

/** Options for a connection. */
export interface ClientConnectionOptions {
  /**
   * Asked after each unprompted message: a promise while the owner's backlog is full, and the
   * connection reads nothing more (so TCP pushes back on the relay) until it settles.
   */
  backpressure?: () => Promise<void> | null;
}

type Waiter = { resolve(message: ServerMessage): void; reject(error: Error): void };

/** The relay sent something this client did not ask for, or answered another question. */
class Violation extends Error {}

/** A connected client. */
export class ClientConnection {
  readonly #conn: FrameConnection;
  readonly #onMessage: (message: Unprompted) => void;
  readonly #backpressure: () => Promise<void> | null;
  readonly #waiters = new Map<string, Waiter[]>();
  /** Rooms joined on this connection, folded: the only rooms whose traffic is accepted. */
  readonly #rooms = new Set<string>();
  /** Rooms left on this connection, folded: their `left` replies are expected. */
  readonly #leaving = new Set<string>();
  readonly #stopped = Promise.withResolvers<void>();
  readonly #closed: Promise<Error | null>;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  // Monotonic: a jump of the system clock must not make the relay look silent.
  #lastHeardAt = performance.now();
  #paused = false;
  #failure: Error | null = null;
  #nextPingToken = 1;
  #closing = false;

  constructor(
    conn: FrameConnection,
    onMessage: (message: Unprompted) => void,
    options: ClientConnectionOptions = {},
  ) {
    this.#conn = conn;
    this.#onMessage = onMessage;
    this.#backpressure = options.backpressure ?? (() => null);
    this.#closed = this.#readLoop();
  }

  /** Resolves when the connection ends: null after `quit` or `abort`, else why it failed. */
  get closed(): Promise<Error | null> {
    return this.#closed;
  }

  /** Why the connection failed, or null while it works (or after a clean close). */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Says hello, checks the version and starts the heartbeat. */
  async hello(software: string): Promise<Welcome> {
    const reply = this.#expect("welcome", "");
    this.#write({
      type: "hello",
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      software,
    });
    const welcome = await reply as Welcome;
    if (welcome.version !== PROTOCOL_VERSION) {
      this.#violate(`it chose protocol version ${welcome.version}, which was not offered`);
    }
    this.#startHeartbeat(welcome.heartbeatMs);
    return welcome;
  }

  /** Asks whether a room exists and, if so, for its salt and iterations. */
  async queryRoom(room: string): Promise<RoomInfo> {
    const reply = this.#expect("room_info", room);
    this.#write({ type: "room_query", room });
    const info = await reply as RoomInfo;
    // Matched by folded name already; its spelling is used from now on, so it must be a name.
    if (nameProblem(info.room, "room") !== null) {
      this.#violate("it answered a room query with a room name that breaks the naming rules");
    }
    return info;
  }

  /**
   * Joins a room with the key check derived from its parameters. The reply must name the very
   * room and name asked for: a member signs and seals under them.
   */
  async join(request: Omit<Join, "type">): Promise<Joined> {
    const reply = this.#expect("joined", request.room);
    this.#write({ type: "join", ...request });
    let joined: Joined;
    try {
      joined = await reply as Joined;
    } catch (error) {
      if (error instanceof RelayError) throw reworded(error, request);
      throw error;
    }
    if (joined.room !== request.room || joined.name !== request.name) {
      this.#violate(
        `it answered a join of room "${request.room}" as "${request.name}" with room ` +
          `"${joined.room}" as "${joined.name}"`,
      );
    }
    this.#rooms.add(foldName(joined.room));
    return joined;
  }

  /** Queues a sealed message; false when the connection is gone. */
  sendSealed(room: string, id: Uint8Array, sealed: Uint8Array): boolean {
    return !this.#failure && !this.#closing && this.#conn.send(encodeSend(room, id, sealed));
  }

  /** Asks to go by `name` in `room`; the answer comes unprompted (`renamed`). */
  rename(room: string, name: string): boolean {
    return this.#send({ type: "rename", room, name });
  }

  /** Sets `room`'s topic, sealed; the answer comes unprompted (`topic`). */
  setTopic(room: string, id: Uint8Array, sealed: Uint8Array): boolean {
    return this.#send({ type: "set_topic", room, id, sealed });
  }

  #send(message: ClientMessage): boolean {
    return !this.#failure && !this.#closing && this.#conn.send(encodeMessage(message));
  }

  /**
   * The room's member names, as the relay knows them, page by page up to `limit` names, and how
   * many members the room has in all.
   */
  async who(room: string, limit = MAX_WHO_NAMES): Promise<{ total: number; members: string[] }> {
    const members: string[] = [];
    let total = 0;
    while (members.length < limit) {
      const reply = this.#expect("members", room);
      this.#write({ type: "who", room, offset: members.length });
      const page = await reply;
      if (page.type !== "members") break;
      total = page.total;
      members.push(...page.members.slice(0, limit - members.length));
      // An empty page, or the end of the list: a relay cannot keep the client paging forever.
      if (page.members.length === 0 || members.length >= page.total) break;
    }
    return { total: Math.max(total, members.length), members };
  }

  /** Leaves `rooms` and closes after what is queued has been written. */
  async quit(rooms: string[]): Promise<void> {
    for (const room of rooms) {
      this.#leaving.add(foldName(room));
      this.#conn.send(encodeMessage({ type: "leave", room }));
    }
    this.#closing = true;
    this.#stopped.resolve();
    await this.#conn.close(encodeMessage({ type: "bye" }));
    await this.#closed;
  }

  /** Closes without ceremony; pending requests fail. */
  async abort(): Promise<void> {
    this.#closing = true;
    this.#stopped.resolve();
    await this.#conn.close();
    await this.#closed;
  }

  async #readLoop(): Promise<Error | null> {
    try {
      for await (const frame of this.#conn.frames()) {
        this.#lastHeardAt = performance.now();
        this.#handle(decodeMessage(frame));
        const full = this.#backpressure();
        if (full) {
          // Not reading lets the socket's buffers fill, and TCP makes the relay wait.
          this.#paused = true;
          await Promise.race([full, this.#stopped.promise]);
          this.#paused = false;
          this.#lastHeardAt = performance.now();
        }
        if (this.#failure) break;
      }
      if (this.#closing) {
        this.#rejectAll(new ChatError("closed", "The connection was closed"));
      } else {
        this.#fail(new ChatError("disconnected", "The server closed the connection"));
      }
    } catch (error) {
      if (error instanceof Violation) {
        this.#fail(
          new ChatError(
            "protocol_violation",
            `The server broke the protocol: ${error.message}; it may be faulty or hostile`,
          ),
        );
      } else if (error instanceof ProtocolError) {
        this.#fail(new ChatError(error.code, `The server sent bad data: ${error.message}`));
      } else {
        const reason = error instanceof Error ? error.message : String(error);
        this.#fail(new ChatError("disconnected", `The connection failed: ${reason}`));
      }
    } finally {
      clearInterval(this.#heartbeat);
    }
    return this.#closing && this.#failure === null ? null : this.#failure;
  }

  #handle(message: Message): void {
    switch (message.type) {
      case "deliver":
      case "ack":
      case "nack":
      case "presence":
      case "presence_summary":
      case "renamed":
      case "topic":
      case "caught_up":
        if (!this.#rooms.has(foldName(message.room))) {
          throw new Violation(`it sent ${message.type} for a room this client is not in`);
        }
        this.#onMessage(message);
        return;
      case "ping":
        this.#write({ type: "pong", token: message.token });
        return;
      case "pong":
        return;
      case "error":
        return this.#error(message);
      case "left":
        if (this.#leaving.delete(foldName(message.room))) return;
        throw new Violation("it sent left for a room this client did not leave");
      case "welcome":
      case "room_info":
      case "joined":
      case "members":
        this.#settle(message.type, "room" in message ? message.room : "", message);
        return;
      default:
        throw new ProtocolError("unexpected_frame", `A server may not send ${message.type}`);
    }
  }

  #error(message: Extract<Message, { type: "error" }>): void {
    const error = relayError(message);
    if (message.fatal) {
      this.#fail(error);
      return;
    }
    const key = foldName(message.room);
    for (const [waitKey, waiters] of this.#waiters) {
      if (waitKey.endsWith(`\u0000${key}`) && waiters.length > 0) {
        waiters.shift()!.reject(error);
        return;
      }
    }
    this.#onMessage(message);
  }

  #expect(type: ServerMessage["type"], room: string): Promise<ServerMessage> {
    if (this.#failure) return Promise.reject(this.#failure);
    const key = `${type}\u0000${foldName(room)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ChatError("timeout", `The server did not answer ${type} in time`)),
        REPLY_TIMEOUT_MS,
      );
      // A timed-out waiter stays queued, so a late reply is taken by it and not by the next.
      const waiters = this.#waiters.get(key) ?? [];
      waiters.push({
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#waiters.set(key, waiters);
    });
  }

  #settle(type: ServerMessage["type"], room: string, message: ServerMessage): void {
    const waiter = this.#waiters.get(`${type}\u0000${foldName(room)}`)?.shift();
    if (!waiter) {
      throw new Violation(
        room === ""
          ? `it sent ${type}, which this client did not ask for`
          : `it sent ${type} for a room this client did not ask about`,
      );
    }
    waiter.resolve(message);
  }

  /** Ends the connection for a reply that answers another question than the one asked. */
  #violate(detail: string): never {
    const error = new ChatError(
      "protocol_violation",
      `The server broke the protocol: ${detail}; it may be faulty or hostile`,
    );
    this.#fail(error);
    throw error;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#rejectAll(this.#failure);
    this.#stopped.resolve();
    this.#conn.close();
  }

  #rejectAll(error: Error): void {
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    }
    clearInterval(this.#heartbeat);
  }

  #write(message: Message): void {
    if (!this.#conn.send(encodeMessage(message))) {
      this.#fail(this.#failure ?? new ChatError("disconnected", "Not connected to the server"));
    }
  }

  #startHeartbeat(intervalMs: number): void {
    const interval = Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, intervalMs));
    this.#heartbeat = setInterval(() => {
      // While paused on a full backlog the relay is plainly talking; this client is the slow one.
      if (!this.#paused && performance.now() - this.#lastHeardAt > 3 * interval) {
        this.#fail(new ChatError("timeout", "The server stopped answering"));
        return;
      }
      this.#write({ type: "ping", token: this.#nextPingToken++ });
    }, interval);
  }
}
