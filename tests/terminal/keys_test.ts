import assert from "node:assert/strict";
import { type Key, KeyDecoder } from "../../terminal/keys.ts";

function decode(...chunks: string[]): Key[] {
  const decoder = new KeyDecoder();
  return chunks.flatMap((chunk) => decoder.feed(chunk));
}

Deno.test("KeyDecoder.feed() separates text from keys", () => {
  assert.deepEqual(decode("ab\x1b[Dc\r"), [
    { type: "text", text: "ab", pasted: false },
    { type: "left" },
    { type: "text", text: "c", pasted: false },
    { type: "enter" },
  ]);
});

Deno.test("KeyDecoder.feed() names control characters", () => {
  assert.deepEqual(decode("\x01\x03\x7f\x08\t\x00\x1f"), [
    { type: "ctrl", letter: "a" },
    { type: "ctrl", letter: "c" },
    { type: "backspace" },
    { type: "backspace" },
    { type: "tab" },
    { type: "ctrl", letter: "@" },
    { type: "ctrl", letter: "_" },
  ]);
});

Deno.test("KeyDecoder.feed() decodes CSI and SS3 keys", () => {
  const keys = decode(
    "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[3~\x1bOH\x1bOF\x1bOA",
  );
  assert.deepEqual(keys.map((key) => key.type), [
    "up",
    "down",
    "right",
    "left",
    "home",
    "end",
    "home",
    "end",
    "delete",
    "home",
    "end",
    "up",
  ]);
});

Deno.test("KeyDecoder.feed() swallows unknown sequences and Alt+key", () => {
  assert.deepEqual(decode("\x1b[1;5C\x1b[6~\x1bOP\x1bx\x1b[?25h"), []);
  assert.deepEqual(decode("a\x1bbc"), [{ type: "text", text: "ac", pasted: false }]);
});

Deno.test("KeyDecoder.feed() holds an escape sequence split across chunks", () => {
  const whole = "x\x1b[200~y\x1b[201~\x1b[3~\x1bOH\x1b[1;5Cz";
  const expected = decode(whole);
  for (let cut = 0; cut <= whole.length; cut++) {
    const keys = decode(whole.slice(0, cut), whole.slice(cut));
    // Text runs may be split at the cut; compare with adjacent runs joined.
    assert.deepEqual(joinText(keys), joinText(expected), `cut at ${cut}`);
  }
});

Deno.test("KeyDecoder.feed() holds a lone ESC at the end of a chunk", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1b"), []);
  assert.deepEqual(decoder.feed("[D"), [{ type: "left" }]);
});

Deno.test("KeyDecoder.feed() marks bracketed paste and turns its line breaks into spaces", () => {
  assert.deepEqual(decode("a\x1b[200~one\r\ntwo\nthree\x03\x1b[201~b"), [
    { type: "text", text: "a", pasted: false },
    { type: "text", text: "one two three", pasted: true },
    { type: "text", text: "b", pasted: false },
  ]);
});

Deno.test("KeyDecoder.feed() treats CR LF as one Enter, even across chunks", () => {
  assert.deepEqual(decode("\r\n"), [{ type: "enter" }]);
  assert.deepEqual(decode("\r", "\n"), [{ type: "enter" }]);
  assert.deepEqual(decode("\n\n"), [{ type: "enter" }, { type: "enter" }]);
});

Deno.test("KeyDecoder.feed() drops a runaway escape sequence instead of holding it forever", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1b[" + "1;".repeat(100)), []);
  assert.deepEqual(decoder.feed("a"), [{ type: "text", text: "a", pasted: false }]);
});

function joinText(keys: Key[]): Key[] {
  const joined: Key[] = [];
  for (const key of keys) {
    const last = joined.at(-1);
    if (key.type === "text" && last?.type === "text" && last.pasted === key.pasted) {
      joined[joined.length - 1] = { ...last, text: last.text + key.text };
    } else {
      joined.push(key);
    }
  }
  return joined;
}
