/**
 * The relay's durable store on SQLite (`node:sqlite`, built into Deno): rooms, sealed messages and
 * name reservations in one file. It owns the schema, the refusal of files that are not ours, and
 * turning "disk full" into `StorageFullError`. It must not know what a message says (it only ever
 * holds ciphertext) nor when the relay prunes or why it assigns the sequence numbers it does.
 */
import { DatabaseSync, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { foldName } from "../protocol.ts";
import {
  type MessageRecord,
  type RelayStore,
  type Reservation,
  type Retention,
  StorageFullError,
  type StoredMessage,
  type StoredRoom,
} from "../relay/store.ts";

/** The path that keeps the store in memory, writing nothing to disk. */
export const MEMORY_PATH = ":memory:";

/** The schema this code reads and writes, kept in SQLite's `user_version`. */
export const SCHEMA_VERSION = 1;

/** How long a write waits for another connection's lock; it blocks the event loop meanwhile. */
const BUSY_TIMEOUT_MS = 2_000;

/**
 * Pages the WAL may hold before they are copied into the database. Each checkpoint costs two
 * fsyncs, and random message ids dirty pages all over the id index, so with SQLite's default of
 * 1,000 pages checkpoints bounded appends to ~20k messages/s; 16,000 (64 MiB of WAL, on disk
 * beside the file and replayed on open after a crash) gave ~30-45k/s in batches of 200.
 */
const WAL_CHECKPOINT_PAGES = 16_000;

// STRICT makes SQLite refuse a fractional seq or a string where bytes belong instead of storing it.
// The ts index lets prune find old messages without reading every blob; ts grows with time, so
// appends only touch its last page and it cost no measurable append throughput.
const SCHEMA = `
  CREATE TABLE rooms (
    folded TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL, iterations INTEGER NOT NULL,
    key_check BLOB NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0, created_at INTEGER
  ) STRICT;
  CREATE TABLE messages (
    room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, sender TEXT NOT NULL,
    id BLOB NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (room, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE UNIQUE INDEX messages_by_id ON messages (room, id);
  CREATE INDEX messages_by_ts ON messages (ts);
  CREATE TABLE reservations (
    room TEXT NOT NULL, folded_name TEXT NOT NULL, name TEXT NOT NULL, token BLOB NOT NULL,
    expires_at INTEGER NOT NULL, PRIMARY KEY (room, folded_name)
  ) STRICT;
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** The columns each table must have for an existing file to count as ours. */
const EXPECTED_COLUMNS: Readonly<Record<string, string>> = {
  rooms: "created_at,folded,iterations,key_check,last_seq,name,salt",
  messages: "id,room,sealed,sender,seq,ts",
  reservations: "expires_at,folded_name,name,room,token",
};

// Primary result codes (https://sqlite.org/rescode.html); node:sqlite reports extended codes.
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;
// ENOSPC on a write is SQLITE_FULL, but a quota (EDQUOT) or a failed shared-memory grow arrive as
// these extended I/O errors; for the relay they mean the same: free space, then retry.
const SQLITE_IOERR_WRITE = 778;
const SQLITE_IOERR_SHMSIZE = 4874;

/** Options for `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Caps the database file (the WAL's up to 64 MiB come on top); beyond it appends fail. */
  maxBytes?: number;
}

/** Why a data file was refused. */
export type StorageOpenErrorCode =
  | "not_a_database"
  | "corrupt"
  | "foreign_schema"
  | "newer_version"
  | "unusable";

/** Thrown by `SqliteStore.open` when the data file cannot be used as a chat database. */
export class StorageOpenError extends Error {
  readonly code: StorageOpenErrorCode;
  readonly path: string;

  constructor(code: StorageOpenErrorCode, path: string, reason: string) {
    super(`Cannot open the data file ${path}: ${reason}`);
    this.name = "StorageOpenError";
    this.code = code;
    this.path = path;
  }
}

/** `RelayStore` on one SQLite file (or in memory), safe across a crash of the process. */
export class SqliteStore implements RelayStore {
  readonly #db: DatabaseSync;
  readonly #sql: Statements;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    // Prepared once: appendMessages runs on every send, and re-parsing SQL would dominate it.
    this.#sql = prepareStatements(db);
  }

  /** Opens (creating if needed) the store at `path`, or an in-memory one for ":memory:". */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const { maxBytes } = options;
    if (path === "") throw new RangeError("The data file path is empty");
    if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    const memory = path === MEMORY_PATH;
    // Validate read-only first, so a file that is not ours is never turned into WAL or written.
    if (!memory && fileExists(path)) validate(path);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path);
    } catch (error) {
      throw new StorageOpenError("unusable", path, describe(error));
    }
    try {
      configure(db, memory, maxBytes);
      return new SqliteStore(db);
    } catch (error) {
      db.close();
      throw new StorageOpenError("unusable", path, describe(error));
    }
  }

  /** Every room, with its last sequence number. */
  loadRooms(): StoredRoom[] {
    return this.#sql.rooms.all().map((row) => ({
      name: text(row, "name"),
      params: { salt: blob(row, "salt"), iterations: int(row, "iterations") },
      keyCheck: blob(row, "key_check"),
      lastSeq: int(row, "last_seq"),
    }));
  }

  /** Records a new room (lastSeq 0). */
  createRoom(room: Omit<StoredRoom, "lastSeq">): void {
    const { name, params, keyCheck } = room;
    this.#sql.createRoom.run(
      foldName(name),
      name,
      params.salt,
      params.iterations,
      keyCheck,
      Date.now(),
    );
  }

  /** Stores a batch in one transaction; throws `StorageFullError`, storing nothing, when full. */
  appendMessages(messages: readonly MessageRecord[]): void {
    if (messages.length === 0) return;
    const lastSeqs = new Map<string, number>();
    for (const { room, seq } of messages) {
      lastSeqs.set(room, Math.max(lastSeqs.get(room) ?? 0, seq));
    }
    try {
      this.#transaction(() => {
        const insert = this.#sql.insertMessage;
        for (const m of messages) insert.run(m.room, m.seq, m.ts, m.from, m.id, m.sealed);
        for (const [room, seq] of lastSeqs) {
          if (Number(this.#sql.advanceRoom.run(seq, foldName(room)).changes) === 0) {
            throw new RangeError(`Cannot append to room "${room}": it was never created`);
          }
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

  /** The stored message with this id in the room, if it is still kept. */
  findMessage(room: string, id: Uint8Array): { seq: number; ts: number } | null {
    const row = this.#sql.findMessage.get(room, id);
    return row === undefined ? null : { seq: int(row, "seq"), ts: int(row, "ts") };
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
      if (Number.isFinite(maxAgeMs)) deleted += changes(this.#sql.pruneByAge.run(now - maxAgeMs));
      if (Number.isFinite(maxMessagesPerRoom)) {
        for (const row of this.#sql.messageRooms.all()) {
          const room = text(row, "room");
          // Seqs are distinct, so a room whose seqs span at most N values holds at most N
          // messages: skip the delete, whose OFFSET walks N rows, blobs and all.
          if (int(this.#sql.seqSpan.get(room), "span") < maxMessagesPerRoom) continue;
          deleted += changes(this.#sql.pruneByCount.run(room, maxMessagesPerRoom));
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

  /** Creates or replaces the reservation for (room, name), names compared folded. */
  saveReservation(reservation: Reservation): void {
    const { room, name, token, expiresAt } = reservation;
    this.#sql.saveReservation.run(room, foldName(name), name, token, expiresAt);
  }

  /** Removes the reservation for (room, name), if any. */
  deleteReservation(room: string, name: string): void {
    this.#sql.deleteReservation.run(room, foldName(name));
  }

  /** Closes the file; calling it again does nothing. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the store at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
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

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    // Statements, not exec(): Deno's exec() errors lack `errcode`, and a COMMIT that finds the
    // disk full must be told apart from other failures. IMMEDIATE takes the write lock up front,
    // so a transaction never fails half-way on BUSY.
    begin: sql("BEGIN IMMEDIATE"),
    commit: sql("COMMIT"),
    rollback: sql("ROLLBACK"),
    rooms: sql("SELECT name, salt, iterations, key_check, last_seq FROM rooms ORDER BY folded"),
    createRoom: sql(
      "INSERT INTO rooms (folded, name, salt, iterations, key_check, created_at) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
    ),
    insertMessage: sql(
      "INSERT INTO messages (room, seq, ts, sender, id, sealed) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    advanceRoom: sql("UPDATE rooms SET last_seq = MAX(last_seq, ?) WHERE folded = ?"),
    findMessage: sql("SELECT seq, ts FROM messages WHERE room = ? AND id = ?"),
    readMessages: sql(
      "SELECT seq, ts, sender, id, sealed FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?",
    ),
    firstSeq: sql(
      "SELECT COALESCE((SELECT MIN(seq) FROM messages WHERE room = ?1), last_seq + 1) AS first " +
        "FROM rooms WHERE folded = ?2",
    ),
    pruneByAge: sql("DELETE FROM messages WHERE ts < ?"),
    // DISTINCT would read the whole index; this hops from one room to the next in O(rooms).
    messageRooms: sql(
      "WITH RECURSIVE r (room) AS (SELECT MIN(room) FROM messages UNION ALL " +
        "SELECT (SELECT MIN(room) FROM messages WHERE room > r.room) FROM r WHERE r.room IS NOT NULL) " +
        "SELECT room FROM r WHERE room IS NOT NULL",
    ),
    // Two subqueries, because SQLite answers a lone MIN or MAX from the index but scans for both.
    seqSpan: sql(
      "SELECT (SELECT MAX(seq) FROM messages WHERE room = ?1) - " +
        "(SELECT MIN(seq) FROM messages WHERE room = ?1) AS span",
    ),
    // OFFSET N finds the newest message beyond the N kept; it and everything older go.
    pruneByCount: sql(
      "DELETE FROM messages WHERE room = ?1 AND seq <= " +
        "(SELECT seq FROM messages WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    ),
    expireReservations: sql("DELETE FROM reservations WHERE expires_at <= ?"),
    reservations: sql(
      "SELECT room, name, token, expires_at FROM reservations ORDER BY room, folded_name",
    ),
    saveReservation: sql(
      "INSERT INTO reservations (room, folded_name, name, token, expires_at) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (room, folded_name) DO UPDATE SET " +
        "name = excluded.name, token = excluded.token, expires_at = excluded.expires_at",
    ),
    deleteReservation: sql("DELETE FROM reservations WHERE room = ? AND folded_name = ?"),
  };
}

function configure(db: DatabaseSync, memory: boolean, maxBytes: number | undefined): void {
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!memory) db.exec("PRAGMA journal_mode = WAL");
  // With WAL, NORMAL skips the fsync on each commit but a commit still reaches the OS before it
  // returns: a killed process (kill -9) loses nothing; only power loss may drop the last commits.
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.exec("BEGIN IMMEDIATE");
  try {
    if (int(db.prepare("PRAGMA user_version").get(), "user_version") === 0) db.exec(SCHEMA);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
  if (maxBytes !== undefined) {
    // A real size cap, so "disk full" can be exercised; SQLite keeps it at least the current size.
    const pageSize = int(db.prepare("PRAGMA page_size").get(), "page_size");
    db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
  }
}

/** Refuses, with a `StorageOpenError`, an existing file that is not a usable chat database. */
function validate(path: string): void {
  // Even a read-only connection creates -wal and -shm beside a file whose header says WAL (ours
  // do, and so may a corrupt copy); remove the ones it made so a refused file is left as found.
  const created = ["-wal", "-shm"].map((suffix) => path + suffix).filter((p) => !fileExists(p));
  try {
    inspect(path);
  } catch (error) {
    for (const sidecar of created.filter(fileExists)) Deno.removeSync(sidecar);
    throw error;
  }
}

function inspect(path: string): void {
  const refuse = (code: StorageOpenErrorCode, reason: string, next: string) =>
    new StorageOpenError(code, path, `${reason}; it was left untouched, ${next}`);
  const elsewhere = "move it aside or use another data directory";
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (error) {
    throw new StorageOpenError("unusable", path, describe(error));
  }
  try {
    const version = int(db.prepare("PRAGMA user_version").get(), "user_version");
    // quick_check(1) stops at the first problem, whose report starts with a "*** in ..." line.
    const check = String(db.prepare("PRAGMA quick_check(1)").get()?.["quick_check"]);
    if (check !== "ok") {
      const problem = check.split("\n").find((line) => !line.startsWith("***")) ?? check;
      throw refuse("corrupt", `database disk image is malformed (${problem})`, elsewhere);
    }
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all();
    if (version === 0 && tables.length === 0) return; // An empty database: ours to set up.
    if (version > SCHEMA_VERSION) {
      throw refuse(
        "newer_version",
        `it was written by a newer chat (schema ${version}, this one reads ${SCHEMA_VERSION})`,
        "upgrade chat or use another data directory",
      );
    }
    const columns = db.prepare(
      "SELECT group_concat(name, ',') AS names FROM (SELECT name FROM pragma_table_info(?) ORDER BY name)",
    );
    const ours = Object.entries(EXPECTED_COLUMNS).every(([table, expected]) =>
      columns.get(table)?.["names"] === expected
    );
    if (version !== SCHEMA_VERSION || !ours) {
      throw refuse("foreign_schema", "it is a SQLite database of some other program", elsewhere);
    }
  } catch (error) {
    if (error instanceof StorageOpenError) throw error;
    const code = errcode(error) & 0xff;
    if (code === SQLITE_NOTADB) throw refuse("not_a_database", "file is not a database", elsewhere);
    if (code === SQLITE_CORRUPT) throw refuse("corrupt", describe(error), elsewhere);
    throw new StorageOpenError("unusable", path, describe(error));
  } finally {
    db.close();
  }
}

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new StorageOpenError("unusable", path, describe(error));
  }
}

function isFull(error: unknown): boolean {
  const code = errcode(error);
  return (code & 0xff) === SQLITE_FULL || code === SQLITE_IOERR_WRITE ||
    code === SQLITE_IOERR_SHMSIZE;
}

function errcode(error: unknown): number {
  const code = error instanceof Error ? (error as { errcode?: unknown }).errcode : undefined;
  return typeof code === "number" ? code : 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function changes(result: { changes: number | bigint }): number {
  return Number(result.changes);
}

type Row = Record<string, SQLOutputValue> | undefined;

function int(row: Row, column: string): number {
  const value = row?.[column];
  if (typeof value !== "number") throw new TypeError(`Column ${column} is not an integer`);
  return value;
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
