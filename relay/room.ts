/**
 * A room as the relay sees it: the parameters its first member chose, who is in it, and the
 * sequence counter. The relay cannot read what is said in it.
 */
import { foldName, type RoomParams } from "../protocol.ts";

/** A member of a room: the name it joined under and how to reach it. */
export interface Member {
  readonly name: string;
  /** Queues a frame for this member; false means it is not keeping up. */
  send(frame: Uint8Array): boolean;
}

/** One room's state on the relay. */
export class Room {
  /** The room's name as its creator spelled it; every member uses this spelling. */
  readonly name: string;
  readonly params: RoomParams;
  readonly keyCheck: Uint8Array;
  #lastSeq = 0;
  readonly #members = new Map<string, Member>();

  constructor(name: string, params: RoomParams, keyCheck: Uint8Array) {
    this.name = name;
    this.params = { salt: params.salt.slice(), iterations: params.iterations };
    this.keyCheck = keyCheck.slice();
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Takes the next sequence number for a message. */
  nextSeq(): number {
    return ++this.#lastSeq;
  }

  /** Member names in join order. */
  memberNames(): string[] {
    return [...this.#members.values()].map((member) => member.name);
  }

  hasName(name: string): boolean {
    return this.#members.has(foldName(name));
  }

  add(member: Member): void {
    this.#members.set(foldName(member.name), member);
  }

  remove(member: Member): boolean {
    const key = foldName(member.name);
    if (this.#members.get(key) !== member) return false;
    return this.#members.delete(key);
  }

  /** Whether `params` are the ones this room was created with. */
  sameParams(params: RoomParams): boolean {
    return params.iterations === this.params.iterations &&
      equalBytes(params.salt, this.params.salt);
  }

  /** Whether the key-check value matches, in time independent of where it differs. */
  checkKey(keyCheck: Uint8Array): boolean {
    return equalBytes(keyCheck, this.keyCheck);
  }

  /**
   * Queues the same encoded frame for every member but `except`, and returns the members whose
   * queues were full, for the caller to disconnect.
   */
  broadcast(frame: Uint8Array, except?: Member): Member[] {
    const lagging: Member[] = [];
    for (const member of this.#members.values()) {
      if (member !== except && !member.send(frame)) lagging.push(member);
    }
    return lagging;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
