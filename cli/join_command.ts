/**
 * `chat join`: parses the command line (with defaults from the config file and the login name),
 * picks the passphrase source and the mode, and joins. With --json, a failure is also printed as
 * a JSON `error` event on stdout, so a bot reading only stdout learns why it ended.
 */
import { parseArgs } from "node:util";
import { join, type PassphraseSource } from "../client.ts";
import { nameProblem, normalizeName } from "../protocol.ts";
import { JOIN_TLS_FLAGS, joinTlsOptions } from "./join_tls.ts";
import { parseOrThrow, parsePort, parseServer } from "./parse.ts";
import { openTerminal, type TerminalIo, terminalPrompter } from "./terminal_prompt.ts";
import { JOIN_USAGE, nearest, UsageError, VERSION } from "./usage.ts";
import { defaultConfigDir, defaultStateDir } from "../storage/data_dir.ts";
import {
  type ChatConfig,
  CONFIG_SETTINGS,
  ConfigFileError,
  configFilePath,
  loadConfig,
} from "../storage/config_file.ts";
import { jsonEventLine } from "../client/line_mode.ts";
import { ChatError, EXIT, exitCodeFor } from "../client/errors.ts";
import type { Prompter } from "../client/passphrase.ts";

/** The port `chat serve` listens on by default. */
export const DEFAULT_PORT = 7777;
/** Recent messages shown on joining when not told otherwise. */
export const DEFAULT_HISTORY = 50;
/** Most recent messages one may ask for on joining. */
export const MAX_HISTORY = 10_000;
/** The room joined when neither the command line nor the config file names one. */
export const DEFAULT_ROOM = "lobby";

/** The parseArgs option table of `chat join`. */
export const JOIN_FLAGS = {
  name: { type: "string", short: "n" },
  room: { type: "string", short: "r" },
  port: { type: "string", short: "p" },
  create: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  "json-in": { type: "boolean", default: false },
  history: { type: "string", default: String(DEFAULT_HISTORY) },
  "no-history": { type: "boolean", default: false },
  "no-bell": { type: "boolean", default: false },
  "passphrase-file": { type: "string" },
  ...JOIN_TLS_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** Runs the command; resolves with the exit code. */
export async function joinCommand(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseOrThrow(() => parseJoinArgs(args), JOIN_USAGE, JOIN_FLAGS);
  if (values.help) {
    out(JOIN_USAGE);
    return 0;
  }
  try {
    return await joinWith(values, positionals, out, err);
  } catch (error) {
    if (values.json) printFatal(error, out);
    throw error;
  }
}

type JoinValues = ReturnType<typeof parseJoinArgs>["values"];
function parseJoinArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, options: JOIN_FLAGS });
}

async function joinWith(
  values: JoinValues,
  positionals: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const env = (variable: string) => Deno.env.get(variable);
  let configDir: string;
  let stateDir: string;
  try {
    configDir = defaultConfigDir(env, Deno.build.os);
    stateDir = defaultStateDir(env, Deno.build.os);
  } catch (error) {
    throw new ChatError("config", error instanceof Error ? error.message : String(error));
  }
  const config = await readConfig(configDir, err);

  const [target = config.server, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`, JOIN_USAGE);
  if (target === undefined) {
    throw new UsageError(
      `Missing HOST to join (or set "server" in ${configFilePath(configDir)})`,
      JOIN_USAGE,
    );
  }
  const server = parseServer(target, DEFAULT_PORT, JOIN_USAGE);
  if (server.note) err(`chat: note: ${server.note}`);
  let port = server.port;
  if (values.port !== undefined) {
    const flagPort = parsePort(values.port, JOIN_USAGE);
    if (target.includes(":") && !target.startsWith("[") && flagPort !== port) {
      throw new UsageError(
        `Two ports given: ${port} in "${target}" and --port ${flagPort}`,
        JOIN_USAGE,
      );
    }
    port = flagPort;
  }
  const roomText = values.room ?? config.room ?? DEFAULT_ROOM;
  const room = normalizeName(roomText);
  const roomIssue = nameProblem(room, "room");
  if (roomIssue) throw new UsageError(`Invalid room "${roomText}": ${roomIssue}`, JOIN_USAGE);

  const history = values["no-history"] ? 0 : Number(values.history);
  if (!/^\d+$/.test(values.history) || history > MAX_HISTORY) {
    throw new UsageError(
      `Invalid --history "${values.history}": use a number from 0 to ${MAX_HISTORY}`,
      JOIN_USAGE,
    );
  }
  if (values["json-in"] && !values.json) {
    throw new UsageError("--json-in goes with --json", JOIN_USAGE);
  }
  const stdinIsTerminal = Deno.stdin.isTerminal();
  const interactive = stdinIsTerminal && Deno.stdout.isTerminal() && !values.json;
  const tls = await joinTlsOptions(values, stdinIsTerminal);
  // Empty is unset, as shells often export variables empty.
  const fromEnvironment = env("CHAT_PASSPHRASE") || undefined;
  const file = values["passphrase-file"];
  if (fromEnvironment !== undefined && file !== undefined) {
    throw new UsageError("Both CHAT_PASSPHRASE and --passphrase-file are set; use one", JOIN_USAGE);
  }
  // A terminal to ask on: stdin's, or the controlling one when input is a pipe (as ssh does).
  const needTerminal = fromEnvironment === undefined && file === undefined;
  const terminal = needTerminal || (stdinIsTerminal && values.name === undefined)
    ? openTerminal()
    : null;
  try {
    const prompter = terminal ? terminalPrompter(terminal) : null;
    const name = await chooseName(values.name ?? config.name, {
      prompter: stdinIsTerminal ? prompter : null,
      login: env("USER") ?? env("USERNAME"),
      err,
    });
    const passphrase: PassphraseSource = fromEnvironment !== undefined
      ? { kind: "value", value: fromEnvironment }
      : file !== undefined
      ? { kind: "file", path: file }
      : prompter
      ? { kind: "prompt", prompter }
      : noPassphraseSource();
    const noColor = (env("NO_COLOR") ?? "") !== "";
    return await join({
      host: server.host,
      port,
      name,
      room,
      json: values.json,
      jsonInput: values["json-in"],
      history,
      // On a terminal the person creating a room chooses its passphrase twice: that is consent
      // enough. A script must say so, or a mistyped room would be created and talked into.
      create: interactive || values.create,
      passphrase,
      interactive,
      color: !noColor && (config.color ?? true) && Deno.stdout.isTerminal(),
      bell: !values["no-bell"] && (config.bell ?? true),
      timestamps: config.timestamps ?? true,
      software: `chat/${VERSION}`,
      configDir,
      stateDir,
      ...(tls ? { tls } : {}),
      onJoined: () => closeUnlessStdin(terminal, stdinIsTerminal),
      out,
      err,
    });
  } finally {
    closeUnlessStdin(terminal, stdinIsTerminal);
  }
}

function closeUnlessStdin(terminal: TerminalIo | null, stdinIsTerminal: boolean): void {
  if (!stdinIsTerminal) terminal?.close();
}

function noPassphraseSource(): never {
  throw new UsageError(
    "No passphrase: input is not a terminal and there is no terminal to ask on, so set " +
      "CHAT_PASSPHRASE or use --passphrase-file",
    JOIN_USAGE,
  );
}

/**
 * The name to join as: --name, else the config file's, else the login name, which a person at a
 * terminal sees and may change (Enter keeps it) and a script is told about.
 */
async function chooseName(
  given: string | undefined,
  how: { prompter: Prompter | null; login: string | undefined; err(line: string): void },
): Promise<string> {
  if (given !== undefined) return checkedName(given);
  const login = how.login ? normalizeName(how.login) : "";
  const usable = login !== "" && nameProblem(login) === null;
  if (!how.prompter) {
    if (!usable) throw new UsageError(missingName(login), JOIN_USAGE);
    how.err(`chat: joining as "${login}" (your login name); --name NAME picks another`);
    return login;
  }
  const answer = await how.prompter.line(usable ? `Your name [${login}]: ` : "Your name: ");
  if (answer.trim() === "") {
    if (!usable) throw new UsageError(missingName(login), JOIN_USAGE);
    return login;
  }
  return checkedName(answer.trim());
}

function checkedName(text: string): string {
  const name = normalizeName(text);
  const issue = nameProblem(name);
  if (issue) throw new UsageError(`Invalid name "${text}": ${issue}`, JOIN_USAGE);
  return name;
}

function missingName(login: string): string {
  return login === ""
    ? "Missing --name NAME"
    : `Missing --name NAME (the login name "${login}" cannot be used: ${nameProblem(login)})`;
}

/** The config file's settings; a setting it does not know is a warning with a suggestion. */
async function readConfig(configDir: string, err: (line: string) => void): Promise<ChatConfig> {
  try {
    const { config, unknown } = await loadConfig(configFilePath(configDir));
    for (const key of unknown) {
      const guess = nearest(key, CONFIG_SETTINGS);
      err(
        `chat: warning: unknown setting "${key}" in ${configFilePath(configDir)}${
          guess ? `; did you mean "${guess}"?` : ""
        }`,
      );
    }
    return config;
  } catch (error) {
    if (error instanceof ConfigFileError) throw new ChatError("config", error.message);
    throw error;
  }
}

/** A failure as the JSON `error` event a bot reads on stdout, with the exit code it brings. */
function printFatal(error: unknown, out: (line: string) => void): void {
  const [code, exit] = error instanceof UsageError
    ? ["usage", EXIT.usage]
    : error instanceof ChatError
    ? [error.code, exitCodeFor(error.code)]
    : ["internal", EXIT.failure];
  const message = error instanceof Error ? error.message : String(error);
  out(jsonEventLine({ type: "error", code, message, fatal: true, exit }));
}
