/**
 * Who signed what, for one member in one room: the key each name last signed with, judged against
 * the keys remembered on disk (trust on first use), and the answers to /whois, /verify and /trust.
 * It raises one warning per name whose key changed; it knows nothing about connections.
 */
import { type Identity, keyFingerprint, safetyNumber } from "../crypto.ts";
import { foldName } from "../protocol.ts";
import type { KnownKeys } from "./known_keys.ts";

/** How far a message's sender can be believed. */
export type Trust = "known" | "new" | "changed" | "bad_signature";

/** A name now signing with another key than the one remembered for it. */
export interface KeyChange {
  from: string;
  key: string;
  previous: string;
}

/** The keys seen in one room of one server. */
export class KeyTrust {
  readonly #identity: Identity;
  readonly #known: KnownKeys;
  readonly #server: string;
  readonly #room: string;
  readonly #onChange: (change: KeyChange) => void;
  readonly #onSaveError: (error: unknown) => void;
  readonly #lastKeys = new Map<string, Uint8Array>();
  readonly #warned = new Set<string>();

  constructor(options: {
    identity: Identity;
    known: KnownKeys;
    server: string;
    room: string;
    me: string;
    onChange(change: KeyChange): void;
    onSaveError(error: unknown): void;
  }) {
    this.#identity = options.identity;
    this.#known = options.known;
    this.#server = options.server;
    this.#room = options.room;
    this.#onChange = options.onChange;
    this.#onSaveError = options.onSaveError;
    this.claim(options.me);
  }

  /**
   * Remembers our own key for `me`, our name (at join, and after /nick), so messages someone else
   * signed under it stand out.
   */
  claim(me: string): void {
    this.#lastKeys.set(foldName(me), this.#identity.publicKey);
    this.#known.check(this.#server, this.#room, me, toBase64(this.#identity.publicKey), Date.now());
  }

  /** Judges a key whose signature verified, remembering it when the name is new. */
  async judge(from: string, publicKey: Uint8Array): Promise<Trust> {
    this.#lastKeys.set(foldName(from), publicKey.slice());
    const status = this.#known.check(
      this.#server,
      this.#room,
      from,
      toBase64(publicKey),
      Date.now(),
    );
    if (status === "new") await this.#known.save().catch(this.#onSaveError);
    if (status === "changed" && !this.#warned.has(foldName(from))) {
      this.#warned.add(foldName(from));
      const previous = this.#known.remembered(this.#server, this.#room, from)!;
      this.#onChange({
        from,
        key: await keyFingerprint(publicKey),
        previous: await keyFingerprint(fromBase64(previous)),
      });
    }
    return status;
  }

  /** The fingerprint of the key `name` last signed with, and the one remembered for it. */
  async whois(name: string): Promise<{ key: string; remembered: string | null } | null> {
    const key = this.#lastKeys.get(foldName(name));
    if (!key) return null;
    const remembered = this.#known.remembered(this.#server, this.#room, name);
    return {
      key: await keyFingerprint(key),
      remembered: remembered === undefined ? null : await keyFingerprint(fromBase64(remembered)),
    };
  }

  /** The safety number this member and `name` compare out of band; null if `name` is unseen. */
  async verify(name: string): Promise<string | null> {
    const key = this.#lastKeys.get(foldName(name));
    return key ? await safetyNumber(this.#identity.publicKey, key) : null;
  }

  /** Accepts the key `name` last signed with from now on; false if none was seen. */
  async trust(name: string): Promise<boolean> {
    const key = this.#lastKeys.get(foldName(name));
    if (!key) return false;
    this.#known.trust(this.#server, this.#room, name, toBase64(key), Date.now());
    this.#warned.delete(foldName(name));
    await this.#known.save();
    return true;
  }
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
