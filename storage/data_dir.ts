/**
 * Where the relay keeps its data file by default, following each platform's convention. It owns
 * only paths: the environment and OS come in as parameters so every platform can be tested on
 * any; only `ensureDataDir` touches the disk. It must not know what the data file holds.
 */
import { join, posix, win32 } from "node:path";

// SQLite's name for "no file"; spelled out here so choosing a path does not load node:sqlite.
const MEMORY_PATH = ":memory:";

/** The directory name used under the platform's data directory. */
export const APP_DIR_NAME = "chat";

/** The data file's name inside the data directory. */
export const DATABASE_FILE_NAME = "chat.db";

/** The platform's per-user data directory for chat, from the environment. */
export function defaultDataDir(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  // An empty variable is treated as unset, as shells often export them empty.
  const get = (name: string): string | undefined => env(name) || undefined;
  if (os === "windows") {
    const base = get("LOCALAPPDATA") ?? get("APPDATA");
    if (base === undefined) throw noHome("LOCALAPPDATA or APPDATA");
    return win32.join(base, APP_DIR_NAME);
  }
  if (os === "darwin") {
    const home = get("HOME");
    if (home === undefined) throw noHome("HOME");
    return posix.join(home, "Library", "Application Support", APP_DIR_NAME);
  }
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = get("XDG_DATA_HOME");
  if (xdg !== undefined && posix.isAbsolute(xdg)) return posix.join(xdg, APP_DIR_NAME);
  const home = get("HOME");
  if (home === undefined) throw noHome("HOME (or XDG_DATA_HOME)");
  return posix.join(home, ".local", "share", APP_DIR_NAME);
}

/** The platform's per-user config directory for chat: identity key, known hosts and keys. */
export function defaultConfigDir(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  const get = (name: string): string | undefined => env(name) || undefined;
  if (os === "windows") {
    const base = get("APPDATA") ?? get("LOCALAPPDATA");
    if (base === undefined) throw noConfigHome("APPDATA");
    return win32.join(base, APP_DIR_NAME);
  }
  if (os === "darwin") {
    const home = get("HOME");
    if (home === undefined) throw noConfigHome("HOME");
    return posix.join(home, "Library", "Application Support", APP_DIR_NAME);
  }
  const xdg = get("XDG_CONFIG_HOME");
  if (xdg !== undefined && posix.isAbsolute(xdg)) return posix.join(xdg, APP_DIR_NAME);
  const home = get("HOME");
  if (home === undefined) throw noConfigHome("HOME (or XDG_CONFIG_HOME)");
  return posix.join(home, ".config", APP_DIR_NAME);
}

/** The data file inside `dataDir`, or ":memory:" when the data directory is ":memory:". */
export function databasePath(dataDir: string): string {
  return dataDir === MEMORY_PATH ? MEMORY_PATH : join(dataDir, DATABASE_FILE_NAME);
}

/** Creates `dataDir` (and its parents) readable by the owner only; nothing for ":memory:". */
export function ensureDataDir(dataDir: string): void {
  if (dataDir === MEMORY_PATH) return;
  // 0o700: the directory holds other people's ciphertext and room metadata; the umask may only
  // narrow it further, and an existing directory keeps the mode its owner chose.
  Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * The mode of `dataDir` when other users may list or read it (any group or other permission
 * bit), for a warning; null when it is the owner's alone, or on Windows and for ":memory:".
 */
export function looseDataDirMode(dataDir: string): number | null {
  if (dataDir === MEMORY_PATH || Deno.build.os === "windows") return null;
  const mode = Deno.statSync(dataDir).mode;
  return mode !== null && (mode & 0o077) !== 0 ? mode & 0o777 : null;
}

function noHome(variables: string): Error {
  return new Error(
    `Cannot find a directory for the relay's data: ${variables} is not set; set it or pass --data DIR`,
  );
}

function noConfigHome(variables: string): Error {
  return new Error(`Cannot find a directory for chat's settings and keys: ${variables} is not set`);
}
