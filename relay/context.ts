/**
 * What a session needs from the relay that owns it: its settings and limits, its clocks, the
 * rooms and stores, and the few things only the relay does (publishing, presence, counting
 * sessions in no room). Types only; relay.ts builds it.
 */
import type { LeaveReason } from "../protocol.ts";
import type { GuessGuard } from "./guess_guard.ts";
import type { RelayLimits } from "./limits.ts";
import type { Membership } from "./membership.ts";
import type { KeyedBuckets } from "./rate_limit.ts";
import type { ReservationLog } from "./reservation_log.ts";
import type { Room } from "./room.ts";
import type { RoomRegistry } from "./rooms.ts";
import type { Session } from "./session.ts";
import type { RelayStore } from "./store.ts";

/** What a session needs from the relay that owns it. */
export interface RelayContext {
  readonly heartbeatMs: number;
  readonly software: string;
  readonly store: RelayStore;
  readonly reservations: ReservationLog;
  readonly rooms: RoomRegistry;
  readonly limits: RelayLimits;
  /** Wrong passphrases so far, or null when guessing is not limited. */
  readonly guesses: GuessGuard | null;
  /** Sealed bytes sent per address, or null when not limited. */
  readonly addressBytes: KeyedBuckets | null;
  /** How long a dropped member's name stays held for it. */
  readonly holdMs: number;
  /** Messages kept per room: older ones are never replayed, even before pruning removes them. */
  readonly retainCount: number;
  /** Milliseconds since the epoch, for timestamps (the steady clock). */
  now(): number;
  /** Monotonic milliseconds, for deadlines and rates. */
  monotonic(): number;
  log(line: string): void;
  /** Accepts a sealed message for storage and delivery. */
  publish(membership: Membership, id: Uint8Array, sealed: Uint8Array): void;
  /** Tells a room's other members that `name` joined or left. */
  announce(
    room: Room<Membership>,
    event: "join" | "leave",
    name: string,
    reason: LeaveReason | "",
  ): void;
  /** A session entered its first room, or left its last. */
  roomsChanged(session: Session, inAny: boolean): void;
}
