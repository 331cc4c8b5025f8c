/**
 * The operator's view of the rooms in a relay's database, for `chat rooms`: list them with what
 * they store, and drop one (its messages and held names with it). Works whether or not a relay
 * runs on the same file: a drop is also written to `room_drops`, which a running relay reads on
 * its next sweep to tell the room's members and forget it.
 */
import { DatabaseSync } from "node:sqlite";
import { foldName } from "../protocol.ts";
import { migrate } from "./migrations.ts";
import { describe, StorageOpenError, validateExisting } from "./sqlite_schema.ts";
import { deleteRoomRows, roomStatements } from "./sqlite_statements.ts";

/** One room as `chat rooms list` shows it. */
export interface RoomSummary {
  name: string;
  /** When it was created (ms since the epoch), or null when not recorded. */
  createdAt: number | null;
  /** Messages and sealed bytes stored now. */
  messages: number;
  bytes: number;
  /** The newest stored message's ts, or null. */
  lastMessageAt: number | null;
  lastSeq: number;
}

/** Every room in the database at `path`, by name. */
export function listRooms(path: string): RoomSummary[] {
  return withDatabase(path, (db) =>
    db.prepare(
      "SELECT name, created_at, last_seq, stored_bytes, " +
        "(SELECT COUNT(*) FROM messages WHERE messages.room = rooms.name) AS messages, " +
        "(SELECT MAX(ts) FROM messages WHERE messages.room = rooms.name) AS last_ts " +
        "FROM rooms ORDER BY folded",
    ).all().map((row) => ({
      name: String(row["name"]),
      createdAt: typeof row["created_at"] === "number" ? row["created_at"] : null,
      messages: Number(row["messages"]),
      bytes: Number(row["stored_bytes"]),
      lastMessageAt: typeof row["last_ts"] === "number" ? row["last_ts"] : null,
      lastSeq: Number(row["last_seq"]),
    })));
}

/**
 * Deletes the room named `name` (any case) with its messages and held names, and records the
 * drop for a running relay. Returns the room's own spelling, or null when there is no such room.
 */
export function dropRoom(path: string, name: string, now = Date.now()): string | null {
  return withDatabase(path, (db) => {
    const statements = roomStatements((source) => db.prepare(source));
    db.exec("BEGIN IMMEDIATE");
    try {
      const row = statements.roomByFolded.get(foldName(name));
      const canonical = row === undefined ? null : String(row["name"]);
      if (canonical !== null) {
        deleteRoomRows(statements, canonical);
        db.prepare("INSERT OR REPLACE INTO room_drops (folded, dropped_at) VALUES (?, ?)")
          .run(foldName(canonical), now);
      }
      db.exec("COMMIT");
      return canonical;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  });
}

function withDatabase<T>(path: string, work: (db: DatabaseSync) => T): T {
  try {
    Deno.statSync(path);
  } catch (error) {
    throw new StorageOpenError("unusable", path, `there is no chat database: ${describe(error)}`);
  }
  validateExisting(path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec("PRAGMA busy_timeout = 5000");
    migrate(db);
  } catch (error) {
    throw new StorageOpenError("unusable", path, describe(error));
  }
  try {
    return work(db);
  } finally {
    db.close();
  }
}
