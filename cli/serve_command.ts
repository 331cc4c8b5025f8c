/** `chat serve`: runs a relay until SIGINT or SIGTERM, then tells members and exits 0. */
import { parseArgs } from "node:util";
import { reachableAddresses, serve } from "../server.ts";
import { DEFAULT_RETENTION } from "../relay/relay.ts";
import { defaultDataDir, ensureDataDir, looseDataDirMode } from "../storage/data_dir.ts";
import { StorageOpenError } from "../storage/sqlite_store.ts";
import { ChatError } from "../client/errors.ts";
import { parseOrThrow, parsePort } from "./parse.ts";
import { BufferedLog } from "./buffered_log.ts";
import { SERVE_LIMIT_FLAGS, serveLimits } from "./serve_limits.ts";
import { SERVE_TLS_FLAGS, serverTls } from "./serve_tls.ts";
import { commandName, SERVE_USAGE, UsageError, VERSION } from "./usage.ts";

/** The parseArgs option table of `chat serve`. */
const SERVE_FLAGS = {
  host: { type: "string", default: "0.0.0.0" },
  port: { type: "string", default: "7777" },
  data: { type: "string" },
  retain: { type: "string", default: String(DEFAULT_RETENTION.maxMessagesPerRoom) },
  "retain-days": {
    type: "string",
    default: String(DEFAULT_RETENTION.maxAgeMs / 86_400_000),
  },
  ...SERVE_LIMIT_FLAGS,
  ...SERVE_TLS_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** Runs the command; resolves with the exit code once the relay has shut down. */
export async function serveCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseOrThrow(
    () => parseArgs({ args, allowPositionals: true, options: SERVE_FLAGS }),
    SERVE_USAGE,
    SERVE_FLAGS,
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
  const limits = serveLimits(values);
  const dataDir = values.data ?? defaultDataDir((name) => Deno.env.get(name), Deno.build.os);
  prepareDataDir(dataDir, values.data !== undefined);
  const tls = await serverTls(values, { dataDir, host: values.host });
  const log = new BufferedLog(out, limits.logLinesPerSecond);
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
      ...(Number.isFinite(limits.maxStorageBytes)
        ? { maxStorageBytes: limits.maxStorageBytes }
        : {}),
      ...(Number.isFinite(limits.roomQuotaBytes) ? { roomQuotaBytes: limits.roomQuotaBytes } : {}),
      limits: limits.relay,
      software: `chat/${VERSION}`,
      log: (line) => log.write(`${new Date().toISOString()} ${line}`),
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      ...limits.socket,
    });
  } catch (error) {
    if (error instanceof StorageOpenError) throw new ChatError("storage", error.message);
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new ChatError("address", notHere(values.host, port));
    }
    if (tls && (error instanceof Deno.errors.InvalidData || /\bkey/i.test(String(error)))) {
      const what = tls.files ? `${tls.files.cert} and ${tls.files.key}` : "its certificate";
      throw new ChatError("tls_config", `Cannot serve TLS with ${what}: ${String(error)}`);
    }
    throw error;
  }
  const { hostname, port: boundPort } = server.addr;
  out(`listening on ${hostname.includes(":") ? `[${hostname}]` : hostname}:${boundPort}`);
  if (tls) {
    out(`TLS certificate fingerprint ${tls.fingerprint.sha256}`);
    out(`  (as openssl prints it: ${tls.fingerprint.hex})`);
    for (const note of tls.notes) out(note);
  }
  out(`messages stored in ${server.databasePath}`);
  const looseMode = looseDataDirMode(dataDir);
  if (looseMode !== null) {
    out(
      `warning: ${dataDir} can be read by other users (mode ${looseMode.toString(8)}); ` +
        `its files are owner-only, but consider chmod 700 ${dataDir}`,
    );
  }
  const addresses = reachableAddresses(hostname, boundPort);
  if (addresses.length > 0) {
    // A certificate the relay made is trusted by its fingerprint; one from a CA by its CA.
    const flags = !tls
      ? ""
      : tls.selfSigned
      ? `--tls --fingerprint ${tls.fingerprint.sha256} `
      : "--tls ";
    out("others can join with:");
    const join = commandName("join");
    for (const address of addresses) out(`  ${join} ${address} ${flags}--name NAME`);
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
  log.flush();
  out(`${new Date().toISOString()} ${signal}: telling members and shutting down`);
  await server.shutdown();
  log.flush();
  out(`${new Date().toISOString()} stopped`);
  return 0;
}

/**
 * Makes the data directory if need be, saying in one line what is wrong with a path that cannot
 * be one (a file, or under a file) instead of failing later with a stack trace.
 */
function prepareDataDir(dataDir: string, fromFlag: boolean): void {
  const named = fromFlag ? `--data ${dataDir}` : `The data directory ${dataDir}`;
  try {
    ensureDataDir(dataDir);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new ChatError(
        "storage",
        `${named} is a file, not a directory: give a directory (chat keeps chat.db in it and ` +
          `makes it if missing)`,
      );
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new ChatError(
        "storage",
        `${named} is inside a file, not a directory: give a directory`,
      );
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ChatError("storage", `${named} cannot be made or used: permission denied`);
    }
    throw error;
  }
}

/** Words for listening on an address this machine does not have. */
function notHere(host: string, port: number): string {
  let local: string[] = [];
  try {
    local = [...new Set(Deno.networkInterfaces().map((face) => face.address))]
      .filter((address) => !address.startsWith("fe80")).slice(0, 6);
  } catch {
    // Interfaces cannot be read: say less.
  }
  return `Cannot listen on ${host.includes(":") ? `[${host}]` : host}:${port}: that address is ` +
    `not on this machine; use --host 0.0.0.0 for all of its addresses${
      local.length > 0 ? `, or one of ${local.join(", ")}` : ""
    }`;
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
