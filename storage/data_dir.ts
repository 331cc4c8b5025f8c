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

/** Where one kind of per-user directory lives on each platform. */
interface DirectoryKind {
  /** What it holds, for the error when no variable says where it goes. */
  holds: string;
  /** What the user can do instead, if anything. */
  otherwise: string;
  /** Windows: the variables to try, in order, and a subdirectory under chat's. */
  windows: readonly string[];
  windowsSub: readonly string[];
  /** macOS: a subdirectory of ~/Library/Application Support/chat. */
  darwinSub: readonly string[];
  /** Other Unixes: the XDG variable, and its default under the home directory. */
  xdg: string;
  xdgDefault: readonly string[];
}

const DATA: DirectoryKind = {
  holds: "the relay's data",
  otherwise: "; set it or pass --data DIR",
  windows: ["LOCALAPPDATA", "APPDATA"],
  windowsSub: [],
  darwinSub: [],
  xdg: "XDG_DATA_HOME",
  xdgDefault: [".local", "share"],
};

const CONFIG: DirectoryKind = {
  holds: "chat's settings and keys",
  otherwise: "",
  // Settings and keys follow the user from machine to machine: the roaming profile first.
  windows: ["APPDATA", "LOCALAPPDATA"],
  windowsSub: [],
  darwinSub: [],
  xdg: "XDG_CONFIG_HOME",
  xdgDefault: [".config"],
};

const STATE: DirectoryKind = {
  holds: "what chat remembers between runs",
  otherwise: "",
  // State belongs to this machine, so the local (not roaming) application data.
  windows: ["LOCALAPPDATA", "APPDATA"],
  windowsSub: ["state"],
  darwinSub: ["state"],
  xdg: "XDG_STATE_HOME",
  xdgDefault: [".local", "state"],
};

/** The platform's per-user data directory for chat (the relay's database), from the environment. */
export function defaultDataDir(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  return platformDir(DATA, env, os);
}

/** The platform's per-user config directory for chat: identity key, known hosts and keys. */
export function defaultConfigDir(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  return platformDir(CONFIG, env, os);
}

/** The platform's per-user state directory for chat: what the client remembers between runs. */
export function defaultStateDir(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  return platformDir(STATE, env, os);
}

function platformDir(
  kind: DirectoryKind,
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  // An empty variable is treated as unset, as shells often export them empty.
  const get = (name: string): string | undefined => env(name) || undefined;
  const missing = (variables: string) =>
    new Error(
      `Cannot find a directory for ${kind.holds}: ${variables} is not set${kind.otherwise}`,
    );
  if (os === "windows") {
    const base = kind.windows.map(get).find((value) => value !== undefined);
    if (base === undefined) throw missing(kind.windows.join(" or "));
    return win32.join(base, APP_DIR_NAME, ...kind.windowsSub);
  }
  const home = get("HOME");
  if (os === "darwin") {
    if (home === undefined) throw missing("HOME");
    return posix.join(home, "Library", "Application Support", APP_DIR_NAME, ...kind.darwinSub);
  }
  // The XDG spec says a relative path in its variables is invalid and must be ignored.
  const xdg = get(kind.xdg);
  if (xdg !== undefined && posix.isAbsolute(xdg)) return posix.join(xdg, APP_DIR_NAME);
  if (home === undefined) throw missing(`HOME (or ${kind.xdg})`);
  return posix.join(home, ...kind.xdgDefault, APP_DIR_NAME);
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
