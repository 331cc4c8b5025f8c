import assert from "node:assert/strict";
import {
  askPassphrase,
  chooseNewPassphrase,
  PASSPHRASE_TRIES,
  type Prompter,
} from "../../client/passphrase.ts";
import type { ChatError } from "../../client/errors.ts";
import { readSecret, type TerminalIo } from "../../cli/terminal_prompt.ts";

/** A person answering from a script; what they were asked and told is kept. */
function scripted(answers: (string | boolean)[]) {
  const asked: string[] = [];
  const said: string[] = [];
  const next = (question: string) => {
    asked.push(question);
    assert.ok(answers.length > 0, `asked "${question}" with no answer left`);
    return answers.shift()!;
  };
  const prompter: Prompter = {
    secret: (question) => Promise.resolve(String(next(question))),
    confirm: (question) => Promise.resolve(next(question) === true),
    line: (question) => Promise.resolve(String(next(question))),
    say: (line) => void said.push(line),
  };
  return { prompter, asked, said };
}

const weakIfShort = (passphrase: string) =>
  Promise.resolve(passphrase.length < 8 ? "This passphrase is weak" : null);

Deno.test("chooseNewPassphrase() asks again after a confirmation that differs", async () => {
  const { prompter, asked, said } = scripted([
    "long enough one",
    "long enuogh one",
    "long enough two",
    "long enough two",
  ]);
  assert.equal(await chooseNewPassphrase(prompter, "ops", weakIfShort), "long enough two");
  assert.deepEqual(asked, [
    'New room "ops": choose a passphrase: ',
    "Type it again: ",
    'New room "ops": choose a passphrase: ',
    "Type it again: ",
  ]);
  assert.deepEqual(said, ["The passphrases differ; try again."]);
});

Deno.test("chooseNewPassphrase() warns of a weak passphrase between the prompts and asks to use it", async () => {
  // Refused once, then a strong one; then a weak one accepted.
  const refused = scripted(["abc", false, "a strong passphrase", "a strong passphrase"]);
  assert.equal(
    await chooseNewPassphrase(refused.prompter, "ops", weakIfShort),
    "a strong passphrase",
  );
  assert.deepEqual(refused.asked.slice(0, 2), [
    'New room "ops": choose a passphrase: ',
    "Use it anyway? [y/N] ",
  ]);
  assert.deepEqual(refused.said, ["Warning: This passphrase is weak"]);
  const accepted = scripted(["abc", true, "abc"]);
  assert.equal(await chooseNewPassphrase(accepted.prompter, "ops", weakIfShort), "abc");
  assert.equal(accepted.asked[2], "Type it again: ");
});

Deno.test("chooseNewPassphrase() and askPassphrase() ask again after an empty one, three tries in all", async () => {
  const empty = scripted(["", "fine passphrase", "fine passphrase"]);
  assert.equal(await chooseNewPassphrase(empty.prompter, "ops", weakIfShort), "fine passphrase");
  assert.deepEqual(empty.said, ["The passphrase cannot be empty; try again."]);
  const mismatches = scripted(["aaaaaaaa", "b", "aaaaaaaa", "c", "aaaaaaaa", "d"]);
  await assert.rejects(
    chooseNewPassphrase(mismatches.prompter, "ops", weakIfShort),
    (error: ChatError) => error.code === "no_passphrase" && /3 tries/.test(error.message),
  );
  assert.equal(mismatches.asked.length, 2 * PASSPHRASE_TRIES);
  const existing = scripted(["", "the one"]);
  assert.equal(await askPassphrase(existing.prompter, "ops"), "the one");
  await assert.rejects(askPassphrase(scripted(["", "", ""]).prompter, "ops"));
});

/** A terminal that yields `chunks` one read at a time. */
function fakeTerminal(chunks: string[]): TerminalIo & { written: string; raw: boolean[] } {
  const encoder = new TextEncoder();
  const terminal = {
    written: "",
    raw: [] as boolean[],
    read(buffer: Uint8Array) {
      const chunk = chunks.shift();
      if (chunk === undefined) return Promise.resolve(null);
      const bytes = encoder.encode(chunk);
      buffer.set(bytes);
      return Promise.resolve(bytes.length);
    },
    write(bytes: Uint8Array) {
      terminal.written += new TextDecoder().decode(bytes);
    },
    setRaw(raw: boolean) {
      terminal.raw.push(raw);
    },
    close() {},
  };
  return terminal;
}

Deno.test("readSecret() reads without echo, edits, and tells Ctrl-C (interrupted) from Ctrl-D (cancelled)", async () => {
  const typed = fakeTerminal(["sec", "x\u007fret\u001b[D", "\r"]);
  assert.equal(await readSecret(typed, "Passphrase: "), "secret");
  assert.equal(typed.written, "Passphrase: \n", "nothing typed is echoed");
  assert.deepEqual(typed.raw, [true, false], "raw mode is left again");
  const interrupted = fakeTerminal(["abc\u0003"]);
  await assert.rejects(
    readSecret(interrupted, "P: "),
    (error: ChatError) => error.code === "interrupted",
  );
  assert.deepEqual(interrupted.raw, [true, false]);
  await assert.rejects(
    readSecret(fakeTerminal(["\u0004"]), "P: "),
    (error: ChatError) => error.code === "cancelled",
  );
  await assert.rejects(
    readSecret(fakeTerminal([]), "P: "),
    (error: ChatError) => error.code === "cancelled",
  );
});
