/**
 * The interactive client over a terminal and a session in memory: how it leaves (exit codes, and
 * the terminal given back as found on every way out), pastes, mentions, and its commands.
 */
import assert from "node:assert/strict";
import { EXIT_INTERRUPTED, Interactive, type InteractiveOptions } from "../../client/tui.ts";
import type { MessageEvent } from "../../client/render.ts";
import { ENTER_MODES, LEAVE_MODES, RESTORE_TITLE, SAVE_TITLE } from "../../terminal/modes.ts";
import { EXIT } from "../../client/errors.ts";
import { FakeSession, FakeTerminal } from "./tui_fakes.ts";

const BELL = "\x07";
const TITLE = new RegExp(`${"\x1b"}\\]2;([^${BELL}]*)${BELL}`, "g");

/** How many bells `output` rings, leaving out the BEL that ends each title. */
function bells(output: string): number {
  return output.replace(TITLE, "").split(BELL).length - 1;
}

function start(options: Partial<InteractiveOptions> = {}, session = new FakeSession()) {
  const terminal = new FakeTerminal();
  const ui = new Interactive(session, { color: false, terminal, ...options });
  const exit = ui.run();
  return { terminal, session, ui, exit };
}

/** Lets the event loop turn until `predicate` holds, a bounded number of times. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 200; turn++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.fail(`never happened: ${what}`);
}

function message(from: string, text: string, extra: Partial<MessageEvent> = {}): MessageEvent {
  return {
    type: "message",
    room: "lobby",
    from,
    text,
    kind: "text",
    seq: 1,
    ts: Date.now(),
    sentAt: Date.now(),
    id: "00",
    history: false,
    stale: false,
    trust: "known",
    key: "K",
    ...extra,
  };
}

/** Asserts the terminal was given back: paste and focus modes off, title restored, not raw. */
function assertRestored(terminal: FakeTerminal): void {
  assert.ok(terminal.output.includes(ENTER_MODES + SAVE_TITLE), "modes were turned on");
  assert.ok(terminal.output.endsWith(LEAVE_MODES + RESTORE_TITLE), "modes turned off last");
  assert.deepEqual(terminal.rawChanges, [true, false]);
  assert.equal(terminal.listeners, 0, "signal listeners removed");
}

Deno.test("Interactive.run() clears the line on Ctrl-C and leaves with 130 on a second", async () => {
  const { terminal, session, exit } = start();
  terminal.type("a long draft\x03");
  await until(() => terminal.output.includes("Line cleared"), "the hint");
  assert.equal(session.quits, 0, "the first Ctrl-C does not leave");
  terminal.type("\x03");
  assert.equal(await exit, EXIT_INTERRUPTED);
  assert.equal(session.quits, 1);
  assert.deepEqual(session.sent, []);
  assertRestored(terminal);
});

Deno.test("Interactive.run() resolves 0 on Ctrl-D, /quit, /exit, /q and end of input", async () => {
  for (const input of ["\x04", "/quit\r", "/exit\r", "/q\r", null]) {
    const { terminal, session, exit } = start();
    if (input === null) terminal.end();
    else terminal.type(input);
    assert.equal(await exit, 0, JSON.stringify(input));
    assert.equal(session.quits, 1);
    assertRestored(terminal);
  }
});

Deno.test("Interactive.run() names what was never sent and exits 6 when leaving", async () => {
  const session = new FakeSession();
  session.stalled = true;
  const { terminal, exit } = start({}, session);
  terminal.type("first line\r/me waves\r");
  await until(() => session.sent.length === 2, "both sent");
  terminal.type("\x04");
  assert.equal(await exit, EXIT.notSent);
  assert.match(terminal.output, /Not sent: first line/);
  assert.match(terminal.output, /Not sent: \/me waves/);
  assertRestored(terminal);
});

Deno.test("Interactive.run() leaves on signals with 128 + the signal's number", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    const { terminal, session, exit } = start();
    await until(() => terminal.listeners > 0, "listening");
    terminal.signal(signal);
    assert.equal(await exit, code, signal);
    assert.equal(session.quits, 1);
    assertRestored(terminal);
  }
});

Deno.test("Interactive.run() gives the terminal back when the session fails", async () => {
  const { terminal, session, exit } = start();
  session.fail(new Error("server gone"));
  await assert.rejects(exit, /server gone/);
  assertRestored(terminal);
  terminal.end();
});

Deno.test("Interactive sends a multi-line paste as one message when Enter is pressed", async () => {
  const { terminal, session, exit } = start();
  terminal.type("see: \x1b[200~line 1\r\nline 2\r\nline 3\r\n\x1b[201~");
  await until(() => terminal.output.includes("line 3"), "the paste on the line");
  assert.deepEqual(session.sent, [], "nothing sent before Enter");
  terminal.type("\r");
  await until(() => session.sent.length === 1, "one message");
  assert.deepEqual(session.sent, [{ text: "see: line 1\nline 2\nline 3", kind: "text" }]);
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive refuses a paste over the message limit in words", async () => {
  const { terminal, session, exit } = start();
  terminal.type(`\x1b[200~${"x".repeat(20_000)}\x1b[201~\r`);
  await until(() => terminal.output.includes("Paste not added"), "the refusal");
  const words = terminal.output.replace(/\s+/g, " ");
  assert.match(words, /the message would be 20,000 bytes, and one message holds at most 16,384 /);
  assert.deepEqual(session.sent, []);
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive rings the bell and counts unread mentions in the title", async () => {
  let now = 1_000_000;
  const { terminal, ui, exit } = start({ now: () => now });
  await until(() => terminal.output.includes("lobby - chat"), "the title");
  terminal.take();
  ui.show(message("bob", "hi there"));
  assert.equal(bells(terminal.output), 0, "no mention, no bell");
  ui.show(message("bob", "ANA: lunch?"));
  let written = terminal.take();
  assert.equal(bells(written), 1, "one bell");
  assert.ok(written.includes("\x1b]2;(1) lobby - chat\x07"), JSON.stringify(written));
  ui.show(message("bob", "@ana?"));
  written = terminal.take();
  assert.equal(bells(written), 0, "no second bell within BELL_INTERVAL_MS");
  assert.ok(written.includes("\x1b]2;(2) lobby - chat\x07"));
  now += 60_000;
  ui.show(message("bob", "ana."));
  assert.equal(bells(terminal.take()), 1, "a bell again later");
  ui.show(message("ana", "I am ana"));
  ui.show(message("bob", "ana", { history: true }));
  ui.show(message("bob", "banana anarchy"));
  assert.ok(!terminal.take().includes("\x1b]2;(4)"), "own, old and partial words are no mention");
  terminal.type("x");
  await until(() => terminal.output.includes("\x1b]2;lobby - chat\x07"), "read on a key");
  terminal.type("\x03\x03");
  assert.equal(await exit, EXIT_INTERRUPTED);
});

Deno.test("Interactive rings no bell with bell: false and sets no title with title: false", async () => {
  const { terminal, ui, exit } = start({ bell: false, title: false });
  ui.show(message("bob", "ana!"));
  terminal.type("\x04");
  assert.equal(await exit, 0);
  assert.ok(!terminal.output.includes(BELL), "no bell, and no title ended by one");
  assert.ok(!terminal.output.includes("\x1b[22;0t") && !terminal.output.includes("\x1b[23;0t"));
});

Deno.test("Interactive counts mentions only while the window is not focused", async () => {
  const { terminal, ui, exit } = start();
  terminal.type("\x1b[I");
  await until(() => terminal.idle, "focus in read");
  ui.show(message("bob", "ana, look"));
  assert.ok(!terminal.output.includes("(1) lobby"), "seen while focused");
  terminal.type("\x1b[O");
  await until(() => terminal.idle, "focus out read");
  ui.show(message("bob", "ana, look again"));
  assert.ok(terminal.output.includes("(1) lobby"));
  terminal.type("\x1b[I");
  await until(() => terminal.idle, "focus in read");
  assert.equal([...terminal.output.matchAll(TITLE)].at(-1)?.[1], "lobby - chat", "read on focus");
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive puts no network text raw into the title", async () => {
  const session = new FakeSession("ana", "lob\x1b]0;x\x07\u009cby");
  const { terminal, ui, exit } = start({}, session);
  ui.show(message("bob", "ana"));
  terminal.type("\x04");
  assert.equal(await exit, 0);
  const titles = [...terminal.output.matchAll(TITLE)];
  assert.equal(titles.length, 3, "set, counted and read");
  for (const [, title] of titles) {
    assert.ok(![...title!].some((char) => /\p{Cc}/u.test(char)), JSON.stringify(title));
  }
});

Deno.test("Interactive /away and /back tell the room in an action and mark the prompt", async () => {
  const { terminal, session, ui, exit } = start();
  terminal.type("/away lunch\r");
  await until(() => terminal.output.includes("lobby (away)> "), "the prompt");
  assert.ok(terminal.output.includes("(away) - chat"));
  ui.show(message("bob", "ana?"));
  terminal.type("/back\r/back\r");
  await until(() => terminal.output.includes("You are not marked away"), "the second /back");
  assert.deepEqual(session.sent, [
    { text: "is away (lunch)", kind: "action" },
    { text: "is back", kind: "action" },
  ]);
  assert.match(terminal.output, /1 message mentioned you while you were away/);
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive /ignore hides a member's messages and presence, /unignore shows them", async () => {
  const { terminal, ui, exit } = start();
  terminal.type("/ignore BOB\r");
  await until(() => terminal.output.includes("/unignore BOB"), "the answer");
  ui.show(message("bob", "spam spam"));
  ui.show({ type: "join", room: "lobby", from: "Bob", ts: Date.now() });
  ui.show(message("cy", "hello"));
  assert.ok(!terminal.output.includes("spam") && !terminal.output.includes("Bob joined"));
  assert.ok(terminal.output.includes("cy: hello"));
  terminal.type("/unignore bob\r");
  await until(() => terminal.output.includes("bob is shown again"), "the answer");
  ui.show(message("bob", "back again"));
  assert.ok(terminal.output.includes("bob: back again"));
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive /quiet hides joins and leaves", async () => {
  const { terminal, ui, exit } = start();
  terminal.type("/quiet\r");
  await until(() => terminal.output.includes("Joins and leaves are hidden"), "the answer");
  ui.show({ type: "join", room: "lobby", from: "bob", ts: Date.now() });
  ui.show({ type: "leave", room: "lobby", from: "bob", ts: Date.now(), reason: "" });
  assert.ok(!terminal.output.includes("bob joined") && !terminal.output.includes("bob left"));
  terminal.type("\x04");
  assert.equal(await exit, 0);
});

Deno.test("Interactive completes member names and commands with Tab", async () => {
  const { terminal, session, ui, exit } = start();
  ui.show({
    type: "ready",
    room: "lobby",
    name: "ana",
    members: ["ana", "anabel", "bob"],
    memberCount: 3,
    fingerprint: "F",
    created: false,
    identity: "I",
    newIdentity: false,
  });
  terminal.type("an\t");
  await until(() => terminal.output.includes("lobby> anabel: "), "a name");
  terminal.type("hi b\t\r/wh\t\t");
  await until(() => session.sent.length === 1, "sent");
  assert.deepEqual(session.sent, [{ text: "anabel: hi bob ", kind: "text" }]);
  await until(() => terminal.output.includes("lobby> /whois "), "a command");
  terminal.type("\x03\x03");
  assert.equal(await exit, EXIT_INTERRUPTED);
});

Deno.test("Interactive draws one divider after history and repaints on Ctrl-L", async () => {
  const { terminal, session, ui, exit } = start();
  ui.show(message("bob", "old news", { history: true }));
  ui.show(message("cy", "older news", { history: true }));
  session.catchUp();
  await until(() => terminal.output.includes("2 earlier messages above"), "the divider");
  assert.ok(!terminal.output.includes("[history]"));
  ui.show(message("bob", "fresh"));
  assert.equal(terminal.output.split("earlier messages above").length, 2, "one divider");
  terminal.take();
  terminal.type("\x0c");
  await until(() => terminal.output.includes("\x1b[2J"), "the repaint");
  assert.ok(terminal.output.includes("bob: old news") && terminal.output.includes("bob: fresh"));
  terminal.type("\x04");
  assert.equal(await exit, 0);
});
