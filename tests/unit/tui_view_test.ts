import assert from "node:assert/strict";
import type { MessageEvent } from "../../client/render.ts";
import { RoomView } from "../../client/tui_view.ts";
import { createStyle } from "../../terminal/colors.ts";
import type { LogLine } from "../../terminal/wrap.ts";

const NOW = new Date(2026, 10, 29, 14, 5).getTime();
const DAY = 86_400_000;

function view(): RoomView {
  return new RoomView({ me: "ana", style: createStyle(false), now: () => NOW });
}

function message(from: string, text: string, extra: Partial<MessageEvent> = {}): MessageEvent {
  return {
    type: "message",
    room: "lobby",
    from,
    text,
    kind: "text",
    seq: 1,
    ts: NOW,
    sentAt: NOW,
    id: "00",
    history: false,
    stale: false,
    trust: "known",
    key: "K",
    ...extra,
  };
}

function texts(lines: (LogLine | string)[]): string[] {
  return lines.map((line) => typeof line === "string" ? line : line.text);
}

Deno.test("RoomView.show() dates old lines and marks where each new day starts", () => {
  const room = view();
  const shown = [
    message("bob", "two days ago", { ts: NOW - 2 * DAY, history: true }),
    message("bob", "same day", { ts: NOW - 2 * DAY + 60_000, history: true }),
    message("cy", "yesterday", { ts: NOW - DAY, history: true }),
    message("cy", "today", { ts: NOW }),
  ].flatMap((event) => texts(room.show(event).lines));
  assert.deepEqual(shown, [
    "2026-11-27 14:05:00 bob: two days ago",
    "2026-11-27 14:06:00 bob: same day",
    "── Saturday 28 November 2026 ──",
    "2026-11-28 14:05:00 cy: yesterday",
    "──── 3 earlier messages above; new ones below ────",
    "── Sunday 29 November 2026 ──",
    "14:05:00 cy: today",
  ]);
});

Deno.test("RoomView.show() marks a new day between live lines too", () => {
  const room = view();
  const late = new Date(2026, 10, 29, 23, 59).getTime();
  room.show({ type: "join", room: "lobby", from: "bob", ts: late });
  const lines = texts(room.showOwn({ ts: late + 120_000, text: "past midnight", action: false }));
  assert.deepEqual(lines, [
    "── Monday 30 November 2026 ──",
    "2026-11-30 00:01:00 ana: past midnight",
  ]);
});

Deno.test("RoomView.show() keeps trust and age markers without a [history] prefix", () => {
  const room = view();
  const [line] = texts(
    room.show(message("bob", "hm", { trust: "bad_signature", history: true })).lines,
  );
  assert.equal(line, "[UNVERIFIED] 14:05:00 bob: hm");
});

Deno.test("RoomView.show() leaves ignored names out of a presence summary", () => {
  const room = view();
  room.ignore("Bob");
  const lines = texts(
    room.show({
      type: "presence_summary",
      room: "lobby",
      ts: NOW,
      joined: 3,
      left: 1,
      joinedNames: ["bob", "cy", "dan"],
      leftNames: ["bob"],
    }).lines,
  );
  assert.deepEqual(lines, ["14:05:00 → 2 people: cy, dan joined"]);
});

Deno.test("RoomView.completeName() offers who is around, most recent first, never the user", () => {
  const room = view();
  room.show({
    type: "ready",
    room: "lobby",
    name: "ana",
    members: ["ana", "Anabel", "andrés", "bob"],
    memberCount: 4,
    fingerprint: "F",
    created: false,
    identity: "I",
    newIdentity: false,
  });
  room.show(message("Anabel", "hi"));
  assert.deepEqual(room.completeName("AN"), ["Anabel", "andrés"]);
  room.show({ type: "leave", room: "lobby", from: "anabel", ts: NOW, reason: "" });
  room.show({ type: "join", room: "lobby", from: "anya", ts: NOW });
  assert.deepEqual(room.completeName("an"), ["anya", "andrés"]);
});
