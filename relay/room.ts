/**
 * A room as the relay sees it: the parameters its first member chose, who is in it, which names
 * are held for members who dropped, and the sequence counters. It cannot read what is said.
 */
import { confusableKey, foldName, type RoomParams } from "../protocol.ts";
import type { PresenceBatch } from "./presence.ts";
import type { StoredTopic } from "./store.ts";

/** A member of a room: the name it joined under and how to reach it. */
export interface Member {
  readonly name: string;
  /** Whether it receives broadcasts: false while stored messages are replayed to it. */
  readonly live: boolean;
  /** Queues a frame for this member; false means it is not keeping up. */
  send(frame: Uint8Array): boolean;
}

/** A name held for a member who dropped without leaving, until `expiresAt`. */
export interface HeldName {
  name: string;
  token: Uint8Array;
  expiresAt: number;
}

/** One room's state on the relay. */
export class Room<M extends Member = Member> {
  /** The room's name as its creator spelled it; every member uses this spelling. */
  readonly name: string;
  readonly params: RoomParams;
  readonly keyCheck: Uint8Array;
  /** Last sequence number handed out, stored or not yet. */
  lastSeq: number;
  /** Last sequence number known to be stored. */
  committedSeq: number;
  /** Since when (monotonic ms) the room has had no members and no held names; null when it has. */
  emptySince: number | null = null;
  /** Joins and leaves waiting for the next presence summary, in a large room. */
  presence: PresenceBatch | null = null;
  /** The topic, sealed by the member who set it; the relay cannot read it. */
  topic: StoredTopic | null = null;
  readonly #members = new Map<string, M>();
  readonly #held = new Map<string, HeldName>();
  /** Members' and held names by their look-alike key (`confusableKey`). */
  readonly #lookalikes = new Map<string, string>();

  constructor(name: string, params: RoomParams, keyCheck: Uint8Array, lastSeq = 0) {
    this.name = name;
    this.params = { salt: params.salt.slice(), iterations: params.iterations, kdf: params.kdf };
    this.keyCheck = keyCheck.slice();
    this.lastSeq = lastSeq;
    this.committedSeq = lastSeq;
  }

  /** Takes the next sequence number for a message. */
  nextSeq(): number {
    return ++this.lastSeq;
  }

  /** Members in the room now. */
  get size(): number {
    return this.#members.size;
  }

  /** Up to `limit` member names in join order, skipping the first `offset`. */
  memberNames(offset = 0, limit = Infinity): string[] {
    const names: string[] = [];
    if (limit <= 0) return names;
    let index = 0;
    for (const member of this.#members.values()) {
      if (index++ < offset) continue;
      names.push(member.name);
      if (names.length >= limit) break;
    }
    return names;
  }

  /** The member using `name` (any case), if one is connected. */
  member(name: string): M | undefined {
    return this.#members.get(foldName(name));
  }

  /** Names held for members who dropped, expired or not. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** The hold on `name` (any case) for a member who dropped, if it has not expired by `now`. */
  held(name: string, now: number): HeldName | undefined {
    const hold = this.#held.get(foldName(name));
    if (hold && hold.expiresAt <= now) {
      this.#held.delete(foldName(name));
      this.#forgetLookalike(hold.name);
      return undefined;
    }
    return hold;
  }

  hold(hold: HeldName): void {
    this.#held.set(foldName(hold.name), hold);
    this.#lookalikes.set(confusableKey(hold.name), hold.name);
  }

  release(name: string): void {
    if (this.#held.delete(foldName(name))) this.#forgetLookalike(name);
  }

  /**
   * A member's or held name that looks like `name` without being the same name (`AIice` for
   * `alice`, Cherokee `Ꭺlice`), or undefined.
   */
  lookalike(name: string): string | undefined {
    const other = this.#lookalikes.get(confusableKey(name));
    return other !== undefined && foldName(other) !== foldName(name) ? other : undefined;
  }

  /** Drops holds that expired by `now`; returns the names released. */
  expireHolds(now: number): string[] {
    const released: string[] = [];
    for (const [key, hold] of this.#held) {
      if (hold.expiresAt <= now) {
        this.#held.delete(key);
        this.#forgetLookalike(hold.name);
        released.push(hold.name);
      }
    }
    return released;
  }

  add(member: M): void {
    this.#members.set(foldName(member.name), member);
    this.#lookalikes.set(confusableKey(member.name), member.name);
  }

  /** Files `member`, now called `name`, under its new name. */
  rename(member: M, oldName: string): void {
    this.#members.delete(foldName(oldName));
    this.#forgetLookalike(oldName);
    this.add(member);
  }

  remove(member: M): boolean {
    const key = foldName(member.name);
    if (this.#members.get(key) !== member) return false;
    this.#members.delete(key);
    this.#forgetLookalike(member.name);
    return true;
  }

  /** Forgets `name`'s look-alike key once neither a member nor a hold uses the name. */
  #forgetLookalike(name: string): void {
    const folded = foldName(name);
    if (this.#members.has(folded) || this.#held.has(folded)) return;
    const key = confusableKey(name);
    if (
      this.#lookalikes.get(key) !== undefined && foldName(this.#lookalikes.get(key)!) === folded
    ) {
      this.#lookalikes.delete(key);
    }
  }

  /** Whether `params` are the ones this room was created with. */
  sameParams(params: RoomParams): boolean {
    return params.iterations === this.params.iterations && params.kdf === this.params.kdf &&
      equalBytes(params.salt, this.params.salt);
  }

  /** Whether the key-check value matches, in time independent of where it differs. */
  checkKey(keyCheck: Uint8Array): boolean {
    return equalBytes(keyCheck, this.keyCheck);
  }

  /**
   * Queues the same encoded frame for every live member except the one named `exceptName`, and
   * returns the members whose queues were full, for the caller to disconnect.
   */
  broadcast(frame: Uint8Array, exceptName?: string): M[] {
    const skip = exceptName === undefined ? undefined : foldName(exceptName);
    const lagging: M[] = [];
    for (const [key, member] of this.#members) {
      if (key !== skip && member.live && !member.send(frame)) lagging.push(member);
    }
    return lagging;
  }
}

/** Constant-time comparison of two byte strings of public length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
