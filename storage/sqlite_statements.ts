/**
 * The SQL the relay's store runs, prepared once per connection: appendMessages runs on every send,
 * and re-parsing SQL would dominate it. It owns the statements' text and what each one's plan
 * relies on (which index answers it); the store owns when they run and in which transaction.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { foldName } from "../protocol.ts";

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    // Statements, not exec(): Deno's exec() errors lack `errcode`, and a COMMIT that finds the
    // disk full must be told apart from other failures. IMMEDIATE takes the write lock up front,
    // so a transaction never fails half-way on BUSY.
    begin: sql("BEGIN IMMEDIATE"),
    commit: sql("COMMIT"),
    rollback: sql("ROLLBACK"),
    rooms: sql(
      "SELECT name, salt, iterations, kdf, key_check, last_seq, topic_from, topic_ts, topic_id, " +
        "topic_sealed FROM rooms ORDER BY folded",
    ),
    createRoom: sql(
      "INSERT INTO rooms (folded, name, salt, iterations, kdf, key_check, created_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    setTopic: sql(
      "UPDATE rooms SET topic_from = ?, topic_ts = ?, topic_id = ?, topic_sealed = ? " +
        "WHERE folded = ?",
    ),
    insertMessage: sql(
      "INSERT INTO messages (room, seq, ts, sender, id, sealed) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    advanceRoom: sql(
      "UPDATE rooms SET last_seq = MAX(last_seq, ?), stored_bytes = stored_bytes + ? " +
        "WHERE folded = ? RETURNING stored_bytes",
    ),
    findMessage: sql("SELECT seq, ts FROM messages WHERE room = ? AND sender = ? AND id = ?"),
    newestTs: sql("SELECT MAX(ts) AS ts FROM messages"),
    roomDrops: sql("SELECT folded FROM room_drops"),
    clearRoomDrops: sql("DELETE FROM room_drops"),
    ...roomStatements(sql),
    readMessages: sql(
      "SELECT seq, ts, sender, id, sealed FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?",
    ),
    firstSeq: sql(
      "SELECT COALESCE((SELECT MIN(seq) FROM messages WHERE room = ?1), last_seq + 1) AS first " +
        "FROM rooms WHERE folded = ?2",
    ),
    pruneByAge: sql("DELETE FROM messages WHERE ts < ?"),
    bytesBeforeTs: sql(
      "SELECT room, SUM(length(sealed)) AS bytes FROM messages WHERE ts < ? GROUP BY room",
    ),
    releaseBytes: sql(
      "UPDATE rooms SET stored_bytes = MAX(0, stored_bytes - ?) WHERE name = ?",
    ),
    oldestSizes: sql(
      "SELECT seq, length(sealed) AS bytes FROM messages WHERE room = ? AND seq < ? ORDER BY seq",
    ),
    bytesThrough: sql(
      "SELECT COALESCE(SUM(length(sealed)), 0) AS bytes FROM messages WHERE room = ? AND seq <= ?",
    ),
    deleteThrough: sql("DELETE FROM messages WHERE room = ? AND seq <= ?"),
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
    nthNewestSeq: sql(
      "SELECT seq FROM messages WHERE room = ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
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

/** Statements shared with the operator's room commands (room_admin.ts). */
export function roomStatements(sql: (source: string) => StatementSync) {
  return {
    roomByFolded: sql("SELECT name FROM rooms WHERE folded = ?"),
    deleteRoomMessages: sql("DELETE FROM messages WHERE room = ?"),
    deleteRoomReservations: sql("DELETE FROM reservations WHERE room = ?"),
    deleteRoomRow: sql("DELETE FROM rooms WHERE folded = ?"),
  };
}

/** Deletes a room's row, messages and reservations; the caller holds a transaction. */
export function deleteRoomRows(
  statements: ReturnType<typeof roomStatements>,
  name: string,
): boolean {
  const folded = foldName(name);
  const row = statements.roomByFolded.get(folded);
  if (row === undefined) return false;
  const canonical = String(row["name"]);
  statements.deleteRoomMessages.run(canonical);
  statements.deleteRoomReservations.run(canonical);
  statements.deleteRoomRow.run(folded);
  return true;
}
