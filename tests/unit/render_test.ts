import assert from "node:assert/strict";
import {
  chatLines,
  dayLine,
  humanLines,
  jsonLine,
  mentions,
  timeLabel,
} from "../../client/render.ts";
import type { SessionEvent } from "../../client/events.ts";
import { createStyle } from "../../terminal/colors.ts";

/** C0 and C1 controls and DEL: what lets text drive a terminal. */
const CONTROL = {
  test: (text: string) =>
    [...text].some((char) => {
      const code = char.codePointAt(0)!;
      return code < 0x20 || (code >= 0x7f && code <= 0x9f);
    }),
};

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

Deno.test("humanLines() marks a stale message with when it was written", () => {
  const ts = new Date(2026, 10, 29, 14, 5).getTime();
  const sentAt = new Date(2026, 10, 29, 13, 50).getTime();
  const [line] = humanLines({ ...MESSAGE, ts, sentAt, stale: true }, PLAIN);
  assert.match(line!, /^\[OLD, sent 13:50\] 14:05:00 ana: hello$/);
  const days = humanLines({
    ...MESSAGE,
    ts,
    sentAt: new Date(2026, 10, 2, 9).getTime(),
    stale: true,
  }, PLAIN);
  assert.match(days[0]!, /^\[OLD, sent 2026-11-02 09:00\] /);
});

Deno.test("humanLines() counts the room and summarises joins and leaves", () => {
  const ready = {
    type: "ready" as const,
    room: "big",
    name: "ana",
    members: ["ana", "bob"],
    memberCount: 1_250,
    fingerprint: "F",
    created: false,
    identity: "I",
    newIdentity: false,
  };
  assert.match(humanLines(ready, PLAIN)[0]!, /Here: ana, bob and 1,248 more$/);
  const lines = humanLines({
    type: "presence_summary",
    room: "big",
    ts: 0,
    joined: 12,
    left: 1,
    joinedNames: ["cy\u001b[2J", "dan"],
    leftNames: ["eve"],
  }, PLAIN);
  assert.match(lines[0]!, /→ 12 people: cy\^\[\[2J, dan and 10 more joined$/);
  assert.match(lines[1]!, /← 1 person: eve left$/);
});

Deno.test("humanLines() makes error and disconnect text inert", () => {
  const lines = [
    ...humanLines({ type: "error", code: "x", message: "a\u001b]0;t\u0007b" }, PLAIN),
    ...humanLines(
      { type: "disconnected", room: "r", reason: "c\u009b2Jd", code: "disconnected" },
      PLAIN,
    ),
  ];
  assert.ok(!CONTROL.test(lines.join("")), JSON.stringify(lines));
});

Deno.test("jsonLine() writes C1, DEL and bidi controls as escapes that parse back the same", () => {
  const text = "a\u009b31mb\u007fc\u202ed\u2028e";
  const line = jsonLine({ ...MESSAGE, text });
  assert.ok(!/[\u007f-\u009f\u202e\u2028]/.test(line), line);
  assert.equal(JSON.parse(line).text, text);
});

Deno.test("timeLabel() gives the time today and the date too on other days", () => {
  const now = new Date(2026, 10, 29, 14, 5).getTime();
  assert.equal(timeLabel(new Date(2026, 10, 29, 0, 0, 1).getTime(), now), "00:00:01");
  assert.equal(timeLabel(new Date(2026, 10, 28, 23, 59, 59).getTime(), now), "2026-11-28 23:59:59");
});

Deno.test("dayLine() names the day", () => {
  assert.equal(dayLine(new Date(2026, 10, 2, 9).getTime()), "── Monday 2 November 2026 ──");
});

Deno.test("mentions() finds a name as a word, compared as names are", () => {
  for (const text of ["ana", "hi ANA!", "@ana: lunch?", "ana.", "ask Ana, then bob", "(ana)"]) {
    assert.equal(mentions(text, "ana"), true, text);
  }
  for (const text of ["banana", "anarchy", "ana_b", "an a", "", "ana-maria"]) {
    assert.equal(mentions(text, "ana"), false, text);
  }
  assert.equal(mentions("ｊｏ said", "jo"), true, "full-width letters fold as in names");
  assert.equal(mentions("ÉLODIE?", "élodie"), true);
  assert.equal(mentions("hi 李雷", "李雷"), true);
});

Deno.test("chatLines() indents every line under the text and highlights mentions", () => {
  const now = new Date(2026, 10, 29, 14, 5).getTime();
  const lines = chatLines(
    { ts: now, from: "bob", text: "ana: look\nat this, ana", action: false },
    { style: createStyle(true), now, me: "ana" },
  );
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.indent, "14:05:00 bob: ".length);
  assert.equal(lines[1]!.indent, lines[0]!.indent);
  assert.ok(lines[0]!.text.endsWith(": \x1b[7mana\x1b[27m: look"), JSON.stringify(lines[0]));
  assert.equal(lines[1]!.text, `${" ".repeat(14)}at this, \x1b[7mana\x1b[27m`);
  const action = chatLines(
    { ts: now - 86_400_000, from: "bob\x1b[2J", text: "waves", action: true },
    { style: PLAIN, now },
  );
  assert.deepEqual(action, [{ text: "2026-11-28 14:05:00 * bob^[[2J waves", indent: 31 }]);
});
