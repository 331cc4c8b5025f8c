/**
 * What a session offers whoever leaves it: the messages still unsent, and each new resume token
 * to keep on disk. Over in-memory connections, the test playing the relay.
 */
import assert from "node:assert/strict";
import { RESUME_TOKEN_BYTES } from "../../protocol.ts";
import { SYSTEM_CLOCK } from "../../client/clock.ts";
import type { ChatError } from "../../client/errors.ts";
import type { SessionStart } from "../../client/session.ts";
import { memoryPair } from "../../transport/memory.ts";
import type { FrameConnection } from "../../transport/types.ts";
import { joinedFor, joinedSession as joined, PARAMS, RelayEnd } from "./client_harness.ts";

/** A session that redials through `dial` at once, on the real clock. */
function joinedSession(
  dial: () => Promise<FrameConnection>,
  start: Partial<SessionStart> = {},
) {
  return joined({
    dial,
    clock: SYSTEM_CLOCK,
    start: { reconnect: { firstDelayMs: 1, maxDelayMs: 1, giveUpMs: 10_000 }, ...start },
  });
}

Deno.test("ChatSession.unsent() lists messages until acknowledged, and keeps them when the session ends", async () => {
  const { session, relay } = await joinedSession(() => Promise.reject(new Error("no redial")));
  const sends = [session.send("one"), session.send("/me two", "action")];
  for (const sending of sends) sending.catch(() => {});
  assert.deepEqual(session.unsent(), [
    { text: "one", kind: "text" },
    { text: "/me two", kind: "action" },
  ]);
  const first = await relay.expect("send");
  await relay.expect("send");
  relay.send({ type: "ack", room: "lobby", id: first.id, seq: 1, ts: 1 });
  await sends[0];
  assert.deepEqual(session.unsent(), [{ text: "/me two", kind: "action" }]);
  // A final refusal ends the session: what was not acknowledged is still named.
  relay.send({
    type: "error",
    code: "replaced",
    room: "",
    message: "",
    fatal: true,
    retryAfterMs: 0,
  });
  assert.equal((await session.ended as ChatError).code, "replaced");
  await assert.rejects(sends[1]!);
  assert.deepEqual(session.unsent(), [{ text: "/me two", kind: "action" }]);
});

Deno.test("ChatSession hands the resume token of every rejoin to onResumeToken", async () => {
  const [client, server] = memoryPair();
  const kept: number[] = [];
  const { session, relay } = await joinedSession(
    () => Promise.resolve(client),
    { onResumeToken: (token) => kept.push(token[0]!) },
  );
  // The link drops; the session dials again and presents the token it had.
  await relay.conn.close();
  const again = new RelayEnd(server);
  await again.greet();
  const query = await again.expect("room_query");
  again.send({ type: "room_info", room: query.room, params: PARAMS });
  const join = await again.expect("join");
  assert.deepEqual([...join.resumeToken], new Array(RESUME_TOKEN_BYTES).fill(1));
  const reconnected = new Promise<void>((resolve) => {
    session.listener = (event) => event.type === "reconnected" && resolve();
  });
  again.send(joinedFor(join, 2));
  await reconnected;
  assert.deepEqual(kept, [2]);
  await session.quit();
});
