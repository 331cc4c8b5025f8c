/**
 * docs/JSON.md against a real bot run: every event a bot sees, and every field in it, must be in
 * the document's event table, and every exit code the client defines must be in its exit table.
 * The table's convention: fields are written `name`, values `"value"` (so values are not taken
 * for fields).
 */
import assert from "node:assert/strict";
import { EXIT } from "../../client/errors.ts";
import { joinClient, type JsonEvent, startServer } from "./harness.ts";

const DOC = new URL("../../docs/JSON.md", import.meta.url);

/** The fields of each event type, as docs/JSON.md's event table lists them. */
async function documentedEvents(): Promise<Map<string, Set<string>>> {
  const text = await Deno.readTextFile(DOC);
  const table = text.slice(text.indexOf("## Events"), text.indexOf("### `message`"));
  const events = new Map<string, Set<string>>();
  for (const row of table.split("\n")) {
    const cells = row.split("|").map((cell) => cell.trim());
    const type = cells[1]?.match(/^`([a-z_]+)`$/)?.[1];
    if (!type || type === "type") continue;
    const fields = [...(cells[2] ?? "").matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!);
    events.set(type, new Set(["v", "type", ...fields]));
  }
  return events;
}

/** The exit codes docs/JSON.md's exit table lists. */
async function documentedExitCodes(): Promise<Set<number>> {
  const text = await Deno.readTextFile(DOC);
  const table = text.slice(text.indexOf("## Exit codes"));
  return new Set([...table.matchAll(/^\| (\d+) +\|/gm)].map((match) => Number(match[1])));
}

function checkAgainstDoc(events: JsonEvent[], documented: Map<string, Set<string>>, who: string) {
  for (const event of events) {
    const fields = documented.get(event.type);
    assert.ok(fields, `${who} printed a "${event.type}" event docs/JSON.md does not list`);
    for (const key of Object.keys(event)) {
      assert.ok(fields.has(key), `${who}: "${event.type}" has "${key}", not in docs/JSON.md`);
    }
    assert.equal(event.v, 1, `${who}: "${event.type}" without v: 1`);
  }
}

Deno.test("docs/JSON.md lists every event and field a bot run prints, and every exit code", async () => {
  const documented = await documentedEvents();
  assert.ok(documented.size >= 11, `the event table was not found: ${[...documented.keys()]}`);
  await using server = await startServer();
  await using watcher = await joinClient(server.port, "watcher", { args: ["--history", "5"] });
  await using bot = await joinClient(server.port, "bot", { args: ["--json-in"] });
  await bot.writeLine('{"text": "build 1432 passed", "ref": "b1432"}');
  await bot.writeLine('{"action": "deploys"}');
  await bot.writeLine("{not json");
  await bot.closeInput();
  assert.equal((await bot.finished()).code, EXIT.notSent);
  await watcher.event((event) => event.type === "leave" && event.from === "bot");
  // A late joiner sees history; a bot refused a room sees a fatal error.
  await using late = await joinClient(server.port, "late", { args: ["--history", "5"] });
  await late.count((event) => event.type === "message" && event.history === true, 2);
  await using lost = await joinClient(server.port, "lost", {
    room: "nosuch",
    create: false,
    waitReady: false,
  });
  assert.equal((await lost.finished()).code, EXIT.refused);
  await late.closeInput();
  await watcher.closeInput();
  assert.equal((await late.finished()).code, 0);
  assert.equal((await watcher.finished()).code, 0);

  const seen = new Set<string>();
  for (
    const [who, client] of [["watcher", watcher], ["bot", bot], ["late", late], [
      "lost",
      lost,
    ]] as const
  ) {
    const events = client.events();
    checkAgainstDoc(events, documented, who);
    for (const event of events) seen.add(event.type);
  }
  for (const type of ["ready", "message", "join", "leave", "ack", "error"]) {
    assert.ok(seen.has(type), `the run never printed "${type}"`);
  }
  const exits = await documentedExitCodes();
  for (const [name, code] of Object.entries(EXIT)) {
    assert.ok(exits.has(code), `exit code ${code} (${name}) is not in docs/JSON.md`);
  }
});
