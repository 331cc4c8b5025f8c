/**
 * The decision whether an existing SQLite file is a chat database this code can open: refusing,
 * with a `StorageOpenError` and without writing to it, a file that is not one, is corrupt, or was
 * written by a newer chat. The layout itself is in migrations.ts. It must not know how the store
 * reads, writes or tunes its connection, nor what the relay keeps in it.
 */
import { DatabaseSync, type SQLOutputValue } from "node:sqlite";
import { columnsAt, SCHEMA_VERSION } from "./migrations.ts";

// Primary result codes (https://sqlite.org/rescode.html); node:sqlite reports extended codes.
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

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

/** Refuses, with a `StorageOpenError`, a file at `path` that exists but is not a usable database. */
export function validateExisting(path: string): void {
  if (!fileExists(path)) return;
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
    const expected = columnsAt(version);
    const ours = expected !== null &&
      Object.entries(expected).every(([table, names]) => columns.get(table)?.["names"] === names);
    if (!ours) {
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

// The helpers below are shared with sqlite_store.ts; they live here, not there, so the dependency
// stays one-way (the store imports the schema, never the reverse).

/** The SQLite result code node:sqlite attached to `error` (extended), or 0 if it has none. */
export function errcode(error: unknown): number {
  const code = error instanceof Error ? (error as { errcode?: unknown }).errcode : undefined;
  return typeof code === "number" ? code : 0;
}

/** The message of `error`, for wrapping it in an error of our own. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A row as node:sqlite returns it, or undefined when a query found none. */
export type Row = Record<string, SQLOutputValue> | undefined;

/** The integer in `column` of `row`; a `TypeError` if it holds anything else. */
export function int(row: Row, column: string): number {
  const value = row?.[column];
  if (typeof value !== "number") throw new TypeError(`Column ${column} is not an integer`);
  return value;
}
