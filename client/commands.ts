/**
 * Slash commands of the interactive client, in one table. Pure: each command acts through a
 * `CommandContext`, so the table is tested without a terminal or a server.
 */
import type { BodyKind } from "../protocol.ts";

/** What a command may do. */
export interface CommandContext {
  /** Sends a message to the room. */
  send(text: string, kind: BodyKind): void;
  /** Asks the relay who is in the room and shows the answer. */
  who(): void;
  /** Leaves the room and exits. */
  quit(): void;
  /** Shows the identity key `name` signs with. */
  whois(name: string): void;
  /** Shows the code this user and `name` compare out of band. */
  verify(name: string): void;
  /** Accepts the new key `name` signs with. */
  trust(name: string): void;
  /** Shows a line to the user only. */
  notice(text: string): void;
}

/** One slash command. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly help: string;
  run(args: string, context: CommandContext): void;
}

/** Every command, in the order /help lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: "help",
    usage: "/help",
    help: "list commands",
    run(_args, context) {
      for (const command of COMMANDS) {
        context.notice(`${command.usage.padEnd(12)} ${command.help}`);
      }
      context.notice(`${"//text".padEnd(12)} send text that starts with "/"`);
    },
  },
  {
    name: "who",
    usage: "/who",
    help: "list who is in the room",
    run(_args, context) {
      context.who();
    },
  },
  {
    name: "me",
    usage: "/me ACTION",
    help: "describe what you are doing, e.g. /me waves",
    run(args, context) {
      if (args.trim() === "") {
        context.notice("Usage: /me ACTION");
        return;
      }
      context.send(args.trim(), "action");
    },
  },
  {
    name: "whois",
    usage: "/whois NAME",
    help: "show the identity key NAME signs with",
    run(args, context) {
      withName(args, "/whois NAME", context, (name) => context.whois(name));
    },
  },
  {
    name: "verify",
    usage: "/verify NAME",
    help: "show a code to compare with NAME in person or by phone",
    run(args, context) {
      withName(args, "/verify NAME", context, (name) => context.verify(name));
    },
  },
  {
    name: "trust",
    usage: "/trust NAME",
    help: "accept NAME's new identity key after a warning",
    run(args, context) {
      withName(args, "/trust NAME", context, (name) => context.trust(name));
    },
  },
  {
    name: "quit",
    usage: "/quit",
    help: "leave the room and exit (also Ctrl-D)",
    run(_args, context) {
      context.quit();
    },
  },
];

function withName(
  args: string,
  usage: string,
  context: CommandContext,
  run: (name: string) => void,
): void {
  const name = args.trim();
  if (name === "" || /\s/.test(name)) context.notice(`Usage: ${usage}`);
  else run(name);
}

/** A line the user typed, understood. */
export type ParsedInput =
  | { type: "empty" }
  | { type: "message"; text: string }
  | { type: "command"; command: Command; args: string }
  | { type: "unknown"; name: string };

/** Tells a message from a command; "//text" sends "/text". */
export function parseInput(line: string): ParsedInput {
  if (line.trim() === "") return { type: "empty" };
  if (!line.startsWith("/")) return { type: "message", text: line };
  if (line.startsWith("//")) return { type: "message", text: line.slice(1) };
  const match = line.slice(1).match(/^(\S+)\s?(.*)$/s);
  const name = (match?.[1] ?? "").toLowerCase();
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) return { type: "unknown", name };
  return { type: "command", command, args: match?.[2] ?? "" };
}

/** Runs a typed line against the table: a message, a command, or a hint for a typo. */
export function runInput(line: string, context: CommandContext): void {
  const input = parseInput(line);
  switch (input.type) {
    case "empty":
      return;
    case "message":
      context.send(input.text, "text");
      return;
    case "command":
      input.command.run(input.args, context);
      return;
    case "unknown":
      context.notice(`Unknown command /${input.name}; /help lists commands`);
      return;
  }
}
