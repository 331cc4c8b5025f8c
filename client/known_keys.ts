/**
 * Trust on first use for identity keys: which key each name used in each room of each server,
 * the first time this user saw it speak. A different key later means someone else may be using
 * the name, and is flagged loudly. Kept in `<config>/known_keys.json`.
 */
import { join } from "node:path";
import { foldName } from "../protocol.ts";

/** The file's name inside the config directory. */
export const KNOWN_KEYS_FILE = "known_keys.json";

/** How a key compares with what was seen before for the same name. */
export type KeyStatus = "new" | "known" | "changed";

interface Entry {
  name: string;
  key: string;
  firstSeen: number;
}

/** Known keys for one server, room by room. */
export class KnownKeys {
  readonly #entries: Map<string, Entry>;
  readonly #path: string | null;

  private constructor(entries: Map<string, Entry>, path: string | null) {
    this.#entries = entries;
    this.#path = path;
  }

  /** Keys in memory only, for tests and for runs with nowhere to keep them. */
  static inMemory(): KnownKeys {
    return new KnownKeys(new Map(), null);
  }

  /** Loads the file in `configDir`; a missing file is an empty one. */
  static async load(configDir: string): Promise<KnownKeys> {
    const path = join(configDir, KNOWN_KEYS_FILE);
    try {
      return new KnownKeys(parse(await Deno.readTextFile(path)), path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return new KnownKeys(new Map(), path);
      throw error;
    }
  }

  /** The key remembered for `name` in `room` of `server`, base64, if any. */
  remembered(server: string, room: string, name: string): string | undefined {
    return this.#entries.get(entryKey(server, room, name))?.key;
  }

  /** Compares `key` (base64) with the remembered one, remembering it if it is the first. */
  check(server: string, room: string, name: string, key: string, now: number): KeyStatus {
    const previous = this.#entries.get(entryKey(server, room, name));
    if (previous?.key === key) return "known";
    if (previous) return "changed";
    this.#entries.set(entryKey(server, room, name), { name, key, firstSeen: now });
    return "new";
  }

  /** Replaces the remembered key, when the user has decided to trust a new one. */
  trust(server: string, room: string, name: string, key: string, now: number): void {
    this.#entries.set(entryKey(server, room, name), { name, key, firstSeen: now });
  }

  /** Writes the file atomically (a temporary file renamed over it), readable by the user alone. */
  async save(): Promise<void> {
    if (this.#path === null) return;
    const directory = join(this.#path, "..");
    await Deno.mkdir(directory, { recursive: true, mode: 0o700 });
    const temporary = `${this.#path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(temporary, serialize(this.#entries), { mode: 0o600 });
    await Deno.rename(temporary, this.#path);
  }
}

/** The file's content for a set of entries. */
export function serialize(entries: Map<string, Entry>): string {
  return `${JSON.stringify({ version: 1, keys: Object.fromEntries(entries) }, null, 1)}\n`;
}

/** Entries from the file's content; anything unreadable is an error, never silently dropped. */
export function parse(text: string): Map<string, Entry> {
  const data = JSON.parse(text);
  if (data?.version !== 1 || typeof data.keys !== "object" || data.keys === null) {
    throw new SyntaxError(`${KNOWN_KEYS_FILE} is not a version 1 known-keys file`);
  }
  const entries = new Map<string, Entry>();
  for (const [key, value] of Object.entries(data.keys)) {
    const entry = value as Entry;
    if (typeof entry?.key !== "string" || typeof entry.name !== "string") {
      throw new SyntaxError(`${KNOWN_KEYS_FILE} has a malformed entry for ${key}`);
    }
    entries.set(key, { name: entry.name, key: entry.key, firstSeen: Number(entry.firstSeen) });
  }
  return entries;
}

function entryKey(server: string, room: string, name: string): string {
  return `${server}/${foldName(room)}/${foldName(name)}`;
}
