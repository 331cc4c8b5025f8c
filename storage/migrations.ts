/**
 * The relay database's schema as a numbered list of migrations, each applied once, in order, in
 * one transaction at start (`user_version` records the last applied). A newer relay therefore
 * opens an older database instead of refusing it. It owns the SQL of the layout and the columns
 * each version's tables have; it must not know how the store reads or writes them.
 */
import type { DatabaseSync } from "node:sqlite";

/** One step of the schema. */
interface Migration {
  version: number;
  /** What changed and why, for the reader of this list. */
  why: string;
  sql: string;
  /** Every table's columns, sorted and comma-joined, once this step has run. */
  columns: Readonly<Record<string, string>>;
}

const V1_COLUMNS = {
  rooms: "created_at,folded,iterations,key_check,last_seq,name,salt",
  messages: "id,room,sealed,sender,seq,ts",
  reservations: "expires_at,folded_name,name,room,token",
};

// STRICT makes SQLite refuse a fractional seq or a string where bytes belong instead of storing it.
// The ts index lets prune find old messages without reading every blob; ts grows with time, so
// appends only touch its last page and it cost no measurable append throughput.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: "rooms, sealed messages and name reservations",
    sql: `
      CREATE TABLE rooms (
        folded TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL,
        iterations INTEGER NOT NULL, key_check BLOB NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER
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
      ) STRICT;`,
    columns: V1_COLUMNS,
  },
  {
    version: 2,
    why: "a message is known by room, sender and id, so one member cannot take another's id; " +
      "each room's stored bytes, for its quota; rooms an operator dropped, for the relay to see",
    sql: `
      DROP INDEX messages_by_id;
      CREATE UNIQUE INDEX messages_by_sender_id ON messages (room, sender, id);
      ALTER TABLE rooms ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE rooms SET stored_bytes =
        COALESCE((SELECT SUM(length(sealed)) FROM messages WHERE messages.room = rooms.name), 0);
      CREATE TABLE room_drops (folded TEXT PRIMARY KEY, dropped_at INTEGER NOT NULL) STRICT;`,
    columns: {
      ...V1_COLUMNS,
      rooms: "created_at,folded,iterations,key_check,last_seq,name,salt,stored_bytes",
      room_drops: "dropped_at,folded",
    },
  },
  {
    version: 3,
    why: "how each room's passphrase is normalised (rooms before this keep version 1); each " +
      "room's topic, sealed like a message, for members who join later",
    sql: `
      ALTER TABLE rooms ADD COLUMN kdf INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE rooms ADD COLUMN topic_from TEXT;
      ALTER TABLE rooms ADD COLUMN topic_ts INTEGER;
      ALTER TABLE rooms ADD COLUMN topic_id BLOB;
      ALTER TABLE rooms ADD COLUMN topic_sealed BLOB;`,
    columns: {
      ...V1_COLUMNS,
      rooms: "created_at,folded,iterations,kdf,key_check,last_seq,name,salt,stored_bytes," +
        "topic_from,topic_id,topic_sealed,topic_ts",
      room_drops: "dropped_at,folded",
    },
  },
];

/** The schema this code reads and writes, kept in SQLite's `user_version`. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The columns each table has at `version`, or null for a version this code never wrote. */
export function columnsAt(version: number): Readonly<Record<string, string>> | null {
  return MIGRATIONS.find((migration) => migration.version === version)?.columns ?? null;
}

/**
 * Applies every migration after the database's `user_version`, all in one transaction: a crash
 * half-way leaves the database as it was. Returns the versions before and after.
 */
export function migrate(db: DatabaseSync): { from: number; to: number } {
  db.exec("BEGIN IMMEDIATE");
  try {
    const row = db.prepare("PRAGMA user_version").get();
    const from = typeof row?.["user_version"] === "number" ? row["user_version"] : 0;
    for (const migration of MIGRATIONS) {
      if (migration.version <= from) continue;
      db.exec(migration.sql);
    }
    if (from < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
    return { from, to: Math.max(from, SCHEMA_VERSION) };
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
