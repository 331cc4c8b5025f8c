/**
 * Entry point: hands each subcommand to its module, maps errors to messages and exit codes in one
 * place (2 for usage errors, 1 for everything else), and is the only place that exits.
 */
import { joinCommand } from "./cli/join_command.ts";
import { passphraseCommand } from "./cli/passphrase_command.ts";
import { roomsCommand } from "./cli/rooms_command.ts";
import { serveCommand } from "./cli/serve_command.ts";
import { MAIN_USAGE, UsageError, VERSION } from "./cli/usage.ts";
import { ChatError } from "./client/errors.ts";
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
      default:
        throw new UsageError(`Unknown command "${command}"`, MAIN_USAGE);
    }
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    err(`chat: ${error.message}\n\n${error.usage}`);
    return 2;
  }
  if (error instanceof ChatError) {
    // Its words may quote the network (a room name, a server's reason): made inert first.
    err(`chat: ${sanitizeLines(error.message).join("\n")}`);
    return 1;
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
