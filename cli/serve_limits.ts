/**
 * The socket-limit flags of `chat serve`: --max-connections, --max-per-ip and
 * --tls-handshake-seconds. Parses them into `serve()` options; the defaults live with the code
 * that applies them (server.ts, transport/).
 */
import type { ServeOptions } from "../server.ts";
import { SERVE_USAGE, UsageError } from "./usage.ts";

/** The parseArgs option table for the socket-limit flags. */
export const SERVE_LIMIT_FLAGS = {
  "max-connections": { type: "string" },
  "max-per-ip": { type: "string" },
  "tls-handshake-seconds": { type: "string" },
} as const;

/** The flags' values as parseArgs returns them. */
export interface ServeLimitValues {
  "max-connections"?: string | undefined;
  "max-per-ip"?: string | undefined;
  "tls-handshake-seconds"?: string | undefined;
}

/** Longest TLS handshake deadline accepted: past this it protects nothing. */
const MAX_HANDSHAKE_SECONDS = 600;

/** The `serve()` options the flags ask for; those not given are left to their defaults. */
export function socketLimits(
  values: ServeLimitValues,
): Pick<ServeOptions, "maxConnections" | "maxPerAddress" | "tlsHandshakeTimeoutMs"> {
  const limits: ReturnType<typeof socketLimits> = {};
  const total = values["max-connections"];
  if (total !== undefined) limits.maxConnections = wholeNumber(total, "--max-connections", 1);
  const perIp = values["max-per-ip"];
  if (perIp !== undefined) limits.maxPerAddress = wholeNumber(perIp, "--max-per-ip", 0);
  const seconds = values["tls-handshake-seconds"];
  if (seconds !== undefined) {
    const value = Number(seconds);
    if (!/^\d+(\.\d+)?$/.test(seconds) || value <= 0 || value > MAX_HANDSHAKE_SECONDS) {
      throw new UsageError(
        `Invalid --tls-handshake-seconds "${seconds}": use a number of seconds above 0 and ` +
          `up to ${MAX_HANDSHAKE_SECONDS}`,
        SERVE_USAGE,
      );
    }
    limits.tlsHandshakeTimeoutMs = Math.round(value * 1000);
  }
  return limits;
}

function wholeNumber(text: string, option: string, minimum: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < minimum) {
    throw new UsageError(
      `Invalid ${option} "${text}": use a whole number from ${minimum}`,
      SERVE_USAGE,
    );
  }
  return value;
}
