/**
 * Asking a person for a room's passphrase, the way passwd and ssh-keygen do: an empty answer, a
 * confirmation that differs, or a weak passphrase the person does not want after all is asked
 * again, up to three tries, instead of ending the program. It talks through a `Prompter`, so it
 * knows nothing about terminals and is tested with scripted answers.
 */
import { ChatError } from "./errors.ts";

/** A person at a terminal, asked questions one at a time. */
export interface Prompter {
  /** Reads a line without echoing it. Throws `ChatError` "interrupted" (Ctrl-C) or "cancelled". */
  secret(question: string): Promise<string>;
  /** A yes/no question; anything but yes is no. */
  confirm(question: string): Promise<boolean>;
  /** A visible line of input, for questions that are not secret. */
  line(question: string): Promise<string>;
  /** A line for the person to read. */
  say(line: string): void;
}

/** How many times a person may get the passphrase wrong in one run. */
export const PASSPHRASE_TRIES = 3;

/** Asks for an existing room's passphrase; an empty answer is asked again. */
export async function askPassphrase(prompter: Prompter, room: string): Promise<string> {
  for (let attempt = 1;; attempt++) {
    const passphrase = await prompter.secret(`Passphrase for room "${room}": `);
    if (passphrase !== "") return passphrase;
    if (attempt >= PASSPHRASE_TRIES) throw noPassphrase("No passphrase given");
    prompter.say("The passphrase cannot be empty; try again.");
  }
}

/**
 * Asks a new room's creator to choose a passphrase and type it again. `weakness` says why a
 * passphrase is weak (or null when it is not); a weak one is used only if the person says so,
 * between the two prompts, so they need not type a passphrase twice to throw it away.
 */
export async function chooseNewPassphrase(
  prompter: Prompter,
  room: string,
  weakness: (passphrase: string) => Promise<string | null>,
): Promise<string> {
  for (let attempt = 1;; attempt++) {
    const last = attempt >= PASSPHRASE_TRIES;
    const first = await prompter.secret(`New room "${room}": choose a passphrase: `);
    if (first === "") {
      if (last) throw noPassphrase("No passphrase given");
      prompter.say("The passphrase cannot be empty; try again.");
      continue;
    }
    const warning = await weakness(first);
    if (warning !== null) {
      prompter.say(`Warning: ${warning}`);
      if (!await prompter.confirm("Use it anyway? [y/N] ")) {
        if (last) throw noPassphrase("No passphrase chosen");
        continue;
      }
    }
    const second = await prompter.secret("Type it again: ");
    if (second === first) return first;
    if (last) throw noPassphrase("The passphrases differ");
    prompter.say("The passphrases differ; try again.");
  }
}

function noPassphrase(reason: string): ChatError {
  return new ChatError("no_passphrase", `${reason} after ${PASSPHRASE_TRIES} tries`);
}
