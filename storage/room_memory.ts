/**
 * What a member remembers of a room between runs, so that a relay cannot replay old messages
 * as new after a restart: the last messages seen, as (sender, id) pairs, and when this member's
 * last session in the room ended; and the member's latest resume token, so that the same user on
 * the same machine gets the name back at once after a closed terminal or a dropped link, instead
 * of waiting for the relay to stop holding it. One small JSON file per server, room and member,
 * in the user's state directory, readable by the user alone and replaced atomically. The client
 * core sees only `RoomMemoryStore`, so tests keep it in memory. It knows nothing about what a
 * message says.
 */
import { join } from "node:path";
import { foldName } from "../protocol.ts";
import { writeAtomically } from "./atomic_file.ts";

/** Most (sender, id) pairs remembered per room; the oldest go first. */
export const SEEN_LIMIT = 8_192;

/** A member's memory of one room. */
export interface RoomMemory {
  /** Messages seen, as [sender, id in hex], oldest first. */
  seen: [string, string][];
  /** When this member's last session in the room ended (ms since the epoch); null if never. */
  sessionEndedAt: number | null;
}

/** Where a member's memory of a room is kept. */
export interface RoomMemoryStore {
  /** The memory, empty when there is none yet; throws when what is kept cannot be read. */
  load(): Promise<RoomMemory>;
  /** Replaces what is kept. */
  save(memory: RoomMemory): Promise<void>;
}

/** A store that keeps nothing beyond the process, for tests. */
export class InMemoryRoomStore implements RoomMemoryStore {
  memory: RoomMemory;
  saves = 0;

  constructor(memory: RoomMemory = { seen: [], sessionEndedAt: null }) {
    this.memory = memory;
  }

  load(): Promise<RoomMemory> {
    return Promise.resolve(structuredClone(this.memory));
  }

  save(memory: RoomMemory): Promise<void> {
    this.memory = structuredClone(memory);
    this.saves++;
    return Promise.resolve();
  }
}

/** Bytes in a resume token (the relay's `token16`). */
const TOKEN_BYTES = 16;

/** A member's memory of one room of one server, as a file under `stateDir/rooms/`. */
export class RoomMemoryFile implements RoomMemoryStore {
  readonly path: string;
  readonly #label: { server: string; room: string; name: string };
  /** What the file holds as far as this process knows, so each save keeps the other part. */
  #memory: RoomMemory = { seen: [], sessionEndedAt: null };
  #token: string | null = null;
  /** Writes in the order they were asked for: the token and the memory share one file. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, label: { server: string; room: string; name: string }) {
    this.path = path;
    this.#label = label;
  }

  /** The file for `name` in `room` of `server` (as the user named it, `host:port`). */
  static async forRoom(
    stateDir: string,
    where: { server: string; room: string; name: string },
  ): Promise<RoomMemoryFile> {
    // Hashed: a server, room or name may hold characters no file system takes.
    const key = `${where.server.toLowerCase()}\u0000${foldName(where.room)}\u0000${
      foldName(where.name)
    }`;
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
    );
    const hex = Array.from(digest.subarray(0, 16), (byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    return new RoomMemoryFile(join(stateDir, "rooms", `${hex}.json`), where);
  }

  async load(): Promise<RoomMemory> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { seen: [], sessionEndedAt: null };
      throw error;
    }
    const { resumeToken, ...memory } = parseRoomMemoryFile(text);
    this.#memory = memory;
    this.#token = resumeToken;
    return structuredClone(memory);
  }

  save(memory: RoomMemory): Promise<void> {
    this.#memory = structuredClone(memory);
    return this.#write();
  }

  /**
   * The resume token the member last had in this room, or null. A file that cannot be read gives
   * null: the member then waits for the name like anyone else, and the memory is reported when
   * it is loaded for the replay checks.
   */
  async loadResumeToken(): Promise<Uint8Array | null> {
    try {
      await this.load();
    } catch {
      return null;
    }
    return this.#token === null ? null : fromHex(this.#token);
  }

  /** Keeps `token` (null forgets it), now: the terminal may be closed a moment later. */
  saveResumeToken(token: Uint8Array | null): Promise<void> {
    this.#token = token === null ? null : toHex(token);
    return this.#write();
  }

  #write(): Promise<void> {
    const text = serializeRoomMemory(this.#memory, this.#label, this.#token);
    const write = async () => {
      await Deno.mkdir(join(this.path, ".."), { recursive: true, mode: 0o700 });
      await writeAtomically(this.path, text);
    };
    const written = this.#writing.then(write);
    this.#writing = written.catch(() => {});
    return written;
  }
}

/** The file's text for a memory; the labels are there for a person reading it. */
export function serializeRoomMemory(
  memory: RoomMemory,
  label: { server: string; room: string; name: string },
  resumeToken: string | null = null,
): string {
  return `${
    JSON.stringify({
      version: 1,
      ...label,
      sessionEndedAt: memory.sessionEndedAt,
      ...(resumeToken === null ? {} : { resumeToken }),
      seen: memory.seen.slice(-SEEN_LIMIT),
    })
  }\n`;
}

/** A memory from the file's text; throws `SyntaxError` for anything that is not one. */
export function parseRoomMemory(text: string): RoomMemory {
  const { resumeToken: _, ...memory } = parseRoomMemoryFile(text);
  return memory;
}

/** The file's text: the memory and the resume token (hex), if one is kept. */
function parseRoomMemoryFile(text: string): RoomMemory & { resumeToken: string | null } {
  const data = JSON.parse(text);
  if (data?.version !== 1 || !Array.isArray(data.seen)) {
    throw new SyntaxError("not a version 1 room memory file");
  }
  const token = data?.resumeToken ?? null;
  if (token !== null && !(typeof token === "string" && /^[0-9a-f]{32}$/.test(token))) {
    throw new SyntaxError("resumeToken is not 32 hex digits");
  }
  const ended = data.sessionEndedAt;
  if (ended !== null && !(Number.isSafeInteger(ended) && ended >= 0)) {
    throw new SyntaxError("sessionEndedAt is not a time");
  }
  const seen: [string, string][] = [];
  for (const pair of data.seen.slice(-SEEN_LIMIT)) {
    if (
      !Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" ||
      typeof pair[1] !== "string"
    ) {
      throw new SyntaxError("a seen message is not a [sender, id] pair");
    }
    seen.push([pair[0], pair[1]]);
  }
  return { seen, sessionEndedAt: ended, resumeToken: token };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(
    { length: TOKEN_BYTES },
    (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  );
}
