/**
 * The client's side of one connection: the handshake, requests matched to their replies, and the
 * heartbeat. Everything else the relay sends (deliveries, acks, presence) goes to the owner as
 * it arrives. It knows nothing about keys or terminals.
 */
import {
  decodeMessage,
  encodeMessage,
  encodeSend,
  type ErrorMessage,
  foldName,
  type Join,
  type Joined,
  type Message,
  PROTOCOL_VERSION,
  ProtocolError,
  type RoomInfo,
  type ServerMessage,
  type Welcome,
} from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { ChatError } from "./errors.ts";

/** How long the client waits for any single reply. */
export const REPLY_TIMEOUT_MS = 15_000;
/** Most member names `who` collects, page after page. */
export const MAX_WHO_NAMES = 10_000;

/** Messages the relay sends unprompted, passed on to the connection's owner. */
export type Unprompted = Extract<
  ServerMessage,
  { type: "deliver" | "ack" | "nack" | "presence" | "caught_up" | "error" }
>;

type Waiter = { resolve(message: ServerMessage): void; reject(error: Error): void };

/** A connected client. */
export class ClientConnection {
  readonly #conn: FrameConnection;
  readonly #onMessage: (message: Unprompted) => void;
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #closed: Promise<Error | null>;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastHeardAt = Date.now();
  #failure: Error | null = null;
  #nextPingToken = 1;
  #closing = false;

  constructor(conn: FrameConnection, onMessage: (message: Unprompted) => void) {
    this.#conn = conn;
    this.#onMessage = onMessage;
    this.#closed = this.#readLoop();
  }

  /** Resolves when the connection ends: null after `quit` or `abort`, else why it failed. */
  get closed(): Promise<Error | null> {
    return this.#closed;
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
    this.#startHeartbeat(welcome.heartbeatMs);
    return welcome;
  }

  /** Asks whether a room exists and, if so, for its salt and iterations. */
  async queryRoom(room: string): Promise<RoomInfo> {
    const reply = this.#expect("room_info", room);
    this.#write({ type: "room_query", room });
    return await reply as RoomInfo;
  }

  /** Joins a room with the key check derived from its parameters. */
  async join(request: Omit<Join, "type">): Promise<Joined> {
    const reply = this.#expect("joined", request.room);
    this.#write({ type: "join", ...request });
    return await reply as Joined;
  }

  /** Queues a sealed message; false when the connection is gone. */
  sendSealed(room: string, id: Uint8Array, sealed: Uint8Array): boolean {
    return !this.#failure && !this.#closing && this.#conn.send(encodeSend(room, id, sealed));
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
    for (const room of rooms) this.#conn.send(encodeMessage({ type: "leave", room }));
    this.#closing = true;
    await this.#conn.close(encodeMessage({ type: "bye" }));
    await this.#closed;
  }

  /** Closes without ceremony; pending requests fail. */
  async abort(): Promise<void> {
    this.#closing = true;
    await this.#conn.close();
    await this.#closed;
  }

  async #readLoop(): Promise<Error | null> {
    try {
      for await (const frame of this.#conn.frames()) {
        this.#lastHeardAt = Date.now();
        this.#handle(decodeMessage(frame));
      }
      if (this.#closing) {
        this.#rejectAll(new ChatError("closed", "The connection was closed"));
      } else {
        this.#fail(new ChatError("disconnected", "The server closed the connection"));
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
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
      case "caught_up":
        this.#onMessage(message);
        return;
      case "ping":
        this.#write({ type: "pong", token: message.token });
        return;
      case "pong":
        return;
      case "error":
        return this.#error(message);
      case "welcome":
      case "room_info":
      case "joined":
      case "members":
      case "left":
        this.#settle(message.type, "room" in message ? message.room : "", message);
        return;
      default:
        throw new ProtocolError("unexpected_frame", `A server may not send ${message.type}`);
    }
  }

  #error(message: ErrorMessage): void {
    const error = new ChatError(message.code, message.message);
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
    const waiters = this.#waiters.get(`${type}\u0000${foldName(room)}`);
    waiters?.shift()?.resolve(message);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#rejectAll(this.#failure);
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
    const interval = Math.max(1_000, intervalMs);
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeardAt > 3 * interval) {
        this.#fail(new ChatError("timeout", "The server stopped answering"));
        return;
      }
      this.#write({ type: "ping", token: this.#nextPingToken++ });
    }, interval);
  }
}
