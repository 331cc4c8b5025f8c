/**
 * One client connection on the relay: the handshake, then joins, sends, leaves and pings. Every
 * frame from the peer is untrusted; a framing or protocol violation ends this connection only.
 */
import {
  type Catchup,
  type ClientMessage,
  decodeMessage,
  encodeMessage,
  type ErrorCode,
  foldName,
  type Join,
  type LeaveReason,
  MAX_FRAME_BYTES,
  MAX_LISTED_MEMBERS,
  MEMBERS_PAGE,
  type Message,
  PROTOCOL_VERSION,
  ProtocolError,
  RESUME_TOKEN_BYTES,
} from "../protocol.ts";
import type { FrameConnection } from "../transport/types.ts";
import { admit, roomRefusal } from "./admission.ts";
import { replay, ReplayStalled } from "./replay.ts";
import type { Member, Room } from "./room.ts";
import type { ReservationLog } from "./reservation_log.ts";
import type { RelayStore } from "./store.ts";

/** What a session needs from the relay that owns it. */
export interface RelayContext {
  readonly heartbeatMs: number;
  readonly software: string;
  readonly store: RelayStore;
  readonly reservations: ReservationLog;
  /** How long a dropped member's name stays held for it. */
  readonly holdMs: number;
  /** Messages kept per room: older ones are never replayed, even before pruning removes them. */
  readonly retainCount: number;
  now(): number;
  log(line: string): void;
  findRoom(name: string): Room<Membership> | undefined;
  /** Creates and stores a room; null when the relay holds as many rooms as it may. */
  createRoom(join: Join): Room<Membership> | null;
  /** Accepts a sealed message for storage and delivery. */
  publish(membership: Membership, id: Uint8Array, sealed: Uint8Array): void;
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

/** A membership: one session in one room, under one name. */
export class Membership implements Member {
  readonly room: Room<Membership>;
  readonly name: string;
  readonly session: Session;
  readonly token: Uint8Array;
  live = false;

  constructor(session: Session, room: Room<Membership>, name: string, token: Uint8Array) {
    this.session = session;
    this.room = room;
    this.name = name;
    this.token = token;
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

  get ending(): boolean {
    return this.#ending;
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

  /** Sends a frame, ending the session if the peer is not keeping up. */
  reply(message: Message): void {
    this.#send(encodeMessage(message));
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
        if (!this.#validRoom(message.room)) return;
        const room = this.#context.findRoom(message.room);
        this.reply({
          type: "room_info",
          room: room?.name ?? message.room,
          params: room?.params ?? null,
        });
        return;
      }
      case "join":
        this.#join(message);
        return;
      case "send": {
        const membership = this.#membership(message.room);
        if (membership) this.#context.publish(membership, message.id, message.sealed);
        return;
      }
      case "leave": {
        const membership = this.#membership(message.room);
        if (!membership) return;
        this.#leave(membership, "quit");
        this.reply({ type: "left", room: membership.room.name });
        return;
      }
      case "who": {
        const membership = this.#membership(message.room);
        if (!membership) return;
        const room = membership.room;
        this.reply({
          type: "members",
          room: room.name,
          total: room.size,
          offset: message.offset,
          members: room.memberNames(message.offset, MEMBERS_PAGE),
        });
        return;
      }
      case "ping":
        this.reply({ type: "pong", token: message.token });
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
    this.reply({
      type: "welcome",
      version: PROTOCOL_VERSION,
      software: this.#context.software,
      maxFrameBytes: MAX_FRAME_BYTES,
      heartbeatMs: this.#context.heartbeatMs,
    });
  }

  #validRoom(roomName: string): boolean {
    const refusal = roomRefusal(roomName);
    if (refusal) this.#refuse(refusal.code, refusal.room, refusal.message);
    return refusal === null;
  }

  #join(join: Join): void {
    const admission = admit(join, {
      peer: this.conn.peer,
      context: this.#context,
      alreadyIn: this.#memberships.has(foldName(join.room)),
    });
    if ("code" in admission) {
      return this.#refuse(admission.code, admission.room, admission.message);
    }
    const { room } = admission;
    const name = join.name;
    const token = crypto.getRandomValues(new Uint8Array(RESUME_TOKEN_BYTES));
    const membership = new Membership(this, room, name, token);
    room.add(membership);
    room.release(name);
    this.#context.reservations.save({
      room: room.name,
      name,
      token,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    this.#memberships.set(foldName(room.name), membership);
    this.#context.log(`${this.conn.peer} joined "${room.name}" as ${name}`);
    const firstSeq = Math.max(
      room.committedSeq === 0 ? 1 : this.#context.store.firstSeq(room.name),
      room.committedSeq - this.#context.retainCount + 1,
    );
    this.reply({
      type: "joined",
      room: room.name,
      name,
      lastSeq: room.committedSeq,
      firstSeq,
      resumeToken: token,
      memberCount: room.size,
      members: room.memberNames(0, MAX_LISTED_MEMBERS),
    });
    this.#broadcast(room, name, {
      type: "presence",
      room: room.name,
      event: "join",
      name,
      ts: this.#context.now(),
      reason: "",
    });
    this.#catchUp(membership, join.catchup, firstSeq);
  }

  #catchUp(membership: Membership, catchup: Catchup, firstSeq: number): void {
    const room = membership.room;
    const wanted = catchup.kind === "resume"
      ? catchup.afterSeq
      : Math.max(0, room.committedSeq - catchup.limit);
    const afterSeq = Math.max(wanted, firstSeq - 1);
    replay(membership, afterSeq, this.#context.store, () => {
      membership.live = true;
      this.reply({ type: "caught_up", room: room.name, lastSeq: room.committedSeq });
    }).catch((error) => {
      if (error instanceof ReplayStalled) {
        this.end("slow_consumer", "Disconnected: not reading history fast enough", "too_slow");
        return;
      }
      this.#context.log(`${this.conn.peer} replay failed: ${String(error)}`);
      this.end("storage_failed", "The relay could not read its storage", "disconnected");
    });
  }

  #leave(membership: Membership, reason: LeaveReason): void {
    const room = membership.room;
    this.#memberships.delete(foldName(room.name));
    if (!room.remove(membership)) return;
    if (reason === "quit") {
      this.#context.reservations.remove(room.name, membership.name);
    } else {
      const hold = {
        name: membership.name,
        token: membership.token,
        expiresAt: this.#context.now() + this.#context.holdMs,
      };
      room.hold(hold);
      this.#context.reservations.save({ room: room.name, ...hold });
    }
    this.#context.log(`${this.conn.peer} left "${room.name}" as ${membership.name} (${reason})`);
    this.#broadcast(room, membership.name, {
      type: "presence",
      room: room.name,
      event: "leave",
      name: membership.name,
      ts: this.#context.now(),
      reason,
    });
  }

  #broadcast(room: Room<Membership>, exceptName: string, message: Message): void {
    disconnectLagging(room.broadcast(encodeMessage(message), exceptName));
  }

  #membership(roomName: string): Membership | undefined {
    const membership = this.#memberships.get(foldName(roomName));
    if (!membership) this.#refuse("not_joined", roomName, `Not in room "${roomName}"`);
    return membership;
  }

  #refuse(code: ErrorCode, room: string, message: string): void {
    this.#send(errorFrame(code, room, message, false));
  }

  #send(frame: Uint8Array): void {
    if (!this.conn.send(frame)) endRefused(this);
  }
}

/**
 * Ends the sessions of members whose sends were refused. Each ends in its own microtask, because
 * ending sends presence to the others, which may overflow more queues: no recursion through the
 * room.
 */
export function disconnectLagging(lagging: Membership[]): void {
  for (const member of lagging) queueMicrotask(() => endRefused(member.session));
}

/**
 * Ends a session whose connection refused a frame: a full queue means the peer does not read; a
 * closed one means it is already gone, which is no fault of its own.
 */
function endRefused(session: Session): void {
  if (session.conn.open) {
    session.end("slow_consumer", "Disconnected: not reading fast enough", "too_slow");
  } else {
    session.end(null, "", "disconnected");
  }
}

/** An encoded error frame. */
export function errorFrame(
  code: ErrorCode,
  room: string,
  message: string,
  fatal: boolean,
): Uint8Array {
  return encodeMessage({ type: "error", code, room, message, fatal, retryAfterMs: 0 });
}
