/**
 * The user's defaults for `chat join`, in a small JSON file in the config directory
 * (`~/.config/chat/config.json`): the server, name and room to use when the command line does not
 * say, and how the terminal shows things. It owns reading and checking the file; what the
 * settings mean is up to the commands. A setting it does not know is a warning, not an error, so
 * a file written for a newer version still works.
 */
import { join } from "node:path";

/** The file's name in the config directory. */
export const CONFIG_FILE_NAME = "config.json";

/** What the file may set. Every setting is optional. */
export interface ChatConfig {
  /** The server to join when none is given: "host", "host:port" or a URL. */
  server?: string;
  /** The name to join as when --name is not given. */
  name?: string;
  /** The room to join when --room is not given. */
  room?: string;
  /** Ring the terminal bell when a message mentions you. */
  bell?: boolean;
  /** Colours in the terminal (NO_COLOR still turns them off). */
  color?: boolean;
  /** Show the time before each message. */
  timestamps?: boolean;
}

const SETTINGS: Readonly<Record<keyof ChatConfig, "string" | "boolean">> = {
  server: "string",
  name: "string",
  room: "string",
  bell: "boolean",
  color: "boolean",
  timestamps: "boolean",
};

/** Every setting the file may hold. */
export const CONFIG_SETTINGS: readonly string[] = Object.keys(SETTINGS);

/** The file cannot be used: unreadable, not JSON, or a setting of the wrong kind. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/** The config file's path in `configDir`. */
export function configFilePath(configDir: string): string {
  return join(configDir, CONFIG_FILE_NAME);
}

/** What the file says, and a note for each setting it holds that this version does not know. */
export interface LoadedConfig {
  config: ChatConfig;
  unknown: string[];
}

/** Reads the config file; a missing file is an empty config. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { config: {}, unknown: [] };
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(`Cannot read ${path}: ${reason}`);
  }
  return parseConfig(text, path);
}

/** Checks the file's text; `path` is only for the messages. */
export function parseConfig(text: string, path: string): LoadedConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(`${path} is not valid JSON (${reason})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigFileError(`${path} must hold one JSON object, like {"name": "ana"}`);
  }
  const config: Record<string, string | boolean> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const kind = SETTINGS[key as keyof ChatConfig];
    if (kind === undefined) {
      unknown.push(key);
      continue;
    }
    if (typeof value !== kind || (kind === "string" && (value as string).trim() === "")) {
      throw new ConfigFileError(
        `"${key}" in ${path} must be ${kind === "string" ? "a non-empty string" : "true or false"}`,
      );
    }
    config[key] = value as string | boolean;
  }
  return { config: config as ChatConfig, unknown };
}
