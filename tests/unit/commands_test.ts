import assert from "node:assert/strict";
import {
  type CommandContext,
  COMMANDS,
  completeCommand,
  findCommand,
  parseInput,
  runInput,
} from "../../client/commands.ts";

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
    away: (reason) => calls.push(`away ${reason}`),
    back: () => calls.push("back"),
    ignore: (name) => calls.push(`ignore ${name}`),
    unignore: (name) => calls.push(`unignore ${name}`),
    quiet: () => calls.push("quiet"),
    clear: () => calls.push("clear"),
    nick: (name) => calls.push(`nick ${name}`),
    topic: (text) => calls.push(`topic ${text}`),
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
  for (const command of COMMANDS) {
    assert.ok(calls.some((call) => call.startsWith(`notice /${command.name}`)), command.name);
  }
  assert.ok(calls.some((call) => call.startsWith("notice //text")));
  assert.ok(calls.some((call) => call.startsWith("notice /quit, /exit, /q ")), "aliases shown");
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

Deno.test("runInput() runs /exit and /q as /quit", () => {
  const { calls, context } = recorder();
  runInput("/exit", context);
  runInput("/Q", context);
  assert.deepEqual(calls, ["quit", "quit"]);
});

Deno.test("runInput() runs /away, /back, /ignore, /unignore, /quiet and /clear", () => {
  const { calls, context } = recorder();
  for (
    const line of [
      "/away",
      "/away  out for lunch ",
      "/back",
      "/ignore",
      "/ignore bob",
      "/ignore two names",
      "/unignore bob",
      "/unignore",
      "/quiet",
      "/clear",
    ]
  ) runInput(line, context);
  assert.deepEqual(calls, [
    "away ",
    "away out for lunch",
    "back",
    "ignore null",
    "ignore bob",
    "notice Usage: /ignore NAME",
    "unignore bob",
    "notice Usage: /unignore NAME",
    "quiet",
    "clear",
  ]);
});

Deno.test("findCommand() finds a command by name or alias, in any case", () => {
  assert.equal(findCommand("QUIT")?.name, "quit");
  assert.equal(findCommand("q")?.name, "quit");
  assert.equal(findCommand("exit")?.name, "quit");
  assert.equal(findCommand("nick")?.name, "nick");
  assert.equal(findCommand("frobnicate"), undefined);
});

Deno.test("completeCommand() completes command names and aliases after a slash", () => {
  assert.deepEqual(completeCommand("/wh"), ["/who ", "/whois "]);
  assert.deepEqual(completeCommand("/Q"), ["/quiet ", "/quit ", "/q "]);
  assert.deepEqual(completeCommand("/zz"), []);
  assert.deepEqual(completeCommand("wh"), []);
});

Deno.test("COMMANDS has one entry per name, none shadowing another", () => {
  const names = COMMANDS.flatMap((command) => [command.name, ...command.aliases ?? []]);
  assert.equal(new Set(names).size, names.length);
});

Deno.test("runInput() runs /nick with one name and /topic with its text or alone", () => {
  const { calls, context } = recorder();
  runInput("/nick anna", context);
  runInput("/nick", context);
  runInput("/topic Friday: demo at 3pm", context);
  runInput("/topic", context);
  assert.deepEqual(calls, [
    "nick anna",
    "notice Usage: /nick NAME",
    "topic Friday: demo at 3pm",
    "topic null",
  ]);
});
