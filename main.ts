/**
 * Entry point: hands each subcommand to its module, maps errors to messages and exit codes in one
 * place (2 for usage errors, one code per class of failure after that: client/errors.ts), and is
 * the only place that exits.
 */
import { joinCommand } from "./cli/join_command.ts";
import { passphraseCommand } from "./cli/passphrase_command.ts";
import { roomsCommand } from "./cli/rooms_command.ts";
import { serveCommand } from "./cli/serve_command.ts";
import { MAIN_USAGE, nearest, setRunAs, UsageError, VERSION } from "./cli/usage.ts";
import { ChatError, EXIT, exitCodeFor } from "./client/errors.ts";
import { sanitizeLines } from "./terminal/sanitize.ts";

const encoder = new TextEncoder();

function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(`${line}\n`));
}

function err(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

/** Runs the program with `args`; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  setRunAs(Deno.env.get("CHAT_RUN_AS"));
  try {
    switch (command) {
      case "serve":
        return await serveCommand(rest, out);
      case "join":
        return await joinCommand(rest, out, err);
      case "passphrase":
        return passphraseCommand(rest, out);
      case "rooms":
        return roomsCommand(rest, out);
      case "-h":
      case "--help":
      case "help":
        out(MAIN_USAGE);
        return 0;
      case "-V":
      case "--version":
        out(`chat ${VERSION}`);
        return 0;
      case undefined:
        throw new UsageError("Missing command", MAIN_USAGE);
      default: {
        const guess = nearest(command, COMMANDS);
        throw new UsageError(
          `Unknown command "${command}"${guess ? `; did you mean ${guess}?` : ""}`,
          MAIN_USAGE,
        );
      }
    }
  } catch (error) {
    return report(error);
  }
}

/** The commands, for suggesting one when a name is mistyped. */
const COMMANDS = ["serve", "join", "passphrase", "rooms", "help"];

function report(error: unknown): number {
  if (error instanceof UsageError) {
    // One line for what is wrong and one for where to read more: the help is long, and a
    // mistake scrolled away under it is a mistake not seen.
    err(`chat: ${sanitizeLines(error.message).join(" ")}\nRun "${error.helpCommand}"`);
    return EXIT.usage;
  }
  if (error instanceof ChatError) {
    // Its words may quote the network (a room name, a server's reason): made inert first.
    err(`chat: ${sanitizeLines(error.message).join("\n")}`);
    return exitCodeFor(error.code);
  }
  if (error instanceof Deno.errors.AddrInUse) {
    err(`chat: ${error.message}; is another server running on that port? Try --port`);
    return 1;
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    err(`chat: not permitted: ${error.message}`);
    return 1;
  }
  err(`chat: unexpected error: ${error instanceof Error ? error.stack : String(error)}`);
  return 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
