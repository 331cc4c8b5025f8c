/**
 * A session's place in one room, and what happens to sessions that cannot take more frames: the
 * frames a session sends, the error frame it closes with, and ending those that fell behind.
 */
import { encodeMessage, type ErrorCode } from "../protocol.ts";
import type { Member, Room } from "./room.ts";
import type { Session } from "./session.ts";

/** A membership: one session in one room, under one name. */
export class Membership implements Member {
  readonly room: Room<Membership>;
  /** The name it goes by; /nick changes it. */
  name: string;
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
export function endRefused(session: Session): void {
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
  retryAfterMs = 0,
): Uint8Array {
  return encodeMessage({
    type: "error",
    code,
    room,
    message,
    fatal,
    retryAfterMs: Math.min(Math.max(0, Math.ceil(retryAfterMs)), 0xffff_ffff),
  });
}
