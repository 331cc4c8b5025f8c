/**
 * Every limit that protects the relay from its peers, with its default, in one place. Each has a
 * `chat serve` flag (cli/serve_command.ts) and is documented in docs/PROTOCOL.md (what a client
 * meets) and docs/SECURITY.md (what it stops and what it does not). `Infinity` or `null` turns a
 * limit off, as a benchmark or a trusted LAN may need.
 */
import { MAX_SEALED_BYTES } from "../protocol.ts";
import type { GuessLimits } from "./guess_guard.ts";
import type { Rate } from "./rate_limit.ts";

/** The relay's limits. */
export interface RelayLimits {
  /** Time a new connection has to say hello. */
  handshakeTimeoutMs: number;
  /** Time a connection may stay in no room at all (after hello, or after leaving its last). */
  joinTimeoutMs: number;
  /** Connections in no room at once (new ones, or ones between rooms); more are refused. */
  maxUnjoined: number;
  /** Rooms the relay holds at most. */
  maxRooms: number;
  /** Folded names of the only rooms that may be created, or null for any. */
  roomAllowlist: ReadonlySet<string> | null;
  /** Rooms one address may create: a burst, then `perSecond`. */
  roomCreation: Rate | null;
  /** How long a room with no members, held names or stored messages is kept. */
  emptyRoomMs: number;
  /** Wrong passphrases allowed before guesses are slowed down, per address and per room. */
  guesses: GuessLimits | null;
  /** Wrong passphrases after which a connection is closed. */
  guessesPerConnection: number;
  /** Messages one connection may send, across its rooms. */
  sendRate: Rate | null;
  /** Sealed bytes one connection may send, across its rooms. */
  sendBytes: Rate | null;
  /** Sealed bytes all connections from one address may send together: what it can store. */
  addressBytes: Rate | null;
  /** The largest sealed body accepted: the largest an honest client makes. */
  maxSealedBytes: number;
  /** Rooms with more members than this hear of joins and leaves in summaries. */
  presenceSummaryAbove: number;
}

/** The defaults, chosen for a class, an office or a conference on one relay. */
export const DEFAULT_LIMITS: RelayLimits = {
  handshakeTimeoutMs: 20_000,
  // A person types the passphrase after connecting; a minute covers reading it off a board.
  joinTimeoutMs: 60_000,
  maxUnjoined: 256,
  maxRooms: 10_000,
  roomAllowlist: null,
  roomCreation: { perSecond: 10 / 3600, burst: 10 },
  emptyRoomMs: 10 * 60_000,
  guesses: { perAddress: 5, perRoom: 20 },
  guessesPerConnection: 3,
  // A person types a few lines a second at most; a paste of many lines is one message.
  sendRate: { perSecond: 10, burst: 50 },
  sendBytes: { perSecond: 64 * 1024, burst: 1024 * 1024 },
  // 64 MiB an hour, the whole hour's worth at once: far beyond people typing, even a class
  // behind one NAT address, while one address needs 16 hours to fill the default 1 GiB.
  addressBytes: { perSecond: 64 * 1024 * 1024 / 3600, burst: 64 * 1024 * 1024 },
  maxSealedBytes: MAX_SEALED_BYTES,
  presenceSummaryAbove: 64,
};
