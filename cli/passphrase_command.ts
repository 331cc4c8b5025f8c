/** `chat passphrase`: a strong passphrase people can read aloud. */
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { parseArgs } from "node:util";
import { PASSPHRASE_USAGE } from "./usage.ts";
import { parseOrThrow } from "./parse.ts";

/** Words in a generated passphrase: 8 words of 11 bits each give 88 bits. */
export const PASSPHRASE_WORDS = 8;

/** A passphrase of `PASSPHRASE_WORDS` uniformly random words from the BIP-39 English list. */
export function generatePassphrase(words = PASSPHRASE_WORDS): string {
  if (wordlist.length !== 2048) throw new Error("The word list must hold 2048 words");
  const indexes = crypto.getRandomValues(new Uint16Array(words));
  // 2048 divides 65536, so masking keeps every word equally likely.
  return Array.from(indexes, (index) => wordlist[index & 2047]!).join("-");
}

/** Bits of entropy in a generated passphrase. */
export function passphraseBits(words = PASSPHRASE_WORDS): number {
  return words * Math.log2(wordlist.length);
}

/** Runs the command; returns the exit code. */
export function passphraseCommand(args: string[], out: (line: string) => void): number {
  const options = { help: { type: "boolean", short: "h" } } as const;
  const { values } = parseOrThrow(() => parseArgs({ args, options }), PASSPHRASE_USAGE, options);
  if (values.help) {
    out(PASSPHRASE_USAGE);
    return 0;
  }
  out(generatePassphrase());
  return 0;
}
