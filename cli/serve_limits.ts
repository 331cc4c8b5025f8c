/**
 * The flags of `chat serve` that set the limits protecting a relay from its peers: the socket
 * limits (transport/) and the relay's own (relay/limits.ts). Each has the default the code uses,
 * and 0 turns it off where off makes sense (a benchmark, a trusted LAN). Parses them into
 * `serve()` options; the help text lives in usage.ts.
 */
import { foldName, nameProblem, normalizeName } from "../protocol.ts";
import { DEFAULT_LIMITS, type RelayLimits } from "../relay/limits.ts";
import type { ServeOptions } from "../server.ts";
import { DEFAULT_MAX_PER_ADDRESS } from "../transport/connection_gate.ts";
import { DEFAULT_TLS_HANDSHAKE_MS } from "../transport/tls_server.ts";
import { SERVE_USAGE, UsageError } from "./usage.ts";

/** Database size cap when not told otherwise: a bound an attacker cannot push past. */
export const DEFAULT_MAX_STORAGE_MB = 1024;
/** Sealed bytes one room keeps when not told otherwise. */
export const DEFAULT_ROOM_QUOTA_MB = 64;

const MB = 1024 * 1024;
const limits = DEFAULT_LIMITS;

/**
 * Log lines per second: every connection logs a line or two, so a peer opening connections as fast
 * as it can would otherwise write thousands a second to the operator's disk.
 */
export const DEFAULT_LOG_LINES_PER_SECOND = 200;

/** Longest TLS handshake deadline accepted: past this it protects nothing. */
const MAX_HANDSHAKE_SECONDS = 600;

/** The parseArgs option table for the limit flags, with their defaults. */
export const SERVE_LIMIT_FLAGS = {
  // No default: the relay derives it from the descriptor limit (server.ts).
  "max-connections": { type: "string" },
  "max-per-ip": { type: "string", default: String(DEFAULT_MAX_PER_ADDRESS) },
  "tls-handshake-seconds": { type: "string", default: String(DEFAULT_TLS_HANDSHAKE_MS / 1000) },
  "max-storage-mb": { type: "string", default: String(DEFAULT_MAX_STORAGE_MB) },
  "room-quota-mb": { type: "string", default: String(DEFAULT_ROOM_QUOTA_MB) },
  "max-unjoined": { type: "string", default: String(limits.maxUnjoined) },
  "join-timeout": { type: "string", default: String(limits.joinTimeoutMs / 1000) },
  "max-rooms": { type: "string", default: String(limits.maxRooms) },
  rooms: { type: "string" },
  "room-rate": { type: "string", default: String(limits.roomCreation!.burst) },
  "room-expiry": { type: "string", default: String(limits.emptyRoomMs / 60_000) },
  "max-guesses": { type: "string", default: String(limits.guesses!.perAddress) },
  "send-rate": { type: "string", default: String(limits.sendRate!.perSecond) },
  "send-kbps": { type: "string", default: String(limits.sendBytes!.perSecond / 1024) },
  "log-rate": { type: "string", default: String(DEFAULT_LOG_LINES_PER_SECOND) },
  "ip-mb-per-hour": { type: "string", default: String(limits.addressBytes!.burst / MB) },
} as const;

/** The flags' values as parseArgs returns them. */
export type ServeLimitValues = { [K in keyof typeof SERVE_LIMIT_FLAGS]?: string | undefined };

/** What the limit flags set: the relay's limits and the store's caps (Infinity: none). */
export interface ServeLimits {
  /** Log lines written per second at most; Infinity for all. */
  logLinesPerSecond: number;
  socket: Pick<ServeOptions, "maxConnections" | "maxPerAddress" | "tlsHandshakeTimeoutMs">;
  relay: Partial<RelayLimits>;
  maxStorageBytes: number;
  roomQuotaBytes: number;
}

/** Parses the limit flags; a bad value is a `UsageError`. */
export function serveLimits(values: ServeLimitValues): ServeLimits {
  const count = (
    flag: Exclude<keyof typeof SERVE_LIMIT_FLAGS, "rooms" | "max-connections">,
  ) => wholeNumber(values[flag] ?? SERVE_LIMIT_FLAGS[flag].default, flag);
  /** 0 means off. */
  const orOff = (value: number, scale = 1) => value === 0 ? Infinity : value * scale;
  const guesses = count("max-guesses");
  const sendRate = count("send-rate");
  const sendKbps = count("send-kbps");
  const roomRate = count("room-rate");
  const addressMb = count("ip-mb-per-hour");
  const total = values["max-connections"];
  const perIp = count("max-per-ip");
  return {
    socket: {
      ...(total === undefined ? {} : { maxConnections: wholeNumber(total, "max-connections", 1) }),
      maxPerAddress: perIp,
      tlsHandshakeTimeoutMs: handshakeSeconds(values["tls-handshake-seconds"]) * 1000,
    },
    logLinesPerSecond: orOff(count("log-rate")),
    maxStorageBytes: orOff(count("max-storage-mb"), MB),
    roomQuotaBytes: orOff(count("room-quota-mb"), MB),
    relay: {
      maxUnjoined: orOff(count("max-unjoined")),
      joinTimeoutMs: orOff(count("join-timeout"), 1000),
      maxRooms: orOff(count("max-rooms")),
      roomAllowlist: values.rooms === undefined ? null : allowlist(values.rooms),
      roomCreation: roomRate === 0 ? null : { perSecond: roomRate / 3600, burst: roomRate },
      emptyRoomMs: orOff(count("room-expiry"), 60_000),
      guesses: guesses === 0 ? null : { perAddress: guesses, perRoom: 4 * guesses },
      guessesPerConnection: guesses === 0 ? Infinity : limits.guessesPerConnection,
      // A burst of five seconds' worth: a paste, or a bot's backlog after reconnecting.
      sendRate: sendRate === 0 ? null : { perSecond: sendRate, burst: 5 * sendRate },
      sendBytes: sendKbps === 0 ? null : {
        perSecond: sendKbps * 1024,
        // At least one largest message must fit in a burst, whatever the rate.
        burst: Math.max(16 * sendKbps * 1024, limits.maxSealedBytes),
      },
      addressBytes: addressMb === 0 ? null : {
        perSecond: addressMb * MB / 3600,
        burst: Math.max(addressMb * MB, limits.maxSealedBytes),
      },
    },
  };
}

function wholeNumber(text: string, flag: string, minimum = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < minimum) {
    throw new UsageError(
      `Invalid --${flag} "${text}": use a whole number from ${minimum}`,
      SERVE_USAGE,
    );
  }
  return value;
}

function handshakeSeconds(text = String(DEFAULT_TLS_HANDSHAKE_MS / 1000)): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > MAX_HANDSHAKE_SECONDS) {
    throw new UsageError(
      `Invalid --tls-handshake-seconds "${text}": use a number of seconds above 0 and up to ` +
        `${MAX_HANDSHAKE_SECONDS}`,
      SERVE_USAGE,
    );
  }
  return value;
}

function allowlist(text: string): ReadonlySet<string> {
  const names = text.split(",").map((name) => normalizeName(name)).filter((name) => name !== "");
  if (names.length === 0) {
    throw new UsageError(
      "--rooms needs at least one room name, e.g. --rooms lobby,ops",
      SERVE_USAGE,
    );
  }
  for (const name of names) {
    const problem = nameProblem(name, "room");
    if (problem) throw new UsageError(`Invalid room "${name}" in --rooms: ${problem}`, SERVE_USAGE);
  }
  return new Set(names.map(foldName));
}
