/**
 * The client's side of one connection: the handshake, requests matched to their replies, sealing
 * outgoing messages and opening incoming ones, acknowledgements and the heartbeat. It knows nothing
 * about terminals; whoever drives it receives `ClientEvent`s.
 */
import { messageAad, newMessageId, open, type RoomKey, seal } from "../crypto.ts";
import {
  type Ack,
  type BodyKind,
  decodeBody,
  decodeMessage,
  encodeBody,
  encodeMessage,
  encodeSend,
  type ErrorMessage,
  foldName,
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

/** What happens on a connection, for a user interface to show. */
export type ClientEvent =
  | {
    type: "message";
    room: string;
    from: string;
    text: string;
    kind: BodyKind;
    seq: number;
    ts: number;
    id: string;
  }
  | { type: "join"; room: string; from: string; ts: number }
  | { type: "leave"; room: string; from: string; ts: number; reason: string }
  | { type: "ack"; room: string; id: string; seq: number; ts: number }
  | { type: "error"; code: string; message: string; room?: string };

/** A room this connection has joined, with the key for it. */
interface JoinedRoom {
  name: string;
  me: string;
  key: RoomKey;
}

type Waiter = { resolve(message: ServerMessage): void; reject(error: Error): void };

/** A message the relay has acknowledged: its id, and the sequence number and time it assigned. */
export interface SentMessage {
  id: string;
  seq: number;
  ts: number;
}

/** A connected, greeted client. */
export class ClientConnection {
  readonly #conn: FrameConnection;
  readonly #onEvent: (event: ClientEvent) => void;
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #pendingAcks = new Map<string, Waiter>();
  readonly #rooms = new Map<string, JoinedRoom>();
  readonly #closed: Promise<Error | null>;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastHeardAt = Date.now();
  #failure: Error | null = null;
  #nextPingToken = 1;
  #outbox: Promise<void> = Promise.resolve();
  #closing = false;
  welcome: Welcome | null = null;

  constructor(conn: FrameConnection, onEvent: (event: ClientEvent) => void) {
    this.#conn = conn;
    this.#onEvent = onEvent;
    this.#closed = this.#readLoop();
  }

  /** Resolves when the connection ends: null after a clean close, else why it failed. */
  get closed(): Promise<Error | null> {
    return this.#closed;
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#pendingAcks.size;
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
    this.welcome = welcome;
    this.#startHeartbeat(welcome.heartbeatMs);
    return welcome;
  }

  /** Asks whether a room exists and, if so, for its salt and iterations. */
  async queryRoom(room: string): Promise<RoomInfo> {
    const reply = this.#expect("room_info", room);
    this.#write({ type: "room_query", room });
    return await reply as RoomInfo;
  }

  /** Joins a room whose key the caller derived from the room's parameters. */
  async join(
    room: string,
    name: string,
    params: { salt: Uint8Array; iterations: number },
    key: RoomKey,
  ): Promise<Joined> {
    const reply = this.#expect("joined", room);
    this.#write({ type: "join", room, name, params, keyCheck: key.keyCheck });
    const joined = await reply as Joined;
    this.#rooms.set(foldName(joined.room), { name: joined.room, me: joined.name, key });
    return joined;
  }

  /**
   * Seals and sends a message; resolves once the relay acknowledges it. Messages leave in the
   * order `send` was called, although sealing is asynchronous.
   */
  send(room: string, text: string, kind: BodyKind = "text"): Promise<SentMessage> {
    const joined = this.#room(room);
    const sent = this.#outbox.then(async () => {
      const id = newMessageId();
      const aad = messageAad({
        version: PROTOCOL_VERSION,
        room: joined.name,
        sender: joined.me,
        id,
      });
      const body = encodeBody({ kind, sentAt: Date.now(), text });
      const sealed = await seal(joined.key.messageKey, body, aad);
      if (this.#failure) throw this.#failure;
      const idHex = toHex(id);
      const acked = new Promise<SentMessage>((resolve, reject) => {
        this.#pendingAcks.set(idHex, {
          resolve: (ack) => resolve({ id: idHex, seq: (ack as Ack).seq, ts: (ack as Ack).ts }),
          reject,
        });
      });
      if (!this.#conn.send(encodeSend(joined.name, id, sealed))) {
        this.#fail(new ChatError("disconnected", "Not connected to the server"));
      }
      return { acked };
    });
    this.#outbox = sent.then(() => {}, () => {});
    return sent.then(({ acked }) => acked);
  }

  /** The room's member names, as the relay knows them. */
  async who(room: string): Promise<string[]> {
    const reply = this.#expect("members", room);
    this.#write({ type: "who", room });
    const members = await reply;
    return members.type === "members" ? members.members : [];
  }

  /** Leaves every room and closes, after what is queued has been written. */
  async quit(): Promise<void> {
    for (const room of this.#rooms.values()) {
      this.#conn.send(encodeMessage({ type: "leave", room: room.name }));
    }
    this.#rooms.clear();
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
        await this.#handle(decodeMessage(frame));
      }
      this.#fail(
        this.#failure ?? new ChatError("disconnected", "The server closed the connection"),
      );
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#fail(new ChatError(error.code, `The server sent bad data: ${error.message}`));
        await this.#conn.close();
      } else {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
      }
    } finally {
      clearInterval(this.#heartbeat);
    }
    return this.#failure;
  }

  async #handle(message: Message): Promise<void> {
    switch (message.type) {
      case "deliver":
        return await this.#deliver(
          message.room,
          message.from,
          message.seq,
          message.ts,
          message.id,
          message.sealed,
        );
      case "ack": {
        const idHex = toHex(message.id);
        const waiter = this.#pendingAcks.get(idHex);
        if (!waiter) return;
        this.#pendingAcks.delete(idHex);
        this.#onEvent({
          type: "ack",
          room: message.room,
          id: idHex,
          seq: message.seq,
          ts: message.ts,
        });
        waiter.resolve(message);
        return;
      }
      case "presence":
        if (message.event === "join") {
          this.#onEvent({ type: "join", room: message.room, from: message.name, ts: message.ts });
        } else {
          this.#onEvent({
            type: "leave",
            room: message.room,
            from: message.name,
            ts: message.ts,
            reason: message.reason,
          });
        }
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

  async #deliver(
    room: string,
    from: string,
    seq: number,
    ts: number,
    id: Uint8Array,
    sealed: Uint8Array,
  ): Promise<void> {
    const joined = this.#rooms.get(foldName(room));
    if (!joined) return;
    try {
      const aad = messageAad({ version: PROTOCOL_VERSION, room: joined.name, sender: from, id });
      const body = decodeBody(await open(joined.key.messageKey, sealed, aad));
      this.#onEvent({
        type: "message",
        room: joined.name,
        from,
        text: body.text,
        kind: body.kind,
        seq,
        ts,
        id: toHex(id),
      });
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      this.#onEvent({
        type: "error",
        code: "undecryptable",
        room: joined.name,
        message: `Could not read message #${seq} from ${from}: ${error.message}`,
      });
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
    this.#onEvent({
      type: "error",
      code: message.code,
      message: message.message,
      room: message.room,
    });
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
    for (const waiter of this.#pendingAcks.values()) waiter.reject(error);
    this.#pendingAcks.clear();
    clearInterval(this.#heartbeat);
  }

  #room(room: string): JoinedRoom {
    const joined = this.#rooms.get(foldName(room));
    if (!joined) throw new ChatError("not_joined", `Not in room "${room}"`);
    return joined;
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

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
