/** `chat serve`: runs a relay until SIGINT or SIGTERM, then tells members and exits 0. */
import { parseArgs } from "node:util";
import { reachableAddresses, serve } from "../server.ts";
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
  const server = serve({
    host: values.host,
    port,
    software: `chat/${VERSION}`,
    log: (line) => out(`${new Date().toISOString()} ${line}`),
  });
  const { hostname, port: boundPort } = server.addr;
  out(`listening on ${hostname.includes(":") ? `[${hostname}]` : hostname}:${boundPort}`);
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
