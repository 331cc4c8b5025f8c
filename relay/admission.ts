/**
 * Who may join which room under which name: the checks a `join` passes before the relay admits
 * it, in order (valid names, not already in the room, sane parameters, the room's salt and
 * key check, a free name or the token that reclaims it). Creating a room and replacing a stale
 * connection of the same member happen here too, as part of saying yes.
 */
import {
  type ErrorCode,
  type Join,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  nameProblem,
} from "../protocol.ts";
import { equalBytes, type Room } from "./room.ts";
import type { Membership, RelayContext } from "./session.ts";

/** A request refused: the error frame to send. */
export interface Refusal {
  code: ErrorCode;
  room: string;
  message: string;
}

/** The refusal for an invalid room name, or null when it is valid. */
export function roomRefusal(roomName: string): Refusal | null {
  const problem = nameProblem(roomName, "room");
  return problem
    ? { code: "invalid_room", room: roomName, message: `Invalid room name: ${problem}` }
    : null;
}

/** The room to join, or why not. */
export function admit(
  join: Join,
  from: { peer: string; context: RelayContext; alreadyIn: boolean },
): { room: Room<Membership> } | Refusal {
  const { name, params } = join;
  const { context, peer } = from;
  const refuse = (code: ErrorCode, room: string, message: string): Refusal => ({
    code,
    room,
    message,
  });
  const invalidRoom = roomRefusal(join.room);
  if (invalidRoom) return invalidRoom;
  const problem = nameProblem(name);
  if (problem) return refuse("invalid_name", join.room, `Invalid name: ${problem}`);
  if (from.alreadyIn) {
    return refuse("already_joined", join.room, `Already in room "${join.room}"`);
  }
  if (params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
    return refuse(
      "weak_room_params",
      join.room,
      `Room iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`,
    );
  }
  let room = context.findRoom(join.room);
  if (room === undefined) {
    room = context.createRoom(join) ?? undefined;
    if (room === undefined) {
      return refuse("invalid_room", join.room, "This server has reached its room limit");
    }
    context.log(`${peer} created room "${room.name}"`);
  } else if (!room.sameParams(params)) {
    return refuse(
      "room_changed",
      room.name,
      `Room "${room.name}" has other parameters than the client expected; query it again`,
    );
  } else if (!room.checkKey(join.keyCheck)) {
    context.log(`${peer} gave a wrong passphrase for "${room.name}"`);
    return refuse("wrong_passphrase", room.name, `Wrong passphrase for room "${room.name}"`);
  }
  return claimName(room, join, from) ?? { room };
}

/**
 * Null when `join.name` may be used in `room`: it is free, or held for the client presenting the
 * resume token. A connection still holding the name with that token is a stale one of the same
 * client, and is replaced.
 */
function claimName(
  room: Room<Membership>,
  join: Join,
  from: { peer: string; context: RelayContext },
): Refusal | null {
  const { name, resumeToken: token } = join;
  const current = room.member(name);
  if (current) {
    if (token.length === 0 || !equalBytes(token, current.token)) {
      return {
        code: "name_taken",
        room: room.name,
        message: `The name "${name}" is taken in "${room.name}"`,
      };
    }
    from.context.log(`${current.session.conn.peer} replaced by ${from.peer} as ${name}`);
    current.session.end("replaced", "Replaced by a newer connection of yours", "disconnected");
    return null;
  }
  const now = from.context.now();
  const held = room.held(name, now);
  if (held && (token.length === 0 || !equalBytes(token, held.token))) {
    const minutes = Math.ceil((held.expiresAt - now) / 60_000);
    return {
      code: "name_taken",
      room: room.name,
      message: `The name "${name}" is held for a member who dropped; it is free in ${minutes} min`,
    };
  }
  return null;
}
