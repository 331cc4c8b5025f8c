/**
 * The relay's rooms and their lifecycle: loading them (and the names held in them) at start,
 * creating them within the operator's limits (an allowlist, a cap, a rate per address), expiring
 * rooms nobody uses (no members, no held names, nothing stored) so that squatted or junk rooms do
 * not outlive their creators, and forgetting rooms an operator dropped. It knows rooms and their
 * storage, not connections: what happens to members of a dropped room is the relay's business.
 */
import { confusableKey, foldName, type Join } from "../protocol.ts";
import type { Refusal } from "./admission.ts";
import type { RelayLimits } from "./limits.ts";
import { KeyedBuckets } from "./rate_limit.ts";
import type { ReservationLog } from "./reservation_log.ts";
import { Room } from "./room.ts";
import type { Membership } from "./membership.ts";
import type { RelayStore } from "./store.ts";

/** Every room the relay holds. */
export class RoomRegistry {
  readonly #rooms = new Map<string, Room<Membership>>();
  /** Rooms by their look-alike key (`confusableKey`), so "Iobby" cannot pass for "lobby". */
  readonly #lookalikes = new Map<string, Room<Membership>>();
  readonly #store: RelayStore;
  readonly #reservations: ReservationLog;
  readonly #limits: RelayLimits;
  readonly #log: (line: string) => void;
  readonly #creations: KeyedBuckets | null;

  constructor(
    store: RelayStore,
    options: { reservations: ReservationLog; limits: RelayLimits; log: (line: string) => void },
  ) {
    this.#store = store;
    this.#reservations = options.reservations;
    this.#limits = options.limits;
    this.#log = options.log;
    this.#creations = options.limits.roomCreation
      ? new KeyedBuckets(options.limits.roomCreation)
      : null;
  }

  /** Rooms held now. */
  get size(): number {
    return this.#rooms.size;
  }

  /** The room named `name` in any case, if it exists. */
  find(name: string): Room<Membership> | undefined {
    return this.#rooms.get(foldName(name));
  }

  /** Every room. */
  values(): IterableIterator<Room<Membership>> {
    return this.#rooms.values();
  }

  /**
   * Loads the stored rooms and the names held in them. Holds are cut to `holdMs` from now: a hold
   * is for a member coming back soon, however long the relay was down.
   */
  load(now: { wall: number; monotonic: number }, holdMs: number): void {
    for (const stored of this.#store.loadRooms()) {
      const room = new Room<Membership>(
        stored.name,
        stored.params,
        stored.keyCheck,
        stored.lastSeq,
      );
      room.emptySince = now.monotonic;
      room.topic = stored.topic;
      this.#add(room);
    }
    for (const reservation of this.#store.loadReservations(now.wall)) {
      const room = this.find(reservation.room);
      if (!room) continue;
      const hold = {
        ...reservation,
        expiresAt: Math.min(reservation.expiresAt, now.wall + holdMs),
      };
      room.hold(hold);
      if (hold.expiresAt !== reservation.expiresAt) this.#reservations.save(hold);
    }
  }

  /** Creates and stores the room `join` asks for, or says why not. */
  create(join: Join, from: { address: string; now: number }): Room<Membership> | Refusal {
    const { roomAllowlist, maxRooms } = this.#limits;
    if (roomAllowlist && !roomAllowlist.has(foldName(join.room))) {
      return {
        code: "room_not_allowed",
        room: join.room,
        message: `This server does not allow a room named "${join.room}"`,
      };
    }
    const lookalike = this.#lookalikes.get(confusableKey(join.room));
    if (lookalike && foldName(lookalike.name) !== foldName(join.room)) {
      return {
        code: "name_confusable",
        room: join.room,
        message: `The room name "${join.room}" looks too much like the room "${lookalike.name}"`,
      };
    }
    if (this.#rooms.size >= maxRooms) {
      return {
        code: "room_limit",
        room: join.room,
        message: "This server has reached its room limit",
      };
    }
    const wait = this.#creations?.take(from.address, 1, from.now) ?? 0;
    if (wait > 0) {
      return {
        code: "too_many_rooms",
        room: join.room,
        message: "Too many new rooms from your address; try again later",
        retryAfterMs: wait,
      };
    }
    const room = new Room<Membership>(join.room, join.params, join.keyCheck);
    this.#store.createRoom({ name: room.name, params: room.params, keyCheck: room.keyCheck });
    this.#add(room);
    return room;
  }

  /**
   * Releases expired name holds and deletes rooms that have had no members and no held names for
   * the expiry time and store nothing (never stored, or pruned away). Returns the rooms deleted.
   */
  sweep(now: { wall: number; monotonic: number }): string[] {
    this.#creations?.forgetIdle(now.monotonic);
    const expired: string[] = [];
    for (const [key, room] of this.#rooms) {
      for (const name of room.expireHolds(now.wall)) this.#reservations.remove(room.name, name);
      if (room.size > 0 || room.heldCount > 0) {
        room.emptySince = null;
        continue;
      }
      room.emptySince ??= now.monotonic;
      if (now.monotonic - room.emptySince < this.#limits.emptyRoomMs) continue;
      // Messages still on their way to storage, or kept there: the room holds history.
      if (room.lastSeq !== room.committedSeq) continue;
      if (room.committedSeq > 0 && this.#store.firstSeq(room.name) <= room.committedSeq) continue;
      this.#store.deleteRoom(room.name);
      this.#remove(key, room);
      expired.push(room.name);
    }
    return expired;
  }

  /** Forgets a room an operator dropped from storage; returns it, to tell its members. */
  forget(folded: string): Room<Membership> | undefined {
    const room = this.#rooms.get(folded);
    if (room) this.#remove(folded, room);
    return room;
  }

  #add(room: Room<Membership>): void {
    this.#rooms.set(foldName(room.name), room);
    this.#lookalikes.set(confusableKey(room.name), room);
  }

  #remove(folded: string, room: Room<Membership>): void {
    this.#rooms.delete(folded);
    const key = confusableKey(room.name);
    if (this.#lookalikes.get(key) === room) this.#lookalikes.delete(key);
  }
}
