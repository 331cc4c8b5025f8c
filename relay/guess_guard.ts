/**
 * Online passphrase guessing, slowed down. Every wrong passphrase counts against the address that
 * gave it and against the room it was for. An address past its burst of misses is refused without
 * a verdict until its delay passes; a room past its (larger) burst has every join's verdict held
 * for its delay, so guessers spread over many addresses learn nothing fast, while members with
 * the right passphrase still get in, only later. Delays double with each further miss up to a
 * ceiling, and misses are forgiven one per `forgiveMs`, which sets the long-run guessing rate.
 * Wrong passphrases are logged once per room per minute, then summarised. Time comes in as a
 * parameter; the state is bounded by how many addresses and rooms missed recently.
 */

/** How many misses pass before delays start, per address and per room. */
export interface GuessLimits {
  perAddress: number;
  perRoom: number;
}

/** The first delay past the burst; each further miss doubles it. */
const FIRST_DELAY_MS = 1_000;
/** The longest an address is refused for between two guesses. */
export const MAX_ADDRESS_DELAY_MS = 10 * 60_000;
/** The longest a room holds a verdict: members with the right passphrase wait at most this. */
export const MAX_ROOM_DELAY_MS = 30_000;
/** One miss of an address is forgiven per this long: in the long run, its guessing rate. */
export const ADDRESS_FORGIVE_MS = 10 * 60_000;
/** One miss against a room is forgiven per this long. */
export const ROOM_FORGIVE_MS = 60_000;
const SUMMARY_INTERVAL_MS = 60_000;

/** Misses of one address or one room. */
class Misses {
  count = 0;
  updatedAt: number;
  until = 0;

  constructor(now: number) {
    this.updatedAt = now;
  }

  /** Forgives what time has forgiven, as of `now`. */
  decay(now: number, forgiveMs: number): void {
    this.count = Math.max(0, this.count - Math.max(0, now - this.updatedAt) / forgiveMs);
    this.updatedAt = now;
  }

  /** Counts one more miss and sets the delay it earns past `burst`. */
  add(now: number, burst: number, maxDelayMs: number): void {
    this.count += 1;
    const over = Math.round(this.count) - burst;
    if (over > 0) {
      this.until = now + Math.min(maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(over - 1, 30));
    }
  }
}

/** What to do with a join before judging its passphrase. */
export type GuessVerdict =
  | { kind: "judge" }
  /** The address is slowed down: refuse without judging; it may try again after this. */
  | { kind: "refuse"; retryAfterMs: number }
  /** The room is slowed down: judge only after this long. */
  | { kind: "hold"; delayMs: number };

/** Tracks wrong passphrases and says when to judge the next one. */
export class GuessGuard {
  readonly #limits: GuessLimits;
  readonly #log: (line: string) => void;
  readonly #addresses = new Map<string, Misses>();
  readonly #rooms = new Map<string, Misses>();
  /** Wrong passphrases per room since the last summary: count and addresses. */
  #recent = new Map<string, { room: string; count: number; addresses: Set<string> }>();
  #summaryAt: number;

  constructor(limits: GuessLimits, options: { now: number; log: (line: string) => void }) {
    this.#limits = limits;
    this.#log = options.log;
    this.#summaryAt = options.now;
  }

  /** Whether a join from `address` for the room keyed `roomKey` may be judged now. */
  check(address: string, roomKey: string, now: number): GuessVerdict {
    const byAddress = this.#addresses.get(address);
    if (byAddress && byAddress.until > now) {
      return { kind: "refuse", retryAfterMs: byAddress.until - now };
    }
    const byRoom = this.#rooms.get(roomKey);
    if (byRoom && byRoom.until > now) return { kind: "hold", delayMs: byRoom.until - now };
    return { kind: "judge" };
  }

  /** Counts a wrong passphrase from `address` for `room` (canonical name; keyed `roomKey`). */
  miss(address: string, room: string, roomKey: string, now: number): void {
    missesOf(this.#addresses, address, now, ADDRESS_FORGIVE_MS)
      .add(now, this.#limits.perAddress, MAX_ADDRESS_DELAY_MS);
    missesOf(this.#rooms, roomKey, now, ROOM_FORGIVE_MS)
      .add(now, this.#limits.perRoom, MAX_ROOM_DELAY_MS);
    const recent = this.#recent.get(roomKey);
    if (recent) {
      recent.count++;
      recent.addresses.add(address);
    } else {
      this.#recent.set(roomKey, { room, count: 1, addresses: new Set([address]) });
      this.#log(`${address} gave a wrong passphrase for "${room}"`);
    }
  }

  /**
   * Logs what was not logged line by line in the last minute, and forgets addresses and rooms
   * whose misses are all forgiven. The relay calls it from its sweep.
   */
  sweep(now: number): void {
    if (now - this.#summaryAt >= SUMMARY_INTERVAL_MS) {
      for (const { room, count, addresses } of this.#recent.values()) {
        if (count <= 1) continue;
        this.#log(
          `${count} wrong passphrase(s) for "${room}" from ${addresses.size} address(es) ` +
            `in the last minute`,
        );
      }
      this.#recent = new Map();
      this.#summaryAt = now;
    }
    forgetForgiven(this.#addresses, now, ADDRESS_FORGIVE_MS);
    forgetForgiven(this.#rooms, now, ROOM_FORGIVE_MS);
  }
}

function missesOf(map: Map<string, Misses>, key: string, now: number, forgiveMs: number): Misses {
  let misses = map.get(key);
  if (!misses) {
    misses = new Misses(now);
    map.set(key, misses);
  }
  misses.decay(now, forgiveMs);
  return misses;
}

function forgetForgiven(map: Map<string, Misses>, now: number, forgiveMs: number): void {
  for (const [key, misses] of map) {
    misses.decay(now, forgiveMs);
    if (misses.count === 0 && misses.until <= now) map.delete(key);
  }
}
