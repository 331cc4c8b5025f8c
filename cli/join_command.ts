/** `chat join`: parses the command line, picks the passphrase source and the mode, and joins. */
import { parseArgs } from "node:util";
import { join, type PassphraseSource } from "../client.ts";
import { nameProblem, normalizeName } from "../protocol.ts";
import { JOIN_TLS_FLAGS, joinTlsOptions } from "./join_tls.ts";
import { parseHostPort, parseOrThrow } from "./parse.ts";
import { JOIN_USAGE, UsageError, VERSION } from "./usage.ts";
import { defaultConfigDir, defaultStateDir } from "../storage/data_dir.ts";

import { ChatError } from "../client/errors.ts";

/** The port `chat serve` listens on by default. */
export const DEFAULT_PORT = 7777;
/** Recent messages shown on joining when not told otherwise. */
export const DEFAULT_HISTORY = 50;
/** Most recent messages one may ask for on joining. */
export const MAX_HISTORY = 10_000;

/** Runs the command; resolves with the exit code. */
export async function joinCommand(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseOrThrow(
    () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          name: { type: "string" },
          room: { type: "string", default: "lobby" },
          json: { type: "boolean", default: false },
          history: { type: "string", default: String(DEFAULT_HISTORY) },
          "no-history": { type: "boolean", default: false },
          "passphrase-file": { type: "string" },
          ...JOIN_TLS_FLAGS,
          help: { type: "boolean", short: "h" },
        },
      }),
    JOIN_USAGE,
  );
  if (values.help) {
    out(JOIN_USAGE);
    return 0;
  }
  const [target, ...extra] = positionals;
  if (target === undefined) throw new UsageError("Missing HOST to join", JOIN_USAGE);
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`, JOIN_USAGE);
  const { host, port } = parseHostPort(target, DEFAULT_PORT, JOIN_USAGE);
  if (values.name === undefined) throw new UsageError("Missing --name NAME", JOIN_USAGE);
  const name = normalizeName(values.name);
  const room = normalizeName(values.room);
  const nameIssue = nameProblem(name);
  if (nameIssue) throw new UsageError(`Invalid name "${values.name}": ${nameIssue}`, JOIN_USAGE);
  const roomIssue = nameProblem(room, "room");
  if (roomIssue) throw new UsageError(`Invalid room "${values.room}": ${roomIssue}`, JOIN_USAGE);

  const history = values["no-history"] ? 0 : Number(values.history);
  if (!/^\d+$/.test(values.history) || history > MAX_HISTORY) {
    throw new UsageError(
      `Invalid --history "${values.history}": use a number from 0 to ${MAX_HISTORY}`,
      JOIN_USAGE,
    );
  }
  const stdinIsTerminal = Deno.stdin.isTerminal();
  const tls = await joinTlsOptions(values, stdinIsTerminal);
  const passphrase = passphraseSource(values["passphrase-file"], stdinIsTerminal);
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "";
  let configDir: string;
  let stateDir: string;
  try {
    const env = (variable: string) => Deno.env.get(variable);
    configDir = defaultConfigDir(env, Deno.build.os);
    stateDir = defaultStateDir(env, Deno.build.os);
  } catch (error) {
    throw new ChatError("config", error instanceof Error ? error.message : String(error));
  }
  return await join({
    host,
    port,
    name,
    room,
    json: values.json,
    history,
    passphrase,
    interactive: stdinIsTerminal && Deno.stdout.isTerminal() && !values.json,
    color: !noColor && Deno.stdout.isTerminal(),
    software: `chat/${VERSION}`,
    configDir,
    stateDir,
    ...(tls ? { tls } : {}),
    out,
    err,
  });
}

function passphraseSource(file: string | undefined, stdinIsTerminal: boolean): PassphraseSource {
  const fromEnvironment = Deno.env.get("CHAT_PASSPHRASE");
  if (fromEnvironment !== undefined && file !== undefined) {
    throw new UsageError(
      "Both CHAT_PASSPHRASE and --passphrase-file are set; use one",
      JOIN_USAGE,
    );
  }
  if (fromEnvironment !== undefined) {
    return { kind: "value", value: fromEnvironment };
  }
  if (file !== undefined) return { kind: "file", path: file };
  if (stdinIsTerminal) return { kind: "prompt" };
  throw new UsageError(
    "No passphrase: input is not a terminal, so set CHAT_PASSPHRASE or use --passphrase-file",
    JOIN_USAGE,
  );
}
