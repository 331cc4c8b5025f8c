import assert from "node:assert/strict";
import { humanLines, jsonLine } from "../../client/render.ts";
import type { SessionEvent } from "../../client/events.ts";
import { createStyle } from "../../terminal/colors.ts";

const PLAIN = createStyle(false);
const MESSAGE: Extract<SessionEvent, { type: "message" }> = {
  type: "message",
  room: "ops",
  from: "ana",
  text: "hello",
  kind: "text",
  seq: 3,
  ts: 0,
  sentAt: 0,
  id: "00",
  history: false,
  stale: false,
  trust: "known",
  key: "AAAA-BBBB-CCCC-DDDD-EEEE",
};

Deno.test("humanLines() shows a trusted message plainly", () => {
  const [line] = humanLines(MESSAGE, PLAIN);
  assert.match(line!, /ana: hello$/);
  assert.ok(!line!.includes("["));
});

Deno.test("humanLines() marks messages whose sender is in doubt", () => {
  assert.match(humanLines({ ...MESSAGE, trust: "bad_signature" }, PLAIN)[0]!, /^\[UNVERIFIED\] /);
  assert.match(humanLines({ ...MESSAGE, trust: "changed" }, PLAIN)[0]!, /^\[KEY CHANGED\] /);
  assert.match(humanLines({ ...MESSAGE, history: true }, PLAIN)[0]!, /^\[history\] /);
});

Deno.test("humanLines() warns loudly when a name's key changes, and makes the name inert", () => {
  const lines = humanLines({
    type: "key_changed",
    room: "ops",
    from: "ana\u001b[2J",
    key: "NEW",
    previous: "OLD",
  }, PLAIN);
  assert.match(lines.join("\n"), /WARNING: ana\^\[\[2J is signing with a different identity key/);
  assert.match(lines.join("\n"), /was OLD, now NEW/);
  assert.ok(!lines.join("").includes("\u001b"));
});

Deno.test("humanLines() makes received text and names inert", () => {
  const lines = humanLines({ ...MESSAGE, from: "a\u009bb", text: "x\u001b]0;t\u0007y" }, PLAIN);
  const controls = [...lines.join("")].filter((char) => {
    const code = char.codePointAt(0)!;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
  assert.deepEqual(controls, []);
});

Deno.test("jsonLine() writes one line of JSON with the event's fields", () => {
  const line = jsonLine({ ...MESSAGE, text: "two\nlines" });
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), { ...MESSAGE, text: "two\nlines" });
});
