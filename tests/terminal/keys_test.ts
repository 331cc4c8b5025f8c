import assert from "node:assert/strict";
import { type Key, KeyDecoder, MAX_PASTE_CHARS } from "../../terminal/keys.ts";

function decode(...chunks: string[]): Key[] {
  const decoder = new KeyDecoder();
  return chunks.flatMap((chunk) => decoder.feed(chunk));
}

Deno.test("KeyDecoder.feed() separates text from keys", () => {
  assert.deepEqual(decode("ab\x1b[Dc\r"), [
    { type: "text", text: "ab" },
    { type: "left" },
    { type: "text", text: "c" },
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
    "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[3~\x1bOH\x1bOF\x1bOA\x1b[Z",
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
    "backtab",
  ]);
});

Deno.test("KeyDecoder.feed() turns Ctrl or Alt with an arrow into a word move", () => {
  // xterm Ctrl, xterm Alt, xterm Ctrl-Shift, rxvt Ctrl, and Alt as ESC before an arrow.
  const keys = decode(
    "\x1b[1;5D\x1b[1;5C\x1b[1;3D\x1b[1;3C\x1b[1;6D\x1bOd\x1bOc\x1b\x1b[D\x1b[3;5~\x1b[1;2C",
  );
  assert.deepEqual(keys.map((key) => key.type), [
    "word-left",
    "word-right",
    "word-left",
    "word-right",
    "word-left",
    "word-left",
    "word-right",
    "left",
    "word-delete",
    "right",
  ]);
});

Deno.test("KeyDecoder.feed() reads Alt with a key as the ESC prefix", () => {
  assert.deepEqual(decode("a\x1bbc\x1bF\x1b\x7f\x1b\x08\x1b\r"), [
    { type: "text", text: "a" },
    { type: "alt", key: "b" },
    { type: "text", text: "c" },
    { type: "alt", key: "F" },
    { type: "alt", key: "backspace" },
    { type: "alt", key: "backspace" },
  ]);
});

Deno.test("KeyDecoder.feed() swallows unknown sequences", () => {
  assert.deepEqual(decode("\x1b[1;5Q\x1b[6~\x1bOP\x1b[?25h\x1b[9;9~"), []);
});

Deno.test("KeyDecoder.feed() reports focus in and out", () => {
  assert.deepEqual(decode("\x1b[O\x1b[I"), [{ type: "focus-out" }, { type: "focus-in" }]);
});

Deno.test("KeyDecoder.feed() holds an escape sequence split across chunks", () => {
  const whole = "x\x1b[200~y\r\nz\x1b[201~\x1b[3~\x1bOH\x1b[1;5Cz\x1bb";
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

Deno.test("KeyDecoder.feed() gives a bracketed paste whole, line breaks kept", () => {
  assert.deepEqual(decode("a\x1b[200~one\r\ntwo\nthree\rfour\tx\x03\x1b[A\x1b[201~b"), [
    { type: "text", text: "a" },
    { type: "paste", text: "one\ntwo\nthree\nfour x", complete: true },
    { type: "text", text: "b" },
  ]);
});

Deno.test("KeyDecoder.feed() gives a paste once its end marker comes, across chunks", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1b[200~line one\r"), []);
  assert.deepEqual(decoder.feed("\nline two\r"), []);
  assert.deepEqual(decoder.feed("\x1b[201~"), [
    { type: "paste", text: "line one\nline two\n", complete: true },
  ]);
});

Deno.test("KeyDecoder.feed() cuts a paste at MAX_PASTE_CHARS and says it is incomplete", () => {
  const [key] = decode(`\x1b[200~${"x".repeat(MAX_PASTE_CHARS + 10)}\x1b[201~`);
  assert.ok(key?.type === "paste");
  assert.equal(key.complete, false);
  assert.equal(key.text.length, MAX_PASTE_CHARS);
});

Deno.test("KeyDecoder.feed() treats CR LF as one Enter, even across chunks", () => {
  assert.deepEqual(decode("\r\n"), [{ type: "enter" }]);
  assert.deepEqual(decode("\r", "\n"), [{ type: "enter" }]);
  assert.deepEqual(decode("\n\n"), [{ type: "enter" }, { type: "enter" }]);
});

Deno.test("KeyDecoder.feed() drops a runaway escape sequence instead of holding it forever", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.feed("\x1b[" + "1;".repeat(100)), []);
  assert.deepEqual(decoder.feed("a"), [{ type: "text", text: "a" }]);
});

function joinText(keys: Key[]): Key[] {
  const joined: Key[] = [];
  for (const key of keys) {
    const last = joined.at(-1);
    if (key.type === "text" && last?.type === "text") {
      joined[joined.length - 1] = { ...last, text: last.text + key.text };
    } else {
      joined.push(key);
    }
  }
  return joined;
}
