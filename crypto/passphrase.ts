/**
 * How a typed passphrase becomes the input of key derivation, by the room's `kdf` version
 * (docs/PROTOCOL.md). Version 1 takes it as typed (NFC). Version 2 makes a passphrase read aloud
 * derive the same key as the one written down: `chat passphrase` prints hyphenated words from the
 * BIP-39 English list, and a listener types spaces or capitals. So: NFC, trim, every run of
 * whitespace and hyphens becomes one space, and when every word is from that list, case is
 * ignored. A passphrase of the user's own keeps its case, and with it its entropy. Pure: the
 * browser client derives the same bytes.
 */
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { KDF_VERSIONS } from "../protocol.ts";

const GENERATOR_WORDS: ReadonlySet<string> = new Set(wordlist);

/** The text a room's key is derived from, for a passphrase as typed and the room's version. */
export function passphraseInput(passphrase: string, kdf: number): string {
  switch (kdf) {
    case KDF_VERSIONS.typed:
      return passphrase.normalize("NFC");
    case KDF_VERSIONS.spoken:
      return spokenForm(passphrase);
    default:
      throw new RangeError(`Unknown key derivation version ${kdf}`);
  }
}

/** Version 2's normal form: words separated by one space, lower case if all are list words. */
export function spokenForm(passphrase: string): string {
  const words = passphrase.normalize("NFC").trim().split(/[\s-]+/u).filter((word) => word !== "");
  const joined = words.join(" ");
  const fromList = words.length > 0 &&
    words.every((word) => GENERATOR_WORDS.has(word.toLowerCase()));
  return fromList ? joined.toLowerCase() : joined;
}
