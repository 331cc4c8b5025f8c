/** Argument parsing shared by the commands: node:util's parseArgs errors become usage errors. */
import { UsageError } from "./usage.ts";

/** Runs a parseArgs call, turning its complaints into a `UsageError` carrying `usage`. */
export function parseOrThrow<T>(parse: () => T, usage: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError && "code" in error) {
      throw new UsageError(error.message.replace(/\.\s*$/, ""), usage);
    }
    throw error;
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
