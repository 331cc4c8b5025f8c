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
import { admit, type Refusal, renameRefusal, roomRefusal, spellingRefusal } from "./admission.ts";
import type { RelayContext } from "./context.ts";
import { disconnectLagging, endRefused, errorFrame, Membership } from "./membership.ts";
import { StorageFullError } from "./store.ts";
import { replay, ReplayStalled } from "./replay.ts";
import type { Room } from "./room.ts";
import { SendGuard } from "./send_guard.ts";

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
  "rename",
  "set_topic",
]);

/** The relay's side of one connection. */
export class Session {
  readonly conn: FrameConnection;
  /** Monotonic time the connection was accepted. */
  readonly acceptedAt: number;
  /** Monotonic time the peer was last heard from. */
  lastHeardAt: number;
  /** Monotonic time since which the session has been in no room; null while it is in one. */
  unjoinedSince: number | null;
  #greeted = false;
  #ending = false;
  #wrongPassphrases = 0;
  /** A join whose verdict waits for the room's guessing delay, and when it is due. */
  #heldJoin: { join: Join; dueAt: number } | null = null;
  readonly #context: RelayContext;
  readonly #memberships = new Map<string, Membership>();
  readonly #sends: SendGuard;

  constructor(conn: FrameConnection, context: RelayContext) {
    this.conn = conn;
    this.#context = context;
    this.acceptedAt = context.monotonic();
    this.lastHeardAt = this.acceptedAt;
    this.unjoinedSince = this.acceptedAt;
    this.#sends = new SendGuard(context.limits, {
      now: this.acceptedAt,
      address: context.addressBytes ? { key: conn.address, buckets: context.addressBytes } : null,
    });
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
        this.lastHeardAt = this.#context.monotonic();
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
    this.#heldJoin = null;
    for (const membership of [...this.#memberships.values()]) this.#leave(membership, reason);
    const finalFrame = code === null ? undefined : errorFrame(code, "", message, true);
    await this.conn.close(finalFrame);
    this.#context.log(`${this.conn.peer} disconnected${code ? ` (${code})` : ""}`);
  }

  /** Sends a frame, ending the session if the peer is not keeping up. */
  reply(message: Message): void {
    this.#send(encodeMessage(message));
  }

  /** Judges a join held for the room's guessing delay, once `now` has reached its time. */
  judgeHeldJoin(now: number): void {
    const held = this.#heldJoin;
    if (!held || held.dueAt > now || this.#ending) return;
    this.#heldJoin = null;
    this.#join(held.join, true);
  }

  /** Leaves a room the operator dropped: its members are told, and it is gone. */
  dropRoom(room: Room<Membership>): void {
    const membership = this.#memberships.get(foldName(room.name));
    if (!membership || membership.room !== room) return;
    this.#memberships.delete(foldName(room.name));
    room.remove(membership);
    this.#refuse("room_dropped", room.name, `The server's operator removed room "${room.name}"`);
    if (this.#memberships.size === 0) this.#enteredNoRoom();
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
        const invalid = roomRefusal(message.room);
        if (invalid) return this.#refuse(invalid.code, invalid.room, invalid.message);
        const room = this.#context.rooms.find(message.room);
        this.reply({
          type: "room_info",
          room: room?.name ?? message.room,
          params: room?.params ?? null,
        });
        return;
      }
      case "join":
        this.#join(message, false);
        return;
      case "send":
        return this.#publish(message.room, message.id, message.sealed);
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
      case "rename":
        return this.#rename(message.room, message.name);
      case "set_topic":
        return this.#setTopic(message.room, message.id, message.sealed);
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

  #publish(roomName: string, id: Uint8Array, sealed: Uint8Array): void {
    const membership = this.#membership(roomName, id);
    if (!membership) return;
    const refusal = this.#sends.check(sealed.length, this.#context.monotonic());
    if (refusal) {
      this.reply({ type: "nack", room: membership.room.name, id, ...refusal });
      return;
    }
    this.#context.publish(membership, id, sealed);
  }

  /**
   * /nick: the member goes by another name in the room, keeping its token (so a dropped
   * connection reclaims the new name). Counts as a send against the connection's rate.
   */
  #rename(roomName: string, name: string): void {
    const membership = this.#membership(roomName);
    if (!membership) return;
    const room = membership.room;
    const now = this.#context.monotonic();
    const refusal = this.#sends.check(0, now) ??
      renameRefusal(membership, name, this.#context.now());
    if (refusal) {
      return this.#refuse(refusal.code, room.name, refusal.message, refusal.retryAfterMs ?? 0);
    }
    const old = membership.name;
    membership.name = name;
    room.rename(membership, old);
    room.release(name);
    this.#context.reservations.remove(room.name, old);
    this.#context.reservations.save({
      room: room.name,
      name,
      token: membership.token,
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    this.#context.log(`${this.conn.peer} in "${room.name}" renamed ${old} to ${name}`);
    const frame = encodeMessage({
      type: "renamed",
      room: room.name,
      from: old,
      to: name,
      ts: this.#context.now(),
    });
    // The renamed member hears it too: that is its answer.
    if (!membership.live) this.#send(frame);
    disconnectLagging(room.broadcast(frame));
  }

  /**
   * Stores the room's topic (sealed: the relay cannot read it) and tells every member, the
   * setter included: its copy is the acknowledgement. Counts as a send against the rates.
   */
  #setTopic(roomName: string, id: Uint8Array, sealed: Uint8Array): void {
    const membership = this.#membership(roomName);
    if (!membership) return;
    const room = membership.room;
    const refusal = this.#sends.check(sealed.length, this.#context.monotonic());
    if (refusal) {
      return this.#refuse(refusal.code, room.name, refusal.message, refusal.retryAfterMs);
    }
    const topic = { from: membership.name, ts: this.#context.now(), id, sealed };
    try {
      this.#context.store.setTopic(room.name, topic);
    } catch (error) {
      this.#context.log(`could not store the topic of "${room.name}": ${String(error)}`);
      const full = error instanceof StorageFullError;
      return this.#refuse(
        full ? "storage_full" : "storage_failed",
        room.name,
        "The topic could not be stored; try again later",
      );
    }
    room.topic = topic;
    const frame = encodeMessage({ type: "topic", room: room.name, ...topic });
    if (!membership.live) this.#send(frame);
    disconnectLagging(room.broadcast(frame));
  }

  #join(join: Join, judgeNow: boolean): void {
    if (this.#heldJoin) {
      return this.#refuse(
        "too_many_attempts",
        join.room,
        "Another join of this connection is waiting for its answer",
        this.#heldJoin.dueAt - this.#context.monotonic(),
      );
    }
    const admission = admit(join, {
      peer: this.conn.peer,
      address: this.conn.address,
      context: this.#context,
      alreadyIn: this.#memberships.has(foldName(join.room)),
      judgeNow,
    });
    switch (admission.kind) {
      case "hold":
        this.#heldJoin = { join, dueAt: this.#context.monotonic() + admission.delayMs };
        return;
      case "refuse":
        return this.#refused(admission.refusal, admission.wrongPassphrase);
      case "admit":
        return this.#enter(admission.room, join);
    }
  }

  #refused(refusal: Refusal, wrongPassphrase: boolean): void {
    if (wrongPassphrase && ++this.#wrongPassphrases >= this.#context.limits.guessesPerConnection) {
      this.end(
        "too_many_attempts",
        `${this.#wrongPassphrases} wrong passphrases on one connection; it is closed`,
        "disconnected",
      );
      return;
    }
    this.#refuse(refusal.code, refusal.room, refusal.message, refusal.retryAfterMs ?? 0);
  }

  #enter(room: Room<Membership>, join: Join): void {
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
    if (this.#memberships.size === 1) {
      this.unjoinedSince = null;
      this.#context.roomsChanged(this, true);
    }
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
    if (room.topic) this.reply({ type: "topic", room: room.name, ...room.topic });
    this.#context.announce(room, "join", name, "");
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
    if (this.#memberships.size === 0) this.#enteredNoRoom();
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
    this.#context.announce(room, "leave", membership.name, reason);
  }

  #enteredNoRoom(): void {
    this.unjoinedSince = this.#context.monotonic();
    this.#context.roomsChanged(this, false);
  }

  /**
   * The membership for a room named exactly as the relay spells it. A client that spells it
   * otherwise would seal under another room name than its members open with, so it is refused
   * (for a send, with a nack the client can match to the message).
   */
  #membership(roomName: string, sendId?: Uint8Array): Membership | undefined {
    const membership = this.#memberships.get(foldName(roomName));
    const refusal = membership
      ? spellingRefusal(roomName, membership.room)
      : { code: "not_joined" as const, room: roomName, message: `Not in room "${roomName}"` };
    if (!refusal) return membership;
    if (sendId) {
      this.reply({ type: "nack", id: sendId, ...refusal, retryAfterMs: 0 });
    } else {
      this.#refuse(refusal.code, refusal.room, refusal.message);
    }
    return undefined;
  }

  #refuse(code: ErrorCode, room: string, message: string, retryAfterMs = 0): void {
    this.#send(errorFrame(code, room, message, false, retryAfterMs));
  }

  #send(frame: Uint8Array): void {
    if (!this.conn.send(frame)) endRefused(this);
  }
}
