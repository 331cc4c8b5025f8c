/**
 * How guessable a passphrase is. Anyone holding a room's ciphertext (the relay's operator
 * included) can try passphrases offline, so a room creator is warned when theirs is weak.
 * Estimates come from zxcvbn-ts, loaded only when a room is being created.
 */

/** Guesses (log10) below which a passphrase is called weak: ~10^14 is years of GPU time. */
export const WEAK_GUESSES_LOG10 = 14;
/** Assumed offline guessing rate against our PBKDF2 settings, for the warning's wording. */
const GUESSES_PER_SECOND = 10_000;

/** A warning to show for a weak passphrase, or null when it looks strong enough. */
export async function weakPassphraseWarning(
  passphrase: string,
  context: string[],
): Promise<string | null> {
  const guessesLog10 = await estimateGuessesLog10(passphrase, context);
  if (guessesLog10 >= WEAK_GUESSES_LOG10) return null;
  const duration = describeDuration(10 ** guessesLog10 / GUESSES_PER_SECOND);
  const strong = `"chat passphrase" makes a strong one`;
  if (duration === "centuries") {
    return `This passphrase is on the weak side: guessing it offline would take centuries on ` +
      `one GPU, but far less on many. ${strong}`;
  }
  const when = duration === "under a second" ? "in under a second" : `in about ${duration}`;
  return `This passphrase is weak: someone holding the room's messages could guess it offline ` +
    `${when} on one GPU. ${strong}`;
}

/** zxcvbn's estimate of the guesses needed, as log10; `context` holds words like room names. */
export async function estimateGuessesLog10(passphrase: string, context: string[]): Promise<number> {
  const [{ ZxcvbnFactory }, common] = await Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
  ]);
  const zxcvbn = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, userInputs: context },
    graphs: common.adjacencyGraphs,
  });
  const result = await zxcvbn.check(passphrase);
  return result.guessesLog10;
}

/** "3 minutes", "2 days", "centuries", "under a second". */
export function describeDuration(seconds: number): string {
  const units: [string, number][] = [
    ["year", 365 * 24 * 3600],
    ["day", 24 * 3600],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  if (seconds >= 100 * 365 * 24 * 3600) return "centuries";
  if (seconds < 1) return "under a second";
  for (const [unit, size] of units) {
    if (seconds >= size) {
      const count = Math.round(seconds / size);
      return `${count} ${unit}${count === 1 ? "" : "s"}`;
    }
  }
  return "under a second";
}
