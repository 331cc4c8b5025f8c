/**
 * What the relay keeps durably: rooms (their parameters and sequence counters), sealed messages,
 * and name reservations. The relay depends on this interface only; `storage/` implements it.
 * Everything here is ciphertext or metadata the relay already sees.
 */
import type { RoomParams } from "../protocol.ts";

/** A room as stored. */
export interface StoredRoom {
  /** The room's name as its creator spelled it. */
  name: string;
  params: RoomParams;
  keyCheck: Uint8Array;
  /** Highest sequence number ever assigned and stored in the room (0 when none). */
  lastSeq: number;
  /** The room's topic, sealed by the member who set it, or null. */
  topic: StoredTopic | null;
}

/** A room's topic as the relay keeps it: sealed, like a message, by the member who set it. */
export interface StoredTopic {
  from: string;
  ts: number;
  id: Uint8Array;
  sealed: Uint8Array;
}

/** A sealed message as stored and replayed. */
export interface StoredMessage {
  seq: number;
  ts: number;
  from: string;
  id: Uint8Array;
  sealed: Uint8Array;
}

/** A message to store, with the room it belongs to. */
export interface MessageRecord extends StoredMessage {
  /** The room's canonical name. */
  room: string;
}

/** A name held for a member who dropped without leaving, so it can come back as itself. */
export interface Reservation {
  room: string;
  name: string;
  token: Uint8Array;
  expiresAt: number;
}

/** A reservation to create or replace, or one to remove (names compared folded). */
export type ReservationChange =
  | { kind: "save"; reservation: Reservation }
  | { kind: "delete"; room: string; name: string };

/** How long and how much the store keeps. */
export interface Retention {
  /** Messages kept per room, newest first; older ones are pruned. */
  maxMessagesPerRoom: number;
  /** Messages older than this many milliseconds are pruned; Infinity keeps them by count only. */
  maxAgeMs: number;
}

/** Thrown by `appendMessages` when the storage is full: nothing of the batch was stored. */
export class StorageFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageFullError";
  }
}

/** Durable storage for the relay. Every method is synchronous and atomic. */
export interface RelayStore {
  /** Every room, with its last sequence number. */
  loadRooms(): StoredRoom[];
  /** Records a new room (lastSeq 0, no topic). */
  createRoom(room: Omit<StoredRoom, "lastSeq" | "topic">): void;
  /** Replaces a room's topic; throws `StorageFullError` when the storage is full. */
  setTopic(room: string, topic: StoredTopic): void;
  /**
   * Stores a batch in one transaction and advances each room's last sequence number. Throws
   * `StorageFullError` (storing nothing) when the disk or the configured size limit is full.
   */
  appendMessages(messages: readonly MessageRecord[]): void;
  /** The stored message from `sender` with this id in the room, if it is still kept. */
  findMessage(room: string, sender: string, id: Uint8Array): { seq: number; ts: number } | null;
  /** Up to `limit` messages with seq > `afterSeq`, in sequence order. */
  readMessages(room: string, afterSeq: number, limit: number): StoredMessage[];
  /** The oldest kept sequence number, or lastSeq + 1 when the room keeps none. */
  firstSeq(room: string): number;
  /** Deletes what retention no longer allows; returns how many messages went. */
  prune(now: number, retention: Retention): number;
  /** The newest stored message's ts, or null when none is stored. */
  newestTs(): number | null;
  /** Deletes a room with its messages and name reservations. */
  deleteRoom(name: string): void;
  /**
   * Rooms an operator dropped while the relay ran (`chat rooms drop`; already deleted from
   * storage), by folded name, each reported once.
   */
  takeRoomDrops(): string[];
  /** Every unexpired reservation. */
  loadReservations(now: number): Reservation[];
  /** Applies reservation changes in one transaction, in order. */
  updateReservations(changes: readonly ReservationChange[]): void;
  close(): void;
}
