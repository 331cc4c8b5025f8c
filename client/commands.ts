/**
 * Slash commands of the interactive client, in one table: each entry has its name, any aliases,
 * its usage and its help, so adding a command is adding an entry (and, if it needs something new,
 * a method on `CommandContext`). Pure: each command acts through a `CommandContext`, so the table
 * is tested without a terminal or a server.
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
  /** Marks the user away, telling the room, with a reason or "". */
  away(reason: string): void;
  /** Marks the user back. */
  back(): void;
  /** Hides `name`'s messages, joins and leaves on this screen; null lists who is hidden. */
  ignore(name: string | null): void;
  /** Shows `name` again. */
  unignore(name: string): void;
  /** Turns hiding joins and leaves on or off. */
  quiet(): void;
  /** Clears the screen and its scrollback. */
  clear(): void;
  /** Goes by `name` in the room from now on. */
  nick(name: string): void;
  /** Sets the room's topic; null shows the current one. */
  topic(text: string | null): void;
  /** Shows a line to the user only. */
  notice(text: string): void;
}

/** One slash command. */
export interface Command {
  readonly name: string;
  /** Other names that run it ("/q" for "/quit"). */
  readonly aliases?: readonly string[];
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
        const aliases = (command.aliases ?? []).map((alias) => `, /${alias}`).join("");
        context.notice(`${(command.usage + aliases).padEnd(16)} ${command.help}`);
      }
      context.notice(`${"//text".padEnd(16)} send text that starts with "/"`);
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
    name: "nick",
    usage: "/nick NAME",
    help: "go by NAME in this room from now on (your identity key stays the same)",
    run(args, context) {
      withName(args, "/nick NAME", context, (name) => context.nick(name));
    },
  },
  {
    name: "topic",
    usage: "/topic [TEXT]",
    help: "set the room's topic, which newcomers see on joining; alone, show it",
    run(args, context) {
      context.topic(args.trim() === "" ? null : args.trim());
    },
  },
  {
    name: "away",
    usage: "/away [REASON]",
    help: "tell the room you are away (shown as * NAME is away (REASON))",
    run(args, context) {
      context.away(args.trim());
    },
  },
  {
    name: "back",
    usage: "/back",
    help: "tell the room you are back",
    run(_args, context) {
      context.back();
    },
  },
  {
    name: "ignore",
    usage: "/ignore [NAME]",
    help: "hide NAME's messages, joins and leaves on this screen; alone, list who is hidden",
    run(args, context) {
      if (args.trim() === "") context.ignore(null);
      else withName(args, "/ignore NAME", context, (name) => context.ignore(name));
    },
  },
  {
    name: "unignore",
    usage: "/unignore NAME",
    help: "show NAME's messages again",
    run(args, context) {
      withName(args, "/unignore NAME", context, (name) => context.unignore(name));
    },
  },
  {
    name: "quiet",
    usage: "/quiet",
    help: "hide joins and leaves, or show them again",
    run(_args, context) {
      context.quiet();
    },
  },
  {
    name: "clear",
    usage: "/clear",
    help: "clear the screen and its scrollback (Ctrl-L only paints it again)",
    run(_args, context) {
      context.clear();
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
    aliases: ["exit", "q"],
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

/** The command called `name` or with it as an alias, in any case. */
export function findCommand(name: string): Command | undefined {
  const wanted = name.toLowerCase();
  return COMMANDS.find((command) =>
    command.name === wanted || (command.aliases ?? []).includes(wanted)
  );
}

/** Completions of a word starting with "/" to a command and a space ("/wh" gives "/who "). */
export function completeCommand(word: string): string[] {
  if (!word.startsWith("/")) return [];
  const prefix = word.slice(1).toLowerCase();
  return COMMANDS.flatMap((command) => [command.name, ...command.aliases ?? []])
    .filter((name) => name.startsWith(prefix))
    .map((name) => `/${name} `);
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
  const command = findCommand(name);
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
