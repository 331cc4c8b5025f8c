/**
 * One client connection on the relay: the handshake, then joins, sends, leaves and pings. Every
 * frame from the peer is untrusted; a framing or protocol violation ends this connection only.
 */
import {
  type ClientMessage,
  decodeMessage,
  encodeDeliver,
  encodeMessage,
  type ErrorCode,
  foldName,
  type LeaveReason,
  MAX_FRAME_BYTES,
  MAX_ITERATIONS,
  type Message,
  MIN_ITERATIONS,
  nameProblem,
  PROTOCOL_VERSION,
  ProtocolError,
} from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { type Member, Room } from "./room.ts";

/** What a session needs from the relay that owns it. */
export interface RelayContext {
  readonly rooms: Map<string, Room>;
  readonly maxRooms: number;
  readonly heartbeatMs: number;
  readonly software: string;
  now(): number;
  log(line: string): void;
}

const CLIENT_TYPES = new Set<Message["type"]>([
  "hello",
  "room_query",
  "join",
  "send",
  "leave",
  "who",
  "ping",
  "pong",
  "bye",
]);

/** A membership: this session in one room, under one name. */
class Membership implements Member {
  readonly room: Room;
  readonly name: string;
  readonly session: Session;

  constructor(session: Session, room: Room, name: string) {
    this.session = session;
    this.room = room;
    this.name = name;
  }

  send(frame: Uint8Array): boolean {
    return this.session.conn.send(frame);
  }
}

/** The relay's side of one connection. */
export class Session {
  readonly conn: FrameConnection;
  readonly acceptedAt: number;
  lastHeardAt: number;
  #greeted = false;
  #ending = false;
  readonly #context: RelayContext;
  readonly #memberships = new Map<string, Membership>();

  constructor(conn: FrameConnection, context: RelayContext) {
    this.conn = conn;
    this.#context = context;
    this.acceptedAt = context.now();
    this.lastHeardAt = this.acceptedAt;
  }

  get greeted(): boolean {
    return this.#greeted;
  }

  /** Reads and handles frames until the peer leaves or breaks the protocol. */
  async run(): Promise<void> {
    this.#context.log(`${this.conn.peer} connected`);
    let reason: LeaveReason = "disconnected";
    try {
      for await (const frame of this.conn.frames()) {
        if (this.#ending) break;
        this.lastHeardAt = this.#context.now();
        const message = decodeMessage(frame);
        if (!CLIENT_TYPES.has(message.type)) {
          throw new ProtocolError("unexpected_frame", `A client may not send ${message.type}`);
        }
        if (this.#handle(message as ClientMessage) === "bye") {
          reason = "quit";
          break;
        }
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#context.log(`${this.conn.peer} protocol error: ${error.code}: ${error.message}`);
        await this.end(error.code, error.message, "disconnected");
        return;
      }
      // A failure reading this connection must not take the relay down with it.
      this.#context.log(`${this.conn.peer} read failed: ${String(error)}`);
    }
    await this.end(null, "", reason);
  }

  /**
   * Leaves every room, telling the others why, and closes; with a code, the peer is sent a fatal
   * error frame first. Safe to call more than once.
   */
  async end(code: ErrorCode | null, message: string, reason: LeaveReason): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    for (const membership of [...this.#memberships.values()]) this.#leave(membership, reason);
    const finalFrame = code === null ? undefined : errorFrame(code, "", message, true);
    await this.conn.close(finalFrame);
    this.#context.log(`${this.conn.peer} disconnected${code ? ` (${code})` : ""}`);
  }

  #handle(message: ClientMessage): "bye" | void {
    if (!this.#greeted) {
      if (message.type !== "hello") {
        throw new ProtocolError("unexpected_frame", `Expected hello, got ${message.type}`);
      }
      this.#hello(message.minVersion, message.maxVersion);
      return;
    }
    switch (message.type) {
      case "hello":
        throw new ProtocolError("unexpected_frame", "Hello was already received");
      case "room_query": {
        const room = this.#findRoom(message.room);
        if (room === undefined) return;
        this.#reply({
          type: "room_info",
          room: room?.name ?? message.room,
          params: room?.params ?? null,
        });
        return;
      }
      case "join":
        this.#join(message.room, message.name, message.params, message.keyCheck);
        return;
      case "send": {
        const membership = this.#membership(message.room);
        if (membership) this.#relay(membership, message.id, message.sealed);
        return;
      }
      case "leave": {
        const membership = this.#membership(message.room);
        if (!membership) return;
        this.#leave(membership, "quit");
        this.#reply({ type: "left", room: membership.room.name });
        return;
      }
      case "who": {
        const membership = this.#membership(message.room);
        if (!membership) return;
        const room = membership.room;
        this.#reply({ type: "members", room: room.name, members: room.memberNames() });
        return;
      }
      case "ping":
        this.#reply({ type: "pong", token: message.token });
        return;
      case "pong":
        return;
      case "bye":
        return "bye";
    }
  }

  #hello(minVersion: number, maxVersion: number): void {
    if (minVersion > PROTOCOL_VERSION || maxVersion < PROTOCOL_VERSION) {
      throw new ProtocolError(
        "version_mismatch",
        `This server speaks protocol version ${PROTOCOL_VERSION}; the client speaks ` +
          `${minVersion === maxVersion ? minVersion : `${minVersion} to ${maxVersion}`}`,
      );
    }
    this.#greeted = true;
    this.#reply({
      type: "welcome",
      version: PROTOCOL_VERSION,
      software: this.#context.software,
      maxFrameBytes: MAX_FRAME_BYTES,
      heartbeatMs: this.#context.heartbeatMs,
    });
  }

  /**
   * The room by name; undefined after refusing an invalid name, null when it does not exist yet.
   */
  #findRoom(roomName: string): Room | null | undefined {
    const problem = nameProblem(roomName, "room");
    if (problem) {
      this.#refuse("invalid_room", roomName, `Invalid room name: ${problem}`);
      return undefined;
    }
    return this.#context.rooms.get(foldName(roomName)) ?? null;
  }

  #join(
    roomName: string,
    name: string,
    params: { salt: Uint8Array; iterations: number },
    keyCheck: Uint8Array,
  ): void {
    let room = this.#findRoom(roomName);
    if (room === undefined) return;
    const problem = nameProblem(name);
    if (problem) return this.#refuse("invalid_name", roomName, `Invalid name: ${problem}`);
    if (this.#memberships.has(foldName(roomName))) {
      return this.#refuse("already_joined", roomName, `Already in room "${roomName}"`);
    }
    if (params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
      return this.#refuse(
        "weak_room_params",
        roomName,
        `Room iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`,
      );
    }
    if (room === null) {
      if (this.#context.rooms.size >= this.#context.maxRooms) {
        return this.#refuse("invalid_room", roomName, "This server has reached its room limit");
      }
      room = new Room(roomName, params, keyCheck);
      this.#context.rooms.set(foldName(roomName), room);
      this.#context.log(`${this.conn.peer} created room "${room.name}"`);
    } else if (!room.sameParams(params)) {
      return this.#refuse(
        "room_changed",
        room.name,
        `Room "${room.name}" was created with other parameters meanwhile; query it again`,
      );
    } else if (!room.checkKey(keyCheck)) {
      this.#context.log(`${this.conn.peer} gave a wrong passphrase for "${room.name}"`);
      return this.#refuse(
        "wrong_passphrase",
        room.name,
        `Wrong passphrase for room "${room.name}"`,
      );
    }
    if (room.hasName(name)) {
      return this.#refuse("name_taken", room.name, `The name "${name}" is taken in "${room.name}"`);
    }
    const membership = new Membership(this, room, name);
    room.add(membership);
    this.#memberships.set(foldName(room.name), membership);
    this.#context.log(`${this.conn.peer} joined "${room.name}" as ${name}`);
    this.#reply({
      type: "joined",
      room: room.name,
      name,
      lastSeq: room.lastSeq,
      members: room.memberNames(),
    });
    this.#broadcast(room, membership, {
      type: "presence",
      room: room.name,
      event: "join",
      name,
      ts: this.#context.now(),
      reason: "",
    });
  }

  #relay(membership: Membership, id: Uint8Array, sealed: Uint8Array): void {
    const room = membership.room;
    const seq = room.nextSeq();
    const ts = this.#context.now();
    const frame = encodeDeliver({ room: room.name, seq, ts, from: membership.name, id }, sealed);
    this.#disconnectLagging(room.broadcast(frame, membership));
    this.#reply({ type: "ack", room: room.name, id, seq, ts });
  }

  #leave(membership: Membership, reason: LeaveReason): void {
    const room = membership.room;
    if (!room.remove(membership)) return;
    this.#memberships.delete(foldName(room.name));
    this.#context.log(`${this.conn.peer} left "${room.name}" as ${membership.name} (${reason})`);
    this.#broadcast(room, membership, {
      type: "presence",
      room: room.name,
      event: "leave",
      name: membership.name,
      ts: this.#context.now(),
      reason,
    });
  }

  #broadcast(room: Room, except: Membership, message: Message): void {
    this.#disconnectLagging(room.broadcast(encodeMessage(message), except));
  }

  #disconnectLagging(lagging: Member[]): void {
    for (const member of lagging) {
      const session = (member as Membership).session;
      session.end("slow_consumer", "Disconnected: not reading messages fast enough", "too_slow");
    }
  }

  #membership(roomName: string): Membership | undefined {
    const membership = this.#memberships.get(foldName(roomName));
    if (!membership) this.#refuse("not_joined", roomName, `Not in room "${roomName}"`);
    return membership;
  }

  #refuse(code: ErrorCode, room: string, message: string): void {
    this.#send(errorFrame(code, room, message, false));
  }

  #reply(message: Message): void {
    this.#send(encodeMessage(message));
  }

  #send(frame: Uint8Array): void {
    if (!this.conn.send(frame)) {
      this.end("slow_consumer", "Disconnected: not reading replies fast enough", "too_slow");
    }
  }
}

/** An encoded error frame. */
export function errorFrame(
  code: ErrorCode,
  room: string,
  message: string,
  fatal: boolean,
): Uint8Array {
  return encodeMessage({ type: "error", code, room, message, fatal });
}
