import assert from "node:assert/strict";
import { errorWords, KNOWN_ERROR_CODES, relayError, reworded } from "../../client/error_words.ts";
import { FINAL_CODES } from "../../client/session.ts";

/** C0 and C1 controls and DEL: what lets text drive a terminal. */
const CONTROL = {
  test: (text: string) =>
    [...text].some((char) => {
      const code = char.codePointAt(0)!;
      return code < 0x20 || (code >= 0x7f && code <= 0x9f);
    }),
};

const HOSTILE = "\u001b]0;pwned\u0007\u001b[2J\u009b31mfake prompt> ";

function assertInert(text: string, label: string): void {
  assert.ok(!CONTROL.test(text), `${label}: ${JSON.stringify(text)}`);
}

Deno.test("errorWords() has the client's own words for every protocol code", () => {
  assert.ok(KNOWN_ERROR_CODES.length >= 30);
  for (const code of KNOWN_ERROR_CODES) {
    for (const kind of ["error", "nack"] as const) {
      const words = errorWords(code, HOSTILE, {
        room: "lobby\u001b[2J",
        name: "ana",
        retryAfterMs: 3_000,
      }, kind);
      assert.ok(!words.includes("pwned") && !words.includes("fake prompt"), `${code}: ${words}`);
      assertInert(words, code);
      assert.ok(words.length > 10, code);
    }
  }
});

Deno.test("errorWords() quotes an unknown code's text inert, marked as the server's words", () => {
  const words = errorWords("evil\u009b", HOSTILE);
  assert.match(words, /^The server refused \(code "evil<U\+009B>"\); in its own words: "/);
  assert.ok(words.includes("^[]0;pwned^G"));
  assertInert(words, "unknown code");
  assert.ok(errorWords("x", "y".repeat(10_000)).length < 300, "a quote is kept short");
});

Deno.test("errorWords() says when to try again, and what a wrong passphrase may mean", () => {
  assert.match(errorWords("too_many_attempts", "", { room: "ops", retryAfterMs: 3_000 }), /3 s/);
  const wrong = errorWords("wrong_passphrase", "", { room: "ops" });
  assert.match(wrong, /^Cannot join room "ops": wrong passphrase/);
  assert.match(wrong, /someone else may have created it first/);
  assert.match(wrong, /chat rooms drop ops --data DIR/);
  assert.match(errorWords("storage_full", "", {}, "nack"), /^Not stored/);
});

Deno.test("relayError() keeps the code, the wait and the server's text, but shows its own words", () => {
  const error = relayError({
    code: "name_taken",
    room: "lobby",
    message: HOSTILE,
    retryAfterMs: 0,
    fatal: false,
  });
  assert.equal(error.code, "name_taken");
  assert.equal(error.serverText, HOSTILE);
  assert.ok(!error.message.includes("pwned"));
  assert.match(reworded(error, { name: "ana" }).message, /the name "ana" is taken/);
});

Deno.test("FINAL_CODES holds only codes that waiting or reconnecting cannot fix", () => {
  for (
    const code of ["rate_limited", "too_many_attempts", "too_many_connections", "join_timeout"]
  ) {
    assert.ok(!FINAL_CODES.has(code), code);
  }
  for (const code of ["wrong_passphrase", "room_dropped", "name_confusable", "room_not_allowed"]) {
    assert.ok(FINAL_CODES.has(code), code);
  }
});

Deno.test("errorWords() says a name held for a member who dropped frees, and when, only given a time", () => {
  const held = errorWords("name_taken", "", { room: "lobby", name: "ana", retryAfterMs: 200_000 });
  assert.match(held, /the name "ana" is held for a member who dropped; it is free in 4 min/);
  const taken = errorWords("name_taken", "held; free in 4 min", { room: "lobby", name: "ana" });
  assert.match(taken, /the name "ana" is taken there; choose another with --name$/);
});
