/** `chat serve`: runs a relay until SIGINT or SIGTERM, then tells members and exits 0. */
import { parseArgs } from "node:util";
import { reachableAddresses, serve } from "../server.ts";
import { DEFAULT_RETENTION } from "../relay/relay.ts";
import { defaultDataDir } from "../storage/data_dir.ts";
import { StorageOpenError } from "../storage/sqlite_store.ts";
import { ChatError } from "../client/errors.ts";
import { parseOrThrow, parsePort } from "./parse.ts";
import { SERVE_USAGE, UsageError, VERSION } from "./usage.ts";

/** Runs the command; resolves with the exit code once the relay has shut down. */
export async function serveCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseOrThrow(
    () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          host: { type: "string", default: "0.0.0.0" },
          port: { type: "string", default: "7777" },
          data: { type: "string" },
          retain: { type: "string", default: String(DEFAULT_RETENTION.maxMessagesPerRoom) },
          "retain-days": {
            type: "string",
            default: String(DEFAULT_RETENTION.maxAgeMs / 86_400_000),
          },
          "max-storage-mb": { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      }),
    SERVE_USAGE,
  );
  if (values.help) {
    out(SERVE_USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${positionals[0]}"`, SERVE_USAGE);
  }
  const port = parsePort(values.port, SERVE_USAGE);
  const maxMessagesPerRoom = parseCount(values.retain, "--retain", 1);
  const retainDays = parseCount(values["retain-days"], "--retain-days", 0);
  const maxStorageMb = values["max-storage-mb"];
  const dataDir = values.data ?? defaultDataDir((name) => Deno.env.get(name), Deno.build.os);
  let server;
  try {
    server = serve({
      host: values.host,
      port,
      dataDir,
      retention: {
        maxMessagesPerRoom,
        maxAgeMs: retainDays === 0 ? Infinity : retainDays * 86_400_000,
      },
      ...(maxStorageMb === undefined
        ? {}
        : { maxStorageBytes: parseCount(maxStorageMb, "--max-storage-mb", 1) * 1024 * 1024 }),
      software: `chat/${VERSION}`,
      log: (line) => out(`${new Date().toISOString()} ${line}`),
    });
  } catch (error) {
    if (error instanceof StorageOpenError) throw new ChatError("storage", error.message);
    throw error;
  }
  const { hostname, port: boundPort } = server.addr;
  out(`listening on ${hostname.includes(":") ? `[${hostname}]` : hostname}:${boundPort}`);
  out(`messages stored in ${server.databasePath}`);
  const addresses = reachableAddresses(hostname, boundPort);
  if (addresses.length > 0) {
    out("others can join with:");
    for (const address of addresses) out(`  chat join ${address} --name NAME`);
  }

  const stop = Promise.withResolvers<string>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((signal) => {
    const handler = () => stop.resolve(signal);
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  });
  const signal = await stop.promise;
  for (const remove of handlers) remove();
  out(`${new Date().toISOString()} ${signal}: telling members and shutting down`);
  await server.shutdown();
  out(`${new Date().toISOString()} stopped`);
  return 0;
}

function parseCount(text: string, option: string, minimum: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < minimum) {
    throw new UsageError(
      `Invalid ${option} "${text}": use a whole number from ${minimum}`,
      SERVE_USAGE,
    );
  }
  return value;
}
