/**
 * Who may join which room under which name: the checks a `join` passes before the relay admits
 * it, in order (valid names, not already in the room, sane parameters, the room's canonical
 * spelling, salt and key check under the guessing limits, a free name or the token that reclaims
 * it). Creating a room and replacing a stale connection of the same member happen here too, as
 * part of saying yes.
 */
import {
  type ErrorCode,
  foldName,
  type Join,
  KDF_VERSIONS,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  nameProblem,
} from "../protocol.ts";
import { equalBytes, Room } from "./room.ts";
import type { RelayContext } from "./context.ts";
import type { Membership } from "./membership.ts";

/**
 * Key derivation versions a room may be created with. The relay cannot check derivation, but
 * refusing versions no client knows keeps rooms that nobody could join from being created.
 */
const KNOWN_KDFS: ReadonlySet<number> = new Set(Object.values(KDF_VERSIONS));

/** A request refused: the error frame to send. */
export interface Refusal {
  code: ErrorCode;
  room: string;
  message: string;
  /** For refusals that pass with time: when to try again. */
  retryAfterMs?: number;
}

/** What to do with a join. */
export type Admission =
  | { kind: "admit"; room: Room<Membership> }
  /** `wrongPassphrase`: it counts as a guess against the connection. */
  | { kind: "refuse"; refusal: Refusal; wrongPassphrase: boolean }
  /** The room is being guessed at: judge this join again after `delayMs`. */
  | { kind: "hold"; delayMs: number };

/** The refusal for an invalid room name, or null when it is valid. */
export function roomRefusal(roomName: string): Refusal | null {
  const problem = nameProblem(roomName, "room");
  return problem
    ? { code: "invalid_room", room: roomName, message: `Invalid room name: ${problem}` }
    : null;
}

/** The refusal for a room name spelled otherwise than the room's own spelling, or null. */
export function spellingRefusal(asked: string, room: Room<Membership>): Refusal | null {
  return asked === room.name ? null : {
    code: "invalid_room",
    room: asked,
    message: `The room is spelled "${room.name}" on this server; use that spelling`,
  };
}

/**
 * The room to join, or why not. `judgeNow` skips the guessing limits' hold: the join was held
 * already and its time has come.
 */
export function admit(
  join: Join,
  from: {
    peer: string;
    address: string;
    context: RelayContext;
    alreadyIn: boolean;
    judgeNow: boolean;
  },
): Admission {
  const { name, params } = join;
  const { context, peer, address } = from;
  const refuse = (code: ErrorCode, room: string, message: string): Admission => ({
    kind: "refuse",
    refusal: { code, room, message },
    wrongPassphrase: false,
  });
  const invalidRoom = roomRefusal(join.room);
  if (invalidRoom) return { kind: "refuse", refusal: invalidRoom, wrongPassphrase: false };
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
  if (!KNOWN_KDFS.has(params.kdf)) {
    return refuse("weak_room_params", join.room, `Unknown key derivation version ${params.kdf}`);
  }
  let room = context.rooms.find(join.room);
  if (room === undefined) {
    const created = context.rooms.create(join, { address, now: context.monotonic() });
    if (!(created instanceof Room)) {
      return { kind: "refuse", refusal: created, wrongPassphrase: false };
    }
    room = created;
    context.log(`${peer} created room "${room.name}"`);
  } else {
    const misspelt = spellingRefusal(join.room, room);
    if (misspelt) return { kind: "refuse", refusal: misspelt, wrongPassphrase: false };
    if (!room.sameParams(params)) {
      return refuse(
        "room_changed",
        room.name,
        `Room "${room.name}" has other parameters than the client expected; query it again`,
      );
    }
    const verdict = judgePassphrase(room, join, from);
    if (verdict) return verdict;
  }
  const taken = claimName(room, join, from);
  return taken
    ? { kind: "refuse", refusal: taken, wrongPassphrase: false }
    : { kind: "admit", room };
}

/** Null when the key check matches; otherwise the refusal, counted as a guess. */
function judgePassphrase(
  room: Room<Membership>,
  join: Join,
  from: { peer: string; address: string; context: RelayContext; judgeNow: boolean },
): Admission | null {
  const { context, address } = from;
  const guesses = context.guesses;
  const roomKey = foldName(room.name);
  const now = context.monotonic();
  if (guesses && !from.judgeNow) {
    const verdict = guesses.check(address, roomKey, now);
    if (verdict.kind === "hold") return verdict;
    if (verdict.kind === "refuse") {
      return {
        kind: "refuse",
        refusal: {
          code: "too_many_attempts",
          room: room.name,
          message: "Too many wrong passphrases from your address; wait before trying again",
          retryAfterMs: verdict.retryAfterMs,
        },
        wrongPassphrase: false,
      };
    }
  }
  if (room.checkKey(join.keyCheck)) return null;
  if (guesses) guesses.miss(address, room.name, roomKey, now);
  else context.log(`${from.peer} gave a wrong passphrase for "${room.name}"`);
  return {
    kind: "refuse",
    refusal: {
      code: "wrong_passphrase",
      room: room.name,
      message: `Wrong passphrase for room "${room.name}"`,
    },
    wrongPassphrase: true,
  };
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
  return heldOrLookalike(room, name, { token, now: from.context.now() });
}

/**
 * The refusal for a name held for someone else's dropped session (a hold the `token` reclaims is
 * no obstacle), or one that looks like a member's or a held name other than `own`; else null.
 */
function heldOrLookalike(
  room: Room<Membership>,
  name: string,
  claimant: { token: Uint8Array; now: number; own?: string },
): Refusal | null {
  const { token, now, own } = claimant;
  const held = room.held(name, now);
  if (held) {
    if (token.length > 0 && equalBytes(token, held.token)) return null;
    const minutes = Math.ceil((held.expiresAt - now) / 60_000);
    return {
      code: "name_taken",
      room: room.name,
      message: `The name "${name}" is held for a member who dropped; it is free in ${minutes} min`,
      // When it frees, for a client to say in its own words (a name in use now has none).
      retryAfterMs: held.expiresAt - now,
    };
  }
  const lookalike = room.lookalike(name);
  if (lookalike === undefined || (own !== undefined && foldName(lookalike) === foldName(own))) {
    return null;
  }
  return {
    code: "name_confusable",
    room: room.name,
    message: `The name "${name}" looks too much like "${lookalike}", who is in "${room.name}"`,
  };
}

/** Null when `membership` may go by `name` in its room from now on; otherwise why not. */
export function renameRefusal(
  membership: Membership,
  name: string,
  now: number,
): Refusal | null {
  const room = membership.room;
  const problem = nameProblem(name);
  if (problem) {
    return { code: "invalid_name", room: room.name, message: `Invalid name: ${problem}` };
  }
  const current = room.member(name);
  if (current && current !== membership) {
    return { code: "name_taken", room: room.name, message: `The name "${name}" is taken` };
  }
  return heldOrLookalike(room, name, { token: membership.token, now, own: membership.name });
}
