/**
 * The relay's durable store on SQLite (`node:sqlite`, built into Deno): rooms, sealed messages and
 * name reservations in one file. It owns when the statements (sqlite_statements.ts) run and in
 * which transaction, the connection's settings and file modes, per-room quotas, and turning "disk
 * full" into `StorageFullError`; the schema is in migrations.ts and the refusal of files that are
 * not ours in sqlite_schema.ts. It must not know what a message says (it only ever
 * holds ciphertext) nor when the relay prunes or why it assigns the sequence numbers it does.
 */
import { DatabaseSync } from "node:sqlite";
import { foldName } from "../protocol.ts";
import {
  type MessageRecord,
  type RelayStore,
  type Reservation,
  type ReservationChange,
  type Retention,
  StorageFullError,
  type StoredMessage,
  type StoredRoom,
  type StoredTopic,
} from "../relay/store.ts";
import {
  describe,
  errcode,
  int,
  type Row,
  StorageOpenError,
  validateExisting,
} from "./sqlite_schema.ts";
import { migrate } from "./migrations.ts";
import { deleteRoomRows, prepareStatements, type Statements } from "./sqlite_statements.ts";

// Re-exported so callers keep importing the whole storage API from this one module.
export { StorageOpenError, type StorageOpenErrorCode } from "./sqlite_schema.ts";
export { SCHEMA_VERSION } from "./migrations.ts";

/** The path that keeps the store in memory, writing nothing to disk. */
export const MEMORY_PATH = ":memory:";

/** How long a write waits for another connection's lock; it blocks the event loop meanwhile. */
const BUSY_TIMEOUT_MS = 2_000;

/**
 * Pages the WAL may hold before they are copied into the database. Each checkpoint costs two
 * fsyncs, and random message ids dirty pages all over the id index, so with SQLite's default of
 * 1,000 pages checkpoints bounded appends to ~20k messages/s; 16,000 (64 MiB of WAL, on disk
 * beside the file and replayed on open after a crash) gave ~30-45k/s in batches of 200.
 */
const WAL_CHECKPOINT_PAGES = 16_000;

// Primary result codes (https://sqlite.org/rescode.html); node:sqlite reports extended codes.
const SQLITE_FULL = 13;
// ENOSPC on a write is SQLITE_FULL, but a quota (EDQUOT) or a failed shared-memory grow arrive as
// these extended I/O errors; for the relay they mean the same: free space, then retry.
const SQLITE_IOERR_WRITE = 778;
const SQLITE_IOERR_SHMSIZE = 4874;

/** Options for `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Caps the database file (the WAL's up to 64 MiB come on top); beyond it appends fail. */
  maxBytes?: number;
  /**
   * Sealed bytes one room keeps at most: an append that takes a room past it deletes that room's
   * oldest messages (never those of the batch itself) in the same transaction.
   */
  roomQuotaBytes?: number;
}

/** Mode of the database and its -wal and -shm files: they hold every room's key check. */
const FILE_MODE = 0o600;

/** `RelayStore` on one SQLite file (or in memory), safe across a crash of the process. */
export class SqliteStore implements RelayStore {
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  readonly #roomQuotaBytes: number;

  private constructor(db: DatabaseSync, roomQuotaBytes: number) {
    this.#db = db;
    this.#roomQuotaBytes = roomQuotaBytes;
    // Prepared once: appendMessages runs on every send, and re-parsing SQL would dominate it.
    this.#sql = prepareStatements(db);
  }

  /** Opens (creating if needed) the store at `path`, or an in-memory one for ":memory:". */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const { maxBytes, roomQuotaBytes = Infinity } = options;
    if (path === "") throw new RangeError("The data file path is empty");
    if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    if (!(roomQuotaBytes > 0)) {
      throw new RangeError(`roomQuotaBytes must be positive, got ${roomQuotaBytes}`);
    }
    const memory = path === MEMORY_PATH;
    // Validate read-only first, so a file that is not ours is never turned into WAL or written.
    if (!memory) {
      validateExisting(path);
      restrictFiles(path);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (error) {
      throw new StorageOpenError("unusable", path, describe(error));
    }
    try {
      configure(db, memory, maxBytes);
      return new SqliteStore(db, roomQuotaBytes);
    } catch (error) {
      db.close();
      throw new StorageOpenError("unusable", path, describe(error));
    }
  }

  /** Every room, with its last sequence number. */
  loadRooms(): StoredRoom[] {
    return this.#sql.rooms.all().map((row) => ({
      name: text(row, "name"),
      params: { salt: blob(row, "salt"), iterations: int(row, "iterations"), kdf: int(row, "kdf") },
      keyCheck: blob(row, "key_check"),
      lastSeq: int(row, "last_seq"),
      topic: row?.["topic_sealed"] instanceof Uint8Array
        ? {
          from: text(row, "topic_from"),
          ts: int(row, "topic_ts"),
          id: blob(row, "topic_id"),
          sealed: blob(row, "topic_sealed"),
        }
        : null,
    }));
  }

  /** Records a new room (lastSeq 0, no topic). */
  createRoom(room: Omit<StoredRoom, "lastSeq" | "topic">): void {
    const { name, params, keyCheck } = room;
    this.#sql.createRoom.run(
      foldName(name),
      name,
      params.salt,
      params.iterations,
      params.kdf,
      keyCheck,
      Date.now(),
    );
  }

  /** Replaces a room's topic; throws `StorageFullError` when the storage is full. */
  setTopic(room: string, topic: StoredTopic): void {
    try {
      this.#sql.setTopic.run(topic.from, topic.ts, topic.id, topic.sealed, foldName(room));
    } catch (error) {
      if (!isFull(error)) throw error;
      throw new StorageFullError(`Cannot store the topic: ${describe(error)}`);
    }
  }

  /**
   * Stores a batch in one transaction, keeping each room within its quota; throws
   * `StorageFullError`, storing nothing, when full.
   */
  appendMessages(messages: readonly MessageRecord[]): void {
    if (messages.length === 0) return;
    const batches = new Map<string, { firstSeq: number; lastSeq: number; bytes: number }>();
    for (const { room, seq, sealed } of messages) {
      const batch = batches.get(room);
      if (batch) {
        batch.firstSeq = Math.min(batch.firstSeq, seq);
        batch.lastSeq = Math.max(batch.lastSeq, seq);
        batch.bytes += sealed.length;
      } else {
        batches.set(room, { firstSeq: seq, lastSeq: seq, bytes: sealed.length });
      }
    }
    try {
      this.#transaction(() => {
        const insert = this.#sql.insertMessage;
        for (const m of messages) insert.run(m.room, m.seq, m.ts, m.from, m.id, m.sealed);
        for (const [room, batch] of batches) {
          const row = this.#sql.advanceRoom.get(batch.lastSeq, batch.bytes, foldName(room));
          if (row === undefined) {
            throw new RangeError(`Cannot append to room "${room}": it was never created`);
          }
          const excess = int(row, "stored_bytes") - this.#roomQuotaBytes;
          if (excess > 0) this.#trimRoom(room, excess, batch.firstSeq);
        }
      });
    } catch (error) {
      if (!isFull(error)) throw error;
      throw new StorageFullError(
        `Cannot store ${messages.length} message(s): ${describe(error)}; ` +
          `prune old messages, free disk space or raise the size limit`,
      );
    }
  }

  /** The stored message from `sender` with this id in the room, if it is still kept. */
  findMessage(room: string, sender: string, id: Uint8Array): { seq: number; ts: number } | null {
    const row = this.#sql.findMessage.get(room, sender, id);
    return row === undefined ? null : { seq: int(row, "seq"), ts: int(row, "ts") };
  }

  /** Deletes a room with its messages and name reservations. */
  deleteRoom(name: string): void {
    this.#transaction(() => deleteRoomRows(this.#sql, name));
  }

  /** The newest stored message's ts, or null when none is stored. */
  newestTs(): number | null {
    const row = this.#sql.newestTs.get();
    return typeof row?.["ts"] === "number" ? row["ts"] : null;
  }

  /** Rooms an operator dropped (`chat rooms drop`) since the last call, by folded name. */
  takeRoomDrops(): string[] {
    const rows = this.#sql.roomDrops.all();
    if (rows.length === 0) return [];
    this.#sql.clearRoomDrops.run();
    return rows.map((row) => text(row, "folded"));
  }

  /** Up to `limit` messages with seq > `afterSeq`, in sequence order. */
  readMessages(room: string, afterSeq: number, limit: number): StoredMessage[] {
    if (limit <= 0) return [];
    return this.#sql.readMessages.all(room, afterSeq, limit).map((row) => ({
      seq: int(row, "seq"),
      ts: int(row, "ts"),
      from: text(row, "sender"),
      id: blob(row, "id"),
      sealed: blob(row, "sealed"),
    }));
  }

  /** The oldest kept sequence number, or lastSeq + 1 when the room keeps none. */
  firstSeq(room: string): number {
    const row = this.#sql.firstSeq.get(room, foldName(room));
    return row === undefined ? 1 : int(row, "first");
  }

  /** Deletes what retention no longer allows; returns how many messages went. */
  prune(now: number, retention: Retention): number {
    const { maxMessagesPerRoom, maxAgeMs } = retention;
    if (!(maxMessagesPerRoom >= 0) || !(maxAgeMs >= 0)) {
      throw new RangeError(
        `Retention limits must not be negative, got ${maxMessagesPerRoom} and ${maxAgeMs} ms`,
      );
    }
    return this.#transaction(() => {
      let deleted = 0;
      if (Number.isFinite(maxAgeMs)) {
        const cutoff = now - maxAgeMs;
        for (const row of this.#sql.bytesBeforeTs.all(cutoff)) {
          this.#sql.releaseBytes.run(int(row, "bytes"), text(row, "room"));
        }
        deleted += changes(this.#sql.pruneByAge.run(cutoff));
      }
      if (Number.isFinite(maxMessagesPerRoom)) {
        for (const row of this.#sql.messageRooms.all()) {
          const room = text(row, "room");
          // Seqs are distinct, so a room whose seqs span at most N values holds at most N
          // messages: skip the delete, whose OFFSET walks N rows, blobs and all.
          if (int(this.#sql.seqSpan.get(room), "span") < maxMessagesPerRoom) continue;
          const last = this.#sql.nthNewestSeq.get(room, maxMessagesPerRoom);
          if (last === undefined) continue;
          deleted += this.#deleteThrough(room, int(last, "seq"));
        }
      }
      return deleted;
    });
  }

  /** Every unexpired reservation; expired ones are deleted on the way. */
  loadReservations(now: number): Reservation[] {
    return this.#transaction(() => {
      this.#sql.expireReservations.run(now);
      return this.#sql.reservations.all().map((row) => ({
        room: text(row, "room"),
        name: text(row, "name"),
        token: blob(row, "token"),
        expiresAt: int(row, "expires_at"),
      }));
    });
  }

  /** Saves and deletes reservations in one transaction, names compared folded. */
  updateReservations(changes: readonly ReservationChange[]): void {
    if (changes.length === 0) return;
    this.#transaction(() => {
      for (const change of changes) {
        if (change.kind === "save") {
          const { room, name, token, expiresAt } = change.reservation;
          this.#sql.saveReservation.run(room, foldName(name), name, token, expiresAt);
        } else {
          this.#sql.deleteReservation.run(change.room, foldName(change.name));
        }
      }
    });
  }

  /** Closes the file; calling it again does nothing. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the store at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Deletes a room's oldest messages until `excess` bytes are freed, never reaching `keepFromSeq`
   * (the batch being appended: what was just acknowledged is not deleted in the same breath).
   */
  #trimRoom(room: string, excess: number, keepFromSeq: number): void {
    let freed = 0;
    let through = 0;
    for (const row of this.#sql.oldestSizes.iterate(room, keepFromSeq)) {
      freed += int(row, "bytes");
      through = int(row, "seq");
      if (freed >= excess) break;
    }
    if (through > 0) this.#deleteThrough(room, through);
  }

  /** Deletes a room's messages with seq <= `seq`, keeping its byte count right; returns how many. */
  #deleteThrough(room: string, seq: number): number {
    const bytes = this.#sql.bytesThrough.get(room, seq);
    this.#sql.releaseBytes.run(int(bytes, "bytes"), room);
    return changes(this.#sql.deleteThrough.run(room, seq));
  }

  #transaction<T>(work: () => T): T {
    this.#sql.begin.run();
    try {
      const result = work();
      this.#sql.commit.run();
      return result;
    } catch (error) {
      // SQLite may already have rolled back on FULL or IOERR; a second ROLLBACK would throw.
      if (this.#db.isTransaction) this.#sql.rollback.run();
      throw error;
    }
  }
}

/**
 * Makes the database and its -wal and -shm files readable by the owner alone: a new file is
 * created 0600 before SQLite opens it (SQLite gives -wal and -shm the database's mode), and an
 * existing one from an older chat, made 0644 under the usual umask, is narrowed.
 */
function restrictFiles(path: string): void {
  if (Deno.build.os === "windows") return;
  try {
    Deno.openSync(path, { create: true, write: true, mode: FILE_MODE }).close();
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      let mode: number | null;
      try {
        mode = Deno.statSync(file).mode;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      if (mode !== null && (mode & 0o077) !== 0) Deno.chmodSync(file, FILE_MODE);
    }
  } catch (error) {
    throw new StorageOpenError("unusable", path, describe(error));
  }
}

function configure(db: DatabaseSync, memory: boolean, maxBytes: number | undefined): void {
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!memory) db.exec("PRAGMA journal_mode = WAL");
  // With WAL, NORMAL skips the fsync on each commit but a commit still reaches the OS before it
  // returns: a killed process (kill -9) loses nothing; only power loss may drop the last commits.
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  migrate(db);
  if (maxBytes !== undefined) {
    // A real size cap, so "disk full" can be exercised; SQLite keeps it at least the current size.
    const pageSize = int(db.prepare("PRAGMA page_size").get(), "page_size");
    db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
  }
}

function isFull(error: unknown): boolean {
  const code = errcode(error);
  return (code & 0xff) === SQLITE_FULL || code === SQLITE_IOERR_WRITE ||
    code === SQLITE_IOERR_SHMSIZE;
}

function changes(result: { changes: number | bigint }): number {
  return Number(result.changes);
}

function text(row: Row, column: string): string {
  const value = row?.[column];
  if (typeof value !== "string") throw new TypeError(`Column ${column} is not text`);
  return value;
}

/** A copy the caller owns, whatever buffer node:sqlite handed back. */
function blob(row: Row, column: string): Uint8Array {
  const value = row?.[column];
  if (!(value instanceof Uint8Array)) throw new TypeError(`Column ${column} is not a blob`);
  return new Uint8Array(value);
}
