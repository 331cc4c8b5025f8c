/**
 * Replaying stored messages to a member who joins or resumes, without overrunning its send queue:
 * a chunk at a time, waiting for the queue to drain in between. The member turns live in the
 * same synchronous step as the final read, so no message falls between replay and broadcast.
 */
import {
  deliverFrameBytes,
  encodeDeliver,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
} from "../protocol.ts";
import type { Membership } from "./membership.ts";
import type { RelayStore } from "./store.ts";

/** The member's queue stayed full even after draining: it is not reading. */
export class ReplayStalled extends Error {
  constructor() {
    super("Not reading replayed messages");
    this.name = "ReplayStalled";
  }
}

/** Messages read from storage per step. */
const REPLAY_CHUNK = 256;

/**
 * Sends every stored message after `afterSeq`, then calls `caughtUp` in the same synchronous step
 * as the read that found nothing more.
 */
export async function replay(
  membership: Membership,
  afterSeq: number,
  store: RelayStore,
  caughtUp: () => void,
): Promise<void> {
  const room = membership.room;
  const conn = membership.session.conn;
  // Most joins ask for nothing stored: no need to ask the store to say so.
  if (afterSeq >= room.committedSeq) return caughtUp();
  let cursor = afterSeq;
  while (!membership.session.ending) {
    const messages = store.readMessages(room.name, cursor, REPLAY_CHUNK);
    for (const message of messages) {
      cursor = message.seq;
      // Stored by an older relay that accepted any size: no client could take it, and sending it
      // would make every member drop its connection and come back for it, forever.
      const size = deliverFrameBytes(room.name, message.from, message.sealed.length);
      if (size - LENGTH_PREFIX_BYTES > MAX_FRAME_BYTES) continue;
      const frame = encodeDeliver({ room: room.name, ...message }, message.sealed);
      if (!conn.send(frame)) {
        await conn.drained();
        if (membership.session.ending) return;
        if (!conn.send(frame)) throw new ReplayStalled();
      }
    }
    if (messages.length < REPLAY_CHUNK) return caughtUp();
    await conn.drained();
  }
}
