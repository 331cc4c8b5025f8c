/**
 * What a session offers whoever leaves it: the messages still unsent, and each new resume token
 * to keep on disk. Over in-memory connections, the test playing the relay.
 */
import assert from "node:assert/strict";
import { deriveRoomKey, generateIdentity } from "../../crypto.ts";
import {
  decodeMessage,
  encodeMessage,
  type Join,
  type Message,
  MIN_ITERATIONS,
  PROTOCOL_VERSION,
  RESUME_TOKEN_BYTES,
  SALT_BYTES,
  type ServerMessage,
} from "../../protocol.ts";
import { SYSTEM_CLOCK } from "../../client/clock.ts";
import type { ChatError } from "../../client/errors.ts";
import { ClientConnection } from "../../client/connection.ts";
import { KnownKeys } from "../../client/known_keys.ts";
import { MessageRouter } from "../../client/message_router.ts";
import { ReplayGuard } from "../../client/replay_guard.ts";
import { ChatSession } from "../../client/session.ts";
import { InMemoryRoomStore } from "../../storage/room_memory.ts";
import { type MemoryConnection, memoryPair } from "../../transport/memory.ts";
import type { FrameConnection } from "../../transport/types.ts";

const PARAMS = { salt: new Uint8Array(SALT_BYTES).fill(5), iterations: MIN_ITERATIONS, kdf: 2 };

class RelayEnd {
  readonly #frames: AsyncIterator<Uint8Array>;
  constructor(readonly conn: MemoryConnection) {
    this.#frames = conn.frames()[Symbol.asyncIterator]();
  }
  send(message: ServerMessage): void {
    assert.ok(this.conn.send(encodeMessage(message)));
  }
  async expect<T extends Message["type"]>(type: T): Promise<Extract<Message, { type: T }>> {
    while (true) {
      const next = await this.#frames.next();
      assert.ok(!next.done, `closed instead of ${type}`);
      const message = decodeMessage(next.value);
      if (message.type === "ping") continue;
      assert.equal(message.type, type);
      return message as Extract<Message, { type: T }>;
    }
  }
  async greet(): Promise<void> {
    await this.expect("hello");
    this.send({
      type: "welcome",
      version: PROTOCOL_VERSION,
      software: "test",
      maxFrameBytes: 65_536,
      heartbeatMs: 30_000,
    });
  }
}

function joinedFor(join: Join, token: number) {
  return {
    type: "joined" as const,
    room: join.room,
    name: join.name,
    lastSeq: 0,
    firstSeq: 1,
    resumeToken: new Uint8Array(RESUME_TOKEN_BYTES).fill(token),
    memberCount: 1,
    members: [join.name],
  };
}

/** A session in "lobby" as ana, joined through `relay`; `dial` serves its reconnects. */
async function joinedSession(
  dial: () => Promise<FrameConnection>,
  options: { onResumeToken?(token: Uint8Array): void } = {},
) {
  const [client, server] = memoryPair();
  const relay = new RelayEnd(server);
  const router = new MessageRouter();
  const connection = new ClientConnection(client, router.receive, {
    backpressure: router.backpressure,
  });
  const hello = connection.hello("test");
  await relay.greet();
  await hello;
  const key = await deriveRoomKey("a passphrase for tests", { room: "lobby", ...PARAMS });
  const joining = connection.join({
    room: "lobby",
    name: "ana",
    params: PARAMS,
    keyCheck: key.keyCheck,
    catchup: { kind: "history", limit: 0 },
    resumeToken: new Uint8Array(0),
  });
  relay.send(joinedFor(await relay.expect("join"), 1));
  const session = ChatSession.adopt({
    connection,
    joined: await joining,
    key,
    params: PARAMS,
    software: "test",
    identity: (await generateIdentity()).identity,
    knownKeys: KnownKeys.inMemory(),
    replay: await ReplayGuard.open(new InMemoryRoomStore(), {
      clock: SYSTEM_CLOCK,
      onLoadError: () => {},
      onSaveError: () => {},
    }),
    server: "test",
    dial,
    reconnect: { firstDelayMs: 1, maxDelayMs: 1, giveUpMs: 10_000 },
    ...options,
  }, router);
  return { session, relay };
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
