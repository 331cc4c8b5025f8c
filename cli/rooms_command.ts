/**
 * `chat rooms list|drop`: the operator's tools for the rooms in a relay's data directory, usable
 * while the relay runs (a running relay tells a dropped room's members within a second).
 */
import { parseArgs } from "node:util";
import { ChatError } from "../client/errors.ts";
import { databasePath, defaultDataDir } from "../storage/data_dir.ts";
import { dropRoom, listRooms } from "../storage/room_admin.ts";
import { StorageOpenError } from "../storage/sqlite_schema.ts";
import { sanitizeForTerminal } from "../terminal/sanitize.ts";
import { parseOrThrow } from "./parse.ts";
import { ROOMS_USAGE, UsageError } from "./usage.ts";

/** Runs the command; resolves with the exit code. */
export function roomsCommand(args: string[], out: (line: string) => void): number {
  const options = { data: { type: "string" }, help: { type: "boolean", short: "h" } } as const;
  const { values, positionals } = parseOrThrow(
    () => parseArgs({ args, allowPositionals: true, options }),
    ROOMS_USAGE,
    options,
  );
  if (values.help) {
    out(ROOMS_USAGE);
    return 0;
  }
  const [action, ...rest] = positionals;
  const dataDir = values.data ?? defaultDataDir((name) => Deno.env.get(name), Deno.build.os);
  if (dataDir === ":memory:") {
    throw new UsageError("A relay with --data :memory: keeps no rooms on disk", ROOMS_USAGE);
  }
  const path = databasePath(dataDir);
  try {
    switch (action) {
      case "list":
        if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`, ROOMS_USAGE);
        return list(path, out);
      case "drop": {
        if (rest.length !== 1) throw new UsageError("Give the one ROOM to drop", ROOMS_USAGE);
        const dropped = dropRoom(path, rest[0]!);
        if (dropped === null) {
          throw new ChatError("unknown_room", `There is no room "${rest[0]}" in ${path}`);
        }
        out(`dropped room "${sanitizeForTerminal(dropped)}" with its messages`);
        return 0;
      }
      case undefined:
        throw new UsageError("Missing list or drop", ROOMS_USAGE);
      default:
        throw new UsageError(`Unknown action "${action}"`, ROOMS_USAGE);
    }
  } catch (error) {
    if (error instanceof StorageOpenError) throw new ChatError("storage", error.message);
    throw error;
  }
}

function list(path: string, out: (line: string) => void): number {
  const rooms = listRooms(path);
  if (rooms.length === 0) {
    out(`no rooms in ${path}`);
    return 0;
  }
  const rows = rooms.map((room) => [
    sanitizeForTerminal(room.name),
    String(room.messages),
    formatBytes(room.bytes),
    room.lastMessageAt === null ? "-" : new Date(room.lastMessageAt).toISOString(),
    room.createdAt === null ? "-" : new Date(room.createdAt).toISOString(),
  ]);
  const header = ["ROOM", "MESSAGES", "STORED", "LAST MESSAGE", "CREATED"];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]!.length))
  );
  for (const row of [header, ...rows]) {
    out(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  }
  return 0;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
