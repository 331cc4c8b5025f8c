import assert from "node:assert/strict";
import { type CommandContext, parseInput, runInput } from "../../client/commands.ts";

function recorder() {
  const calls: string[] = [];
  const context: CommandContext = {
    send: (text, kind) => calls.push(`send ${kind} ${text}`),
    who: () => calls.push("who"),
    quit: () => calls.push("quit"),
    notice: (text) => calls.push(`notice ${text}`),
    whois: (name) => calls.push(`whois ${name}`),
    verify: (name) => calls.push(`verify ${name}`),
    trust: (name) => calls.push(`trust ${name}`),
  };
  return { calls, context };
}

Deno.test("parseInput() tells messages from commands", () => {
  assert.deepEqual(parseInput("hello"), { type: "message", text: "hello" });
  assert.deepEqual(parseInput("   "), { type: "empty" });
  assert.deepEqual(parseInput("//etc/passwd"), { type: "message", text: "/etc/passwd" });
  assert.deepEqual(parseInput("/frobnicate x"), { type: "unknown", name: "frobnicate" });
  const me = parseInput("/me waves hello");
  assert.ok(me.type === "command");
  assert.equal(me.command.name, "me");
  assert.equal(me.args, "waves hello");
  const upper = parseInput("/WHO");
  assert.ok(upper.type === "command" && upper.command.name === "who");
});

Deno.test("runInput() sends text and actions", () => {
  const { calls, context } = recorder();
  runInput("hi all", context);
  runInput("/me waves", context);
  runInput("/me   ", context);
  assert.deepEqual(calls, ["send text hi all", "send action waves", "notice Usage: /me ACTION"]);
});

Deno.test("runInput() runs /who and /quit, and hints at typos", () => {
  const { calls, context } = recorder();
  runInput("/who", context);
  runInput("/quit", context);
  runInput("/qiut", context);
  assert.deepEqual(calls, ["who", "quit", "notice Unknown command /qiut; /help lists commands"]);
});

Deno.test("runInput() /help lists every command", () => {
  const { calls, context } = recorder();
  runInput("/help", context);
  for (const name of ["/help", "/who", "/me", "/whois", "/verify", "/trust", "/quit", "//text"]) {
    assert.ok(calls.some((call) => call.startsWith(`notice ${name}`)), name);
  }
});

Deno.test("runInput() passes one name to /whois, /verify and /trust, and shows usage otherwise", () => {
  const { calls, context } = recorder();
  runInput("/whois ana", context);
  runInput("/verify  bob ", context);
  runInput("/trust cy", context);
  runInput("/verify", context);
  runInput("/trust two names", context);
  assert.deepEqual(calls, [
    "whois ana",
    "verify bob",
    "trust cy",
    "notice Usage: /verify NAME",
    "notice Usage: /trust NAME",
  ]);
});
