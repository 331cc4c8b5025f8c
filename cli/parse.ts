/**
 * Argument parsing shared by the commands: node:util's parseArgs complaints become one-line usage
 * errors (with the nearest option for a typo), and hosts, ports and URLs are read the same way by
 * every command.
 */
import { nearest, UsageError } from "./usage.ts";

/** An option table as parseArgs takes it, for naming the options a typo may have meant. */
type OptionTable = Readonly<Record<string, { readonly type: string; readonly short?: string }>>;

/**
 * Runs a parseArgs call, turning its complaints into a `UsageError` carrying `usage`. With the
 * option table, an unknown option gets a "did you mean" for the nearest known one.
 */
export function parseOrThrow<T>(parse: () => T, usage: string, options: OptionTable = {}): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError && "code" in error) {
      throw new UsageError(argumentProblem(error.code, error.message, options), usage);
    }
    throw error;
  }
}

/** parseArgs' message in one short line of ours. */
function argumentProblem(code: unknown, message: string, options: OptionTable): string {
  const option = message.match(/'(-[^' ,]*)/)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const known = Object.entries(options).flatMap(([long, { short }]) =>
        short ? [`--${long}`, `-${short}`] : [`--${long}`]
      );
      // A one-letter option is too short to guess from.
      const guess = option.startsWith("--") ? nearest(option, known) : null;
      return `Unknown option ${option}${guess ? `; did you mean ${guess}?` : ""}`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing")
        ? `${message.match(/--[\w-]+/)?.[0] ?? option} needs a value`
        : `${option} takes no value`;
    default:
      return message.split(/\.\s/)[0]!.replace(/\.\s*$/, "");
  }
}

/** A TCP port from the command line. */
export function parsePort(text: string, usage: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new UsageError(`Invalid port "${text}": use a number from 0 to 65535`, usage);
  }
  return port;
}

/** Splits "host", "host:port", "[v6]:port" or a bare IPv6 address. */
export function parseHostPort(
  text: string,
  defaultPort: number,
  usage: string,
): { host: string; port: number } {
  const bracketed = text.match(/^\[([^\]]+)\](?::(.*))?$/);
  if (bracketed) {
    const port = bracketed[2];
    return { host: bracketed[1]!, port: port === undefined ? defaultPort : parsePort(port, usage) };
  }
  const colons = text.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = text.split(":") as [string, string];
    if (host === "") throw new UsageError(`Missing host in "${text}"`, usage);
    return { host, port: parsePort(port, usage) };
  }
  if (text === "") throw new UsageError("Missing host", usage);
  return { host: text, port: defaultPort };
}

/** A server named as a URL: its host and port, and what to tell the user about the scheme. */
export interface ServerAddress {
  host: string;
  port: number;
  /** A note for a URL whose scheme says something chat does not do (http, https). */
  note: string | null;
}

/**
 * A server as the user wrote it: "host", "host:port", "[v6]:port", or a URL such as
 * "http://host:7777" or "chat://host" (the scheme is set aside: chat speaks its own protocol; a
 * path is refused, since chat has no use for one).
 */
export function parseServer(text: string, defaultPort: number, usage: string): ServerAddress {
  const url = text.match(/^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(.*)$/i);
  if (!url) return { ...parseHostPort(text, defaultPort, usage), note: null };
  const [, scheme = "", authority = "", path = "", rest = ""] = url;
  if ((path !== "" && path !== "/") || rest !== "") {
    throw new UsageError(
      `"${text}" has a path; give the server as HOST or HOST:PORT (chat is not a web page)`,
      usage,
    );
  }
  const where = parseHostPort(authority.replace(/^[^@]*@/, ""), defaultPort, usage);
  const lower = scheme.toLowerCase();
  const note = lower === "http" || lower === "https"
    ? `chat speaks its own protocol, not ${lower.toUpperCase()}: joining ${
      where.host.includes(":") ? `[${where.host}]` : where.host
    }:${where.port}${lower === "https" ? " (add --tls if the server runs with --tls)" : ""}`
    : null;
  return { ...where, note };
}
