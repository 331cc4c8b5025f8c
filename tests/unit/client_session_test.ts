/**
 * The client core over in-memory connections: a `ClientConnection` and `ChatSession` on one end,
 * the test playing the relay on the other, with no sockets and no processes.
 */
import assert from "node:assert/strict";
import { newMessageId } from "../../crypto.ts";
import type { ServerMessage } from "../../protocol.ts";
import { ClientConnection } from "../../client/connection.ts";
import type { ChatError } from "../../client/errors.ts";
import type { SessionEvent } from "../../client/events.ts";
import { INBOUND_BACKLOG } from "../../client/session.ts";
import { memoryPair } from "../../transport/memory.ts";
import type { FrameConnection } from "../../transport/types.ts";
import { joinedFor, joinedSession, joinRequest, RelayEnd } from "./client_harness.ts";

/** A frame connection that counts the frames its reader has pulled. */
class Counting implements FrameConnection {
  readonly inner: FrameConnection;
  pulled = 0;
  onPull: () => void = () => {};

  constructor(inner: FrameConnection) {
    this.inner = inner;
  }
  get peer() {
    return this.inner.peer;
  }
  get address() {
    return this.inner.address;
  }
  get open() {
    return this.inner.open;
  }
  get queuedBytes() {
    return this.inner.queuedBytes;
  }
  async *frames(): AsyncGenerator<Uint8Array> {
    for await (const frame of this.inner.frames()) {
      this.pulled++;
      this.onPull();
      yield frame;
    }
  }
  send(frame: Uint8Array): boolean {
    return this.inner.send(frame);
  }
  close(finalFrame?: Uint8Array): Promise<void> {
    return this.inner.close(finalFrame);
  }
  drained(): Promise<void> {
    return this.inner.drained();
  }
}

Deno.test("ClientConnection.join() refuses a joined for another name as a protocol violation", async () => {
  const [client, server] = memoryPair();
  const relay = new RelayEnd(server);
  const connection = new ClientConnection(client, () => {});
  const hello = connection.hello("test");
  await relay.greet();
  await hello;
  const joining = connection.join(joinRequest());
  const join = await relay.expect("join");
  relay.send({ ...joinedFor(join), name: "boss" });
  await assert.rejects(joining, (error: ChatError) => error.code === "protocol_violation");
  assert.equal((await connection.closed as ChatError).code, "protocol_violation");
});

Deno.test("ClientConnection ends a connection that gets replies or traffic it did not ask for", async () => {
  const unasked: ServerMessage[] = [
    { type: "members", room: "lobby", total: 1, offset: 0, members: ["x"] },
    { type: "room_info", room: "other", params: null },
    { type: "left", room: "lobby" },
    { type: "caught_up", room: "lobby", lastSeq: 0 },
    {
      type: "deliver",
      room: "elsewhere",
      seq: 1,
      ts: 0,
      from: "bob",
      id: newMessageId(),
      sealed: new Uint8Array(40),
    },
  ];
  for (const message of unasked) {
    const [client, server] = memoryPair();
    const relay = new RelayEnd(server);
    const received: unknown[] = [];
    const connection = new ClientConnection(client, (m) => received.push(m));
    const hello = connection.hello("test");
    await relay.greet();
    await hello;
    relay.send(message);
    const failure = await connection.closed as ChatError;
    assert.equal(failure?.code, "protocol_violation", message.type);
    assert.deepEqual(received, [], message.type);
  }
});

Deno.test("ChatSession stops reading while its inbound backlog is full, and loses nothing", async () => {
  let counting: Counting | null = null;
  const { relay, session } = await joinedSession({
    wrap: (conn) => counting = new Counting(conn),
  });
  if (!counting) throw new Error("the connection was not wrapped");
  const pulling: Counting = counting;
  const events: SessionEvent[] = [];
  let handled = 0;
  let mostWaiting = 0;
  const allHandled = Promise.withResolvers<void>();
  const flood = 2_000;
  session.listener = (event) => {
    events.push(event);
    if (event.type === "error" && event.code === "unreadable" && ++handled === flood) {
      allHandled.resolve();
    }
  };
  const pulledBefore = pulling.pulled;
  pulling.onPull = () => {
    mostWaiting = Math.max(mostWaiting, pulling.pulled - pulledBefore - handled);
  };
  // A relay pouring in messages faster than they can be opened (these fail to open: cheaply).
  for (let seq = 1; seq <= flood; seq++) {
    relay.send({
      type: "deliver",
      room: "lobby",
      seq,
      ts: 0,
      from: "bob",
      id: newMessageId(),
      sealed: new Uint8Array(200),
    });
  }
  await allHandled.promise;
  assert.ok(
    mostWaiting <= INBOUND_BACKLOG + 1,
    `${mostWaiting} messages were read ahead of being handled; the bound is ${INBOUND_BACKLOG}`,
  );
  assert.equal(handled, flood, "every message was handled");
  assert.ok(!events.some((event) => event.type === "disconnected"));
  await session.quit();
});

Deno.test("ChatSession.setTopic() seals a topic, and the relay's copy answers it", async () => {
  const { relay, session, events } = await joinedSession();
  const setting = session.setTopic("Friday: demo at 3pm");
  const sent = await relay.expect("set_topic");
  relay.send({
    type: "topic",
    room: "lobby",
    ts: 5,
    from: "ana",
    id: sent.id,
    sealed: sent.sealed,
  });
  await setting;
  const topic = events.find((event) => event.type === "topic");
  assert.ok(topic?.type === "topic" && topic.text === "Friday: demo at 3pm" && !topic.current);
  assert.equal(session.topic?.text, "Friday: demo at 3pm");
  await session.quit();
});

Deno.test("ChatSession refuses a topic moved into a message and a message moved into a topic", async () => {
  const { relay, session, events } = await joinedSession();
  // Ana's own topic and message, as the relay saw them sealed.
  const setting = session.setTopic("the topic");
  const topic = await relay.expect("set_topic");
  relay.send({
    type: "topic",
    room: "lobby",
    ts: 5,
    from: "ana",
    id: topic.id,
    sealed: topic.sealed,
  });
  await setting;
  const sending = session.send("a message");
  const message = await relay.expect("send");
  relay.send({ type: "ack", room: "lobby", id: message.id, seq: 1, ts: 6 });
  await sending;
  const before = events.length;
  // A hostile relay replays each in the other's frame, as another member's.
  relay.send({
    type: "deliver",
    room: "lobby",
    seq: 2,
    ts: 7,
    from: "ana",
    id: topic.id,
    sealed: topic.sealed,
  });
  relay.send({
    type: "topic",
    room: "lobby",
    ts: 8,
    from: "ana",
    id: message.id,
    sealed: message.sealed,
  });
  const deadline = Date.now() + 2_000;
  while (events.length < before + 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const later = events.slice(before);
  assert.deepEqual(later.map((event) => [event.type, "code" in event ? event.code : ""]), [
    ["error", "unreadable"],
    ["error", "unreadable"],
  ]);
  assert.equal(session.topic?.text, "the topic", "the topic did not change");
  await session.quit();
});

Deno.test("ChatSession.rename() takes the new name on the relay's word, and refuses while sending", async () => {
  const { relay, session, events } = await joinedSession();
  const renaming = session.rename("anna");
  const asked = await relay.expect("rename");
  assert.equal(asked.name, "anna");
  relay.send({ type: "renamed", room: "lobby", from: "ana", to: "anna", ts: 9 });
  await renaming;
  assert.equal(session.name, "anna");
  assert.ok(events.some((event) => event.type === "renamed" && event.self));
  // A refusal comes back in the client's words, naming what was asked.
  const refused = session.rename("bob");
  await relay.expect("rename");
  relay.send({
    type: "error",
    code: "name_taken",
    room: "lobby",
    message: "\x1b]0;pwned\x07",
    fatal: false,
    retryAfterMs: 0,
  });
  await assert.rejects(refused, /"bob" is taken in this room/);
  // With a message waiting for its acknowledgement, renaming would strand it under the old name.
  session.send("still on its way");
  await assert.rejects(session.rename("zed"), /Wait until your messages are sent/);
  // A rename the client did not ask for is not taken.
  relay.send({ type: "renamed", room: "lobby", from: "anna", to: "boss", ts: 10 });
  await relay.expect("send");
  const deadline = Date.now() + 2_000;
  while (!events.some((e) => e.type === "error") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(session.name, "anna");
  await session.quit();
});
